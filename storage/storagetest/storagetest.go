// Package storagetest gives each test a fresh, migrated database on each backend:
// a temporary SQLite file, and a database of its own on the PostgreSQL server named
// by COMMONGROUND_TEST_POSTGRES, dropped when the test ends.
package storagetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commonground/commonground/storage"
)

// DefaultPostgres is the server tests use when COMMONGROUND_TEST_POSTGRES is unset.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Required reports whether COMMONGROUND_TEST_REQUIRE (a comma-separated list, e.g.
// "postgres,chromium") names what; CI sets it so that a missing part fails the
// run instead of skipping the tests that need it.
func Required(what string) bool {
	return slices.Contains(strings.Split(os.Getenv("COMMONGROUND_TEST_REQUIRE"), ","), what)
}

// Unavailable skips the test with a message, or fails it when CI requires what.
func Unavailable(t testing.TB, what, why string) {
	t.Helper()
	if Required(what) {
		t.Fatalf("%s is required (COMMONGROUND_TEST_REQUIRE) but unavailable: %s", what, why)
	}
	t.Skipf("skipping: %s unavailable (%s); set it up or leave COMMONGROUND_TEST_REQUIRE unset", what, why)
}

// Each runs fn once per backend, as subtests "sqlite" and "postgres".
func Each(t *testing.T, fn func(t *testing.T, db *storage.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite returns a migrated database in a fresh temporary file.
func SQLite(t testing.TB) *storage.DB {
	t.Helper()
	target, err := storage.ParseURL("sqlite:"+filepath.Join(t.TempDir(), "test.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	return openMigrated(t, target)
}

// PostgresURL returns the URL of a fresh, empty database on the test server,
// dropped when the test ends; it skips (or fails, when required) if the server
// cannot be reached.
func PostgresURL(t testing.TB) string {
	t.Helper()
	adminURL := os.Getenv("COMMONGROUND_TEST_POSTGRES")
	if adminURL == "" {
		adminURL = DefaultPostgres
	}
	admin, err := sql.Open("postgres", adminURL)
	if err != nil {
		t.Fatalf("COMMONGROUND_TEST_POSTGRES: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		Unavailable(t, "postgres", "cannot reach "+redact(adminURL)+": "+err.Error())
	}
	name := "cgtest_" + randomHex(8)
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(adminURL)
	if err != nil {
		t.Fatalf("COMMONGROUND_TEST_POSTGRES: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Postgres returns a migrated database of its own on the test server.
func Postgres(t testing.TB) *storage.DB {
	t.Helper()
	target, err := storage.ParseURL(PostgresURL(t), "")
	if err != nil {
		t.Fatal(err)
	}
	return openMigrated(t, target)
}

// OpenURL opens another handle on the database at rawURL (from PostgresURL)
// and migrates it: two handles on one database stand for two processes.
func OpenURL(t testing.TB, rawURL string) *storage.DB {
	t.Helper()
	target, err := storage.ParseURL(rawURL, "")
	if err != nil {
		t.Fatal(err)
	}
	return openMigrated(t, target)
}

func openMigrated(t testing.TB, target storage.Target) *storage.DB {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx, time.Now); err != nil {
		t.Fatal(err)
	}
	return db
}

func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "the configured server"
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
