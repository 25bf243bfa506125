package storage

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestMigrationsForOneDatabaseComeInPairs(t *testing.T) {
	file := func(body string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(body)} }
	paired := fstest.MapFS{
		"migrations/0001_start.sql":          file("CREATE TABLE t (at {{timestamp}});"),
		"migrations/0002_claim.postgres.sql": file("CREATE FUNCTION f();"),
		"migrations/0002_claim.sqlite.sql":   file("-- nothing"),
		"migrations/0003_more.sql":           file("ALTER TABLE t ADD COLUMN n INTEGER;"),
	}
	for d, want := range map[Dialect][]string{
		Postgres: {"CREATE TABLE t (at TIMESTAMPTZ);", "CREATE FUNCTION f();", "ALTER TABLE t ADD COLUMN n INTEGER;"},
		SQLite:   {"CREATE TABLE t (at TIMESTAMP);", "-- nothing", "ALTER TABLE t ADD COLUMN n INTEGER;"},
	} {
		ms, err := readMigrations(paired, d)
		if err != nil {
			t.Fatalf("%s: %v", dialectNames[d], err)
		}
		if len(ms) != len(want) {
			t.Fatalf("%s: %d migrations, want %d", dialectNames[d], len(ms), len(want))
		}
		for i, m := range ms {
			if m.version != i+1 || m.sql != want[i] {
				t.Errorf("%s: migration %d is %d %q, want %d %q", dialectNames[d], i, m.version, m.sql, i+1, want[i])
			}
		}
		if ms[1].name != "claim" {
			t.Errorf("%s: the paired step is named %q, want %q", dialectNames[d], ms[1].name, "claim")
		}
	}

	for name, files := range map[string]fstest.MapFS{
		"one half of a pair": {
			"migrations/0001_start.sql":          file("CREATE TABLE t (n INTEGER);"),
			"migrations/0002_claim.postgres.sql": file("CREATE FUNCTION f();"),
		},
		"a database it does not run on": {
			"migrations/0001_start.mysql.sql": file("CREATE TABLE t (n INTEGER);"),
		},
	} {
		for _, d := range []Dialect{Postgres, SQLite} {
			if _, err := readMigrations(files, d); err == nil || !strings.Contains(err.Error(), "migration") {
				t.Errorf("%s, read for %s: error %v, want one naming the migration", name, dialectNames[d], err)
			}
		}
	}
}

func TestEmbeddedMigrationsAreTheSameStepsOnBothDatabases(t *testing.T) {
	pg, err := loadMigrations(Postgres)
	if err != nil {
		t.Fatal(err)
	}
	lite, err := loadMigrations(SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if len(pg) != len(lite) {
		t.Fatalf("%d steps on PostgreSQL, %d on SQLite", len(pg), len(lite))
	}
	for i := range pg {
		if pg[i].name != lite[i].name {
			t.Errorf("step %d is %q on PostgreSQL, %q on SQLite", i+1, pg[i].name, lite[i].name)
		}
	}
}
