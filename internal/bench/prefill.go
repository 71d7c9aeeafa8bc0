package bench

import (
	"context"
	"fmt"
	"math/rand"
	"mime"
	"net/mail"
	"strings"
	"time"

	"ticketd/notify"
	"ticketd/sla"
	"ticketd/store"
	"ticketd/templates"
	"ticketd/ticket"
)

// prefillYear is the span a prefilled database covers: a year of a busy
// desk is about 100,000 tickets.
const prefillYear = 365 * 24 * time.Hour

// prefillBatch tickets are written per transaction.
const prefillBatch = 500

// prefill writes n tickets into db through the store, spread evenly over
// the year before now, as a desk that received them by mail would hold
// them. It is a direct insert, not the pipeline: it takes seconds where
// piping the mail would take the better part of an hour. Each ticket has
// what piped mail leaves:
//
//   - the raw customer mail (a plain ~830-byte mail from one of the
//     registered contacts, stored, deflated, under the mailbox "Prefill"
//     so the INBOX checkpoint stays untouched) and its parsed message row;
//   - the acknowledgement and the engineer alert as outbound message rows
//     and sent outbox rows, their composed bytes pruned unless sent within
//     keep_sent (as the maintenance pass leaves them);
//   - the level event and the 50 %, 90 % and breach reminders, cancelled
//     by the first response (also those sent before it) or sent;
//   - for answered tickets (97 %, half of those of the last two days) an
//     engineer's reply: its raw mail, its inbound row, the relayed
//     outbound row and sent outbox row, and for tickets older than two
//     weeks the close.
//
// It differs from piped mail in that nothing is parsed or classified (the
// level follows a fixed mix, P0 2 %, P1 8 %, P2 30 %, P3 40 %, P4 20 %),
// the message texts come from the generator and the built-in templates'
// sample data rather than from each mail, nothing is delivered over SMTP,
// and no rate-limit rows are written (they are forgotten after 48 hours).
func prefill(ctx context.Context, db *store.DB, plans *sla.Catalog, g *Generator, n int, now time.Time, keepSent time.Duration) error {
	if n <= 0 {
		return nil
	}
	rng := rand.New(rand.NewSource(int64(n) ^ 0x7e11))
	texts, err := prefillTexts(g.support)
	if err != nil {
		return err
	}
	dir := map[string]*ticket.Contact{}
	primaryTZ := map[int64]string{}
	err = db.View(ctx, func(tx *store.Tx) error {
		cs, err := tx.Contacts(0)
		if err != nil {
			return err
		}
		for _, c := range cs {
			dir[c.Email] = c
			if c.Primary {
				primaryTZ[c.CustomerID] = c.TZ
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	customers := map[string]int64{}
	err = db.View(ctx, func(tx *store.Tx) error {
		cus, err := tx.Customers()
		for _, cu := range cus {
			customers[cu.Name] = cu.ID
		}
		return err
	})
	if err != nil {
		return err
	}
	start := now.Add(-prefillYear)
	step := prefillYear / time.Duration(n)
	for lo := 0; lo < n; lo += prefillBatch {
		err := db.Update(ctx, func(tx *store.Tx) error {
			for i := lo; i < min(lo+prefillBatch, n); i++ {
				ref := g.contacts[i%len(g.contacts)]
				c := dir[ticket.NormalizeAddress(ref.c.Email)]
				if c == nil {
					return fmt.Errorf("prefill: contact %s is not registered", ref.c.Email)
				}
				cu := *ref.cu
				cu.ID = customers[cu.Name]
				if err := prefillTicket(tx, plans, texts, rng, g, i, ref, c, &cu, primaryTZ[cu.ID], start.Add(time.Duration(i)*step), now, keepSent); err != nil {
					return fmt.Errorf("prefill ticket %d: %w", i+1, err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// prefilledText is what one kind of outbound mail says in one language.
type prefilledText struct {
	subject, text string
	composed      []byte
}

// prefillTexts renders the built-in acknowledgement, alert and relay with
// their sample data, and composes each once.
func prefillTexts(support string) (map[string]prefilledText, error) {
	out := map[string]prefilledText{}
	set := templates.Builtin()
	for _, lang := range []string{"en", "de", "fr"} {
		for _, kind := range []templates.Kind{templates.Ack, templates.Alert, templates.Relay} {
			r, err := set.Render(kind, lang, templates.Sample(kind, lang))
			if err != nil {
				return nil, err
			}
			data, err := notify.Compose(&notify.Mail{
				From: mail.Address{Name: "Example Support", Address: support}, To: []mail.Address{{Address: "contact@customer.example"}},
				Subject: r.Subject, Text: r.Text, HTML: r.HTML, MessageID: fmt.Sprintf("%s.sample@%s", kind, ticket.DomainOf(support)),
				InReplyTo: "sample@customer.example", References: []string{"sample@customer.example"}, Date: time.Now(),
				AutoReply: kind != templates.Relay, Loop: support,
			})
			if err != nil {
				return nil, err
			}
			out[string(kind)+"."+lang] = prefilledText{subject: r.Subject, text: r.Text, composed: data}
		}
	}
	return out, nil
}

var prefillLevels = []struct {
	level ticket.Level
	share int // percent
}{{ticket.P0, 2}, {ticket.P1, 8}, {ticket.P2, 30}, {ticket.P3, 40}, {ticket.P4, 20}}

func prefillTicket(tx *store.Tx, plans *sla.Catalog, texts map[string]prefilledText, rng *rand.Rand, g *Generator, i int,
	ref contactRef, c *ticket.Contact, cu *ticket.Customer, tz string, created, now time.Time, keepSent time.Duration) error {
	lang := ref.lang
	subject := subjects[lang][rng.Intn(len(subjects[lang]))]
	body := g.body(ref, lang, 700)
	id := fmt.Sprintf("prefill.%d.%08x@%s", i, rng.Uint32(), ticket.DomainOf(c.Email))
	raw := smallMail(ref, g.support, subject, body, id, created)

	tx.Now = created
	rawID, _, err := tx.StoreRaw(&store.RawMessage{Mailbox: "Prefill", UIDValidity: 1, UID: uint32(2*i + 1), MessageID: id,
		SHA256: fmt.Sprintf("%064x", 2*i+1), Size: int64(len(raw)), Data: raw, InternalDate: created})
	if err != nil {
		return err
	}
	if err := tx.MarkRawProcessed(rawID, "ticket", ""); err != nil {
		return err
	}
	level := ticket.P3
	for p, roll := 0, rng.Intn(100); ; p++ {
		if roll < prefillLevels[p].share || p == len(prefillLevels)-1 {
			level = prefillLevels[p].level
			break
		}
		roll -= prefillLevels[p].share
	}
	t := &ticket.Ticket{Subject: subject, Status: ticket.StatusNew, Requester: c.Email, RequesterName: c.Name, CustomerID: cu.ID, ContactID: c.ID,
		Plan: cu.Plan, Level: level, LevelReasons: []string{"level mix of the prefill"}, Language: lang, SLAZone: tz, SLARegion: cu.Region,
		SLAStartedAt: &created}
	var dueAt time.Time
	if due, err := plans.DueFor(cu.Plan, level, created, tz, cu.Region); err == nil && due.Due != nil {
		d := due.Due.Truncate(time.Second)
		t.FirstResponseDue, dueAt = &d, d
	}
	if err := tx.CreateTicket(t); err != nil {
		return err
	}
	text := strings.TrimSpace(body)
	if err := tx.AddMessage(&store.Message{RawID: rawID, TicketID: t.ID, Direction: store.Inbound, Kind: "customer", MessageID: id,
		FromAddr: c.Email, FromName: c.Name, To: []string{g.support}, Subject: subject, Date: created, Body: text, NewText: text,
		SenderOutcome: string(ticket.SenderContact), SenderReason: "registered technical contact of " + cu.Name}); err != nil {
		return err
	}
	if err := tx.AddEvent(t.ID, "ticketd", "level", fmt.Sprintf("%s: level mix of the prefill", level)); err != nil {
		return err
	}
	domain := ticket.DomainOf(g.support)
	sent := created.Add(time.Second)
	for _, k := range []struct {
		kind templates.Kind
		to   string
	}{{templates.Ack, c.Email}, {templates.Alert, "team@example.com"}} {
		tx.Now = created
		if err := prefillOutbound(tx, texts[string(k.kind)+"."+lang], t, string(k.kind), fmt.Sprintf("%s.prefill%d@%s", k.kind, i, domain),
			g.support, k.to, id, sent, now, keepSent); err != nil {
			return err
		}
	}
	// Reminders at 50 % and 90 % of the target, and the breach.
	var reminders []store.Reminder
	if !dueAt.IsZero() {
		span := dueAt.Sub(created)
		for _, r := range []struct {
			kind    string
			percent int
		}{{"reminder", 50}, {"reminder", 90}, {"breach", 100}} {
			reminders = append(reminders, store.Reminder{TicketID: t.ID, Kind: r.kind, Percent: r.percent, DueAt: created.Add(span * time.Duration(r.percent) / 100)})
		}
	}
	for _, r := range reminders {
		if err := tx.ScheduleReminder(r); err != nil {
			return err
		}
	}
	answered := rng.Intn(100) < 97
	if now.Sub(created) < 48*time.Hour {
		answered = rng.Intn(2) == 0
	}
	if !answered {
		return markRemindersSent(tx, t.ID, now)
	}
	wait := 2 * time.Hour
	if !dueAt.IsZero() {
		// Most first responses come before the due time, some after.
		wait = time.Duration(float64(dueAt.Sub(created)) * (0.1 + 1.2*rng.Float64()))
	}
	first := created.Add(wait)
	if first.After(now) {
		first = now.Add(-time.Minute)
	}
	// The first response cancels the reminders (those sent before it are
	// recorded as cancelled too: one statement instead of three).
	tx.Now = first
	if err := tx.CancelReminders(t.ID); err != nil {
		return err
	}
	relay := texts["relay."+lang]
	engID := fmt.Sprintf("prefill-eng.%d@example.com", i)
	engRaw := smallMail(contactRef{c: ticket.Contact{Name: "Erin Novak", Email: "erin@example.com"}, cu: cu, lang: lang}, g.support,
		"Re: [Ticket#"+fmt.Sprint(t.Number)+"] "+subject, relay.text, engID, first)
	engRawID, _, err := tx.StoreRaw(&store.RawMessage{Mailbox: "Prefill", UIDValidity: 1, UID: uint32(2*i + 2), MessageID: engID,
		SHA256: fmt.Sprintf("%064x", 2*i+2), Size: int64(len(engRaw)), Data: engRaw, InternalDate: first})
	if err != nil {
		return err
	}
	if err := tx.MarkRawProcessed(engRawID, "engineer-reply", ""); err != nil {
		return err
	}
	if err := tx.AddMessage(&store.Message{RawID: engRawID, TicketID: t.ID, Direction: store.Inbound, Kind: "engineer", MessageID: engID,
		InReplyTo: fmt.Sprintf("alert.prefill%d@%s", i, domain), FromAddr: "erin@example.com", FromName: "Erin Novak", To: []string{g.support},
		Subject: "Re: " + subject, Date: first, Body: relay.text, NewText: relay.text,
		SenderOutcome: string(ticket.SenderStaff), SenderReason: "staff address"}); err != nil {
		return err
	}
	if err := prefillOutbound(tx, relay, t, "relay", fmt.Sprintf("relay.prefill%d@%s", i, domain), g.support, c.Email, id, first, now, keepSent); err != nil {
		return err
	}
	t.FirstResponseAt, t.Assignee, t.Status = &first, "erin@example.com", ticket.StatusOpen
	if now.Sub(created) > 14*24*time.Hour {
		closed := first.Add(time.Duration(1+rng.Intn(72)) * time.Hour)
		t.Status, t.ClosedAt = ticket.StatusClosed, &closed
		tx.Now = closed
		if err := tx.AddEvent(t.ID, "erin@example.com", "status", "closed"); err != nil {
			return err
		}
	}
	return tx.UpdateTicket(t)
}

// prefillOutbound writes an outbound mail as sent: its message row and its
// outbox row, with its composed bytes only when sent within keepSent.
func prefillOutbound(tx *store.Tx, txt prefilledText, t *ticket.Ticket, kind, messageID, support, to, inReplyTo string, sent, now time.Time, keepSent time.Duration) error {
	if err := tx.AddMessage(&store.Message{TicketID: t.ID, Direction: store.Outbound, Kind: ticket.MessageKind(kind), MessageID: messageID, InReplyTo: inReplyTo,
		References: []string{inReplyTo}, FromAddr: support, FromName: "Example Support", To: []string{to}, Subject: txt.subject, Date: sent, Body: txt.text}); err != nil {
		return err
	}
	data := []byte{}
	if now.Sub(sent) < keepSent {
		data = txt.composed
	}
	it := &ticket.OutboxItem{TicketID: t.ID, Kind: kind, MessageID: messageID, EnvelopeFrom: support, Recipients: []string{to}, Data: data}
	if err := tx.Enqueue(it); err != nil {
		return err
	}
	return tx.MarkSent(it.ID, sent)
}

// markRemindersSent marks the ticket's reminders due before at as sent, as
// the reminder loop did.
func markRemindersSent(tx *store.Tx, ticketID int64, at time.Time) error {
	rs, err := tx.RemindersForTicket(ticketID)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.DueAt.Before(at) && r.SentAt.IsZero() && r.CancelledAt.IsZero() {
			if _, err := tx.MarkReminderSent(r.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// smallMail is a plain-text mail as a mail client sends it.
func smallMail(ref contactRef, support, subject, text, id string, date time.Time) []byte {
	var b strings.Builder
	domain := ticket.DomainOf(ref.c.Email)
	fmt.Fprintf(&b, "Return-Path: <%s>\r\n", ref.c.Email)
	fmt.Fprintf(&b, "From: %s <%s>\r\n", mime.QEncoding.Encode("utf-8", ref.c.Name), ref.c.Email)
	fmt.Fprintf(&b, "To: Support <%s>\r\n", support)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s>\r\n", id)
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\nUser-Agent: Mozilla Thunderbird 128.3.1\r\nContent-Language: %s\r\n", ref.lang)
	fmt.Fprintf(&b, "Content-Type: text/plain; charset=utf-8; format=flowed\r\nContent-Transfer-Encoding: 8bit\r\nX-Originating-Domain: %s\r\n\r\n", domain)
	b.WriteString(strings.ReplaceAll(text, "\n", "\r\n"))
	return []byte(b.String())
}
