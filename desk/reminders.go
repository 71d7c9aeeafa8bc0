package desk

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"time"

	"ticketd/sla"
	"ticketd/store"
	"ticketd/templates"
	"ticketd/ticket"
)

// Reminder kinds in the schedule.
const (
	reminderKind = "reminder"
	breachKind   = "breach"
	holdingKind  = "holding-reply"
)

// scheduleReminders (re)computes t's reminder schedule from its SLA start:
// one reminder per configured fraction of the first-response target, a
// breach notice at 100 %, and optionally the customer's holding reply.
// Fractions are of business time on the plan's calendar. Already-sent
// reminders are kept as sent; unsent ones move (e.g. after #level).
func (d *Desk) scheduleReminders(tx *store.Tx, t *ticket.Ticket) error {
	if err := tx.CancelReminders(t.ID); err != nil {
		return err
	}
	if t.FirstResponseDue == nil || t.SLAStartedAt == nil {
		return nil
	}
	type slot struct {
		kind    string
		percent int
	}
	var slots []slot
	for _, p := range d.cfg.ReminderPercents {
		if p > 0 && p < 100 {
			slots = append(slots, slot{reminderKind, p})
		}
	}
	slots = append(slots, slot{breachKind, 100})
	if d.cfg.HoldingReply {
		slots = append(slots, slot{holdingKind, 100})
	}
	for _, s := range slots {
		at, err := d.plans.At(t.Plan, t.Level, *t.SLAStartedAt, t.SLAZone, t.SLARegion, float64(s.percent)/100)
		if err != nil {
			return fmt.Errorf("reminder schedule of ticket %d: %w", t.Number, err)
		}
		if at == nil {
			continue
		}
		if err := tx.ScheduleReminder(store.Reminder{TicketID: t.ID, Kind: s.kind, Percent: s.percent, DueAt: *at}); err != nil {
			return err
		}
	}
	return nil
}

// SendDue sends every reminder and folded-alert summary due now, each in
// its own transaction; the daemon's timer loop calls it.
func (d *Desk) SendDue(ctx context.Context) (int, error) {
	n, err := d.sendDueReminders(ctx)
	if err != nil {
		return n, err
	}
	m, err := d.sendDueFolds(ctx)
	if err != nil {
		return n + m, err
	}
	k, err := d.sendDueDigests(ctx)
	return n + m + k, err
}

// sendDueReminders sends every reminder due now, each in its own
// transaction together with its outbox row, so it is sent exactly once.
func (d *Desk) sendDueReminders(ctx context.Context) (int, error) {
	now := d.clock.Now()
	var due []store.Reminder
	if err := d.db.View(ctx, func(tx *store.Tx) (err error) { due, err = tx.DueReminders(now, 200); return err }); err != nil {
		return 0, err
	}
	sent := 0
	for _, r := range due {
		err := d.db.Update(ctx, func(tx *store.Tx) error {
			ok, err := tx.MarkReminderSent(r.ID)
			if err != nil || !ok {
				return err
			}
			t, err := tx.TicketByID(r.TicketID)
			if err != nil {
				return err
			}
			if t.FirstResponseAt != nil || t.Status == "closed" {
				return nil // answered or closed meanwhile: nothing to remind of
			}
			tc, err := d.contextFor(tx, t)
			if err != nil {
				return err
			}
			sent++
			switch r.Kind {
			case holdingKind:
				zone := tc.zone
				if tc.contact != nil && tc.contact.TZ != "" {
					zone = tc.contact.TZ
				}
				data := d.baseData(t, tc, zone)
				last, err := tx.LastInbound(t.ID)
				om := outMail{kind: templates.HoldingReply, lang: t.Language, data: data, ticket: t,
					to: []mail.Address{{Name: t.RequesterName, Address: t.Requester}}, auto: true}
				if err == nil {
					om.inReplyTo, om.refs = last.MessageID, append(append([]string{}, last.References...), last.MessageID)
				} else if !errors.Is(err, store.ErrNotFound) {
					return err
				}
				return d.enqueue(tx, om)
			default:
				kind := templates.Reminder
				if r.Kind == breachKind {
					kind = templates.Breach
					d.obs.Breach(t)
				}
				to := alertRoute(d.routing(t, tc.customer, now), t, false, "")
				if t.Assignee != "" && !slices.ContainsFunc(to, func(a mail.Address) bool { return a.Address == t.Assignee }) {
					to = append(to, mail.Address{Address: t.Assignee})
				}
				data := d.baseData(t, tc, d.cfg.StaffZone)
				data.Reminder = templates.ReminderInfo{Percent: r.Percent, Elapsed: d.elapsed(t, now)}
				if last, err := tx.LastInbound(t.ID); err == nil {
					data.Message = templates.MessageInfo{Subject: last.Subject, Text: last.NewText, ReceivedAt: last.CreatedAt}
				}
				return d.enqueue(tx, outMail{kind: kind, lang: d.cfg.DefaultLanguage, data: data, ticket: t, to: to, auto: true})
			}
		})
		if err != nil {
			return sent, fmt.Errorf("send reminder %d: %w", r.ID, err)
		}
	}
	if sent > 0 {
		d.wakeOutbox()
	}
	return sent, nil
}

// elapsed is the business time since the ticket's SLA start, for reminders.
func (d *Desk) elapsed(t *ticket.Ticket, now time.Time) string {
	if t.SLAStartedAt == nil {
		return ""
	}
	p, err := d.plans.Plan(t.Plan)
	if err != nil {
		return ""
	}
	lp, ok := p.Levels[t.Level]
	if !ok {
		return ""
	}
	cal := d.plans.Calendars[lp.Calendar]
	loc, err := time.LoadLocation(t.SLAZone)
	if err != nil || cal == nil {
		return ""
	}
	bt, err := sla.BusinessTime(*t.SLAStartedAt, now, cal, loc, t.SLARegion)
	if err != nil {
		return ""
	}
	h, m := int(bt.Hours()), int(bt.Minutes())%60
	return fmt.Sprintf("%dh %02dm", h, m)
}

// NextDue reports when the timer loop must wake next: the earliest
// reminder or folded-alert window end.
func (d *Desk) NextDue(ctx context.Context) (time.Time, bool, error) {
	var at time.Time
	var ok bool
	err := d.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if at, ok, err = tx.NextReminder(); err != nil {
			return err
		}
		fold, foldOK, err := tx.NextAlertFold()
		if foldOK && (!ok || fold.Before(at)) {
			at, ok = fold, true
		}
		return err
	})
	return at, ok, err
}
