// Package store is ticketd's persistence: by default one SQLite file
// (modernc.org/sqlite, no cgo) with WAL, foreign keys and a busy timeout;
// or a PostgreSQL database (pgx) that several instances can share. Both
// have embedded numbered migrations of the same meaning and run the same
// statements (dialect.go says what differs and where it is handled). It
// offers transactions that capture "now" once from an injected clock, and
// the queries the pipeline needs, each prepared once and served by an
// index (see QueryPlan, FullScans). Raw mail and message texts are stored
// deflated where that saves space. It holds no policy: what to store, when
// and for how long is decided by the desk and the daemon.
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

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// migrationFiles holds SQLite's migrations in migrations/ and their
// PostgreSQL twins, same file names, in migrations/postgres/.
//
//go:embed migrations/*.sql migrations/postgres/*.sql
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
	db     *sql.DB
	clock  ticket.Clock
	driver string // SQLite or Postgres
	name   string // the file, or the DSN without its password

	// writer admits one write transaction of this process at a time.
	// SQLite has one writer anyway; queueing here instead of in SQLite's
	// busy handler (which polls, sleeping up to 100 ms) lets the next
	// writer start the moment the previous one commits. Writers of other
	// processes (admin commands) still meet busy_timeout. On PostgreSQL
	// it keeps one instance's writers from failing each other's
	// serializable transactions; other instances meet lock_timeout and
	// serialization failures (IsBusy).
	writer      chan struct{}
	busyTimeout time.Duration
	stmts       stmtCache

	// claimer is the instance id outbox rows are claimed for (ClaimAs);
	// "" when this process is the only one delivering.
	claimer          string
	claimerDeadAfter time.Duration
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
	// On PostgreSQL it is also the lock_timeout of every statement.
	BusyTimeout time.Duration
}

// DefaultBusyTimeout is how long a write waits for the write lock.
const DefaultBusyTimeout = 10 * time.Second

// Open opens (creating if needed) the SQLite database at path and applies
// pending migrations. A database whose schema is newer than this binary's
// is refused. It is OpenDSN(ctx, SQLite, path, clock, opts...).
func Open(ctx context.Context, dbPath string, clock ticket.Clock, opts ...Options) (*DB, error) {
	return OpenDSN(ctx, SQLite, dbPath, clock, opts...)
}

// OpenDSN opens a database of driver: for SQLite, dsn is the file's path
// (created if needed); for Postgres, a libpq connection string or URL
// ("postgres://ticketd@db.example.com/ticketd"; a password not in it is
// taken from PGPASSWORD or ~/.pgpass, as libpq does) of an existing,
// possibly empty, database. Pending migrations are applied as opts say.
func OpenDSN(ctx context.Context, driver, dsn string, clock ticket.Clock, opts ...Options) (*DB, error) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if clock == nil {
		clock = ticket.SystemClock{}
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	var sdb *sql.DB
	var err error
	name := dsn
	switch driver {
	case SQLite, "":
		driver = SQLite
		sdb, err = openSQLite(dsn, o)
	case Postgres:
		name = RedactDSN(dsn)
		sdb, err = openPostgres(dsn, o)
	default:
		return nil, fmt.Errorf("open database: unknown driver %q (want %q or %q)", driver, SQLite, Postgres)
	}
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", name, err)
	}
	d := &DB{db: sdb, clock: clock, driver: driver, name: name, writer: make(chan struct{}, 1), busyTimeout: o.BusyTimeout}
	d.stmts.init(sdb, driver == Postgres)
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open database %s: %w", name, err)
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
			d.Close()
			return nil, fmt.Errorf("database %s: %w", name, err)
		}
		return d, nil
	}
	if o.NoUpgrade && apply {
		have, err := d.currentVersion(ctx)
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("database %s: %w", name, err)
		}
		apply = have == 0
	}
	if err := d.migrate(ctx, apply); err != nil {
		d.Close()
		return nil, fmt.Errorf("database %s: %w", name, err)
	}
	return d, nil
}

func openSQLite(dbPath string, o Options) (*sql.DB, error) {
	if err := createPrivate(dbPath); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", max(o.BusyTimeout.Milliseconds(), 1)))
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	sdb, err := sql.Open("sqlite", "file:"+dbPath+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	// SQLite has one writer; a small pool serves concurrent readers (WAL).
	sdb.SetMaxOpenConns(4)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	return sdb, nil
}

func openPostgres(dsn string, o Options) (*sql.DB, error) {
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	if cc.RuntimeParams == nil {
		cc.RuntimeParams = map[string]string{}
	}
	// A statement waiting for a row lock gives up after BusyTimeout, with
	// an error IsBusy recognises, like SQLite's busy_timeout.
	cc.RuntimeParams["lock_timeout"] = strconv.FormatInt(max(o.BusyTimeout.Milliseconds(), 1), 10)
	if cc.RuntimeParams["application_name"] == "" {
		cc.RuntimeParams["application_name"] = "ticketd"
	}
	sdb := stdlib.OpenDB(*cc)
	// One writer at a time per instance (DB.writer), readers beside it.
	sdb.SetMaxOpenConns(8)
	sdb.SetMaxIdleConns(4)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	return sdb, nil
}

// Close closes the database.
func (d *DB) Close() error {
	d.stmts.close()
	return d.db.Close()
}

// Driver is SQLite or Postgres.
func (d *DB) Driver() string { return d.driver }

// Name is the database for people: the SQLite file, or the PostgreSQL
// DSN without its password.
func (d *DB) Name() string { return d.name }

func (d *DB) postgres() bool { return d.driver == Postgres }

// Clock is the clock transactions take "now" from.
func (d *DB) Clock() ticket.Clock { return d.clock }

type migration struct {
	version int
	name    string
	sql     string
}

// migrationDir is where driver's migrations are embedded.
func migrationDir(driver string) string {
	if driver == Postgres {
		return "migrations/postgres"
	}
	return "migrations"
}

// migrationsOf returns driver's migrations, in order.
func migrationsOf(driver string) ([]migration, error) {
	dir := migrationDir(driver)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration file %s/%s: name must be NNNN_name.sql", dir, e.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join(dir, e.Name()))
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
	ms, err := migrationsOf(d.driver)
	if err != nil {
		return 0, 0, err
	}
	want = ms[len(ms)-1].version
	have, err = d.currentVersion(ctx)
	return have, want, err
}

func (d *DB) currentVersion(ctx context.Context) (int, error) {
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`
	if d.postgres() {
		// Instances starting together on an empty database: IF NOT
		// EXISTS is not atomic on PostgreSQL; the lock makes it so.
		err := d.migrationTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, create)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("create migrations table: %w", err)
		}
	} else if _, err := d.db.ExecContext(ctx, create); err != nil {
		return 0, fmt.Errorf("create migrations table: %w", err)
	}
	var v sql.NullInt64
	if err := d.db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(v.Int64), nil
}

// migrationLock is the PostgreSQL advisory lock that makes instances
// migrating one database at once take turns ("ticketd migrations").
const migrationLock = 0x7469636b65746400

// migrationTx runs fn in a transaction; on PostgreSQL it first waits for
// the migration lock, which the commit releases.
func (d *DB) migrationTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if d.postgres() {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// migrate applies pending migrations, one transaction each.
func (d *DB) migrate(ctx context.Context, apply bool) error {
	return d.migrateUpTo(ctx, apply, 0)
}

// migrateUpTo is migrate stopping after version upTo (0: the latest); tests
// use it to make a database as an older ticketd left it.
func (d *DB) migrateUpTo(ctx context.Context, apply bool, upTo int) error {
	ms, err := migrationsOf(d.driver)
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
	insert := `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`
	if d.postgres() {
		insert = rebind(insert)
	}
	for _, m := range ms {
		if m.version <= have {
			continue
		}
		if !apply {
			backup := "ticketd backup FILE"
			if d.postgres() {
				backup = "pg_dump"
			}
			return fmt.Errorf("%w: schema version %d, migration %s pending: back it up (%s) and run `ticketd migrate`", ErrOlderSchema, have, m.name, backup)
		}
		err := d.migrationTx(ctx, func(tx *sql.Tx) error {
			// Another instance may have applied it while this one
			// waited for the lock (PostgreSQL).
			var v sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
				return err
			}
			if int(v.Int64) >= m.version {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, insert, m.version, m.name, d.clock.Now().UTC().Format(TimeFormat))
			return err
		})
		if err != nil {
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

// IsBusy reports whether err is a failure that says nothing about the
// data: SQLite's "database is locked" (SQLITE_BUSY, SQLITE_LOCKED and
// their extended codes), ErrBusy, or on PostgreSQL a serialization
// failure or deadlock between concurrent transactions, a lock wait past
// BusyTimeout, or a lost or refused connection. The caller retries later
// and must not decide anything from it (a mail is never quarantined for
// it).
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
	return pgRetryable(err)
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
//
// On PostgreSQL the transaction is SERIALIZABLE: the store's transactions
// were written for SQLite's single writer (the next ticket number is
// MAX(number)+1, a reminder is marked sent if it was not, an alert fold
// is read and written back), and serializable isolation keeps every one
// of them correct beside other instances' writes without a lock per
// case. A transaction that would break that fails with a serialization
// failure instead, which IsBusy recognises: nothing was written, and the
// caller tries again later, as after a SQLite lock timeout.
func (d *DB) Update(ctx context.Context, fn func(*Tx) error) error {
	return d.update(ctx, sql.LevelSerializable, fn)
}

// UpdateReadCommitted is Update at PostgreSQL's READ COMMITTED, for
// transactions whose statements are correct under concurrency by
// themselves: claiming rows with SELECT … FOR UPDATE SKIP LOCKED, or one
// conditional UPDATE. Serializable isolation would fail such claims
// against each other (each reads the rows the other takes: a read/write
// dependency), where READ COMMITTED lets them pass each other. On SQLite
// it is Update.
func (d *DB) UpdateReadCommitted(ctx context.Context, fn func(*Tx) error) error {
	return d.update(ctx, sql.LevelReadCommitted, fn)
}

func (d *DB) update(ctx context.Context, isolation sql.IsolationLevel, fn func(*Tx) error) error {
	if err := d.lockWriter(ctx); err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer d.unlockWriter()
	var opts *sql.TxOptions // SQLite: BEGIN IMMEDIATE (_txlock)
	if d.postgres() {
		opts = &sql.TxOptions{Isolation: isolation}
	}
	stx, err := d.db.BeginTx(ctx, opts)
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

// View runs fn in a transaction that is always rolled back; use it for
// reads. It sees one snapshot throughout (SQLite's WAL read transaction;
// PostgreSQL's REPEATABLE READ, which never fails for a reader).
func (d *DB) View(ctx context.Context, fn func(*Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if d.postgres() {
		opts.Isolation = sql.LevelRepeatableRead
	}
	stx, err := d.db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer stx.Rollback()
	return fn(&Tx{tx: stx, ctx: ctx, db: d, Now: d.clock.Now().UTC()})
}

// stmt returns query prepared for this transaction when the database has
// it prepared (else nil: the caller then runs the text, and the cache
// prepares it for next time), and the text to run in this dialect.
func (tx *Tx) stmt(query string) (*sql.Stmt, string) {
	if s, ok := tx.stmts[query]; ok {
		return s, query
	}
	ps, text := tx.db.stmts.get(query)
	if ps == nil {
		return nil, text
	}
	s := tx.tx.StmtContext(tx.ctx, ps)
	if tx.stmts == nil {
		tx.stmts = make(map[string]*sql.Stmt, 8)
	}
	tx.stmts[query] = s
	return s, text
}

// result is what a write reports: the rows it changed. New rows' ids
// come from "RETURNING id" (LastInsertId does not exist on PostgreSQL).
type result interface {
	RowsAffected() (int64, error)
}

func (tx *Tx) args(args []any) []any {
	if tx.db.postgres() {
		return bindArgs(args)
	}
	return args
}

func (tx *Tx) exec(query string, args ...any) (result, error) {
	s, text := tx.stmt(query)
	if s != nil {
		return s.ExecContext(tx.ctx, args...)
	}
	return tx.tx.ExecContext(tx.ctx, text, tx.args(args)...)
}

func (tx *Tx) query(query string, args ...any) (*sql.Rows, error) {
	s, text := tx.stmt(query)
	if s != nil {
		return s.QueryContext(tx.ctx, args...)
	}
	return tx.tx.QueryContext(tx.ctx, text, tx.args(args)...)
}

func (tx *Tx) queryRow(query string, args ...any) *sql.Row {
	s, text := tx.stmt(query)
	if s != nil {
		return s.QueryRowContext(tx.ctx, args...)
	}
	return tx.tx.QueryRowContext(tx.ctx, text, tx.args(args)...)
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

// ErrBackupUnsupported is Backup's error on PostgreSQL.
var ErrBackupUnsupported = errors.New("ticketd backup copies SQLite databases; back up a PostgreSQL database with pg_dump " +
	"(pg_dump -Fc -f ticketd.dump DSN; restore with pg_restore), or the server's own backups")

// Backup writes a consistent online copy of the database to file
// (SQLite VACUUM INTO), which must not exist yet. The copy is private to
// its owner, like the database. PostgreSQL has no VACUUM INTO: there it
// returns ErrBackupUnsupported, which says to use pg_dump.
func (d *DB) Backup(ctx context.Context, file string) error {
	if d.postgres() {
		return ErrBackupUnsupported
	}
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
