package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Quarantine statuses.
const (
	QuarantineHeld     = "held"
	QuarantineReleased = "released"
	QuarantineDropped  = "dropped"
)

// QuarantineEntry is a kept mail that did not become (part of) a ticket.
type QuarantineEntry struct {
	ID         int64
	MessageRow int64
	Outcome    string // unknown, spoofed, staff-unmatched, malformed, error
	Reason     string
	Status     string
	TicketID   int64
	CreatedAt  time.Time
	ResolvedAt time.Time

	From      string // joined from the message
	Subject   string
	MessageID string
}

// Quarantine keeps message row under outcome with a reason.
func (tx *Tx) Quarantine(messageRow int64, outcome, reason string) (int64, error) {
	var id int64
	err := tx.queryRow(`INSERT INTO quarantine (message_row, outcome, reason, status, created_at) VALUES (?, ?, ?, 'held', ?) RETURNING id`,
		messageRow, outcome, reason, tx.Now.Format(TimeFormat)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("quarantine message %d: %w", messageRow, err)
	}
	return id, nil
}

const quarantineColumns = `q.id, q.message_row, q.outcome, q.reason, q.status, q.ticket_id, q.created_at, q.resolved_at, m.from_addr, m.subject, m.message_id`

func scanQuarantine(s interface{ Scan(...any) error }) (*QuarantineEntry, error) {
	var q QuarantineEntry
	var ticketID sql.NullInt64
	var created, resolved sql.NullString
	if err := s.Scan(&q.ID, &q.MessageRow, &q.Outcome, &q.Reason, &q.Status, &ticketID, &created, &resolved, &q.From, &q.Subject, &q.MessageID); err != nil {
		return nil, err
	}
	q.TicketID = ticketID.Int64
	q.CreatedAt, q.ResolvedAt = parseTime(created), parseTime(resolved)
	return &q, nil
}

// QuarantineList lists entries with status (all when ""), newest first.
func (tx *Tx) QuarantineList(status string) ([]*QuarantineEntry, error) {
	q := `SELECT ` + quarantineColumns + ` FROM quarantine q JOIN messages m ON m.id = q.message_row`
	var args []any
	if status != "" {
		q += ` WHERE q.status = ?`
		args = append(args, status)
	}
	q += ` ORDER BY q.id DESC`
	rows, err := tx.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("list quarantine: %w", err)
	}
	defer rows.Close()
	var out []*QuarantineEntry
	for rows.Next() {
		e, err := scanQuarantine(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// QuarantineByID returns one entry.
func (tx *Tx) QuarantineByID(id int64) (*QuarantineEntry, error) {
	e, err := scanQuarantine(tx.queryRow(`SELECT `+quarantineColumns+` FROM quarantine q JOIN messages m ON m.id = q.message_row WHERE q.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("quarantine entry %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read quarantine entry %d: %w", id, err)
	}
	return e, nil
}

// ResolveQuarantine marks an entry released (with the ticket it became) or dropped.
func (tx *Tx) ResolveQuarantine(id int64, status string, ticketID int64) error {
	_, err := tx.exec(`UPDATE quarantine SET status = ?, ticket_id = ?, resolved_at = ? WHERE id = ?`, status, nullInt(ticketID), tx.Now.Format(TimeFormat), id)
	if err != nil {
		return fmt.Errorf("resolve quarantine entry %d: %w", id, err)
	}
	return nil
}
