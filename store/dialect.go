package store

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
)

// Drivers Open takes. SQLite is the default: one file, no setup.
// PostgreSQL (through pgx's database/sql driver) serves several ticketd
// instances on one database.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// The store's statements are written once, in the SQL both databases
// understand, with "?" placeholders. What differs is handled here and in
// a few named places, not per statement:
//
//   - placeholders: "?" and "?N" become "$n" and "$N" on PostgreSQL
//     (rebind, once per statement text, in the statement cache);
//   - arguments: PostgreSQL keeps SQLite's 0/1 integers for flags, so a Go
//     bool is bound as 0 or 1; text it cannot hold (invalid UTF-8, NUL) is
//     repaired to U+FFFD (bindArgs);
//   - new row ids: "INSERT … RETURNING id" on both (Tx.exec returns no
//     LastInsertId, so the SQLite-only way does not compile);
//   - transactions: SQLite takes its one write lock at BEGIN (IMMEDIATE);
//     PostgreSQL writes run SERIALIZABLE, so every transaction written for
//     a single writer stays correct beside others, and a conflict is a
//     retry (IsBusy), never a wrong answer (see DB.Update); claims that
//     are correct by themselves (FOR UPDATE SKIP LOCKED) run at READ
//     COMMITTED instead (DB.UpdateReadCommitted);
//   - the schema: migrations/*.sql for SQLite, migrations/postgres/*.sql
//     (the translation rules are at the top of 0001 there);
//   - the few statements with no common form: the SLA report's time
//     arithmetic (nsOf), batched deletes without a key (PruneAutoReplies),
//     Backup (VACUUM INTO; PostgreSQL: pg_dump) and query plans (EXPLAIN
//     QUERY PLAN, checked on SQLite).

// rebind rewrites a statement's "?" and "?N" placeholders to PostgreSQL's
// "$n" and "$N", leaving string literals, quoted names and comments alone.
func rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for ; j < len(q); j++ {
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c { // '' or "" inside
						j++
						continue
					}
					break
				}
			}
			j = min(j, len(q)-1)
			b.WriteString(q[i : j+1])
			i = j
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			b.WriteString(q[i : i+j])
			i += j - 1
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			j := strings.Index(q[i+2:], "*/")
			end := len(q)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(q[i:end])
			i = end - 1
		case c == '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			b.WriteByte('$')
			if j > i+1 {
				b.WriteString(q[i+1 : j])
			} else {
				n++
				b.WriteString(strconv.Itoa(n))
			}
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// bindArgs converts arguments for PostgreSQL: bools to the 0/1 integers
// the schema keeps (as SQLite's driver does), and text PostgreSQL cannot
// store repaired (RepairText). It copies args only when one changes.
func bindArgs(args []any) []any {
	var out []any
	for i, a := range args {
		var v any
		switch a := a.(type) {
		case bool:
			v = int64(0)
			if a {
				v = int64(1)
			}
		case string:
			if !needsRepair(a) {
				continue
			}
			v = RepairText(a)
		default:
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = v
	}
	if out == nil {
		return args
	}
	return out
}

func needsRepair(s string) bool {
	return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s)
}

// RepairText is s as a PostgreSQL text column can hold it: invalid UTF-8
// and NUL bytes become U+FFFD. Text from mail (subjects, names, parse
// errors) can hold either; the raw mail itself is stored as bytes and
// stays exact. SQLite stores such text as it is.
func RepairText(s string) string {
	if !needsRepair(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// pgCode returns PostgreSQL's SQLSTATE of err, "" when it has none.
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// pgRetryable reports whether err is a PostgreSQL failure that says
// nothing about the data, so the transaction is to be tried again later:
// a serialization failure or deadlock between concurrent transactions,
// a lock wait past lock_timeout (BusyTimeout), the server shutting down
// or refusing connections for now, or a lost connection.
func pgRetryable(err error) bool {
	switch code := pgCode(err); {
	case code == "40001", code == "40P01": // serialization_failure, deadlock_detected
		return true
	case code == "55P03": // lock_not_available (lock_timeout)
		return true
	case code == "57P01", code == "57P02", code == "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
		return true
	case code == "53300": // too_many_connections
		return true
	case strings.HasPrefix(code, "08"): // connection_exception
		return true
	case code != "":
		return false
	}
	// The connection broke (the server restarted, the network failed):
	// the transaction did not commit, and the data is as it was.
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || pgconn.SafeToRetry(err) || errors.As(err, &ne) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone)
}

// RedactDSN returns dsn with its password replaced by "xxxxx", for
// messages and logs. A path (SQLite) is returned as it is.
func RedactDSN(dsn string) string {
	redacted, _ := redactDSN(dsn)
	return redacted
}

// DSNHasPassword reports whether a PostgreSQL DSN carries a password
// itself (rather than leaving it to PGPASSWORD or ~/.pgpass).
func DSNHasPassword(dsn string) bool {
	_, has := redactDSN(dsn)
	return has
}

func redactDSN(dsn string) (string, bool) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "(unparsable PostgreSQL URL)", strings.Contains(dsn, "@") || strings.Contains(dsn, "password")
		}
		has := false
		if _, ok := u.User.Password(); ok {
			u.User, has = url.UserPassword(u.User.Username(), "xxxxx"), true
		}
		if q := u.Query(); q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery, has = q.Encode(), true
		}
		if !has {
			return dsn, false
		}
		return u.String(), true
	}
	if !strings.Contains(dsn, "=") {
		return dsn, false
	}
	// key=value form: password=secret or password='sec ret'.
	fields := splitKeywordDSN(dsn)
	has := false
	for i, f := range fields {
		if k, _, ok := strings.Cut(f, "="); ok && strings.TrimSpace(k) == "password" {
			fields[i], has = "password=xxxxx", true
		}
	}
	if !has {
		if strings.Contains(dsn, "password") { // "password = x": spaces libpq allows
			return "(PostgreSQL DSN with a password)", true
		}
		return dsn, false
	}
	return strings.Join(fields, " "), true
}

// splitKeywordDSN splits "host=x password='a b'" into its key=value
// fields, keeping quoted values whole.
func splitKeywordDSN(dsn string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(dsn); i++ {
		c := dsn[i]
		switch {
		case c == '\\' && i+1 < len(dsn):
			cur.WriteByte(c)
			cur.WriteByte(dsn[i+1])
			i++
		case c == '\'':
			quoted = !quoted
			cur.WriteByte(c)
		case c == ' ' && !quoted:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}
