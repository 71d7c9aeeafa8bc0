package store

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"ticketd/ticket"
)

// Message directions.
const (
	Inbound  = "in"
	Outbound = "out"
)

// Message is a stored message, inbound (parsed from a raw mail) or
// outbound (a mail ticketd wrote).
type Message struct {
	ID            int64
	RawID         int64 // 0 for outbound
	TicketID      int64 // 0 while quarantined
	Direction     string
	Kind          ticket.MessageKind // customer, engineer, note, ack, alert, relay, reminder, …
	MessageID     string
	InReplyTo     string
	References    []string
	FromAddr      string
	FromName      string
	To            []string
	Cc            []string
	Subject       string
	Date          time.Time
	Body          string
	NewText       string
	SenderOutcome string
	SenderReason  string
	Automated     string
	Malformed     bool
	ParseErrors   []string
	CreatedAt     time.Time
	Attachments   []ticket.Attachment // metadata only: Content is not stored here
}

// AddMessage inserts m and its attachments' metadata, setting m.ID. A
// body equal to the new text (a mail without quoted history, most of
// them) is stored once, as the new text.
func (tx *Tx) AddMessage(m *Message) error {
	body := m.Body
	if body == m.NewText {
		body = ""
	}
	storedBody, bodyDeflated := deflateText(body)
	storedNew, newDeflated := deflateText(m.NewText)
	var deflated int
	if bodyDeflated {
		deflated |= bodyIsDeflated
	}
	if newDeflated {
		deflated |= newTextIsDeflated
	}
	err := tx.queryRow(`INSERT INTO messages (raw_id, ticket_id, direction, kind, message_id, in_reply_to, refs, from_addr, from_name,
		to_addrs, cc_addrs, subject, date, body, new_text, sender_outcome, sender_reason, automated, malformed, parse_errors, created_at, deflated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		nullInt(m.RawID), nullInt(m.TicketID), m.Direction, m.Kind, m.MessageID, m.InReplyTo, strings.Join(m.References, " "),
		m.FromAddr, m.FromName, strings.Join(m.To, ", "), strings.Join(m.Cc, ", "), m.Subject, formatTime(m.Date), storedBody, storedNew,
		m.SenderOutcome, m.SenderReason, m.Automated, m.Malformed, strings.Join(m.ParseErrors, "\n"), tx.Now.Format(TimeFormat), deflated).Scan(&m.ID)
	if err != nil {
		return fmt.Errorf("add message %q: %w", m.MessageID, err)
	}
	m.CreatedAt = tx.Now
	for _, a := range m.Attachments {
		if _, err := tx.exec(`INSERT INTO attachments (message_row, name, content_type, size, sha256) VALUES (?, ?, ?, ?, ?)`,
			m.ID, a.Name, a.ContentType, a.Size, a.SHA256); err != nil {
			return fmt.Errorf("add attachment %q: %w", a.Name, err)
		}
	}
	return nil
}

// SetMessageTicket links message row id to a ticket (e.g. on quarantine release).
func (tx *Tx) SetMessageTicket(messageRow, ticketID int64) error {
	if _, err := tx.exec(`UPDATE messages SET ticket_id = ? WHERE id = ?`, ticketID, messageRow); err != nil {
		return fmt.Errorf("link message %d to ticket: %w", messageRow, err)
	}
	return nil
}

const messageColumns = `id, raw_id, ticket_id, direction, kind, message_id, in_reply_to, refs, from_addr, from_name, to_addrs, cc_addrs,
	subject, date, body, new_text, sender_outcome, sender_reason, automated, malformed, parse_errors, created_at, deflated`

// messages.deflated says which texts are stored deflated (migration 0004).
const (
	bodyIsDeflated    = 1
	newTextIsDeflated = 2
)

// deflateText returns how a message text is stored: deflated when that
// saves space, else as it is. Either way it is bytes (a BLOB in SQLite's
// TEXT column, BYTEA on PostgreSQL, whose text takes neither deflated
// bytes nor every byte a mail may hold).
func deflateText(s string) ([]byte, bool) {
	if len(s) < 128 {
		return []byte(s), false
	}
	var buf bytes.Buffer
	if !deflateInto(&buf, []byte(s)) {
		return []byte(s), false
	}
	return buf.Bytes(), true
}

func inflateText(b []byte, deflated bool) (string, error) {
	if !deflated {
		return string(b), nil
	}
	out, err := inflateAll(b)
	return string(out), err
}

func scanMessage(s interface{ Scan(...any) error }) (*Message, error) {
	var m Message
	var rawID, ticketID sql.NullInt64
	var refs, to, cc, perrs string
	var date, created sql.NullString
	var body, newText []byte
	var deflated int
	if err := s.Scan(&m.ID, &rawID, &ticketID, &m.Direction, &m.Kind, &m.MessageID, &m.InReplyTo, &refs, &m.FromAddr, &m.FromName,
		&to, &cc, &m.Subject, &date, &body, &newText, &m.SenderOutcome, &m.SenderReason, &m.Automated, &m.Malformed, &perrs, &created, &deflated); err != nil {
		return nil, err
	}
	var err error
	if m.Body, err = inflateText(body, deflated&bodyIsDeflated != 0); err != nil {
		return nil, fmt.Errorf("message %d body: %w", m.ID, err)
	}
	if m.NewText, err = inflateText(newText, deflated&newTextIsDeflated != 0); err != nil {
		return nil, fmt.Errorf("message %d text: %w", m.ID, err)
	}
	m.RawID, m.TicketID = rawID.Int64, ticketID.Int64
	if m.Body == "" {
		m.Body = m.NewText // stored once (AddMessage)
	}
	m.References = strings.Fields(refs)
	m.To, m.Cc = splitList(to), splitList(cc)
	if perrs != "" {
		m.ParseErrors = strings.Split(perrs, "\n")
	}
	m.Date, m.CreatedAt = parseTime(date), parseTime(created)
	return &m, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ", ")
	return parts
}

// MessageByRow returns the message with row id, with attachment metadata.
func (tx *Tx) MessageByRow(id int64) (*Message, error) {
	m, err := scanMessage(tx.queryRow(`SELECT `+messageColumns+` FROM messages WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read message %d: %w", id, err)
	}
	if err := tx.loadAttachments([]*Message{m}); err != nil {
		return nil, err
	}
	return m, nil
}

// InboundByMessageID returns the inbound message with this Message-ID, if any.
func (tx *Tx) InboundByMessageID(messageID string) (*Message, error) {
	m, err := scanMessage(tx.queryRow(`SELECT `+messageColumns+` FROM messages WHERE message_id = ? AND direction = 'in' LIMIT 1`, messageID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("look up message %q: %w", messageID, err)
	}
	return m, nil
}

// TicketsByMessageIDs returns the tickets of stored messages (inbound or
// outbound) whose Message-ID is one of ids, the ticket with the most recent
// such message first, at most limit of them. It is how In-Reply-To and
// References thread a reply; the caller decides which of them the sender
// may join.
func (tx *Tx) TicketsByMessageIDs(ids []string, limit int) ([]*ticket.Ticket, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	// Bounded: a References header can be long, and only the nearest
	// ancestors matter.
	if len(ids) > 50 {
		ids = ids[len(ids)-50:]
	}
	ph := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	args := make([]any, 0, len(ids)+1)
	for _, id := range ids {
		args = append(args, id)
	}
	args = append(args, limit)
	rows, err := tx.query(`SELECT ticket_id FROM messages WHERE message_id IN (`+ph+`) AND ticket_id IS NOT NULL
		GROUP BY ticket_id ORDER BY max(id) DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("thread by message ids: %w", err)
	}
	var ticketIDs []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("thread by message ids: %w", err)
		}
		ticketIDs = append(ticketIDs, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("thread by message ids: %w", err)
	}
	out := make([]*ticket.Ticket, 0, len(ticketIDs))
	for _, id := range ticketIDs {
		t, err := tx.TicketByID(id)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Messages lists a ticket's messages in order, with attachment metadata.
func (tx *Tx) Messages(ticketID int64) ([]*Message, error) {
	rows, err := tx.query(`SELECT `+messageColumns+` FROM messages WHERE ticket_id = ? ORDER BY id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	defer rows.Close()
	var out []*Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, tx.loadAttachments(out)
}

// LastInbound returns the ticket's most recent inbound customer message.
func (tx *Tx) LastInbound(ticketID int64) (*Message, error) {
	m, err := scanMessage(tx.queryRow(`SELECT `+messageColumns+` FROM messages WHERE ticket_id = ? AND direction = 'in' AND kind = 'customer' ORDER BY id DESC LIMIT 1`, ticketID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("last inbound message: %w", err)
	}
	return m, nil
}

func (tx *Tx) loadAttachments(ms []*Message) error {
	for _, m := range ms {
		rows, err := tx.query(`SELECT name, content_type, size, sha256 FROM attachments WHERE message_row = ? ORDER BY id`, m.ID)
		if err != nil {
			return fmt.Errorf("list attachments: %w", err)
		}
		for rows.Next() {
			var a ticket.Attachment
			if err := rows.Scan(&a.Name, &a.ContentType, &a.Size, &a.SHA256); err != nil {
				rows.Close()
				return err
			}
			m.Attachments = append(m.Attachments, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}
