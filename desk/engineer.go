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
	"reopen": "reopen", "assign": "assign", "waiting": "waiting", "time": "time",
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

// engineerPlan is what an engineer's reply does to its ticket.
type engineerPlan struct {
	Note     bool         // "#note": internal only, nothing relayed
	Level    ticket.Level // "#level Pn": the level to set; "" for none
	Assignee string       // "#assign me|ADDRESS": the new assignee; "" for none
	Minutes  int          // "#time 45m": time worked to log, summed
	Status   ticket.Status
	// Relay is the text to relay to the customer ("" for none): what the
	// engineer wrote below the commands.
	Relay string
	// Refused lists commands that were not obeyed, with why, for the
	// ticket's history.
	Refused []string
}

// decideEngineerReply reads an engineer's reply (from an engineer with the
// authority to command, see decideAccess): the commands on its first lines
// and the text to relay. A relayed answer opens the ticket unless a
// command set another status. isStaff says whether an address is staff:
// only staff can be assigned, since the assignee receives the customer's
// follow-ups.
func decideEngineerReply(text, from string, isStaff func(string) bool) engineerPlan {
	cmds, rest := parseCommands(text)
	var p engineerPlan
	for _, c := range cmds {
		switch c.name {
		case "note":
			p.Note = true
		case "level":
			l, err := ticket.ParseLevel(c.arg)
			if err != nil {
				p.Refused = append(p.Refused, fmt.Sprintf("#level %s: %v", c.arg, err))
				continue
			}
			p.Level = l
		case "time":
			m, err := parseMinutes(c.arg)
			if err != nil {
				p.Refused = append(p.Refused, fmt.Sprintf("#time %s: %v", c.arg, err))
				continue
			}
			p.Minutes += m
		case "close":
			p.Status = ticket.StatusClosed
		case "reopen":
			p.Status = ticket.StatusOpen
		case "waiting":
			p.Status = ticket.StatusWaiting
		case "assign":
			who := c.arg
			if who == "" || strings.EqualFold(who, "me") {
				who = from
			}
			who = ticket.NormalizeAddress(who)
			switch {
			case !strings.Contains(who, "@"):
				p.Refused = append(p.Refused, fmt.Sprintf("#assign %s: not an address", c.arg))
			case !isStaff(who):
				p.Refused = append(p.Refused, fmt.Sprintf("#assign %s: not a staff address ([staff] addresses and domains)", c.arg))
			default:
				p.Assignee = who
			}
		}
	}
	if !p.Note && rest != "" {
		p.Relay = rest
		if p.Status == "" {
			p.Status = ticket.StatusOpen
		}
	}
	return p
}

// engineerReply applies an engineer's reply (decideEngineerReply): the
// commands, then the text relayed to the customer from the support
// address. The first relayed reply is the first human response: it stops
// the clock and the reminders.
func (d *Desk) engineerReply(tx *store.Tx, in *inbound, t *ticket.Ticket) error {
	from := in.from()
	p := decideEngineerReply(in.msg.NewText, from.Address, d.senderPolicy.IsStaff)
	kind := ticket.KindEngineer
	if p.Note {
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
	event := func(kind, detail string) error { return tx.AddEvent(t.ID, from.Address, kind, detail) }
	if p.Note {
		if err := event("note", "internal note"); err != nil {
			return err
		}
	}
	for _, why := range p.Refused {
		in.log.Warn("engineer command refused", "reason", why)
		if err := event("command-error", why); err != nil {
			return err
		}
	}
	if p.Level != "" {
		if err := d.setLevel(tx, t, p.Level, from.Address); err != nil {
			return err
		}
	}
	if p.Minutes > 0 {
		if err := d.logTime(tx, t, from.Address, p.Minutes); err != nil {
			return err
		}
	}
	if p.Assignee != "" {
		t.Assignee = p.Assignee
		if err := event("assign", p.Assignee); err != nil {
			return err
		}
	}
	if p.Relay != "" {
		if err := d.relay(tx, in, t, p.Relay); err != nil {
			return err
		}
		if t.Answered(tx.Now) {
			if err := tx.CancelReminders(t.ID); err != nil {
				return err
			}
			d.obs.FirstResponse(t)
		}
	}
	if p.Status != "" {
		if old, unchanged := t.SetStatus(p.Status, tx.Now); !unchanged {
			if p.Status == ticket.StatusClosed {
				if err := confirmAssessment(tx, t, from.Address); err != nil {
					return err
				}
				if err := tx.CancelReminders(t.ID); err != nil {
					return err
				}
			}
			if err := event("status", fmt.Sprintf("%s → %s", old, p.Status)); err != nil {
				return err
			}
		}
	}
	return tx.UpdateTicket(t)
}

// setLevel applies an engineer's "#level": the level and due time change,
// the correction is kept with what the classifier had assessed (learning
// material), and unanswered tickets get a new reminder schedule.
func (d *Desk) setLevel(tx *store.Tx, t *ticket.Ticket, l ticket.Level, by string) error {
	old := t.Level
	if t.AssessedFactors != "" {
		if err := tx.AddLevelCorrection(store.LevelCorrection{TicketID: t.ID, Actor: by,
			Assessed: t.AssessedLevel, Corrected: l, Factors: t.AssessedFactors}); err != nil {
			return err
		}
	}
	t.LevelUncertain = false
	if err := d.applyLevel(tx, t, l, t.DeclaredLevel, append(t.LevelReasons, fmt.Sprintf("set to %s by %s", l, by))); err != nil {
		return err
	}
	if err := tx.AddEvent(t.ID, by, "level", fmt.Sprintf("%s → %s", old, l)); err != nil {
		return err
	}
	if t.FirstResponseAt == nil {
		return d.scheduleReminders(tx, t)
	}
	return nil
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
		fromName: fmt.Sprintf("%s via %s", engineer, d.inbox(t.Inbox).DisplayName), attachments: atts,
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
