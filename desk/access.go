package desk

import (
	"fmt"

	"ticketd/ticket"
)

// How a mail names a ticket, strongest first (DESIGN: Threads).
const (
	viaStaffToken = "staff-token" // a token only engineers receive (alerts, reminders)
	viaToken      = "token"       // a customer token (acknowledgements, relays)
	viaReferences = "references"  // In-Reply-To/References name a stored message
	viaSubject    = "subject"     // "[Ticket#N]" in the subject
)

// authority is what a mail may do to the ticket it names.
type authority int

const (
	// noAccess: the ticket is not the sender's. The mail is handled as if
	// it named no ticket (a new ticket of the sender's own customer, or
	// quarantine), and nothing of the ticket reaches the sender.
	noAccess authority = iota
	// joinTicket: a contact's follow-up on a ticket of their own customer.
	joinTicket
	// staffNote: an engineer's mail without proof of being one (no staff
	// token, no trusted authentication). It is kept on the ticket as an
	// internal note: no command is obeyed and nothing is relayed, because
	// anyone can write a staff From and a ticket number.
	staffNote
	// staffCommand: an engineer answering the alert (staff token) or
	// authenticated by the trusted receiving server. Commands are obeyed and
	// the text is relayed to the customer.
	staffCommand
)

func (a authority) String() string {
	return [...]string{"no access", "join", "staff note", "staff command"}[a]
}

// accessRequest is everything decideAccess looks at.
type accessRequest struct {
	Sender ticket.SenderOutcome
	// SenderCustomer is the customer of a contact sender (0 otherwise);
	// TicketCustomer the customer the ticket belongs to.
	SenderCustomer, TicketCustomer int64
	// Via is how the mail named the ticket (viaStaffToken …).
	Via string
	// Authenticated: the trusted receiving server reports the From domain
	// as authenticated (DMARC pass, or aligned DKIM/SPF).
	Authenticated bool
}

// decideAccess is the one place that says who may join or command which
// ticket (issue 11, items 6 and 7). Every threading path goes through it:
// a token or a cited Message-ID proves only that the sender has seen the
// thread (it may have been forwarded or leaked), not that the ticket is
// theirs.
//
//   - A contact may join only a ticket of their own customer.
//   - Staff command a ticket only with the staff token of that ticket or a
//     trusted authentication result; otherwise their mail is a note.
//   - Anyone else (unknown, spoofed, unchecked) touches no ticket.
func decideAccess(r accessRequest) (authority, string) {
	switch r.Sender {
	case ticket.SenderContact:
		if r.SenderCustomer != 0 && r.SenderCustomer == r.TicketCustomer {
			return joinTicket, "contact of the ticket's customer"
		}
		return noAccess, "the ticket belongs to another customer"
	case ticket.SenderStaff:
		switch {
		case r.Via == viaStaffToken:
			return staffCommand, "staff reply token"
		case r.Authenticated:
			return staffCommand, "staff, authenticated by the trusted server"
		default:
			return staffNote, fmt.Sprintf("staff address without the alert's reply token or trusted authentication (matched by %s)", r.Via)
		}
	default:
		return noAccess, fmt.Sprintf("sender is %s", r.Sender)
	}
}
