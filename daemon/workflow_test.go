package daemon

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"ticketd/config"
	"ticketd/store"
	"ticketd/ticket"
)

func zurich(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func customerMail(id, from, subject, body string) string {
	return fmt.Sprintf("From: %s\nTo: support@example.com\nSubject: %s\nDate: Fri, 20 Nov 2026 15:00:00 +0000\nMessage-ID: <%s>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n", from, subject, id, body)
}

func TestAcknowledgement_statesDueTimeInContactZoneAndTicketGoesOverdue(t *testing.T) {
	clock := ticket.NewFakeClock(zurich(t, "2026-11-20 16:00")) // Friday
	h := newHarness(t, withClock(clock))
	h.deliver(1, customerMail("p3@acme.example", "Acme Ops <ops@acme.example>", "Priority: 3 - report layout broken", "The monthly report has a broken layout; we can export to CSV instead."))
	h.runOnce()

	tk := h.ticket(1)
	mustf(t, tk.Level == ticket.P3, "level %s, want P3 (explicit)", tk.Level)
	// standard P3 = 1 business day (9h) on Mon–Fri 08:30–17:30 Zurich:
	// 1.5h left on Friday, 7.5h on Monday → Monday 16:00.
	want := zurich(t, "2026-11-23 16:00")
	mustf(t, tk.FirstResponseDue != nil && tk.FirstResponseDue.Equal(want), "due %v, want %v", tk.FirstResponseDue, want)
	acks := h.sentTo("ops@acme.example")
	mustf(t, len(acks) == 1, "want one acknowledgement, got %d", len(acks))
	body := bodyOf(t, acks[0])
	mustf(t, strings.Contains(body, "Monday 23 November 2026, 16:00 CET"), "ack does not state the due time in the contact's zone:\n%s", body)

	overdue := func() int {
		var ts []*ticket.Ticket
		h.d.DB().View(context.Background(), func(tx *store.Tx) (err error) {
			ts, err = tx.Tickets(store.TicketFilter{Overdue: true, OverdueAt: clock.Now()})
			return err
		})
		return len(ts)
	}
	clock.Set(want.Add(-time.Minute))
	mustf(t, overdue() == 0, "overdue a minute before due")
	clock.Set(want)
	mustf(t, overdue() == 1, "not overdue at due time")
}

// engineerReply writes what an engineer's mail client sends when answering
// an alert: To the alert's Reply-To, threaded to it, the alert quoted.
func engineerReply(from, replyTo, inReplyTo, subject, body string) string {
	return fmt.Sprintf("From: %s\nTo: %s\nSubject: Re: %s\nDate: Fri, 20 Nov 2026 15:30:00 +0000\nMessage-ID: <eng-%d@example.com>\nIn-Reply-To: %s\nReferences: %s\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n\nOn Fri, 20 Nov 2026 at 16:00, Example Support wrote:\n> New ticket from Acme\n> our nightly export job has failed\n",
		from, replyTo, subject, time.Now().UnixNano(), inReplyTo, inReplyTo, body)
}

func TestEngineerReply_relayedFromSupportAddressAndRecordsFirstResponse(t *testing.T) {
	clock := ticket.NewFakeClock(zurich(t, "2026-11-23 09:00"))
	h := newHarness(t, withClock(clock), withConfig(func(c *config.Config) { c.Verify.TrustedAuthservIDs = []string{"mx.example.com"} }))
	h.deliver(1, readTestdata(t, "new-acme.eml"))
	h.runOnce()
	tk := h.ticket(1)
	alerts := h.sentTo("team@example.com")
	mustf(t, len(alerts) == 1, "want one alert to the P2–P4 route, got %d (level %s)", len(alerts), tk.Level)
	alert := alerts[0]
	replyTo, alertID := alert.Header.Get("Reply-To"), alert.Header.Get("Message-Id")
	mustf(t, strings.Contains(replyTo, "support+s1."), "alert Reply-To %q", replyTo)
	subject, _ := new(mimeWordDecoder).DecodeHeader(alert.Header.Get("Subject"))
	mustf(t, strings.HasPrefix(subject, "[Ticket#1]["+string(tk.Level)+"] "), "alert subject %q", subject)

	t.Run("note_stays_internal", func(t *testing.T) {
		before := len(h.sentTo("ops@acme.example"))
		clock.Advance(5 * time.Minute)
		h.deliver(2, engineerReply("Erin Novak <erin@example.com>", replyTo, alertID, subject, "#note\nCalled Acme, they will send logs."))
		h.runOnce()
		mustf(t, len(h.sentTo("ops@acme.example")) == before, "a #note reached the customer")
		mustf(t, h.ticket(1).FirstResponseAt == nil, "a #note counted as first response")
	})
	t.Run("level_command_changes_level_and_due", func(t *testing.T) {
		clock.Advance(5 * time.Minute)
		h.deliver(3, engineerReply("Erin Novak <erin@example.com>", replyTo, alertID, subject, "#level P1\n#note raising: they lost a day of exports"))
		h.runOnce()
		after := h.ticket(1)
		mustf(t, after.Level == ticket.P1, "level %s after #level P1", after.Level)
		// standard P1 = 2h from the SLA start (09:00) → 11:00.
		want := zurich(t, "2026-11-23 11:00")
		mustf(t, after.FirstResponseDue != nil && after.FirstResponseDue.Equal(want), "due %v after #level, want %v", after.FirstResponseDue, want)
	})
	t.Run("forged_staff_is_not_obeyed", func(t *testing.T) {
		forged := engineerReply("Erin Novak <erin@example.com>", replyTo, alertID, subject, "#close\nClosing this.")
		forged = "Authentication-Results: mx.example.com; dmarc=fail header.from=example.com; spf=fail smtp.mailfrom=evil.example\n" + forged
		h.deliver(4, forged)
		h.runOnce()
		mustf(t, h.ticket(1).Status != ticket.StatusClosed, "a forged staff mail closed the ticket")
		mustf(t, len(h.sentTo("erin@example.com")) == 0, "something was sent to the forged address")
		mustf(t, len(h.sentTo("admin@example.com")) == 1, "admins not alerted about the forged staff mail")
	})
	t.Run("reply_is_relayed_as_the_support_address", func(t *testing.T) {
		clock.Advance(5 * time.Minute)
		h.deliver(5, engineerReply("Erin Novak <erin@example.com>", replyTo, alertID, subject, "Hello,\n\nwe raised the export timeout to 2 hours; tonight's run should pass."))
		h.runOnce()
		relays := h.sentTo("ops@acme.example")
		relay := relays[len(relays)-1]
		mustf(t, relay.Header.Get("Auto-Submitted") == "", "relayed engineer reply marked automatic")
		from, _ := new(mimeWordDecoder).DecodeHeader(relay.Header.Get("From"))
		mustf(t, from == `"Erin Novak via Example Support" <support@example.com>`, "relay From %q", from)
		mustf(t, strings.Contains(relay.Header.Get("In-Reply-To"), "export-1@acme.example"), "relay not threaded to the customer's mail: %q", relay.Header.Get("In-Reply-To"))
		rs, _ := new(mimeWordDecoder).DecodeHeader(relay.Header.Get("Subject"))
		mustf(t, rs == "[Ticket#1] Nightly export job fails with a timeout", "relay subject %q", rs)
		raw := fmt.Sprint(relay.Header)
		body := bodyOf(t, relay)
		mustf(t, !strings.Contains(raw+body, "erin@example.com"), "the engineer's address reached the customer")
		mustf(t, strings.Contains(body, "raised the export timeout"), "relay body lost the engineer's words:\n%s", body)
		mustf(t, !strings.Contains(body, "New ticket from Acme"), "relay carries the quoted alert:\n%s", body)
		after := h.ticket(1)
		mustf(t, after.FirstResponseAt != nil && after.FirstResponseAt.Equal(clock.Now()), "first_response_at %v", after.FirstResponseAt)
		mustf(t, after.Status == ticket.StatusOpen, "status %s after the first reply", after.Status)
	})
}

func TestUnknownSender_quarantinedNoticedOnceAndReleasable(t *testing.T) {
	clock := ticket.NewFakeClock(zurich(t, "2026-11-23 10:00"))
	h := newHarness(t, withClock(clock))
	h.deliver(1, readTestdata(t, "unknown.eml"))
	h.deliver(2, customerMail("again@elsewhere.example", "Some One <someone@elsewhere.example>", "Still need help", "Hello again?"))
	h.runOnce()
	mustf(t, len(h.tickets()) == 0, "unknown sender opened a ticket")
	mustf(t, len(h.sentTo("someone@elsewhere.example")) == 1, "want exactly one notice per address and day, got %d", len(h.sentTo("someone@elsewhere.example")))
	var held []*store.QuarantineEntry
	h.d.DB().View(context.Background(), func(tx *store.Tx) (err error) { held, err = tx.QuarantineList(store.QuarantineHeld); return err })
	mustf(t, len(held) == 2 && held[0].Outcome == "unknown", "quarantine: %+v", held)

	clock.Advance(time.Hour)
	tk, err := h.d.Desk().ReleaseQuarantine(context.Background(), held[1].ID, true, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	mustf(t, tk.Number == 1 && tk.SLAStartedAt.Equal(clock.Now()), "released ticket %d, SLA start %v (want now %v)", tk.Number, tk.SLAStartedAt, clock.Now())
	h.runOnce()
	mustf(t, len(h.sentTo("someone@elsewhere.example")) == 2, "released ticket not acknowledged")
	if _, err := h.d.Desk().ReleaseQuarantine(context.Background(), held[1].ID, false, ""); err == nil {
		t.Fatal("releasing twice must fail")
	}
}

func TestReminders_onTimeInBusinessHoursExactlyOnceAcrossRestart(t *testing.T) {
	// Friday 16:00 Zurich, standard P2 = 4 business hours: 1.5h on Friday,
	// 2.5h on Monday from 08:30 → due Monday 11:00. 50% (2h) falls on
	// Monday 09:00; 90% (3h36m) on Monday 10:36.
	clock := ticket.NewFakeClock(zurich(t, "2026-11-20 16:00"))
	h := newHarness(t, withClock(clock))
	h.deliver(1, customerMail("p2@acme.example", "Acme Ops <ops@acme.example>", "Priority: 2 - staging cluster unusable", "Our staging cluster does not start since the upgrade."))
	h.runOnce()
	tk := h.ticket(1)
	mustf(t, tk.Level == ticket.P2, "level %s", tk.Level)
	mustf(t, tk.FirstResponseDue.Equal(zurich(t, "2026-11-23 11:00")), "due %v", tk.FirstResponseDue)

	remindersSent := func() (reminders, breaches int) {
		for _, m := range h.sentTo("team@example.com") {
			s, _ := new(mimeWordDecoder).DecodeHeader(m.Header.Get("Subject"))
			switch {
			case strings.Contains(s, "%"):
				reminders++
			case strings.Contains(strings.ToLower(s), "missed"):
				breaches++
			}
		}
		return
	}
	steps := []struct {
		at                  string
		reminders, breaches int
		restart             bool
	}{
		{"2026-11-20 17:29", 0, 0, false},
		{"2026-11-21 12:00", 0, 0, false}, // Saturday: no business time passes
		{"2026-11-23 08:59", 0, 0, false},
		{"2026-11-23 09:00", 1, 0, false},
		{"2026-11-23 09:30", 1, 0, true}, // restart mid-schedule
		{"2026-11-23 10:36", 2, 0, false},
		{"2026-11-23 10:50", 2, 0, true},
		{"2026-11-23 11:00", 2, 1, false},
		{"2026-11-23 15:00", 2, 1, false},
	}
	for _, s := range steps {
		clock.Set(zurich(t, s.at))
		if s.restart {
			h.d.Close()
			h.open()
		}
		h.runOnce()
		r, b := remindersSent()
		mustf(t, r == s.reminders && b == s.breaches, "at %s: %d reminders and %d breach notices, want %d and %d", s.at, r, b, s.reminders, s.breaches)
	}
	// The customer got the holding reply only when configured: not here.
	mustf(t, len(h.sentTo("ops@acme.example")) == 1, "customer got more than the acknowledgement")
}

func TestReminders_stopAtFirstResponse(t *testing.T) {
	clock := ticket.NewFakeClock(zurich(t, "2026-11-23 09:00"))
	h := newHarness(t, withClock(clock), withConfig(func(c *config.Config) { c.Reminders.CustomerHoldingReply = true }))
	h.deliver(1, customerMail("p2b@acme.example", "Acme Ops <ops@acme.example>", "Priority: 2 - test system slow", "The test system is very slow."))
	h.runOnce()
	alert := h.sentTo("team@example.com")[0]
	clock.Set(zurich(t, "2026-11-23 10:00"))
	s, _ := new(mimeWordDecoder).DecodeHeader(alert.Header.Get("Subject"))
	h.deliver(2, engineerReply("erin@example.com", alert.Header.Get("Reply-To"), alert.Header.Get("Message-Id"), s, "Looking into it now."))
	h.runOnce()
	clock.Set(zurich(t, "2026-11-23 18:00"))
	h.runOnce()
	mustf(t, len(h.sentTo("team@example.com")) == 1, "reminders after the first response: %d mails to the team", len(h.sentTo("team@example.com")))
	mustf(t, len(h.sentTo("ops@acme.example")) == 2, "customer should have the acknowledgement and the reply only, got %d", len(h.sentTo("ops@acme.example")))
}

func TestAcknowledgement_levelLabelInTheCustomersLanguage(t *testing.T) {
	h := newHarness(t, withClock(ticket.NewFakeClock(zurich(t, "2026-11-23 10:00"))))
	h.deliver(1, customerMail("de-label@globex.example", "Globex IT <it@globex.example>", "Priorität: 1 – Bestellsystem fehlerhaft", "Seit heute Morgen schlagen viele Bestellungen fehl."))
	h.runOnce()
	acks := h.sentTo("it@globex.example")
	mustf(t, len(acks) == 1, "want one acknowledgement, got %d", len(acks))
	mustf(t, strings.Contains(acks[0].Text, "„P1 – Kritisch“"), "German ack should name the level in German:\n%s", acks[0].Text)
	alerts := h.sentTo("oncall@example.com")
	mustf(t, len(alerts) == 1 && strings.Contains(alerts[0].Text, "P1 – Critical"), "engineers read the default language")
}
