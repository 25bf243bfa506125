package storage_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

func TestMigrationsAreRecordedAndIdempotent(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		v, err := db.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v != storage.LatestSchemaVersion() || v == 0 {
			t.Fatalf("schema version %d, want %d", v, storage.LatestSchemaVersion())
		}
		n, err := db.Migrate(ctx, time.Now)
		if err != nil || n != 0 {
			t.Fatalf("second Migrate applied %d (err %v), want 0", n, err)
		}
	})
}

func TestNewerSchemaIsRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		next := storage.LatestSchemaVersion() + 1
		if err := db.InTx(ctx, func(tx *storage.Tx) error {
			return tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'from_the_future', $2)`, next, time.Now())
		}); err != nil {
			t.Fatal(err)
		}
		_, err := db.Migrate(ctx, time.Now)
		if !errors.Is(err, storage.ErrSchemaTooNew) {
			t.Fatalf("Migrate on a newer schema: %v, want ErrSchemaTooNew", err)
		}
		if !strings.Contains(err.Error(), "newer") {
			t.Fatalf("message %q does not say why", err)
		}
	})
}

func TestMovementRoundTrip(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc := proposals.NewService(db.Store(), time.Now)
		if _, err := svc.Movement(ctx); !errors.Is(err, proposals.ErrNotFound) {
			t.Fatalf("movement before setup: %v, want ErrNotFound", err)
		}
		created := time.Date(2026, 11, 21, 10, 30, 0, 123456000, time.UTC)
		want := proposals.Movement{Name: "Tenants Together", Handle: "tenants", Summary: "Homes, not assets.", CreatedAt: created, UpdatedAt: created}
		err := db.InTx(ctx, func(tx *storage.Tx) error { return tx.CreateMovement(ctx, want) })
		if err != nil {
			t.Fatal(err)
		}
		got, err := svc.Movement(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != want.Name || got.Handle != want.Handle || got.Summary != want.Summary || !got.CreatedAt.Equal(created) {
			t.Fatalf("round trip: got %+v, want %+v", got, want)
		}
		err = db.InTx(ctx, func(tx *storage.Tx) error { return tx.CreateMovement(ctx, want) })
		if !errors.Is(err, proposals.ErrConflict) {
			t.Fatalf("second movement: %v, want ErrConflict", err)
		}
	})
}

func TestFailedTransactionLeavesNothing(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := db.InTx(ctx, func(tx *storage.Tx) error {
			if err := tx.CreateMovement(ctx, proposals.Movement{Name: "x", Handle: "x", CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx returned %v", err)
		}
		if _, err := proposals.NewService(db.Store(), time.Now).Movement(ctx); !errors.Is(err, proposals.ErrNotFound) {
			t.Fatalf("rolled-back movement is visible: %v", err)
		}
	})
}

func TestKeyPairIsGeneratedOnceUnderConcurrentStarts(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc := proposals.NewService(db.Store(), time.Now)
		var wg sync.WaitGroup
		prints := make([]string, 4)
		for i := range prints {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k, err := svc.EnsureKeyPair(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				prints[i] = k.Fingerprint()
			}()
		}
		wg.Wait()
		for _, p := range prints[1:] {
			if p != prints[0] {
				t.Fatalf("concurrent starts kept different keys: %v", prints)
			}
		}
		again, err := svc.EnsureKeyPair(ctx)
		if err != nil || again.Fingerprint() != prints[0] {
			t.Fatalf("key changed on a later start: %v %v", again.Fingerprint(), err)
		}
		if !strings.HasPrefix(again.PrivateKeyPEM, "-----BEGIN PRIVATE KEY-----") {
			t.Fatalf("private key is not PKCS#8 PEM")
		}
	})
}

func TestParseURL(t *testing.T) {
	cases := []struct {
		raw     string
		dialect storage.Dialect
		wantErr string
	}{
		{"", storage.SQLite, ""},
		{"sqlite:/tmp/x.db", storage.SQLite, ""},
		{"sqlite:", "", "names no file"},
		{"postgres://u:secret@db.example/cg?sslmode=disable", storage.Postgres, ""},
		{"postgresql://db.example/cg", storage.Postgres, ""},
		{"postgres://%zz", "", "malformed"},
		{"mysql://db/cg", "", "unsupported database URL"},
	}
	for _, c := range cases {
		got, err := storage.ParseURL(c.raw, "/data")
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("ParseURL(%q) error %v, want %q", c.raw, err, c.wantErr)
			}
			continue
		}
		if err != nil || got.Dialect != c.dialect {
			t.Errorf("ParseURL(%q) = %+v, %v", c.raw, got, err)
		}
		if strings.Contains(got.Display, "secret") {
			t.Errorf("display %q leaks the password", got.Display)
		}
		if c.dialect == storage.Postgres && !strings.Contains(got.DSN, "binary_parameters=yes") {
			t.Errorf("ParseURL(%q) DSN %q: lib/pq would prepare each statement in a round trip of its own", c.raw, got.DSN)
		}
		if c.dialect == storage.Postgres && !strings.Contains(got.DSN, "jit=off") {
			t.Errorf("ParseURL(%q) DSN %q: PostgreSQL would compile the inbox claim on every claim", c.raw, got.DSN)
		}
	}
	// A URL that says otherwise is kept as it is.
	if got, _ := storage.ParseURL("postgres://db.example/cg?binary_parameters=no&jit=on", ""); !strings.Contains(got.DSN, "binary_parameters=no") ||
		strings.Contains(got.DSN, "=yes") || !strings.Contains(got.DSN, "jit=on") || strings.Contains(got.DSN, "jit=off") {
		t.Errorf("binary_parameters=no&jit=on became %q", got.DSN)
	}
}
