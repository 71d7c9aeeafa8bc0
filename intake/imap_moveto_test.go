package intake

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"ticketd/internal/mailtest"
)

// A server that will not let ticketd create its move_to folder (ACLs, a
// wrong name) must not stop intake: the refusal is said once, in words,
// shown in Status, and mail is still stored and left in INBOX. It used to
// fail the session before SELECT, reconnect, and fail again, forever.
func TestIMAPMoveToRefusedIsReportedOnceAndIntakeContinues(t *testing.T) {
	ts := startIMAPTestServer(t, &mailtest.IMAPOptions{RefuseCreate: true})
	appendMessage(t, ts, "INBOX", testMessage(1, "a"))
	appendMessage(t, ts, "INBOX", testMessage(2, "b"))
	sink := newRecordingSink()
	cfg := imapTestConfig(ts.Addr())
	cfg.Processed = ProcessedMove
	cfg.MoveTo = "Processed"
	c := newTestClient(t, cfg, sink)
	var logs *logCapture
	c.logger, logs = captureLogger(t, slog.LevelDebug)
	startPreparedClient(t, c)

	mailtest.Eventually(t, "both mails stored", imapWaitTimeout, func() bool { return len(sink.Calls()) == 2 })
	st := c.Status()
	if !strings.Contains(st.ProcessedProblem, `cannot be moved to "Processed"`) || !strings.Contains(st.ProcessedProblem, "Permission denied") {
		t.Errorf("Status.ProcessedProblem = %q, want the refusal in words", st.ProcessedProblem)
	}

	// A reconnect must not repeat the message or turn into a loop.
	ts.DropConnections()
	mailtest.Eventually(t, "the second session", imapWaitTimeout, func() bool { return ts.Logins() == 2 && c.Status().Connected })
	appendMessage(t, ts, "INBOX", testMessage(3, "c"))
	mailtest.Eventually(t, "the mail after the reconnect", imapWaitTimeout, func() bool { return len(sink.Calls()) == 3 })
	if got := ts.Logins(); got != 2 {
		t.Errorf("%d logins, want 2 (one per connection, no retry loop)", got)
	}
	if got := logs.lines("level=ERROR", "processed mail cannot be moved"); len(got) != 1 {
		t.Errorf("%d error lines about the refusal, want exactly 1:\n%s", len(got), strings.Join(got, "\n"))
	}
	in := imapMailboxUIDsAndFlags(t, ts.Addr(), imapTestUser, imapTestPassword, "INBOX")
	if len(in) != 3 {
		t.Errorf("INBOX holds %d mails, want all 3 left in place", len(in))
	}
	if _, err := ts.User(imapTestUser).Status("Processed", &imap.StatusOptions{}); err == nil {
		t.Errorf("Processed exists although CREATE is refused")
	}
}
