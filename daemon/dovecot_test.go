package daemon

import (
	"strings"
	"testing"
	"time"

	"ticketd/internal/mailstack"
	"ticketd/notify/smtptest"
)

// TestDovecot_acknowledgementThroughIDLE runs the daemon against a real
// Dovecot (skipped when it is not installed, unless TICKETD_REQUIRE_MAILSTACK
// is set): a mail delivered over LMTP is fetched through IDLE, not by
// polling, and acknowledged.
func TestDovecot_acknowledgementThroughIDLE(t *testing.T) {
	dc := mailstack.StartDovecot(t, mailstack.User{Name: testSupport, Password: testPassword})
	srv := smtptest.Start(t)
	h := newHarness(t, withSMTP(srv.Addr()), withConfig(func(c *Config) {
		c.IMAP.Address = dc.IMAPAddr
		c.IMAP.Processed = "move"
		c.IMAP.MoveTo = "Processed"
		// Polling this rarely cannot explain an acknowledgement within seconds.
		c.IMAP.PollInterval = Duration{10 * time.Minute}
	}))
	h.start()
	waitFor(t, "the IMAP session to be up", func() bool { return h.d.intake.Status().Connected })
	time.Sleep(200 * time.Millisecond) // let the client enter IDLE after its first check

	start := time.Now()
	if err := dc.Deliver(testSupport, []byte(strings.ReplaceAll(readTestdata(t, "new-acme.eml"), "\n", "\r\n"))); err != nil {
		t.Fatal(err)
	}
	var latency time.Duration
	waitFor(t, "the acknowledgement", func() bool {
		for _, m := range srv.Messages() {
			if len(m.To) == 1 && m.To[0] == "ops@acme.example" {
				latency = time.Since(start)
				return true
			}
		}
		return false
	})
	t.Logf("Dovecot LMTP delivery → acknowledgement accepted by SMTP: %v", latency)
	mustf(t, h.d.intake.Status().IdleSupported, "Dovecot advertises IDLE; the client should use it")
	mustf(t, len(h.tickets()) == 1, "want one ticket")
	// processed = move: the mail left INBOX for Processed once stored.
	waitFor(t, "the mail to be moved to Processed", func() bool {
		out, err := dc.Doveadm("mailbox", "status", "-u", testSupport, "messages", "Processed")
		return err == nil && strings.Contains(out, "messages=1")
	})
}
