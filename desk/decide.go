package desk

import (
	"fmt"
	"time"

	"ticketd/classify"
	"ticketd/ticket"
)

// Decisions are pure: facts in, a decision value out. The desk gathers the
// facts from the mail and the store, decides, and applies the decision in
// the same transaction (see handle). Each is table-tested without a
// database.

// action is what an inbound mail does.
type action int

const (
	actDuplicate         action = iota // already processed under another UID: nothing
	actQuarantineSpoofed               // kept; nothing to the forged address; admins alerted
	actQuarantineUnknown               // kept; a notice to the sender, if allowed
	actStaffUnmatched                  // staff mail naming no ticket: kept, the engineer told
	actStaffNote                       // staff mail without proof on a ticket: an internal note, the engineer told
	actEngineerReply                   // commands obeyed, text relayed
	actFollowUp                        // added to the ticket
	actNewTicket                       // a ticket of its own (Previous: continues a closed one)
	actStatusRequest                   // a contact asks for their open tickets ("status"): the digest
)

var actionNames = [...]string{"duplicate", "quarantine-spoofed", "quarantine-unknown", "staff-unmatched", "staff-note",
	"engineer-reply", "follow-up", "new-ticket", "status-request"}

func (a action) String() string { return actionNames[a] }

// outcome is what the raw mail's record says of the action.
func (a action) outcome() ticket.Outcome {
	switch a {
	case actDuplicate:
		return ticket.OutcomeDuplicate
	case actQuarantineSpoofed, actQuarantineUnknown, actStaffUnmatched:
		return ticket.OutcomeQuarantined
	case actStaffNote:
		return ticket.OutcomeStaffNote
	case actEngineerReply:
		return ticket.OutcomeEngineer
	case actFollowUp:
		return ticket.OutcomeFollowUp
	case actStatusRequest:
		return ticket.OutcomeStatus
	}
	return ticket.OutcomeTicket
}

// inboundFacts is what decideInbound looks at.
type inboundFacts struct {
	Sender         ticket.SenderOutcome
	SenderCustomer int64 // the contact's customer; 0 for others
	Authenticated  bool  // the trusted server authenticated the From domain
	// AlreadyProcessed: a message with this Message-ID was processed
	// under another UID (or mailbox).
	AlreadyProcessed bool
	// Candidates are the tickets the mail names, strongest first
	// (threadCandidates).
	Candidates []threadCandidate
	Now        time.Time
	ReopenDays int
	// StatusRequest: the subject asks for the list of open tickets.
	StatusRequest bool
}

// refusal is a ticket a mail named but its sender may not touch.
type refusal struct {
	Ticket   *ticket.Ticket
	Via, Why string
}

// inboundDecision is what to do with one inbound mail.
type inboundDecision struct {
	Action action
	// Ticket is the ticket acted on: followed up, answered, noted.
	Ticket *ticket.Ticket
	Via    string // how Ticket was named
	// Previous is, for a new ticket, the closed ticket it continues.
	Previous int64
	// Refused are tickets the mail named that its sender may not touch;
	// each gets an event, the sender learns nothing of them.
	Refused []refusal
}

// decideInbound decides what an inbound mail does (DESIGN: Threads; issue
// 11 items 6 and 7): spoofed mail is quarantined whatever it names; the
// first named ticket the sender may touch (decideAccess) is the one it
// joins or commands; a contact's mail to a ticket closed longer than
// reopen_days opens a new ticket continuing it.
func decideInbound(f inboundFacts) inboundDecision {
	if f.AlreadyProcessed {
		return inboundDecision{Action: actDuplicate}
	}
	if f.Sender == ticket.SenderSpoofed {
		return inboundDecision{Action: actQuarantineSpoofed}
	}
	var dec inboundDecision
	var auth authority
	for _, c := range f.Candidates {
		a, why := decideAccess(accessRequest{Sender: f.Sender, SenderCustomer: f.SenderCustomer,
			TicketCustomer: c.ticket.CustomerID, Via: c.via, Authenticated: f.Authenticated})
		if a != noAccess {
			dec.Ticket, dec.Via, auth = c.ticket, c.via, a
			break
		}
		if f.Sender == ticket.SenderContact {
			// Unknown senders are quarantined whatever they name; their
			// refusal is the quarantine entry.
			dec.Refused = append(dec.Refused, refusal{c.ticket, c.via, why})
		}
	}
	switch f.Sender {
	case ticket.SenderStaff:
		switch {
		case dec.Ticket == nil:
			dec.Action = actStaffUnmatched
		case auth == staffCommand:
			dec.Action = actEngineerReply
		default:
			dec.Action = actStaffNote
		}
	case ticket.SenderContact:
		switch {
		case dec.Ticket == nil && f.StatusRequest:
			dec.Action = actStatusRequest
		case dec.Ticket == nil:
			dec.Action = actNewTicket
		case dec.Ticket.Continues(f.Now, f.ReopenDays):
			dec.Action, dec.Previous, dec.Ticket = actNewTicket, dec.Ticket.Number, nil
		default:
			dec.Action = actFollowUp
		}
	default:
		dec.Action, dec.Ticket = actQuarantineUnknown, nil
	}
	return dec
}

// followUpDecision is what a contact's follow-up changes on its ticket.
type followUpDecision struct {
	// Reopened says the ticket was closed or waiting and is active again;
	// StatusWhy words it for the history.
	Reopened  bool
	StatusWhy string
	// NewLevel is set when the follow-up raises the level (never lowers).
	NewLevel ticket.Level
	Ack      bool // send the follow-up acknowledgement
	Alert    bool // alert the assignee or the route
}

// decideFollowUp decides what a contact's follow-up does to t (already
// updated by Reopen when it returns Reopened). Automated mail (an
// out-of-office, a bounce) is kept with the ticket but changes and wakes
// nothing (RFC 3834 §2).
func decideFollowUp(t *ticket.Ticket, automated bool, severity ticket.Level, followUpAck bool) followUpDecision {
	if automated {
		return followUpDecision{}
	}
	var dec followUpDecision
	was := t.Status
	if t.Reopen() {
		dec.Reopened, dec.StatusWhy = true, "reopened by customer follow-up"
		if was == ticket.StatusWaiting {
			dec.StatusWhy = "customer answered: open"
		}
	}
	if raised := ticket.Raise(t.Level, severity); raised != t.Level {
		dec.NewLevel = raised
	}
	dec.Ack, dec.Alert = followUpAck, true
	return dec
}

// replyLimits are the counts autoReplyAllowed weighs, read from the store.
type replyLimits struct {
	PerSenderHour, PerSenderHourLimit int // automatic mails to this address in the last hour, and the cap
	KindToday, KindPerDay             int // of this kind to this address in 24 hours, and the cap (0: none)
	KindAllHour, KindAllHourLimit     int // of this kind to anyone in the last hour, and the cap (0: none)
}

// decideAutoReply says whether an automatic mail may go to a sender (RFC
// 3834 §2: responders limit how often they answer one sender), and why not.
func decideAutoReply(addr, kind string, l replyLimits) (bool, string) {
	switch {
	case l.PerSenderHourLimit > 0 && l.PerSenderHour >= l.PerSenderHourLimit:
		return false, fmt.Sprintf("%d automatic mails to %s in the last hour (limits.auto_replies_per_sender_per_hour = %d)", l.PerSenderHour, addr, l.PerSenderHourLimit)
	case l.KindPerDay > 0 && l.KindToday >= l.KindPerDay:
		return false, fmt.Sprintf("%s already sent to %s in the last 24 hours", kind, addr)
	case l.KindAllHourLimit > 0 && l.KindAllHour >= l.KindAllHourLimit:
		return false, fmt.Sprintf("%d %s mails to anyone in the last hour (limits.unknown_notices_per_hour = %d)", l.KindAllHour, kind, l.KindAllHourLimit)
	}
	return true, ""
}

// decideUnknownNotice says whether an unknown sender gets the polite
// notice: never to automated mail, never to an address the trusted
// server did not authenticate when trust is configured (no backscatter to
// forged senders), and within the rate limits.
func decideUnknownNotice(addr, automated string, trustConfigured bool, auth classify.AuthVerdict, l replyLimits) (bool, string) {
	switch {
	case addr == "":
		return false, "no sender address"
	case automated != "":
		return false, "automated mail: " + automated
	case trustConfigured && !auth.Pass:
		return false, "the trusted server did not authenticate the sender (" + auth.Detail + ")"
	}
	return decideAutoReply(addr, "unknown-sender", l)
}
