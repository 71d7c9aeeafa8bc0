package desk

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"ticketd/store"
	"ticketd/templates"
	"ticketd/ticket"
)

// command is one line an engineer wrote at the top of a reply, e.g.
// "#level P1" or "#assign me".
type command struct {
	name string // without '#', lower case
	arg  string
}

// engineerCommands are the commands ticketd obeys; the first word after '#'.
var engineerCommands = map[string]string{
	"note": "note", "level": "level", "severity": "level", "close": "close",
	"reopen": "reopen", "assign": "assign", "waiting": "waiting",
}

// parseCommands takes the commands from the first non-blank lines of an
// engineer's text and returns them with the remaining text. Parsing stops
// at the first line that is not a command, so a '#' later in the text is
// just text.
func parseCommands(text string) ([]command, string) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var cmds []command
	i := 0
	for ; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "#") {
			break
		}
		word, arg, _ := strings.Cut(line[1:], " ")
		name, ok := engineerCommands[strings.ToLower(strings.TrimSpace(word))]
		if !ok {
			break
		}
		cmds = append(cmds, command{name: name, arg: strings.TrimSpace(arg)})
	}
	return cmds, strings.TrimSpace(strings.Join(lines[i:], "\n"))
}

// engineerReply applies an engineer's commands and relays the rest of what
// they wrote to the customer, from the support address. The first relayed
// reply is the first human response: it stops the clock and the reminders.
func (d *Desk) engineerReply(tx *store.Tx, in *inbound, t *ticket.Ticket) error {
	from := in.from()
	cmds, text := parseCommands(in.msg.NewText)
	note := false
	for _, c := range cmds {
		if c.name == "note" {
			note = true
		}
	}
	kind := ticket.KindEngineer
	if note {
		kind = ticket.KindNote
	}
	if _, err := d.storeInbound(tx, in, t.ID, kind); err != nil {
		return err
	}
	if in.automated != "" {
		// An engineer's out-of-office must not reach the customer.
		in.log.Info("automated staff mail kept on the ticket, not relayed", "reason", in.automated)
		return tx.AddEvent(t.ID, from.Address, "note", "automated staff mail not relayed: "+in.automated)
	}
	status := ticket.StatusOpen
	statusSet := false
	for _, c := range cmds {
		switch c.name {
		case "note":
			if err := tx.AddEvent(t.ID, from.Address, "note", "internal note"); err != nil {
				return err
			}
		case "level":
			l, err := ticket.ParseLevel(c.arg)
			if err != nil {
				if err := tx.AddEvent(t.ID, from.Address, "command-error", fmt.Sprintf("#level %s: %v", c.arg, err)); err != nil {
					return err
				}
				continue
			}
			old := t.Level
			if t.AssessedFactors != "" {
				// Learning material: what the classifier assessed, and what
				// the engineer made of it.
				if err := tx.AddLevelCorrection(store.LevelCorrection{TicketID: t.ID, Actor: from.Address,
					Assessed: t.AssessedLevel, Corrected: l, Factors: t.AssessedFactors}); err != nil {
					return err
				}
			}
			t.LevelUncertain = false
			reasons := append(t.LevelReasons, fmt.Sprintf("set to %s by %s", l, from.Address))
			if err := d.applyLevel(tx, t, l, t.DeclaredLevel, reasons); err != nil {
				return err
			}
			if err := tx.AddEvent(t.ID, from.Address, "level", fmt.Sprintf("%s → %s", old, l)); err != nil {
				return err
			}
			if t.FirstResponseAt == nil {
				if err := d.scheduleReminders(tx, t); err != nil {
					return err
				}
			}
		case "close":
			status, statusSet = ticket.StatusClosed, true
		case "reopen":
			status, statusSet = ticket.StatusOpen, true
		case "waiting":
			status, statusSet = ticket.StatusWaiting, true
		case "assign":
			who := c.arg
			if who == "" || strings.EqualFold(who, "me") {
				who = from.Address
			}
			who = ticket.NormalizeAddress(who)
			if problem := d.assignProblem(who); problem != "" {
				in.log.Warn("#assign refused", "assignee", who, "reason", problem)
				if err := tx.AddEvent(t.ID, from.Address, "command-error", fmt.Sprintf("#assign %s: %s", c.arg, problem)); err != nil {
					return err
				}
				continue
			}
			t.Assignee = who
			if err := tx.AddEvent(t.ID, from.Address, "assign", who); err != nil {
				return err
			}
		}
	}
	relay := !note && text != ""
	if relay {
		if err := d.relay(tx, in, t, text); err != nil {
			return err
		}
		if t.Answered(tx.Now) {
			if err := tx.CancelReminders(t.ID); err != nil {
				return err
			}
			d.obs.FirstResponse(t)
		}
		if !statusSet {
			status, statusSet = ticket.StatusOpen, true
		}
	}
	if statusSet {
		old, unchanged := t.SetStatus(status, tx.Now)
		if unchanged {
			return tx.UpdateTicket(t)
		}
		if status == ticket.StatusClosed {
			if err := confirmAssessment(tx, t, from.Address); err != nil {
				return err
			}
			if err := tx.CancelReminders(t.ID); err != nil {
				return err
			}
		}
		if err := tx.AddEvent(t.ID, from.Address, "status", fmt.Sprintf("%s → %s", old, status)); err != nil {
			return err
		}
	}
	return tx.UpdateTicket(t)
}

// confirmAssessment records, when a ticket closes without anyone having
// corrected its level, that the classifier's assessment stood: learning
// weighs corrections against the mails the table got right.
func confirmAssessment(tx *store.Tx, t *ticket.Ticket, actor string) error {
	if t.AssessedFactors == "" || t.AssessedLevel != t.Level {
		return nil
	}
	if has, err := tx.HasLevelCorrection(t.ID); err != nil || has {
		return err
	}
	return tx.AddLevelCorrection(store.LevelCorrection{TicketID: t.ID, Actor: actor,
		Assessed: t.AssessedLevel, Corrected: t.Level, Factors: t.AssessedFactors})
}

// assignProblem says why who cannot be a ticket's assignee, "" if it can.
// Only staff: the assignee receives the customer's follow-ups, so an
// assignment to an outside address would redirect the conversation.
func (d *Desk) assignProblem(who string) string {
	switch {
	case !strings.Contains(who, "@"):
		return "not an address"
	case !d.senderPolicy.IsStaff(who):
		return "not a staff address ([staff] addresses and domains)"
	}
	return ""
}

// relay sends the engineer's words to the customer: From "Erin via Support"
// at the support address, To the requester, Cc the other contacts who wrote
// on the ticket, threaded to the customer's last message. A human message:
// no Auto-Submitted. The engineer's address never appears.
func (d *Desk) relay(tx *store.Tx, in *inbound, t *ticket.Ticket, text string) error {
	tc, err := d.contextFor(tx, t)
	if err != nil {
		return err
	}
	msgs, err := tx.Messages(t.ID)
	if err != nil {
		return err
	}
	var last *store.Message
	seen := map[string]bool{t.Requester: true}
	var cc []mail.Address
	for _, m := range msgs {
		if m.Direction != store.Inbound || m.Kind != ticket.KindCustomer || m.Automated != "" {
			continue
		}
		last = m
		if seen[m.FromAddr] || m.SenderOutcome != string(ticket.SenderContact) {
			continue
		}
		seen[m.FromAddr] = true
		// Only contacts who belong to the ticket's customer today: threading
		// keeps others out, and this keeps a contact who has since moved to
		// another customer (or was removed) from receiving the answer.
		c, cu, err := tx.ContactByEmail(m.FromAddr)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if cu == nil || cu.ID != t.CustomerID {
			continue
		}
		cc = append(cc, mail.Address{Name: c.Name, Address: m.FromAddr})
	}
	engineer := engineerName(in.msg.From)
	zone := tc.zone
	if tc.contact != nil && tc.contact.TZ != "" {
		zone = tc.contact.TZ
	}
	data := d.baseData(t, tc, zone)
	data.Engineer = templates.Person{Name: engineer}
	data.Message = templates.MessageInfo{Subject: in.msg.Subject, Text: text, ReceivedAt: tx.Now}
	var atts []ticket.Attachment
	for _, a := range in.msg.Attachments {
		if a.Inline && strings.HasPrefix(a.ContentType, "image/") && len(in.msg.Attachments) > 3 {
			continue // signature logos and the like
		}
		atts = append(atts, ticket.Attachment{Name: a.Name, ContentType: a.ContentType, Content: a.Content})
		data.Message.Attachments = append(data.Message.Attachments, a.Name)
	}
	om := outMail{
		kind: templates.Relay, lang: t.Language, data: data, ticket: t,
		to: []mail.Address{{Name: t.RequesterName, Address: t.Requester}}, cc: cc,
		fromName: fmt.Sprintf("%s via %s", engineer, d.cfg.SupportName), attachments: atts,
	}
	if last != nil {
		om.inReplyTo = last.MessageID
		om.refs = append(append([]string{}, last.References...), last.MessageID)
	}
	return d.enqueue(tx, om)
}

// engineerName is how the customer sees the engineer: the display name, or
// the address's local part capitalised when there is none.
func engineerName(a *mail.Address) string {
	if a == nil {
		return "An engineer"
	}
	if n := strings.TrimSpace(a.Name); n != "" {
		return n
	}
	local := ticket.LocalPart(a.Address)
	local, _, _ = strings.Cut(local, ".")
	if local == "" {
		return "An engineer"
	}
	return strings.ToUpper(local[:1]) + local[1:]
}
