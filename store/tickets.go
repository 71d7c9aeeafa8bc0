package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"ticketd/ticket"
)

const ticketColumns = `t.id, t.number, t.subject, t.status, t.requester, t.requester_name, t.customer_id, t.contact_id, t.plan, t.level,
	t.declared_level, t.level_reasons, t.language, t.sla_zone, t.sla_region, t.sla_started_at, t.first_response_due, t.first_response_at,
	t.resolution_due, t.assignee, t.previous_number, t.created_at, t.updated_at, t.closed_at,
	t.assessed_level, t.assessed_factors, t.level_uncertain, t.inbox,
	COALESCE(c.name, ''), (SELECT COUNT(*) FROM messages m WHERE m.ticket_id = t.id)`

const ticketFrom = ` FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id`

func scanTicket(s interface{ Scan(...any) error }) (*ticket.Ticket, error) {
	var t ticket.Ticket
	var customerID, contactID, previous sql.NullInt64
	var plan, level, declared sql.NullString
	var reasons, assessed string
	var started, due, firstAt, resDue, created, updated, closed sql.NullString
	if err := s.Scan(&t.ID, &t.Number, &t.Subject, &t.Status, &t.Requester, &t.RequesterName, &customerID, &contactID, &plan, &level,
		&declared, &reasons, &t.Language, &t.SLAZone, &t.SLARegion, &started, &due, &firstAt,
		&resDue, &t.Assignee, &previous, &created, &updated, &closed,
		&assessed, &t.AssessedFactors, &t.LevelUncertain, &t.Inbox,
		&t.CustomerName, &t.MessageCount); err != nil {
		return nil, err
	}
	t.CustomerID, t.ContactID, t.PreviousNumber = customerID.Int64, contactID.Int64, previous.Int64
	t.Plan, t.Level, t.DeclaredLevel = plan.String, ticket.Level(level.String), ticket.Level(declared.String)
	t.AssessedLevel = ticket.Level(assessed)
	_ = json.Unmarshal([]byte(reasons), &t.LevelReasons)
	t.SLAStartedAt, t.FirstResponseDue, t.FirstResponseAt = parseTimePtr(started), parseTimePtr(due), parseTimePtr(firstAt)
	t.ResolutionDue, t.ClosedAt = parseTimePtr(resDue), parseTimePtr(closed)
	t.CreatedAt, t.UpdatedAt = parseTime(created), parseTime(updated)
	return &t, nil
}

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreateTicket inserts t with the next sequential number and sets t.ID,
// t.Number and the timestamps.
func (tx *Tx) CreateTicket(t *ticket.Ticket) error {
	var next int64
	if err := tx.queryRow(`SELECT COALESCE(MAX(number), 0) + 1 FROM tickets`).Scan(&next); err != nil {
		return fmt.Errorf("next ticket number: %w", err)
	}
	if t.Status == "" {
		t.Status = ticket.StatusNew
	}
	reasons, _ := json.Marshal(nonNil(t.LevelReasons))
	var id int64
	err := tx.queryRow(`INSERT INTO tickets (number, subject, status, requester, requester_name, customer_id, contact_id, plan, level,
		declared_level, level_reasons, language, sla_zone, sla_region, sla_started_at, first_response_due, first_response_at,
		resolution_due, assignee, previous_number, created_at, updated_at, assessed_level, assessed_factors, level_uncertain, inbox)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		next, t.Subject, t.Status, t.Requester, t.RequesterName, nullInt(t.CustomerID), nullInt(t.ContactID), nullString(t.Plan),
		nullString(string(t.Level)), nullString(string(t.DeclaredLevel)), string(reasons), t.Language, t.SLAZone, t.SLARegion,
		formatTimePtr(t.SLAStartedAt), formatTimePtr(t.FirstResponseDue), formatTimePtr(t.FirstResponseAt), formatTimePtr(t.ResolutionDue),
		t.Assignee, nullInt(t.PreviousNumber), tx.Now.Format(TimeFormat), tx.Now.Format(TimeFormat),
		string(t.AssessedLevel), t.AssessedFactors, t.LevelUncertain, inboxName(t.Inbox)).Scan(&id)
	if err != nil {
		if isUnique(err) {
			// PostgreSQL: another instance's transaction took this
			// number first (numbers come from MAX(number)+1). Nothing
			// was written; the caller tries again, as after a lock
			// timeout.
			return fmt.Errorf("create ticket: number %d taken by a concurrent transaction: %w", next, ErrBusy)
		}
		return fmt.Errorf("create ticket: %w", err)
	}
	t.ID = id
	t.Number = next
	t.CreatedAt, t.UpdatedAt = tx.Now, tx.Now
	return nil
}

// UpdateTicket writes every mutable field of t.
func (tx *Tx) UpdateTicket(t *ticket.Ticket) error {
	reasons, _ := json.Marshal(nonNil(t.LevelReasons))
	t.UpdatedAt = tx.Now
	_, err := tx.exec(`UPDATE tickets SET subject = ?, status = ?, customer_id = ?, contact_id = ?, plan = ?, level = ?, declared_level = ?,
		level_reasons = ?, language = ?, sla_zone = ?, sla_region = ?, sla_started_at = ?, first_response_due = ?, first_response_at = ?,
		resolution_due = ?, assignee = ?, updated_at = ?, closed_at = ?, level_uncertain = ? WHERE id = ?`,
		t.Subject, t.Status, nullInt(t.CustomerID), nullInt(t.ContactID), nullString(t.Plan), nullString(string(t.Level)),
		nullString(string(t.DeclaredLevel)), string(reasons), t.Language, t.SLAZone, t.SLARegion, formatTimePtr(t.SLAStartedAt),
		formatTimePtr(t.FirstResponseDue), formatTimePtr(t.FirstResponseAt), formatTimePtr(t.ResolutionDue), t.Assignee,
		tx.Now.Format(TimeFormat), formatTimePtr(t.ClosedAt), t.LevelUncertain, t.ID)
	if err != nil {
		return fmt.Errorf("update ticket %d: %w", t.Number, err)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// TicketByNumber returns ticket number n.
func (tx *Tx) TicketByNumber(n int64) (*ticket.Ticket, error) {
	t, err := scanTicket(tx.queryRow(`SELECT `+ticketColumns+ticketFrom+` WHERE t.number = ?`, n))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ticket %d: %w", n, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read ticket %d: %w", n, err)
	}
	return t, nil
}

// TicketByID returns the ticket with row id.
func (tx *Tx) TicketByID(id int64) (*ticket.Ticket, error) {
	t, err := scanTicket(tx.queryRow(`SELECT `+ticketColumns+ticketFrom+` WHERE t.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ticket id %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read ticket id %d: %w", id, err)
	}
	return t, nil
}

// TicketFilter selects tickets for listing. Zero fields do not filter.
type TicketFilter struct {
	Status     ticket.Status
	Level      ticket.Level
	CustomerID int64
	Inbox      string // "" for any
	// Overdue keeps tickets at or past their first-response due time
	// without a first response, as of OverdueAt.
	Overdue   bool
	OverdueAt time.Time
	Since     time.Time // created at or after
	// Before keeps tickets numbered below it: the next page after a page
	// whose last (oldest) ticket is Before.
	Before int64
	Limit  int // at most this many; 0: all
}

// Tickets lists tickets matching f, newest first. Each filter has an
// index ordered by number, so a page costs the same at any size.
func (tx *Tx) Tickets(f TicketFilter) ([]*ticket.Ticket, error) {
	var where []string
	var args []any
	if f.Status != "" {
		where, args = append(where, "t.status = ?"), append(args, f.Status)
	}
	if f.Level != "" {
		where, args = append(where, "t.level = ?"), append(args, f.Level)
	}
	if f.CustomerID > 0 {
		where, args = append(where, "t.customer_id = ?"), append(args, f.CustomerID)
	}
	if f.Inbox != "" {
		where, args = append(where, "t.inbox = ?"), append(args, f.Inbox)
	}
	if f.Overdue {
		where = append(where, "t.first_response_at IS NULL AND t.first_response_due IS NOT NULL AND t.first_response_due <= ?")
		args = append(args, f.OverdueAt.UTC().Format(TimeFormat))
	}
	if !f.Since.IsZero() {
		where, args = append(where, "t.created_at >= ?"), append(args, f.Since.UTC().Format(TimeFormat))
	}
	if f.Before > 0 {
		where, args = append(where, "t.number < ?"), append(args, f.Before)
	} else if f.Limit > 0 {
		// A page always starts below a number, so SQLite searches the
		// number index from there and stops at the limit.
		where, args = append(where, "t.number < ?"), append(args, int64(math.MaxInt64))
	}
	q := `SELECT ` + ticketColumns + ticketFrom
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY t.number DESC`
	if f.Limit > 0 {
		q, args = q+` LIMIT ?`, append(args, f.Limit)
	}
	rows, err := tx.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	defer rows.Close()
	var out []*ticket.Ticket
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Event is an entry in a ticket's history.
type Event struct {
	ID       int64
	TicketID int64
	At       time.Time
	Actor    string
	Kind     string // "level", "status", "assign", "note", "delivery-failed", …
	Detail   string
}

// AddEvent records what happened to a ticket and who did it.
func (tx *Tx) AddEvent(ticketID int64, actor, kind, detail string) error {
	_, err := tx.exec(`INSERT INTO events (ticket_id, at, actor, kind, detail) VALUES (?, ?, ?, ?, ?)`,
		ticketID, tx.Now.Format(TimeFormat), actor, kind, detail)
	if err != nil {
		return fmt.Errorf("record %s event on ticket %d: %w", kind, ticketID, err)
	}
	return nil
}

// Events lists a ticket's history in order.
func (tx *Tx) Events(ticketID int64) ([]Event, error) {
	rows, err := tx.query(`SELECT id, ticket_id, at, actor, kind, detail FROM events WHERE ticket_id = ? ORDER BY id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at sql.NullString
		if err := rows.Scan(&e.ID, &e.TicketID, &at, &e.Actor, &e.Kind, &e.Detail); err != nil {
			return nil, err
		}
		e.At = parseTime(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// inboxName is the stored name of an inbox ("" is the default).
func inboxName(s string) string {
	if s == "" {
		return DefaultInbox
	}
	return s
}
