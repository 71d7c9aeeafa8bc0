package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ticketd/config"
	"ticketd/internal/mailtest"
	"ticketd/store"
	"ticketd/ticket"
)

func TestFollowUp_reopensClosedTicketButContinuesInANewOneAfterReopenDays(t *testing.T) {
	clock := ticket.NewFakeClock(zurich(t, "2026-11-23 09:00"))
	h := newHarness(t, withClock(clock))
	h.deliver(1, readTestdata(t, "new-acme.eml"))
	h.runOnce()
	alert := h.sentTo("team@example.com")[0]
	s, _ := new(mimeWordDecoder).DecodeHeader(alert.Header.Get("Subject"))
	h.deliver(2, engineerReply("erin@example.com", alert.Header.Get("Reply-To"), alert.Header.Get("Message-Id"), s, "#close\nFixed, closing."))
	h.runOnce()
	mustf(t, h.ticket(1).Status == ticket.StatusClosed, "#close did not close: %s", h.ticket(1).Status)

	clock.Advance(3 * 24 * time.Hour)
	h.deliver(3, readTestdata(t, "reply-acme.eml"))
	h.runOnce()
	mustf(t, len(h.tickets()) == 1 && h.ticket(1).Status != ticket.StatusClosed, "follow-up within reopen_days must reopen ticket 1: %d tickets, status %s", len(h.tickets()), h.ticket(1).Status)

	h.deliver(4, engineerReply("erin@example.com", alert.Header.Get("Reply-To"), alert.Header.Get("Message-Id"), s, "#close"))
	h.runOnce()
	clock.Advance(15 * 24 * time.Hour)
	h.deliver(5, customerMail("late@acme.example", "Acme Ops <ops@acme.example>", "Re: [Ticket#1] Nightly export job fails with a timeout", "It is back, failing again since yesterday."))
	h.runOnce()
	mustf(t, len(h.tickets()) == 2, "a follow-up after reopen_days must open a new ticket, got %d tickets", len(h.tickets()))
	nt := h.ticket(2)
	mustf(t, nt.PreviousNumber == 1 && h.ticket(1).Status == ticket.StatusClosed, "new ticket refers to #%d; old status %s", nt.PreviousNumber, h.ticket(1).Status)
}

func TestTemplates_editOnRunningDaemonChangesNextMailAndBrokenEditChangesNothing(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, withConfig(func(c *config.Config) {
		c.Templates.Dir = dir
		c.Templates.WatchInterval = config.Duration{Duration: 50 * time.Millisecond}
	}))
	h.start()
	write := func(body string) {
		if err := os.WriteFile(filepath.Join(dir, "ack.en.subject.tmpl"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ackSubject := func(to string) string {
		mailtest.Eventually(t, "an acknowledgement to "+to, waitTimeout, func() bool { return len(h.sentTo(to)) > 0 })
		s, _ := new(mimeWordDecoder).DecodeHeader(h.sentTo(to)[0].Header.Get("Subject"))
		return s
	}
	write("{{.Ticket.Tag}} Received: {{.Ticket.Subject}}\n")
	mailtest.Eventually(t, "the edited template to be active", waitTimeout, func() bool {
		return strings.Contains(overrideSources(h.d), dir)
	})
	h.appendMail(readTestdata(t, "new-acme.eml"))
	h.waitProcessed(1)
	mustf(t, ackSubject("ops@acme.example") == "[Ticket#1] Received: Nightly export job fails with a timeout", "edited subject not used: %q", ackSubject("ops@acme.example"))

	write("{{.Ticket.Numbr}} broken\n")
	mailtest.Eventually(t, "the admin notice about the rejected edit", waitTimeout, func() bool { return len(h.sentTo("admin@example.com")) == 1 })
	h.appendMail(strings.Replace(readTestdata(t, "new-acme.eml"), "<export-1@acme.example>", "<export-9@acme.example>", 1))
	h.waitProcessed(2)
	acks := h.sentTo("ops@acme.example")
	mustf(t, len(acks) == 2, "want a second acknowledgement, got %d", len(acks))
	s, _ := new(mimeWordDecoder).DecodeHeader(acks[1].Header.Get("Subject"))
	mustf(t, s == "[Ticket#2] Received: Nightly export job fails with a timeout", "a broken edit changed the mail: %q", s)
}

// overrideSources lists where the active templates come from.
func overrideSources(d *Daemon) string {
	var b strings.Builder
	for _, e := range d.Desk().Templates().Current().List() {
		b.WriteString(e.Source)
	}
	return b.String()
}

func TestSMTP_oauthTokenFromTokenCommand(t *testing.T) {
	srv := mailtest.StartSMTP(t, &mailtest.SMTPOptions{Username: "support@example.com", Token: "ya29.fresh-token"})
	h := newHarness(t, withSMTP(srv.Addr()), withConfig(func(c *config.Config) {
		c.SMTP.Username = "support@example.com"
		c.SMTP.Auth = "xoauth2"
		c.SMTP.TokenCommand = "echo ya29.fresh-token"
	}))
	h.start()
	h.appendMail(readTestdata(t, "new-acme.eml"))
	srv.WaitFor(t, 2, 10*time.Second)
	var items []*ticket.OutboxItem
	mailtest.Eventually(t, "the outbox to be sent", waitTimeout, func() bool {
		items = h.outbox()
		return len(items) == 2 && items[0].Status == ticket.OutboxSent && items[1].Status == ticket.OutboxSent
	})
}

func TestOversizedMail_storedTruncatedFlaggedAndSenderTold(t *testing.T) {
	h := newHarness(t, withClock(ticket.NewFakeClock(zurich(t, "2026-11-23 10:00"))))
	raw := []byte(strings.ReplaceAll(readTestdata(t, "new-acme.eml"), "\n", "\r\n"))
	f := intakeFetched("INBOX", 1, 1, raw[:len(raw)-40])
	f.Size, f.Truncated = 30<<20, true
	if _, err := h.d.DB().Store(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	h.runOnce()
	mustf(t, len(h.tickets()) == 1, "truncated mail must still become a ticket")
	var msgs []*store.Message
	h.d.DB().View(context.Background(), func(tx *store.Tx) (err error) { msgs, err = tx.Messages(h.ticket(1).ID); return err })
	mustf(t, msgs[0].Malformed && strings.Contains(strings.Join(msgs[0].ParseErrors, " "), "max_message_bytes"), "truncation not flagged: %+v", msgs[0].ParseErrors)
	ack := h.sentTo("ops@acme.example")
	mustf(t, len(ack) == 1 && strings.Contains(ack[0].Text, "larger than we accept"), "sender not told about the truncation")
}
