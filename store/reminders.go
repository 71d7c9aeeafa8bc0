package store

import (
	"database/sql"
	"fmt"
	"time"
)

// Reminder is one scheduled notice about a ticket's first-response target.
type Reminder struct {
	ID       int64
	TicketID int64
	Kind     string // "reminder", "breach" or "holding-reply"
	Percent  int
	DueAt    time.Time
}

// ScheduleReminder adds a reminder unless the same (ticket, kind, percent)
// exists; an unsent one is moved to the new due time (e.g. after #level).
func (tx *Tx) ScheduleReminder(r Reminder) error {
	_, err := tx.exec(`INSERT INTO reminders (ticket_id, kind, percent, due_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (ticket_id, kind, percent) DO UPDATE SET due_at = excluded.due_at, cancelled_at = NULL
		WHERE reminders.sent_at IS NULL`,
		r.TicketID, r.Kind, r.Percent, r.DueAt.UTC().Format(TimeFormat))
	if err != nil {
		return fmt.Errorf("schedule %s %d%% for ticket %d: %w", r.Kind, r.Percent, r.TicketID, err)
	}
	return nil
}

// CancelReminders cancels every unsent reminder of a ticket.
func (tx *Tx) CancelReminders(ticketID int64) error {
	_, err := tx.exec(`UPDATE reminders SET cancelled_at = ? WHERE ticket_id = ? AND sent_at IS NULL AND cancelled_at IS NULL`, tx.Now.Format(TimeFormat), ticketID)
	if err != nil {
		return fmt.Errorf("cancel reminders of ticket %d: %w", ticketID, err)
	}
	return nil
}

// DueReminders lists unsent, uncancelled reminders due at or before now.
func (tx *Tx) DueReminders(now time.Time, limit int) ([]Reminder, error) {
	rows, err := tx.query(`SELECT id, ticket_id, kind, percent, due_at FROM reminders
		WHERE sent_at IS NULL AND cancelled_at IS NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?`, now.UTC().Format(TimeFormat), limit)
	if err != nil {
		return nil, fmt.Errorf("list due reminders: %w", err)
	}
	defer rows.Close()
	var out []Reminder
	for rows.Next() {
		var r Reminder
		var due sql.NullString
		if err := rows.Scan(&r.ID, &r.TicketID, &r.Kind, &r.Percent, &due); err != nil {
			return nil, err
		}
		r.DueAt = parseTime(due)
		out = append(out, r)
	}
	return out, rows.Err()
}

// NextReminder returns when the next pending reminder is due.
func (tx *Tx) NextReminder() (time.Time, bool, error) {
	var s sql.NullString
	if err := tx.queryRow(`SELECT MIN(due_at) FROM reminders WHERE sent_at IS NULL AND cancelled_at IS NULL`).Scan(&s); err != nil {
		return time.Time{}, false, fmt.Errorf("next reminder: %w", err)
	}
	if !s.Valid {
		return time.Time{}, false, nil
	}
	return parseTime(s), true, nil
}

// MarkReminderSent records that a reminder went out; it reports false when
// it had already been sent or cancelled, so it is never sent twice.
func (tx *Tx) MarkReminderSent(id int64) (bool, error) {
	res, err := tx.exec(`UPDATE reminders SET sent_at = ? WHERE id = ? AND sent_at IS NULL AND cancelled_at IS NULL`, tx.Now.Format(TimeFormat), id)
	if err != nil {
		return false, fmt.Errorf("mark reminder %d sent: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RemindersForTicket lists a ticket's reminders with their state.
func (tx *Tx) RemindersForTicket(ticketID int64) ([]ReminderState, error) {
	rows, err := tx.query(`SELECT id, ticket_id, kind, percent, due_at, sent_at, cancelled_at FROM reminders WHERE ticket_id = ? ORDER BY due_at, id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("list reminders: %w", err)
	}
	defer rows.Close()
	var out []ReminderState
	for rows.Next() {
		var r ReminderState
		var due, sent, cancelled sql.NullString
		if err := rows.Scan(&r.ID, &r.TicketID, &r.Kind, &r.Percent, &due, &sent, &cancelled); err != nil {
			return nil, err
		}
		r.DueAt, r.SentAt, r.CancelledAt = parseTime(due), parseTime(sent), parseTime(cancelled)
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReminderState is a reminder with whether it was sent or cancelled.
type ReminderState struct {
	Reminder
	SentAt      time.Time
	CancelledAt time.Time
}
