package ticket

import "time"

// Checkpoint is the stored intake position of one mailbox: every message
// with a UID up to LastUID under UIDValidity has been stored.
type Checkpoint struct {
	UIDValidity uint32
	LastUID     uint32
}

// Fetched is one mail as fetched from the server, raw bytes untouched:
// what intake hands the store, before anything else happens to it
// (DESIGN rule 1).
type Fetched struct {
	// Inbox names the inbox it was fetched for ("" or "default": the
	// default one); with Mailbox, where the UIDs count.
	Inbox            string
	Mailbox          string
	UIDValidity, UID uint32
	// MessageID is the header Message-ID without brackets, "" when the
	// mail has none (or an unusable one): with the UID, what makes
	// storing idempotent.
	MessageID    string
	Raw          []byte
	InternalDate time.Time
	Size         int64 // RFC822.SIZE reported by the server
	Truncated    bool  // Raw holds only the first limits.max_message_bytes of Size
}

// Outbox statuses.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxFailed  = "failed"
)

// OutboxItem is one outbound mail: composed, queued with its stable
// Message-ID (DESIGN rule 3), then delivered or failed. The store keeps
// it; notify delivers it.
type OutboxItem struct {
	ID           int64
	TicketID     int64  // 0 for mail about no ticket
	TicketNumber int64  // for logs, when known
	Kind         string // "ack", "alert", "reminder", "relay", …
	MessageID    string
	EnvelopeFrom string
	Recipients   []string
	Data         []byte // the composed message; empty once pruned after delivery
	Status       string // OutboxPending, OutboxSent, OutboxFailed
	Attempts     int    // attempts made so far
	// NextAttemptAt is when a pending item is due.
	NextAttemptAt time.Time
	LastError     string
	// CreatedAt is when the item was queued; give_up_after counts from it.
	CreatedAt time.Time
	SentAt    time.Time
}
