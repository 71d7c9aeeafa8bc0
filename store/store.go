// Package store is ticketd's persistence: one SQLite file (modernc.org/sqlite,
// no cgo) with embedded numbered migrations, WAL, foreign keys and a busy
// timeout. It offers transactions that capture "now" once from an injected
// clock, and the queries the pipeline needs, each prepared once and served
// by an index (see QueryPlan, FullScans). Raw mail and message texts are
// stored deflated where that saves space. It holds no policy: what to
// store, when and for how long is decided by the desk and the daemon.
//
// Size: about 2,900 lines, one file per table group, because every query
// of the product lives here (and is checked by the query-plan tests):
// splitting it would split the schema.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"ticketd/ticket"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// TimeFormat is how instants are stored: UTC, fixed width, so that string
// order is time order and indexes on time columns work.
const TimeFormat = "2006-01-02T15:04:05.000000000Z"

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrNewerSchema is returned by Open when the database was migrated by a
// newer ticketd than this one.
var ErrNewerSchema = errors.New("database schema is newer than this ticketd")

// DB is an open ticketd database.
type DB struct {
	db    *sql.DB
	clock ticket.Clock
	path  string

	// writer admits one write transaction of this process at a time.
	// SQLite has one writer anyway; queueing here instead of in SQLite's
	// busy handler (which polls, sleeping up to 100 ms) lets the next
	// writer start the moment the previous one commits. Writers of other
	// processes (admin commands) still meet busy_timeout.
	writer      chan struct{}
	busyTimeout time.Duration
	stmts       stmtCache

	// claimer is the instance id outbox rows are claimed for (ClaimAs);
	// "" when this process is the only one delivering.
	claimer string
}

// ErrOlderSchema is returned by Open with NoMigrate or NoUpgrade when the
// database needs migrations this binary has.
var ErrOlderSchema = errors.New("database schema is older than this ticketd")

// Options tune Open.
type Options struct {
	// NoMigrate opens without applying pending migrations; Open then fails
	// if any are pending. `ticketd migrate` is the explicit way to upgrade.
	NoMigrate bool
	// NoUpgrade creates the schema of a new, empty database but refuses to
	// upgrade an existing one: the admin does that with `ticketd migrate`,
	// after a backup.
	NoUpgrade bool
	// Manual applies nothing and refuses nothing but a newer schema: for
	// `ticketd migrate` (which then calls Migrate) and `ticketd backup`.
	Manual bool
	// BusyTimeout is how long a write waits for the write lock before it
	// fails with an error IsBusy recognises; default DefaultBusyTimeout.
	BusyTimeout time.Duration
}

// DefaultBusyTimeout is how long a write waits for the write lock.
const DefaultBusyTimeout = 10 * time.Second

// Open opens (creating if needed) the database at path and applies pending
// migrations. A database whose schema is newer than this binary's is refused.
func Open(ctx context.Context, dbPath string, clock ticket.Clock, opts ...Options) (*DB, error) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if clock == nil {
		clock = ticket.SystemClock{}
	}
	if err := createPrivate(dbPath); err != nil {
		return nil, fmt.Errorf("open database %s: %w", dbPath, err)
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", max(o.BusyTimeout.Milliseconds(), 1)))
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + dbPath + "?" + q.Encode()
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", dbPath, err)
	}
	// SQLite has one writer; a small pool serves concurrent readers (WAL).
	sdb.SetMaxOpenConns(4)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	d := &DB{db: sdb, clock: clock, path: dbPath, writer: make(chan struct{}, 1), busyTimeout: o.BusyTimeout}
	d.stmts.init(sdb)
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open database %s: %w", dbPath, err)
	}
	apply := !o.NoMigrate
	if o.Manual {
		have, want, err := d.SchemaVersion(ctx)
		if err == nil {
			if have > want {
				err = fmt.Errorf("%w: schema version %d, this binary knows up to %d; upgrade ticketd", ErrNewerSchema, have, want)
			}
		}
		if err != nil {
			sdb.Close()
			return nil, fmt.Errorf("database %s: %w", dbPath, err)
		}
		return d, nil
	}
	if o.NoUpgrade && apply {
		have, err := d.currentVersion(ctx)
		if err != nil {
			sdb.Close()
			return nil, fmt.Errorf("database %s: %w", dbPath, err)
		}
		apply = have == 0
	}
	if err := d.migrate(ctx, apply); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("database %s: %w", dbPath, err)
	}
	return d, nil
}

// Close closes the database.
func (d *DB) Close() error {
	d.stmts.close()
	return d.db.Close()
}

// Path is the file the database lives in.
func (d *DB) Path() string { return d.path }

// Clock is the clock transactions take "now" from.
func (d *DB) Clock() ticket.Clock { return d.clock }

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %q: name must start with a number and '_'", e.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// SchemaVersion reports the database's schema version and the newest one
// this binary knows.
func (d *DB) SchemaVersion(ctx context.Context) (have, want int, err error) {
	ms, err := migrations()
	if err != nil {
		return 0, 0, err
	}
	want = ms[len(ms)-1].version
	have, err = d.currentVersion(ctx)
	return have, want, err
}

func (d *DB) currentVersion(ctx context.Context) (int, error) {
	if _, err := d.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return 0, fmt.Errorf("create migrations table: %w", err)
	}
	var v sql.NullInt64
	if err := d.db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(v.Int64), nil
}

// migrate applies pending migrations, one transaction each.
func (d *DB) migrate(ctx context.Context, apply bool) error {
	return d.migrateUpTo(ctx, apply, 0)
}

// migrateUpTo is migrate stopping after version upTo (0: the latest); tests
// use it to make a database as an older ticketd left it.
func (d *DB) migrateUpTo(ctx context.Context, apply bool, upTo int) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	if upTo > 0 {
		ms = slices.DeleteFunc(ms, func(m migration) bool { return m.version > upTo })
	}
	have, err := d.currentVersion(ctx)
	if err != nil {
		return err
	}
	if want := ms[len(ms)-1].version; have > want {
		return fmt.Errorf("%w: schema version %d, this binary knows up to %d; upgrade ticketd", ErrNewerSchema, have, want)
	}
	for _, m := range ms {
		if m.version <= have {
			continue
		}
		if !apply {
			return fmt.Errorf("%w: schema version %d, migration %s pending: back it up (ticketd backup FILE) and run `ticketd migrate`", ErrOlderSchema, have, m.name)
		}
		tx, err := d.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, d.clock.Now().UTC().Format(TimeFormat)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// Migrate applies pending migrations and reports the versions before and after.
func (d *DB) Migrate(ctx context.Context) (from, to int, err error) {
	from, err = d.currentVersion(ctx)
	if err != nil {
		return 0, 0, err
	}
	if err := d.migrate(ctx, true); err != nil {
		return from, from, err
	}
	to, err = d.currentVersion(ctx)
	return from, to, err
}

// Tx is a database transaction with the instant it started, taken once from
// the clock so every row it writes agrees on "now".
type Tx struct {
	tx  *sql.Tx
	ctx context.Context
	db  *DB
	Now time.Time

	// stmts are the cached statements this transaction has bound to its
	// connection, so a batch binds each one once.
	stmts map[string]*sql.Stmt
}

// ErrBusy is returned (wrapped) when a write waited BusyTimeout for
// another writer of this process; IsBusy recognises it.
var ErrBusy = errors.New("database is busy: another write is in progress")

// IsBusy reports whether err is a lock timeout: SQLite's "database is
// locked" (SQLITE_BUSY, SQLITE_LOCKED and their extended codes) or
// ErrBusy. Such a failure says nothing about the data: the caller retries
// later and must not decide anything from it.
func IsBusy(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrBusy) {
		return true
	}
	var se interface{ Code() int }
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return true
		}
	}
	return false
}

// lockWriter waits for this process's write slot, at most busyTimeout.
func (d *DB) lockWriter(ctx context.Context) error {
	select {
	case d.writer <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(d.busyTimeout)
	defer t.Stop()
	select {
	case d.writer <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("%w (waited %s)", ErrBusy, d.busyTimeout)
	}
}

func (d *DB) unlockWriter() { <-d.writer }

// Update runs fn in a write transaction, committing when fn returns nil.
func (d *DB) Update(ctx context.Context, fn func(*Tx) error) error {
	if err := d.lockWriter(ctx); err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer d.unlockWriter()
	stx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx := &Tx{tx: stx, ctx: ctx, db: d, Now: d.clock.Now().UTC()}
	if err := fn(tx); err != nil {
		stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// View runs fn in a transaction that is always rolled back; use it for reads.
func (d *DB) View(ctx context.Context, fn func(*Tx) error) error {
	stx, err := d.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer stx.Rollback()
	return fn(&Tx{tx: stx, ctx: ctx, db: d, Now: d.clock.Now().UTC()})
}

// stmt returns query prepared for this transaction when the database has
// it prepared, else nil: the caller then runs the text, and the cache
// prepares it for next time.
func (tx *Tx) stmt(query string) *sql.Stmt {
	if s, ok := tx.stmts[query]; ok {
		return s
	}
	ps := tx.db.stmts.get(query)
	if ps == nil {
		return nil
	}
	s := tx.tx.StmtContext(tx.ctx, ps)
	if tx.stmts == nil {
		tx.stmts = make(map[string]*sql.Stmt, 8)
	}
	tx.stmts[query] = s
	return s
}

func (tx *Tx) exec(query string, args ...any) (sql.Result, error) {
	if s := tx.stmt(query); s != nil {
		return s.ExecContext(tx.ctx, args...)
	}
	return tx.tx.ExecContext(tx.ctx, query, args...)
}

func (tx *Tx) query(query string, args ...any) (*sql.Rows, error) {
	if s := tx.stmt(query); s != nil {
		return s.QueryContext(tx.ctx, args...)
	}
	return tx.tx.QueryContext(tx.ctx, query, args...)
}

func (tx *Tx) queryRow(query string, args ...any) *sql.Row {
	if s := tx.stmt(query); s != nil {
		return s.QueryRowContext(tx.ctx, args...)
	}
	return tx.tx.QueryRowContext(tx.ctx, query, args...)
}

// Meta returns the value stored under key, or ErrNotFound.
func (tx *Tx) Meta(key string) ([]byte, error) {
	var v []byte
	err := tx.queryRow(`SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read meta %s: %w", key, err)
	}
	return v, nil
}

// SetMeta stores value under key.
func (tx *Tx) SetMeta(key string, value []byte) error {
	_, err := tx.exec(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("write meta %s: %w", key, err)
	}
	return nil
}

// Writable checks that the database accepts a write, for health checks.
func (d *DB) Writable(ctx context.Context) error {
	return d.Update(ctx, func(tx *Tx) error {
		return tx.SetMeta("health_probe", []byte(tx.Now.Format(TimeFormat)))
	})
}

// createPrivate creates path as an empty file only its owner may read and
// write, unless it exists. The database holds every mail and the key that
// signs reply tokens; SQLite creates its -wal and -shm files with the
// database file's mode, so they are private too. An existing file keeps
// its mode (check-config warns when others may read it).
func createPrivate(path string) error {
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// Backup writes a consistent online copy of the database to file
// (SQLite VACUUM INTO), which must not exist yet. The copy is private to
// its owner, like the database.
func (d *DB) Backup(ctx context.Context, file string) error {
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup to %s: %w", file, err)
	}
	f.Close()
	if _, err := d.db.ExecContext(ctx, `VACUUM INTO ?`, file); err != nil {
		os.Remove(file)
		return fmt.Errorf("backup to %s: %w", file, err)
	}
	return nil
}

// formatTime renders t for storage; the zero time is NULL.
func formatTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(TimeFormat)
}

func formatTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

// parseTime reads a stored time; NULL or "" is the zero time.
func parseTime(s sql.NullString) time.Time {
	if !s.Valid || s.String == "" {
		return time.Time{}
	}
	t, err := time.Parse(TimeFormat, s.String)
	if err != nil {
		t, _ = time.Parse(time.RFC3339Nano, s.String)
	}
	return t.UTC()
}

func parseTimePtr(s sql.NullString) *time.Time {
	t := parseTime(s)
	if t.IsZero() {
		return nil
	}
	return &t
}
