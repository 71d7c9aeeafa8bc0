package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// TimeEntry is time an engineer logged on a ticket ("#time 45m").
type TimeEntry struct {
	TicketID     int64
	TicketNumber int64
	Subject      string
	CustomerID   int64
	CustomerName string
	Actor        string
	Minutes      int
	At           time.Time
}

// AddTimeEntry records minutes of work by actor on a ticket of customerID
// (0: none), at the transaction's time.
func (tx *Tx) AddTimeEntry(ticketID, customerID int64, actor string, minutes int) error {
	_, err := tx.exec(`INSERT INTO time_entries (ticket_id, customer_id, actor, minutes, at) VALUES (?, ?, ?, ?, ?)`,
		ticketID, nullInt(customerID), actor, minutes, tx.Now.Format(TimeFormat))
	if err != nil {
		return fmt.Errorf("log time on ticket %d: %w", ticketID, err)
	}
	return nil
}

// MinutesSince sums the minutes logged for customerID in [from, to).
func (tx *Tx) MinutesSince(customerID int64, from, to time.Time) (int, error) {
	var n sql.NullInt64
	err := tx.queryRow(`SELECT SUM(minutes) FROM time_entries WHERE customer_id = ? AND at >= ? AND at < ?`,
		customerID, from.UTC().Format(TimeFormat), to.UTC().Format(TimeFormat)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sum time of customer %d: %w", customerID, err)
	}
	return int(n.Int64), nil
}

// TimeEntries lists the time logged at or after since (for customerID
// when it is not 0), oldest first, with ticket and customer names.
func (tx *Tx) TimeEntries(customerID int64, since time.Time) ([]TimeEntry, error) {
	q := `SELECT e.ticket_id, t.number, t.subject, COALESCE(e.customer_id, 0), COALESCE(c.name, ''), e.actor, e.minutes, e.at
		FROM time_entries e JOIN tickets t ON t.id = e.ticket_id LEFT JOIN customers c ON c.id = e.customer_id
		WHERE e.at >= ?`
	args := []any{since.UTC().Format(TimeFormat)}
	if customerID != 0 {
		q, args = q+` AND e.customer_id = ?`, append(args, customerID)
	}
	rows, err := tx.query(q+` ORDER BY e.at, e.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list time entries: %w", err)
	}
	defer rows.Close()
	var out []TimeEntry
	for rows.Next() {
		var e TimeEntry
		var at string
		if err := rows.Scan(&e.TicketID, &e.TicketNumber, &e.Subject, &e.CustomerID, &e.CustomerName, &e.Actor, &e.Minutes, &at); err != nil {
			return nil, fmt.Errorf("list time entries: %w", err)
		}
		e.At, _ = time.Parse(TimeFormat, at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// MarkHoursWarning records that the threshold (percent) warning for
// customerID's period starting at periodStart went out; it reports false
// when it had already been recorded, so each is sent once.
func (tx *Tx) MarkHoursWarning(customerID int64, periodStart time.Time, threshold int) (bool, error) {
	res, err := tx.exec(`INSERT INTO hours_warnings (customer_id, period_start, threshold, sent_at) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, customerID, periodStart.UTC().Format(TimeFormat), threshold, tx.Now.Format(TimeFormat))
	if err != nil {
		return false, fmt.Errorf("record hours warning: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// MarkDigest records the digest of customerID for period (the scheduled
// instant); false when it had already been sent: each goes out once, also
// across a restart.
func (tx *Tx) MarkDigest(customerID int64, period string) (bool, error) {
	res, err := tx.exec(`INSERT INTO digests (customer_id, period, sent_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		customerID, period, tx.Now.Format(TimeFormat))
	if err != nil {
		return false, fmt.Errorf("record digest: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// DigestSent reports whether customerID's digest for period went out.
func (tx *Tx) DigestSent(customerID int64, period string) (bool, error) {
	var one int
	err := tx.queryRow(`SELECT 1 FROM digests WHERE customer_id = ? AND period = ?`, customerID, period).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read digest: %w", err)
	}
	return true, nil
}
