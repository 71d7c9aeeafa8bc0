package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// ErrTargetNotEmpty is Copy's refusal of a target that holds data.
var ErrTargetNotEmpty = errors.New("the target database is not empty")

// CopiedTable is what Copy did with one table.
type CopiedTable struct {
	Table      string
	SourceRows int64
	TargetRows int64
	// Checksums are order-independent digests of every row's values
	// (tableSum), of the source as read and of the target as read back
	// after the commit. Text and bytes count alike, so a TEXT value that
	// becomes BYTEA (messages.body) keeps its digest.
	SourceChecksum string
	TargetChecksum string
	// Repaired counts text values PostgreSQL's text cannot hold (NUL,
	// invalid UTF-8), copied with U+FFFD instead (RepairText); then the
	// source checksum differs, and the copy is verified against the
	// checksum of the values as written (copiedChecksum).
	Repaired       int64
	copiedChecksum string
}

// Verified reports whether the target holds what was read from the
// source: the same number of rows, and the same digest (of the values as
// written, when text had to be repaired).
func (c CopiedTable) Verified() bool {
	if c.SourceRows != c.TargetRows {
		return false
	}
	if c.Repaired > 0 {
		return c.copiedChecksum == c.TargetChecksum
	}
	return c.SourceChecksum == c.TargetChecksum
}

// CopyReport is the outcome of Copy, table by table.
type CopyReport struct {
	SchemaVersion int
	Tables        []CopiedTable
	Elapsed       time.Duration
}

// Verified reports whether every table was verified.
func (r *CopyReport) Verified() bool {
	for _, t := range r.Tables {
		if !t.Verified() {
			return false
		}
	}
	return true
}

// Copy copies every row of every table of src into dst (`ticketd migrate
// --from sqlite:PATH --to postgres:DSN`), then verifies the copy by
// counting and digesting each table on both sides. Both databases must
// be at the same schema version, with the same tables and columns; dst
// must hold no rows (ErrTargetNotEmpty). Rows are copied as they are
// stored (raw mail byte for byte, deflated rows deflated), in one
// snapshot of src and one transaction of dst, so a failed copy leaves dst
// empty. Row ids are kept, and dst's id sequences continue after them.
// progress, if set, is called after each table is copied (before the
// verification).
func Copy(ctx context.Context, src, dst *DB, progress func(CopiedTable)) (*CopyReport, error) {
	start := time.Now()
	version, tables, err := copyPlan(ctx, src, dst)
	if err != nil {
		return nil, err
	}
	report := &CopyReport{SchemaVersion: version}
	err = src.View(ctx, func(stx *Tx) error {
		return dst.writeCopy(ctx, func(w rowWriter) error {
			for _, t := range tables {
				ct, err := copyTable(stx, w, t)
				if err != nil {
					return fmt.Errorf("copy table %s: %w", t.name, err)
				}
				report.Tables = append(report.Tables, ct)
				if progress != nil {
					progress(ct)
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	// Read back what was committed, table by table.
	err = dst.View(ctx, func(tx *Tx) error {
		for i, t := range tables {
			n, sum, err := digestTable(tx, t)
			if err != nil {
				return fmt.Errorf("verify table %s: %w", t.name, err)
			}
			report.Tables[i].TargetRows, report.Tables[i].TargetChecksum = n, sum
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if dst.postgres() {
		// Fresh statistics, so the first queries are planned on them.
		if _, err := dst.db.ExecContext(ctx, `ANALYZE`); err != nil {
			return nil, fmt.Errorf("analyze: %w", err)
		}
	}
	report.Elapsed = time.Since(start)
	return report, nil
}

// copyTableSpec is one table to copy: its columns and the target's types.
type copyTableSpec struct {
	name    string
	columns []string
	types   []string // the target's column types, lower case ("bigint", "bytea", "text"; SQLite's declared types)
	// postgres: the target is PostgreSQL, whose columns take only
	// values of their type.
	postgres bool
}

// copyPlan checks that src and dst can be copied and returns the tables
// in an order that satisfies their foreign keys.
func copyPlan(ctx context.Context, src, dst *DB) (int, []copyTableSpec, error) {
	have, want, err := src.SchemaVersion(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("source: %w", err)
	}
	if have != want {
		return 0, nil, fmt.Errorf("source %s is at schema version %d, this ticketd's is %d: run `ticketd migrate` on it first", src.Name(), have, want)
	}
	dstHave, _, err := dst.SchemaVersion(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("target: %w", err)
	}
	if dstHave != have {
		return 0, nil, fmt.Errorf("target %s is at schema version %d, the source at %d", dst.Name(), dstHave, have)
	}
	srcTables, err := src.Tables(ctx)
	if err != nil {
		return 0, nil, err
	}
	dstTables, err := dst.Tables(ctx)
	if err != nil {
		return 0, nil, err
	}
	srcTables = slices.DeleteFunc(srcTables, func(t string) bool { return t == "schema_migrations" })
	for _, t := range srcTables {
		if !slices.Contains(dstTables, t) {
			return 0, nil, fmt.Errorf("table %s is in the source but not in the target", t)
		}
	}
	var specs []copyTableSpec
	for _, t := range srcTables {
		sc, err := src.Columns(ctx, t)
		if err != nil {
			return 0, nil, err
		}
		dc, err := dst.Columns(ctx, t)
		if err != nil {
			return 0, nil, err
		}
		if !slices.Equal(sc, dc) {
			return 0, nil, fmt.Errorf("table %s: columns differ: source %v, target %v", t, sc, dc)
		}
		types, err := dst.columnTypes(ctx, t)
		if err != nil {
			return 0, nil, err
		}
		specs = append(specs, copyTableSpec{name: t, columns: sc, types: types, postgres: dst.postgres()})
	}
	for _, t := range dstTables {
		if t == "schema_migrations" {
			continue
		}
		var any bool
		if err := dst.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+t+`)`).Scan(&any); err != nil {
			return 0, nil, fmt.Errorf("target table %s: %w", t, err)
		}
		if any {
			return 0, nil, fmt.Errorf("%w: table %s has rows; copy into a new, empty database", ErrTargetNotEmpty, t)
		}
	}
	order, err := src.parentsFirst(ctx, srcTables)
	if err != nil {
		return 0, nil, err
	}
	slices.SortStableFunc(specs, func(a, b copyTableSpec) int { return slices.Index(order, a.name) - slices.Index(order, b.name) })
	return have, specs, nil
}

// columnTypes lists table's column types in column order, lower case.
func (d *DB) columnTypes(ctx context.Context, table string) ([]string, error) {
	q := `SELECT lower(type) FROM pragma_table_info(?) ORDER BY cid`
	if d.postgres() {
		q = `SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`
	}
	return d.strings(ctx, q, table)
}

// parentsFirst orders tables so that every table comes after the tables
// its foreign keys reference.
func (d *DB) parentsFirst(ctx context.Context, tables []string) ([]string, error) {
	parents := map[string][]string{}
	for _, t := range tables {
		q := `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`
		if d.postgres() {
			q = `SELECT DISTINCT cl.relname FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.confrelid
				WHERE c.contype = 'f' AND c.conrelid = $1::regclass`
		}
		ps, err := d.strings(ctx, q, t)
		if err != nil {
			return nil, fmt.Errorf("foreign keys of %s: %w", t, err)
		}
		parents[t] = ps
	}
	var out []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(t string) error
	visit = func(t string) error {
		switch state[t] {
		case 1:
			return fmt.Errorf("foreign keys form a cycle through %s", t)
		case 2:
			return nil
		}
		state[t] = 1
		for _, p := range parents[t] {
			if p != t && slices.Contains(tables, p) {
				if err := visit(p); err != nil {
					return err
				}
			}
		}
		state[t] = 2
		out = append(out, t)
		return nil
	}
	for _, t := range tables {
		if err := visit(t); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// rowWriter writes a table's rows into the copy's target.
type rowWriter interface {
	// write writes the rows next returns until it returns false.
	write(t copyTableSpec, next func() ([]any, bool), err func() error) error
}

// writeCopy runs fn with a writer into one transaction of d, committed
// when fn returns nil: COPY on PostgreSQL, which then moves its id
// sequences past the copied ids; a prepared INSERT on SQLite.
func (d *DB) writeCopy(ctx context.Context, fn func(rowWriter) error) error {
	if !d.postgres() {
		return d.Update(ctx, func(tx *Tx) error { return fn(sqliteWriter{tx}) })
	}
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(context.WithoutCancel(ctx))
		if err := fn(pgWriter{ctx, tx}); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND is_identity = 'YES'`)
		if err != nil {
			return err
		}
		var ids [][2]string
		for rows.Next() {
			var t, c string
			if err := rows.Scan(&t, &c); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, [2]string{t, c})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, tc := range ids {
			q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%[1]s', '%[2]s'), COALESCE(MAX(%[2]s), 0) + 1, false) FROM %[1]s`, tc[0], tc[1])
			if _, err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("move the id sequence of %s past the copied rows: %w", tc[0], err)
			}
		}
		return tx.Commit(ctx)
	})
}

type pgWriter struct {
	ctx context.Context
	tx  pgx.Tx
}

func (w pgWriter) write(t copyTableSpec, next func() ([]any, bool), errf func() error) error {
	src := &copySource{next: next, err: errf}
	_, err := w.tx.CopyFrom(w.ctx, pgx.Identifier{t.name}, t.columns, src)
	return err
}

// copySource adapts a row iterator to pgx's CopyFromSource.
type copySource struct {
	next func() ([]any, bool)
	err  func() error
	row  []any
}

func (s *copySource) Next() bool {
	var ok bool
	s.row, ok = s.next()
	return ok
}
func (s *copySource) Values() ([]any, error) { return s.row, nil }
func (s *copySource) Err() error             { return s.err() }

type sqliteWriter struct{ tx *Tx }

func (w sqliteWriter) write(t copyTableSpec, next func() ([]any, bool), errf func() error) error {
	q := `INSERT INTO ` + t.name + ` (` + strings.Join(t.columns, ", ") + `) VALUES (` +
		strings.TrimSuffix(strings.Repeat("?, ", len(t.columns)), ", ") + `)`
	stmt, err := w.tx.tx.PrepareContext(w.tx.ctx, q)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for {
		row, ok := next()
		if !ok {
			break
		}
		if _, err := stmt.ExecContext(w.tx.ctx, row...); err != nil {
			return err
		}
	}
	return errf()
}

// copyTable copies one table from stx through w, digesting the rows as
// read and as written.
func copyTable(stx *Tx, w rowWriter, t copyTableSpec) (CopiedTable, error) {
	ct := CopiedTable{Table: t.name}
	rows, err := stx.tx.QueryContext(stx.ctx, `SELECT `+strings.Join(t.columns, ", ")+` FROM `+t.name)
	if err != nil {
		return ct, err
	}
	defer rows.Close()
	var read, written tableSum
	var convErr error
	vals := make([]any, len(t.columns))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	next := func() ([]any, bool) {
		if convErr != nil || !rows.Next() {
			return nil, false
		}
		if convErr = rows.Scan(ptrs...); convErr != nil {
			return nil, false
		}
		read.add(vals)
		out := make([]any, len(vals))
		for i, v := range vals {
			var repaired bool
			if out[i], repaired, convErr = convertForCopy(v, t.types[i], t.postgres); convErr != nil {
				convErr = fmt.Errorf("column %s: %w", t.columns[i], convErr)
				return nil, false
			}
			if repaired {
				ct.Repaired++
			}
		}
		written.add(out)
		return out, true
	}
	errf := func() error {
		if convErr != nil {
			return convErr
		}
		return rows.Err()
	}
	if err := w.write(t, next, errf); err != nil {
		return ct, err
	}
	if err := errf(); err != nil {
		return ct, err
	}
	ct.SourceRows, ct.SourceChecksum, ct.copiedChecksum = read.n, read.hex(), written.hex()
	return ct, nil
}

// digestTable counts and digests t's rows in tx.
func digestTable(tx *Tx, t copyTableSpec) (int64, string, error) {
	rows, err := tx.tx.QueryContext(tx.ctx, `SELECT `+strings.Join(t.columns, ", ")+` FROM `+t.name)
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	var sum tableSum
	vals := make([]any, len(t.columns))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return 0, "", err
		}
		sum.add(vals)
	}
	return sum.n, sum.hex(), rows.Err()
}

// convertForCopy converts a value read from the source for a column of
// colType in a PostgreSQL target: text into BYTEA as its bytes, bytes
// into text as text (repaired if it must be), integers into DOUBLE
// PRECISION as numbers. Anything else is an error naming the value's
// type. SQLite takes every value in every column as it is.
func convertForCopy(v any, colType string, postgres bool) (out any, repaired bool, err error) {
	if b, ok := v.([]byte); ok && b == nil {
		// An empty BLOB, as SQLite's driver reads it: not NULL.
		v = []byte{}
	}
	if !postgres {
		return v, false, nil
	}
	isBytes := colType == "bytea"
	isText := colType == "text"
	isInt := strings.Contains(colType, "int")
	isReal := colType == "double precision" || colType == "real"
	switch v := v.(type) {
	case nil:
		return nil, false, nil
	case int64:
		switch {
		case isInt:
			return v, false, nil
		case isReal:
			return float64(v), false, nil
		}
	case float64:
		switch {
		case isReal:
			return v, false, nil
		case isInt && v == math.Trunc(v):
			return int64(v), false, nil
		}
	case bool:
		if isInt {
			return map[bool]int64{false: 0, true: 1}[v], false, nil
		}
	case string:
		switch {
		case isBytes:
			return []byte(v), false, nil
		case isText && needsRepair(v):
			return RepairText(v), true, nil
		case isText:
			return v, false, nil
		}
	case []byte:
		switch {
		case isBytes:
			return v, false, nil
		case isText && bytesNeedRepair(v):
			return RepairText(string(v)), true, nil
		case isText:
			return string(v), false, nil
		}
	case time.Time:
		if isText {
			return v.UTC().Format(TimeFormat), false, nil
		}
	}
	return nil, false, fmt.Errorf("cannot copy a %T into a %s column", v, colType)
}

func bytesNeedRepair(b []byte) bool {
	return slices.Contains(b, 0) || !utf8.Valid(b)
}

// tableSum is an order-independent digest of a table's rows: the sum,
// modulo 2^256, of each row's SHA-256 over its values (each tagged with
// its kind; text and bytes alike). Rows may come in any order, and a
// table without a key (auto_replies) needs none.
type tableSum struct {
	n   int64
	sum [4]uint64
	buf []byte
}

func (s *tableSum) add(vals []any) {
	b := s.buf[:0]
	for _, v := range vals {
		switch v := v.(type) {
		case nil:
			b = append(b, 'N')
		case int64:
			b = binary.BigEndian.AppendUint64(append(b, 'I'), uint64(v))
		case float64:
			b = binary.BigEndian.AppendUint64(append(b, 'F'), math.Float64bits(v))
		case string:
			b = append(binary.AppendUvarint(append(b, 'B'), uint64(len(v))), v...)
		case []byte:
			b = append(binary.AppendUvarint(append(b, 'B'), uint64(len(v))), v...)
		case bool:
			b = append(b, 'I', 0, 0, 0, 0, 0, 0, 0, map[bool]byte{false: 0, true: 1}[v])
		case time.Time:
			t := v.UTC().Format(TimeFormat)
			b = append(binary.AppendUvarint(append(b, 'B'), uint64(len(t))), t...)
		default:
			b = append(b, '?')
			b = append(b, fmt.Sprint(v)...)
		}
	}
	s.buf = b
	h := sha256.Sum256(b)
	var carry uint64
	for i := 3; i >= 0; i-- {
		s.sum[i], carry = bits.Add64(s.sum[i], binary.BigEndian.Uint64(h[i*8:]), carry)
	}
	s.n++
}

func (s *tableSum) hex() string {
	var b [32]byte
	for i, v := range s.sum {
		binary.BigEndian.PutUint64(b[i*8:], v)
	}
	return hex.EncodeToString(b[:])
}

// ParseStore reads a database named on the command line: "sqlite:PATH",
// "postgres:DSN", or a postgres:// URL on its own.
func ParseStore(s string) (driver, dsn string, err error) {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		return Postgres, s, nil
	}
	driver, dsn, ok := strings.Cut(s, ":")
	switch {
	case !ok || dsn == "":
		return "", "", fmt.Errorf("%q: want sqlite:PATH or postgres:DSN", s)
	case driver == SQLite:
		return SQLite, dsn, nil
	case driver == Postgres || driver == "postgresql":
		return Postgres, dsn, nil
	}
	return "", "", fmt.Errorf("%q: unknown driver %s (want sqlite:PATH or postgres:DSN)", s, strconv.Quote(driver))
}
