package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ticketd/config"
	"ticketd/intake"
	"ticketd/internal/mailtest"
	"ticketd/store"
	"ticketd/ticket"
)

// Floods an outside attack test sent (issue 11, items 10 and 11).

func TestBackscatter_noNoticeToSendersTheTrustedServerDidNotAuthenticate(t *testing.T) {
	clock := ticket.NewFakeClock(zurich(t, "2026-11-23 10:00"))
	h := newHarness(t, withClock(clock), withConfig(func(c *config.Config) { c.Verify.TrustedAuthservIDs = []string{"mx.example.com"} }))
	forged := "Authentication-Results: mx.example.com; dmarc=fail header.from=victim.example; spf=fail smtp.mailfrom=victim.example\n"
	unchecked := "" // the trusted server said nothing about this one
	passed := "Authentication-Results: mx.example.com; dmarc=pass header.from=real.example\n"
	h.deliver(1, forged+customerMail("f1@victim.example", "Victim <someone@victim.example>", "Help", "Please help."))
	h.deliver(2, unchecked+customerMail("u1@other.example", "Other <someone@other.example>", "Help", "Please help."))
	h.deliver(3, passed+customerMail("p1@real.example", "Real <someone@real.example>", "Help", "Please help."))
	h.runOnce()
	mustf(t, len(h.sentTo("someone@victim.example")) == 0, "a notice went to a forged sender (dmarc=fail)")
	mustf(t, len(h.sentTo("someone@other.example")) == 0, "a notice went to a sender the trusted server did not authenticate")
	mustf(t, len(h.sentTo("someone@real.example")) == 1, "an authenticated unknown sender got no notice")
}

func TestBackscatter_unknownSenderNoticesCappedPerHourOverAllAddresses(t *testing.T) {
	clock := ticket.NewFakeClock(zurich(t, "2026-11-23 10:00"))
	h := newHarness(t, withClock(clock), withConfig(func(c *config.Config) { c.Limits.UnknownNoticesPerHour = 5 }))
	for i := range 100 {
		h.deliver(uint32(i+1), customerMail(fmt.Sprintf("forged-%d@x.example", i), fmt.Sprintf("<outsider%d@x.example>", i), "Invoice", "See attached."))
	}
	h.runOnce()
	notices := 0
	for i := range 100 {
		notices += len(h.sentTo(fmt.Sprintf("outsider%d@x.example", i)))
	}
	mustf(t, notices == 5, "100 forged outsiders got %d notices, want the hourly cap of 5", notices)
	mustf(t, len(h.quarantine()) == 100, "every mail must still be quarantined, got %d", len(h.quarantine()))

	clock.Advance(61 * time.Minute)
	h.deliver(101, customerMail("later@x.example", "<later@x.example>", "Invoice", "See attached."))
	h.runOnce()
	mustf(t, len(h.sentTo("later@x.example")) == 1, "the cap did not reset after an hour")
}

func TestAlertFold_burstOfFollowUpsAlertsOnceWithACount(t *testing.T) {
	clock := ticket.NewFakeClock(zurich(t, "2026-11-23 10:00"))
	h := newHarness(t, withClock(clock))
	h.deliver(1, readTestdata(t, "new-acme.eml"))
	h.runOnce()
	for i := 2; i <= 200; i++ {
		clock.Advance(200 * time.Millisecond)
		h.deliver(uint32(i), "In-Reply-To: <export-1@acme.example>\n"+customerMail(fmt.Sprintf("burst-%d@acme.example", i),
			"Acme Ops <ops@acme.example>", "Re: Nightly export job fails with a timeout", fmt.Sprintf("Update %d: still failing.", i)))
	}
	h.runOnce()
	mustf(t, h.ticket(1).MessageCount >= 200, "follow-ups not on the ticket: %d messages", h.ticket(1).MessageCount)
	alerts := h.sentTo("team@example.com")
	mustf(t, len(alerts) == 2, "200 mails within a minute gave %d alerts, want 2 (new ticket, first follow-up)", len(alerts))

	clock.Advance(5 * time.Minute)
	h.runOnce()
	alerts = h.sentTo("team@example.com")
	mustf(t, len(alerts) == 3, "no summing-up alert when the window ended (%d alerts)", len(alerts))
	last := alerts[2]
	mustf(t, strings.Contains(last.Text, "198 more messages") && strings.Contains(last.Text, "Update 200"),
		"the summary does not count the held-back follow-ups or show the newest:\n%s", last.Text)

	// Quiet since: the next follow-up alerts at once again, after a window.
	clock.Advance(6 * time.Minute)
	h.runOnce()
	h.deliver(201, "In-Reply-To: <export-1@acme.example>\n"+customerMail("after@acme.example", "Acme Ops <ops@acme.example>", "Re: export", "Fixed on our side?"))
	h.runOnce()
	mustf(t, len(h.sentTo("team@example.com")) == 4, "a follow-up after a quiet window was not alerted")
}

func TestAlertFold_burstOfNewTicketsFromOneSender(t *testing.T) {
	clock := ticket.NewFakeClock(zurich(t, "2026-11-23 10:00"))
	h := newHarness(t, withClock(clock))
	for i := 1; i <= 50; i++ {
		h.deliver(uint32(i), customerMail(fmt.Sprintf("new-%d@acme.example", i), "Acme Ops <ops@acme.example>",
			fmt.Sprintf("Report %d is empty", i), "The report shows no rows."))
	}
	h.runOnce()
	mustf(t, len(h.tickets()) == 50, "want 50 tickets, got %d", len(h.tickets()))
	mustf(t, len(h.sentTo("team@example.com")) == 3, "50 new tickets from one sender gave %d alerts, want 3", len(h.sentTo("team@example.com")))
	clock.Advance(5 * time.Minute)
	h.runOnce()
	alerts := h.sentTo("team@example.com")
	mustf(t, len(alerts) == 4, "no summary of the held-back tickets (%d alerts)", len(alerts))
	mustf(t, strings.Contains(alerts[3].Text, "47 more new tickets from ops@acme.example") && strings.Contains(alerts[3].Text, "Report 50 is empty"),
		"summary:\n%s", alerts[3].Text)
}

func TestQuarantineRelease_wakesTheRunningDaemonsOutbox(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.appendMail(customerMail("lost@elsewhere.example", "Some One <someone@elsewhere.example>", "Need help", "Hello?"))
	h.waitProcessed(1)
	held := h.quarantine()
	mustf(t, len(held) == 1, "want one quarantined mail, got %d", len(held))
	before := len(h.sentTo("someone@elsewhere.example"))

	// The admin's `ticketd quarantine release` is another process on the
	// same database; the running daemon's outbox sleeps up to a minute.
	admin, err := New(context.Background(), h.cfg, Options{Clock: h.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Desk().ReleaseQuarantine(context.Background(), held[0].ID, true, "Acme"); err != nil {
		t.Fatal(err)
	}
	admin.Close()
	mailtest.Eventually(t, "the acknowledgement of the released mail", 5*time.Second, func() bool {
		return len(h.sentTo("someone@elsewhere.example")) > before
	})
}

func TestHTTP_bearerTokenGuardsHealthAndMetrics(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte("s3cret-token\n"), 0o600)
	h := newHarness(t, withConfig(func(c *config.Config) { c.HTTP.Listen = "127.0.0.1:0"; c.HTTP.TokenFile = tokenFile }))
	h.start()
	mailtest.Eventually(t, "the HTTP listener", waitTimeout, func() bool { return h.d.HTTPAddr() != "" })
	for _, path := range []string{"/healthz", "/metrics"} {
		for _, tc := range []struct {
			auth string
			want int
		}{{"", http.StatusUnauthorized}, {"Bearer wrong", http.StatusUnauthorized}, {"Bearer s3cret-token", 0}} {
			req, _ := http.NewRequest("GET", "http://"+h.d.HTTPAddr()+path, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if tc.want != 0 && resp.StatusCode != tc.want || tc.want == 0 && resp.StatusCode == http.StatusUnauthorized {
				t.Errorf("%s with %q: status %d", path, tc.auth, resp.StatusCode)
			}
		}
	}
}

func TestHugeSubject_ticketAndOutgoingMailStayBounded(t *testing.T) {
	h := newHarness(t, withClock(ticket.NewFakeClock(zurich(t, "2026-11-23 10:00"))))
	subject := strings.Repeat("Export broken again ", 4<<20/20)
	h.deliver(1, customerMail("big-subject@acme.example", "Acme Ops <ops@acme.example>", subject, "The export fails."))
	h.runOnce()
	tk := h.ticket(1)
	mustf(t, len(tk.Subject) <= intake.MaxSubjectBytes, "ticket subject is %d bytes", len(tk.Subject))
	for _, to := range []string{"ops@acme.example", "team@example.com"} {
		ms := h.sentTo(to)
		mustf(t, len(ms) == 1, "want one mail to %s, got %d", to, len(ms))
		mustf(t, len(ms[0].Raw) < 64<<10, "the mail to %s is %d bytes for a %d-byte subject", to, len(ms[0].Raw), len(subject))
	}
	var msgs []*store.Message
	h.d.DB().View(context.Background(), func(tx *store.Tx) (err error) { msgs, err = tx.Messages(tk.ID); return err })
	mustf(t, len(msgs) > 0 && msgs[0].Malformed, "the capped mail is not flagged")
}
