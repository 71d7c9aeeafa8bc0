package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"ticketd/internal/mailstack"
	"ticketd/internal/mailtest"
)

// TestRunExternal_dovecotDaemonProcessAndNonEmptyMailbox runs the bench
// against a real Dovecot (skipped when it is not installed) whose mailbox
// already holds mail: the run says so, and the RSS figure is the daemon
// process's, not the bench's.
func TestRunExternal_dovecotDaemonProcessAndNonEmptyMailbox(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Dovecot and builds ticketd")
	}
	const user, pass = "support@example.com", "secret"
	dc := mailstack.StartDovecot(t, mailstack.User{Name: user, Password: pass})
	relay := mailtest.StartSMTP(t, nil)
	for _, id := range []string{"old1", "old2"} {
		if err := dc.Deliver(user, []byte("From: someone@elsewhere.example\r\nTo: "+user+"\r\nSubject: earlier\r\nMessage-ID: <"+id+"@elsewhere.example>\r\n\r\nleft over\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(t.TempDir(), "ticketd")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/ticketd").CombinedOutput(); err != nil {
		t.Fatalf("build ticketd: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{Messages: 10, Rate: 5, Duration: time.Second, Seed: 5, IMAP: dc.IMAPAddr, IMAPUser: user, IMAPPassword: pass,
		SMTP: relay.Addr(), DaemonBinary: bin, Progress: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	if res.MailboxPreexisting != 2 {
		t.Errorf("mailbox held %d mails before the run by the bench's count, want 2", res.MailboxPreexisting)
	}
	self, _ := procStatusMB("VmHWM")
	if res.DaemonPeakRSSMB <= 0 || res.PeakRSSMB != res.DaemonPeakRSSMB {
		t.Errorf("peak RSS %.1f MB, daemon process %.1f MB (bench process %.1f MB): want the daemon's", res.PeakRSSMB, res.DaemonPeakRSSMB, self)
	}
	t.Logf("backlog %.0f mails/s, ack p50 %s, daemon peak RSS %.0f MB, bench process %.0f MB", res.MessagesPerSecond, res.AckLatencyP50, res.DaemonPeakRSSMB, self)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	if testing.Verbose() {
		os.Stderr.Write(p)
	}
	return len(p), nil
}
