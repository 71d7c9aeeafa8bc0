package desk

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"

	"ticketd/store"
	"ticketd/templates"
	"ticketd/ticket"
)

// Status for customers (issue 15): a weekly digest of each customer's
// open tickets to their primary contact, in the contact's zone and
// language, sent once per scheduled instant (also across a restart: the
// digests table records it in the transaction that queues the mail); and
// the same list on request, when a contact writes with the subject
// "status".

// digestMemo remembers which scheduled digest each customer had, so the
// timer loop does not ask the database again every pass.
type digestMemo struct {
	mu   sync.Mutex
	seen map[int64]string
}

func (m *digestMemo) has(customer int64, period string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seen[customer] == period
}

func (m *digestMemo) set(customer int64, period string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[int64]string{}
	}
	m.seen[customer] = period
}

// digestGrace is how late a scheduled digest may still go out.
const digestGrace = 24 * time.Hour

// lastWeekly is the latest instant at or before now that falls on day at
// minute after local midnight in loc.
func lastWeekly(now time.Time, day time.Weekday, minute int, loc *time.Location) time.Time {
	local := now.In(loc)
	y, m, d := local.Date()
	back := (int(local.Weekday()) - int(day) + 7) % 7
	at := time.Date(y, m, d-back, minute/60, minute%60, 0, 0, loc)
	if at.After(now) {
		at = time.Date(y, m, d-back-7, minute/60, minute%60, 0, 0, loc)
	}
	return at
}

// sendDueDigests queues the weekly digest of every customer whose
// scheduled instant passed without one. A customer with no open tickets
// gets none (the instant is still recorded).
func (d *Desk) sendDueDigests(ctx context.Context) (int, error) {
	if !d.cfg.DigestOn {
		return 0, nil
	}
	now := d.clock.Now()
	var customers []*ticket.Customer
	if err := d.db.View(ctx, func(tx *store.Tx) (err error) { customers, err = tx.Customers(); return err }); err != nil {
		return 0, err
	}
	sent := 0
	for _, cu := range customers {
		err := d.db.Update(ctx, func(tx *store.Tx) error {
			primary, err := tx.PrimaryContact(cu.ID)
			if err != nil {
				return ignoreNotFound(err)
			}
			loc, err := time.LoadLocation(primary.TZ)
			if err != nil {
				loc = time.UTC
			}
			instant := lastWeekly(now, d.cfg.DigestDay, d.cfg.DigestMinute, loc)
			period := instant.UTC().Format(time.RFC3339)
			if d.digestsSeen.has(cu.ID, period) {
				return nil
			}
			if now.Sub(instant) > digestGrace {
				// Long past (a first start, or the daemon was down for
				// days): a week-old status would mislead; wait for the next.
				d.digestsSeen.set(cu.ID, period)
				return nil
			}
			fresh, err := tx.MarkDigest(cu.ID, period)
			if err != nil || !fresh {
				d.digestsSeen.set(cu.ID, period)
				return err
			}
			queued, err := d.queueDigest(tx, cu, primary, nil, false, "")
			if err == nil {
				d.digestsSeen.set(cu.ID, period)
				if queued {
					sent++
				}
			}
			return err
		})
		if err != nil {
			return sent, fmt.Errorf("digest of %s: %w", cu.Name, err)
		}
	}
	if sent > 0 {
		d.wakeOutbox()
	}
	return sent, nil
}

// queueDigest queues the digest of cu's open tickets to contact (or to
// the address to, when set: a contact asking with "status"). Requested
// marks an answer to such a mail; it is sent even when nothing is open.
func (d *Desk) queueDigest(tx *store.Tx, cu *ticket.Customer, contact *ticket.Contact, in *inbound, requested bool, inbox string) (bool, error) {
	data, lang, err := d.DigestData(tx, cu, contact, requested)
	if err != nil {
		return false, err
	}
	if len(data.Digest.Tickets) == 0 && !requested {
		return false, nil
	}
	m := outMail{kind: templates.Digest, lang: lang, data: data, to: []mail.Address{{Name: contact.Name, Address: contact.Email}},
		auto: true, inbox: inbox}
	if in != nil {
		m.rateLimit, m.inReplyTo, m.refs = true, in.msg.MessageID, threadRefs(in.msg)
	}
	return true, d.enqueue(tx, m)
}

// DigestData is the template data of cu's digest for contact: the open
// tickets, newest first, each with its level label, status, assignee and
// next due time in the contact's zone and language. It returns the
// language too.
func (d *Desk) DigestData(tx *store.Tx, cu *ticket.Customer, contact *ticket.Contact, requested bool) (templates.Data, string, error) {
	lang := templates.ChooseLanguage(contact.Language, cu.Language, "", d.cfg.DefaultLanguage)
	zone := contact.TZ
	if primary, err := tx.PrimaryContact(cu.ID); err == nil && zone == "" {
		zone = primary.TZ
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	ts, err := tx.Tickets(store.TicketFilter{CustomerID: cu.ID})
	if err != nil {
		return templates.Data{}, "", err
	}
	now := tx.Now
	data := templates.Data{Zone: zone, Contact: templates.Person{Name: contact.Name, Email: contact.Email},
		Customer: templates.CustomerInfo{Name: cu.Name}, Plan: templates.PlanInfo{Name: cu.Plan}, Digest: templates.DigestInfo{Requested: requested}}
	for _, t := range ts {
		if t.Status == ticket.StatusClosed {
			continue
		}
		dt := templates.DigestTicket{Number: t.Number, Tag: fmt.Sprintf("[Ticket#%d]", t.Number), Subject: t.Subject,
			Level: d.levelLabel(t.Plan, t.Level, lang), Status: string(t.Status), Assignee: t.Assignee}
		if t.FirstResponseAt == nil && t.FirstResponseDue != nil {
			dt.Due = templates.FormatDateTime(*t.FirstResponseDue, loc, lang)
			dt.Overdue = t.Breached(now)
		} else if t.ResolutionDue != nil {
			dt.Due = templates.FormatDateTime(*t.ResolutionDue, loc, lang)
		}
		data.Digest.Tickets = append(data.Digest.Tickets, dt)
	}
	return data, lang, nil
}

// statusWords are subjects that ask for the digest, in our languages.
var statusWords = map[string]bool{"status": true, "statut": true, "état": true, "etat": true, "stand": true,
	"ticket status": true, "ticketstatus": true, "tickets": true, "état des tickets": true, "statusbericht": true}

// isStatusRequest reports whether a subject asks for the list of open
// tickets: "status" in any of our languages, reply prefixes ignored.
func isStatusRequest(subject string) bool {
	s := strings.ToLower(strings.TrimSpace(subject))
	for {
		trimmed := false
		for _, p := range []string{"re:", "aw:", "fw:", "fwd:", "wg:", "tr:", "sv:"} {
			if rest, ok := strings.CutPrefix(s, p); ok {
				s, trimmed = strings.TrimSpace(rest), true
			}
		}
		if !trimmed {
			break
		}
	}
	return statusWords[strings.Trim(s, " ?!.:")]
}

// answerStatus answers a contact's "status" mail with their own
// customer's open tickets. The mail is kept (outside any ticket); the
// answer counts against the automatic-reply limits.
func (d *Desk) answerStatus(tx *store.Tx, in *inbound) error {
	if _, err := d.storeInbound(tx, in, 0, ticket.KindCustomer); err != nil {
		return err
	}
	if in.automated != "" {
		return nil
	}
	ok, why, err := d.autoReplyAllowed(tx, in.from().Address, templates.Digest)
	if err != nil {
		return err
	}
	if !ok {
		in.log.Info("status answer withheld", "reason", why)
		return nil
	}
	_, err = d.queueDigest(tx, in.sender.Customer, in.sender.Contact, in, true, in.raw.Inbox)
	return err
}

func ignoreNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// DigestPreview is a digest as it would be sent now.
type DigestPreview struct {
	To       string
	Lang     string
	Data     templates.Data
	Rendered templates.Rendered
}

// PreviewDigest renders the digest the primary contact of the customer
// named name would get now, in lang ("" for theirs).
func (d *Desk) PreviewDigest(ctx context.Context, name, lang string) (DigestPreview, error) {
	var p DigestPreview
	err := d.db.View(ctx, func(tx *store.Tx) error {
		cu, err := tx.CustomerByName(name)
		if err != nil {
			return err
		}
		primary, err := tx.PrimaryContact(cu.ID)
		if err != nil {
			return fmt.Errorf("customer %s has no primary contact to send a digest to: %w", cu.Name, err)
		}
		if p.Data, p.Lang, err = d.DigestData(tx, cu, primary, false); err != nil {
			return err
		}
		p.To = primary.Email
		return nil
	})
	if err != nil {
		return p, err
	}
	if lang != "" {
		p.Lang = lang
	}
	in := d.inbox(store.DefaultInbox)
	p.Data.Support = templates.SupportInfo{Name: in.DisplayName, Address: in.Address}
	p.Rendered, err = d.templates().Render(templates.Digest, p.Lang, p.Data)
	return p, err
}
