package desk

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"ticketd/store"
	"ticketd/templates"
	"ticketd/ticket"
)

// Alert folding (limits.alert_fold_window): a flood of mail must not become
// a flood of pages. Within one window a ticket's follow-ups alert once and
// one sender's new tickets alerts_per_sender_window times; what is held
// back is counted, and when the window ends one alert sums it up and a new
// window begins. Nothing is lost: every mail is on its ticket, and the
// held-back count is an event there.

// foldKey is the fold an alert counts against, and its budget per window.
func (d *Desk) foldKey(t *ticket.Ticket, sender string, followUp bool) (string, int) {
	if followUp {
		return fmt.Sprintf("ticket:%d", t.ID), 1
	}
	return "sender:" + sender, d.cfg.AlertsPerSenderWindow
}

// holdAlert counts an alert about t against its fold and reports whether
// to hold it back (decideFold).
func (d *Desk) holdAlert(tx *store.Tx, t *ticket.Ticket, sender string, followUp bool) (bool, error) {
	window := d.cfg.AlertFoldWindow
	if window <= 0 {
		return false, nil
	}
	key, budget := d.foldKey(t, sender, followUp)
	f, err := tx.AlertFold(key)
	if err != nil {
		return false, err
	}
	held, next := decideFold(f, tx.Now, window, budget, t.ID, followUp)
	return held, tx.SaveAlertFold(next)
}

// decideFold counts one alert against fold f at now: within a window the
// first budget alerts go out, the rest are held (and, for a sender's new
// tickets, remembered by ticket) until sendDueFolds sums them up. A fold
// whose window ended with alerts held back keeps counting until then.
func decideFold(f store.AlertFold, now time.Time, window time.Duration, budget int, ticketID int64, followUp bool) (held bool, next store.AlertFold) {
	if (f.WindowEnd.IsZero() || !now.Before(f.WindowEnd)) && f.Folded == 0 {
		f = store.AlertFold{Key: f.Key, WindowEnd: now.Add(window)}
	}
	if f.Sent < budget && f.Folded == 0 {
		f.Sent++
		return false, f
	}
	f.Folded++
	if !followUp {
		f.TicketIDs = append(f.TicketIDs, ticketID)
	}
	return true, f
}

// sendDueFolds sends one summing-up alert for every fold whose window
// ended with alerts held back, each in its own transaction.
func (d *Desk) sendDueFolds(ctx context.Context) (int, error) {
	var due []store.AlertFold
	if err := d.db.Update(ctx, func(tx *store.Tx) (err error) { due, err = tx.DueAlertFolds(tx.Now, 100); return err }); err != nil {
		return 0, err
	}
	sent := 0
	for _, f := range due {
		err := d.db.Update(ctx, func(tx *store.Tx) error {
			f, err := tx.AlertFold(f.Key)
			if err != nil || f.Folded == 0 || tx.Now.Before(f.WindowEnd) {
				return err
			}
			if strings.HasPrefix(f.Key, "ticket:") {
				err = d.sendTicketFold(tx, f)
			} else {
				err = d.sendSenderFold(tx, f)
			}
			if err != nil {
				return err
			}
			sent++
			// The summary opens the next window: a burst that goes on stays
			// folded.
			return tx.SaveAlertFold(store.AlertFold{Key: f.Key, WindowEnd: tx.Now.Add(d.cfg.AlertFoldWindow), Sent: 1})
		})
		if err != nil {
			return sent, fmt.Errorf("alert fold %s: %w", f.Key, err)
		}
	}
	if sent > 0 {
		d.wakeOutbox()
	}
	return sent, nil
}

// sendTicketFold alerts once about the follow-ups held back on a ticket,
// with the newest of them.
func (d *Desk) sendTicketFold(tx *store.Tx, f store.AlertFold) error {
	var id int64
	if _, err := fmt.Sscanf(f.Key, "ticket:%d", &id); err != nil {
		return fmt.Errorf("bad fold key %q", f.Key)
	}
	t, err := tx.TicketByID(id)
	if err != nil {
		return err
	}
	tc, err := d.contextFor(tx, t)
	if err != nil {
		return err
	}
	to := alertRoute(d.routing(t, tc.customer, tx.Now), t, true, "")
	if len(to) == 0 {
		return nil
	}
	data := d.baseData(t, tc, d.cfg.StaffZone)
	data.Message = templates.MessageInfo{FollowUp: true, Folded: f.Folded}
	if last, err := tx.LastInbound(t.ID); err == nil {
		data.Message.Subject, data.Message.Text, data.Message.ReceivedAt = last.Subject, last.NewText, last.CreatedAt
		data.Message.From = (&mail.Address{Name: last.FromName, Address: last.FromAddr}).String()
	}
	if err := tx.AddEvent(t.ID, "ticketd", "alert-folded", fmt.Sprintf("%d follow-up alerts summed up in one", f.Folded)); err != nil {
		return err
	}
	return d.enqueue(tx, outMail{kind: templates.Alert, lang: d.cfg.DefaultLanguage, data: data, ticket: t, to: to, auto: true})
}

// sendSenderFold tells the engineers routed for the held-back new tickets
// of one sender about them in one mail.
func (d *Desk) sendSenderFold(tx *store.Tx, f store.AlertFold) error {
	sender := strings.TrimPrefix(f.Key, "sender:")
	var lines []string
	var to []mail.Address
	seen := map[string]bool{}
	for _, id := range f.TicketIDs {
		t, err := tx.TicketByID(id)
		if err != nil {
			return err
		}
		lines = append(lines, fmt.Sprintf("  [Ticket#%d][%s] %s", t.Number, t.Level, truncateRunes(t.Subject, 100)))
		cu, err := customerOf(tx, t)
		if err != nil {
			return err
		}
		for _, a := range alertRoute(d.routing(t, cu, tx.Now), t, false, "") {
			if !seen[a.Address] {
				seen[a.Address] = true
				to = append(to, a)
			}
		}
	}
	if more := f.Folded - len(f.TicketIDs); more > 0 {
		lines = append(lines, fmt.Sprintf("  … and %d more", more))
	}
	if len(to) == 0 {
		return nil
	}
	window := d.cfg.AlertFoldWindow
	title := fmt.Sprintf("%d more new tickets from %s", f.Folded, sender)
	body := fmt.Sprintf("%s opened more than %d tickets within %s (limits.alerts_per_sender_window). "+
		"These were not alerted one by one:\n\n%s\n\nEach is a ticket with its acknowledgement and due time; answer them from `ticketd tickets list --customer …` "+
		"or wait for their reminders. A burst like this is often a mail loop or an automated system writing to support.",
		sender, d.cfg.AlertsPerSenderWindow, window, strings.Join(lines, "\n"))
	return d.enqueue(tx, outMail{kind: templates.AdminNotice, lang: d.cfg.DefaultLanguage,
		data: templates.Data{Notice: templates.Notice{Title: title, Body: body}}, to: to, auto: true, msgKind: "alert-summary"})
}

// truncateRunes shortens s to at most n runes, marking the cut.
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
