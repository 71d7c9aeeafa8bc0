package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"ticketd/internal/pgtest"
	"ticketd/ticket"
)

// The store's tests run on both drivers: a SQLite file in a temp dir, and
// a fresh database on one PostgreSQL server per package run (pgtest).
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// target is a database under test, not opened yet.
type target struct {
	driver string
	dsn    string // SQLite: the file
}

func newTarget(t testing.TB, driver string) target {
	t.Helper()
	if driver == Postgres {
		return target{driver, pgtest.Shared(t).NewDatabase(t)}
	}
	return target{driver, filepath.Join(t.TempDir(), "t.db")}
}

// eachDriver runs test once per driver, as subtests named for it.
func eachDriver(t *testing.T, test func(t *testing.T, tg target)) {
	for _, driver := range []string{SQLite, Postgres} {
		t.Run(driver, func(t *testing.T) { test(t, newTarget(t, driver)) })
	}
}

// open opens tg, closing it when the test ends.
func (tg target) open(t testing.TB, clock ticket.Clock, opts ...Options) *DB {
	t.Helper()
	db, err := OpenDSN(context.Background(), tg.driver, tg.dsn, clock, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openTest opens tg at the tests' usual instant with a fake clock.
func (tg target) openTest(t testing.TB) (*DB, *ticket.FakeClock) {
	t.Helper()
	clock := ticket.NewFakeClock(time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC))
	return tg.open(t, clock), clock
}

// rawExec runs a statement outside the store's API (writing rows as an
// older ticketd did), in the database's dialect.
func (d *DB) rawExec(t testing.TB, q string, args ...any) sql.Result {
	t.Helper()
	if d.postgres() {
		q, args = rebind(q), bindArgs(args)
	}
	res, err := d.db.Exec(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res
}

// rawQueryRow reads outside the store's API, in the database's dialect.
func (d *DB) rawQueryRow(q string, args ...any) *sql.Row {
	if d.postgres() {
		q, args = rebind(q), bindArgs(args)
	}
	return d.db.QueryRow(q, args...)
}
