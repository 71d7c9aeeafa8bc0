package intake

import (
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"ticketd/internal/mailtest"
)

// Courier-IMAP (without IMAP_ENHANCEDIDLE) and other servers tell a
// client about new mail only on NOOP or IDLE; a bare UID FETCH does not
// see it. Without IDLE the poll must therefore send NOOP.
func TestIMAPPollFindsMailOnServerThatAnnouncesOnlyOnNOOP(t *testing.T) {
	ts := startIMAPTestServer(t, &mailtest.IMAPOptions{AnnounceOnNoop: true})

	// The test server must really behave so, or this test proves nothing.
	imapInspect(t, ts.Addr(), imapTestUser, imapTestPassword, func(c *imapclient.Client) {
		if c.Caps().Has(imap.CapIdle) {
			t.Fatal("test server offers IDLE")
		}
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		appendMessage(t, ts, "INBOX", testMessage(1, "arrived after SELECT"))
		var all imap.UIDSet
		all.AddRange(1, 0)
		fetchAll := func() int {
			bufs, err := c.Fetch(all, &imap.FetchOptions{UID: true}).Collect()
			if err != nil {
				t.Fatal(err)
			}
			return len(bufs)
		}
		if n := fetchAll(); n != 0 {
			t.Fatalf("UID FETCH 1:* before NOOP returned %d messages, want 0", n)
		}
		if err := c.Noop().Wait(); err != nil {
			t.Fatal(err)
		}
		if n := fetchAll(); n != 1 {
			t.Fatalf("UID FETCH 1:* after NOOP returned %d messages, want 1", n)
		}
	})

	sink := newRecordingSink()
	cfg := imapTestConfig(ts.Addr())
	cfg.PollInterval = 50 * time.Millisecond
	c, _ := startClient(t, cfg, sink)
	mailtest.Eventually(t, "the mail already there at SELECT", imapWaitTimeout, func() bool { return len(sink.Calls()) == 1 })
	if c.Status().IdleSupported {
		t.Fatal("client thinks the server offers IDLE")
	}
	appendMessage(t, ts, "INBOX", testMessage(2, "arrived while polling"))
	mailtest.Eventually(t, "the mail that arrived while polling", imapWaitTimeout, func() bool { return len(sink.Calls()) == 2 })
}
