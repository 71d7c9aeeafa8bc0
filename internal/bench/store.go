package bench

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"ticketd/store"
)

// benchDB is the database of one run: a SQLite file in the run's temp
// directory, or a scratch database the bench creates on a PostgreSQL
// server (Config.Store) and drops when the run ends.
type benchDB struct {
	driver string
	path   string // SQLite
	dsn    string // PostgreSQL: the scratch database
	admin  string // PostgreSQL: the DSN the bench was given, to create and drop it
	name   string // PostgreSQL: the scratch database's name
}

// newBenchDB makes the run's database, named for what it holds
// ("ticketd", "large").
func newBenchDB(ctx context.Context, cfg Config, dir, name string) (*benchDB, error) {
	if cfg.Store == "" || strings.HasPrefix(cfg.Store, store.SQLite) {
		return &benchDB{driver: store.SQLite, path: filepath.Join(dir, name+".db")}, nil
	}
	driver, dsn, err := store.ParseStore(cfg.Store)
	if err != nil {
		return nil, err
	}
	if driver != store.Postgres {
		return nil, fmt.Errorf("--store %s: want sqlite or postgres:DSN", cfg.Store)
	}
	b := &benchDB{driver: store.Postgres, admin: dsn, name: fmt.Sprintf("ticketd_bench_%d_%s", time.Now().UnixNano(), name)}
	if b.dsn, err = withDatabase(dsn, b.name); err != nil {
		return nil, err
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE DATABASE `+b.name); err != nil {
		return nil, fmt.Errorf("create the bench's scratch database on %s (the role needs CREATEDB): %w", store.RedactDSN(dsn), err)
	}
	return b, nil
}

// drop removes the scratch database (PostgreSQL) or the file (SQLite).
func (b *benchDB) drop() {
	if b.driver == store.SQLite {
		os.Remove(b.path)
		return
	}
	db, err := sql.Open("pgx", b.admin)
	if err != nil {
		return
	}
	defer db.Close()
	db.Exec(`DROP DATABASE IF EXISTS ` + b.name + ` WITH (FORCE)`)
}

// source is the driver and DSN to open.
func (b *benchDB) source() (string, string) {
	if b.driver == store.SQLite {
		return store.SQLite, b.path
	}
	return store.Postgres, b.dsn
}

// describe names the database for people.
func (b *benchDB) describe() string {
	if b.driver == store.SQLite {
		return "sqlite (a file in a temp directory)"
	}
	return "postgres (scratch database " + b.name + " on " + store.RedactDSN(b.admin) + ")"
}

// sqlDB opens a plain, read-only where it can be, connection for the
// bench's own queries, and the function that writes its placeholders.
func (b *benchDB) sqlDB() (*sql.DB, func(string) string, error) {
	if b.driver == store.SQLite {
		db, err := sql.Open("sqlite", "file:"+b.path+"?mode=ro&_pragma=busy_timeout(5000)")
		return db, func(q string) string { return q }, err
	}
	db, err := sql.Open("pgx", b.dsn)
	return db, func(q string) string {
		for i := 1; strings.Contains(q, "?"); i++ {
			q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
		}
		return q
	}, err
}

// space is how much room the database takes: in use (SQLite's pages in
// use; PostgreSQL's tables, indexes and TOAST) and in all (the file; the
// database).
func (b *benchDB) space(ctx context.Context, db *sql.DB) (inUse, total int64, err error) {
	if b.driver == store.Postgres {
		err = db.QueryRowContext(ctx, `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0), pg_database_size(current_database())
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'`).Scan(&inUse, &total)
		return inUse, total, err
	}
	var pages, free, pageSize int64
	for _, q := range []struct {
		sql string
		to  any
	}{{`PRAGMA page_count`, &pages}, {`PRAGMA freelist_count`, &free}, {`PRAGMA page_size`, &pageSize}} {
		if err := db.QueryRowContext(ctx, q.sql).Scan(q.to); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", q.sql, err)
		}
	}
	if st, err := os.Stat(b.path); err == nil {
		total = st.Size()
	}
	return (pages - free) * pageSize, total, nil
}

// withDatabase returns dsn naming database instead of its own.
func withDatabase(dsn, database string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("--store: not a PostgreSQL URL")
		}
		u.Path = "/" + database
		return u.String(), nil
	}
	return dsn + " dbname=" + database, nil // libpq: the last value of a key counts
}
