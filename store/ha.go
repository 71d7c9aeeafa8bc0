package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Lease is who holds a named lease (the intake of an inbox) and until when.
type Lease struct {
	Name       string
	Holder     string
	Term       int64
	AcquiredAt time.Time
	RenewedAt  time.Time
	ExpiresAt  time.Time
}

// AcquireLease takes or renews the lease name for holder until ttl from
// the transaction's time: it succeeds when nobody holds it, holder already
// does, or the holder's lease expired. It reports whether holder holds the
// lease now, and the lease as it stands. One statement, so two instances
// racing for an expired lease cannot both win.
func (tx *Tx) AcquireLease(name, holder string, ttl time.Duration) (Lease, bool, error) {
	now, exp := tx.Now.Format(TimeFormat), tx.Now.Add(ttl).Format(TimeFormat)
	var l Lease
	var acquired, renewed, expires string
	err := tx.queryRow(`INSERT INTO leases (name, holder, term, acquired_at, renewed_at, expires_at) VALUES (?, ?, 1, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET
			term = CASE WHEN leases.holder = excluded.holder THEN leases.term ELSE leases.term + 1 END,
			acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END,
			holder = excluded.holder, renewed_at = excluded.renewed_at, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.renewed_at
		RETURNING name, holder, term, acquired_at, renewed_at, expires_at`,
		name, holder, now, now, exp).Scan(&l.Name, &l.Holder, &l.Term, &acquired, &renewed, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		cur, err := tx.LeaseByName(name)
		return cur, false, err
	}
	if err != nil {
		return Lease{}, false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	l.AcquiredAt, l.RenewedAt, l.ExpiresAt = parseTimeText(acquired), parseTimeText(renewed), parseTimeText(expires)
	return l, true, nil
}

// ReleaseLease gives the lease up if holder holds it (a clean shutdown),
// so a standby need not wait for it to expire.
func (tx *Tx) ReleaseLease(name, holder string) error {
	if _, err := tx.exec(`DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}

// LeaseByName returns the lease name (zero Lease when nobody ever held it).
func (tx *Tx) LeaseByName(name string) (Lease, error) {
	var l Lease
	var acquired, renewed, expires string
	err := tx.queryRow(`SELECT name, holder, term, acquired_at, renewed_at, expires_at FROM leases WHERE name = ?`, name).
		Scan(&l.Name, &l.Holder, &l.Term, &acquired, &renewed, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Lease{Name: name}, nil
	}
	if err != nil {
		return l, fmt.Errorf("read lease %s: %w", name, err)
	}
	l.AcquiredAt, l.RenewedAt, l.ExpiresAt = parseTimeText(acquired), parseTimeText(renewed), parseTimeText(expires)
	return l, nil
}

// Leases lists every lease, by name.
func (tx *Tx) Leases() ([]Lease, error) {
	rows, err := tx.query(`SELECT name, holder, term, acquired_at, renewed_at, expires_at FROM leases ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list leases: %w", err)
	}
	defer rows.Close()
	var out []Lease
	for rows.Next() {
		var l Lease
		var acquired, renewed, expires string
		if err := rows.Scan(&l.Name, &l.Holder, &l.Term, &acquired, &renewed, &expires); err != nil {
			return nil, fmt.Errorf("list leases: %w", err)
		}
		l.AcquiredAt, l.RenewedAt, l.ExpiresAt = parseTimeText(acquired), parseTimeText(renewed), parseTimeText(expires)
		out = append(out, l)
	}
	return out, rows.Err()
}

// Instance is one ticketd process using the database.
type Instance struct {
	ID, Host, Version string
	PID               int
	StartedAt, SeenAt time.Time
}

// Heartbeat records that instance is alive now (and forgets instances not
// seen for a day).
func (tx *Tx) Heartbeat(in Instance) error {
	_, err := tx.exec(`INSERT INTO instances (id, host, pid, version, started_at, seen_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, version = excluded.version,
			started_at = excluded.started_at, seen_at = excluded.seen_at`,
		in.ID, in.Host, in.PID, in.Version, in.StartedAt.UTC().Format(TimeFormat), tx.Now.Format(TimeFormat))
	if err != nil {
		return fmt.Errorf("heartbeat of %s: %w", in.ID, err)
	}
	if _, err := tx.exec(`DELETE FROM instances WHERE seen_at < ?`, tx.Now.Add(-24*time.Hour).Format(TimeFormat)); err != nil {
		return fmt.Errorf("forget old instances: %w", err)
	}
	return nil
}

// InstancesSeen lists instances seen since since, most recently seen
// first.
func (tx *Tx) InstancesSeen(since time.Time) ([]Instance, error) {
	rows, err := tx.query(`SELECT id, host, pid, version, started_at, seen_at FROM instances WHERE seen_at >= ? ORDER BY seen_at DESC`,
		since.UTC().Format(TimeFormat))
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	defer rows.Close()
	var out []Instance
	for rows.Next() {
		var in Instance
		var started, seen string
		if err := rows.Scan(&in.ID, &in.Host, &in.PID, &in.Version, &started, &seen); err != nil {
			return nil, fmt.Errorf("list instances: %w", err)
		}
		in.StartedAt, in.SeenAt = parseTimeText(started), parseTimeText(seen)
		out = append(out, in)
	}
	return out, rows.Err()
}

func parseTimeText(s string) time.Time {
	t, _ := time.Parse(TimeFormat, s)
	return t
}
