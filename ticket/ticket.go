package ticket

import "time"

// Ticket is one customer request and everything decided about it. Its
// rules (reopening, raising the level, answering, closing, breach) are
// methods here; the store maps it to rows, with the customer's name and
// message count joined in for display.
type Ticket struct {
	ID            int64
	Number        int64
	Subject       string
	Status        Status
	Requester     string // normalised address of who opened it
	RequesterName string
	CustomerID    int64 // 0 when none
	ContactID     int64 // 0 when none
	Plan          string
	Level         Level // "" until classified
	DeclaredLevel Level // what the customer asked for, "" if nothing
	LevelReasons  []string
	// Inbox names the inbox the ticket came in through; its mail goes out
	// from that inbox's address.
	Inbox string
	// AssessedLevel and AssessedFactors are what the classifier made of
	// the mail that opened the ticket (classify.Factors' String form), for
	// learning from engineers' corrections; LevelUncertain says it asked
	// engineers to confirm.
	AssessedLevel    Level
	AssessedFactors  string
	LevelUncertain   bool
	Language         string
	SLAZone          string
	SLARegion        string
	SLAStartedAt     *time.Time
	FirstResponseDue *time.Time
	FirstResponseAt  *time.Time
	ResolutionDue    *time.Time
	Assignee         string
	PreviousNumber   int64
	CreatedAt        time.Time
	UpdatedAt        time.Time
	ClosedAt         *time.Time

	CustomerName string // joined
	MessageCount int    // joined: inbound and outbound messages
}

// Breached reports whether the first-response target passed unanswered at now.
func (t *Ticket) Breached(now time.Time) bool {
	if t.FirstResponseDue == nil {
		return false
	}
	if t.FirstResponseAt != nil {
		return t.FirstResponseAt.After(*t.FirstResponseDue)
	}
	return !now.Before(*t.FirstResponseDue)
}

// Reopen makes a closed or waiting ticket active again (a customer wrote):
// open once answered, new while it waits for its first response. It
// reports whether anything changed.
func (t *Ticket) Reopen() bool {
	switch t.Status {
	case StatusClosed:
		t.Status, t.ClosedAt = StatusOpen, nil
		if t.FirstResponseAt == nil {
			t.Status = StatusNew
		}
		return true
	case StatusWaiting:
		t.Status = StatusOpen
		return true
	}
	return false
}

// Continues reports whether a customer's mail on this closed ticket at now
// opens a new ticket referring to it instead of reopening it: closed for
// longer than reopenDays.
func (t *Ticket) Continues(now time.Time, reopenDays int) bool {
	return t.Status == StatusClosed && t.ClosedAt != nil && now.Sub(*t.ClosedAt) > time.Duration(reopenDays)*24*time.Hour
}

// Answered records the first human response at at; it reports whether
// this was the first one (the clock stops and reminders end).
func (t *Ticket) Answered(at time.Time) bool {
	if t.FirstResponseAt != nil {
		return false
	}
	t.FirstResponseAt = &at
	return true
}

// SetStatus moves the ticket to s at at (closing stamps ClosedAt, any
// other status clears it) and reports the status before; unchanged is
// true when s is the current status.
func (t *Ticket) SetStatus(s Status, at time.Time) (old Status, unchanged bool) {
	old = t.Status
	if s == old {
		return old, true
	}
	t.Status = s
	if s == StatusClosed {
		t.ClosedAt = &at
	} else {
		t.ClosedAt = nil
	}
	return old, false
}

// Raise returns the level a ticket should have after a follow-up
// proposing proposed: the more severe of the two. A follow-up never lowers
// a level automatically; only people do. An invalid proposal changes
// nothing; an invalid current level is replaced by the proposal (or
// DefaultLevel).
func Raise(current, proposed Level) Level {
	switch {
	case !current.Valid() && proposed.Valid():
		return proposed
	case !current.Valid():
		return DefaultLevel
	case proposed.Valid() && proposed.MoreSevere(current):
		return proposed
	}
	return current
}

// Outcome is what processing made of an inbound mail.
type Outcome string

// Outcomes of processing an inbound mail.
const (
	OutcomeTicket      Outcome = "ticket"         // a new ticket
	OutcomeFollowUp    Outcome = "followup"       // added to its customer's ticket
	OutcomeEngineer    Outcome = "engineer-reply" // an engineer's answer or commands
	OutcomeStaffNote   Outcome = "staff-note"     // staff mail without proof, kept as a note
	OutcomeQuarantined Outcome = "quarantined"    // kept without a ticket
	OutcomeDuplicate   Outcome = "duplicate"      // already processed under another UID
	OutcomeError       Outcome = "error"          // could not be processed; quarantined with the reason
	OutcomeStatus      Outcome = "status"         // a contact asked for their open tickets and got the list
)

// MessageKind says what a message of a ticket is: who wrote an inbound
// one, or which mail an outbound one is (the template kind, "ack",
// "alert", …).
type MessageKind string

// Kinds of inbound messages.
const (
	KindCustomer MessageKind = "customer" // a contact's mail
	KindEngineer MessageKind = "engineer" // an engineer's answer, relayed
	KindNote     MessageKind = "note"     // internal: #note, or staff mail without proof
)
