package intake

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"ticketd/internal/mailtest"
)

// When the server closes the connection the log says so, rather than what
// the socket reported on our side ("use of closed network connection").
func TestIMAPServerClosingTheConnectionIsLoggedInWords(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  *mailtest.IMAPOptions
	}{
		{"while idling", &mailtest.IMAPOptions{}},
		{"while polling", &mailtest.IMAPOptions{AnnounceOnNoop: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startIMAPTestServer(t, tc.opt)
			sink := newRecordingSink()
			cfg := imapTestConfig(ts.Addr())
			cfg.PollInterval = time.Hour
			c := newTestClient(t, cfg, sink)
			var logs *logCapture
			c.logger, logs = captureLogger(t, slog.LevelDebug)
			startPreparedClient(t, c)
			mailtest.Eventually(t, "the first check", imapWaitTimeout, func() bool { return !c.Status().LastFetch.IsZero() })
			if !tc.opt.AnnounceOnNoop {
				mailtest.Eventually(t, "IDLE", imapWaitTimeout, func() bool { return len(logs.lines("imap idling")) > 0 })
			}
			ts.DropConnections()
			mailtest.Eventually(t, "the failure to be logged", imapWaitTimeout, func() bool { return len(logs.lines("imap session failed")) > 0 })
			failed := logs.lines("imap session failed")[0]
			if !strings.Contains(failed, "server closed the connection") {
				t.Errorf("logged %s\nwant it to say the server closed the connection", failed)
			}
			if got := logs.lines("use of closed network connection"); len(got) > 0 {
				t.Errorf("the log still speaks of the socket:\n%s", strings.Join(got, "\n"))
			}
		})
	}
}

// After a UIDVALIDITY change the whole mailbox is fetched again and the
// Sink recognises what it has: those mails are logged as duplicates, not
// as stored.
func TestIMAPDuplicatesAreLoggedAsDuplicates(t *testing.T) {
	ts := startIMAPTestServer(t, nil)
	m1, m2 := testMessage(1, "one"), testMessage(2, "two")
	appendMessage(t, ts, "INBOX", m1)
	appendMessage(t, ts, "INBOX", m2)
	sink := newRecordingSink()
	_, stop := startClient(t, imapTestConfig(ts.Addr()), sink)
	mailtest.Eventually(t, "first run", imapWaitTimeout, func() bool { return len(sink.Calls()) == 2 })
	stop()
	if err := ts.User(imapTestUser).Delete("INBOX"); err != nil {
		t.Fatal(err)
	}
	if err := ts.User(imapTestUser).Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	appendMessage(t, ts, "INBOX", m1)
	appendMessage(t, ts, "INBOX", m2)
	appendMessage(t, ts, "INBOX", testMessage(3, "three"))

	c := newTestClient(t, imapTestConfig(ts.Addr()), sink)
	var logs *logCapture
	c.logger, logs = captureLogger(t, slog.LevelInfo)
	startPreparedClient(t, c)
	mailtest.Eventually(t, "the refetch", imapWaitTimeout, func() bool { return len(sink.Calls()) == 5 })
	if got := logs.lines("duplicate"); len(got) != 2 {
		t.Errorf("%d lines about duplicates, want 2 (UIDs 1 and 2):\n%s", len(got), strings.Join(got, "\n"))
	}
	if got := logs.lines("message stored"); len(got) != 1 || !strings.Contains(got[0], "uid=3") {
		t.Errorf("'message stored' lines %q, want one, for UID 3", got)
	}
}
