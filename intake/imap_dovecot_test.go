package intake

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"ticketd/internal/mailstack"
	"ticketd/internal/mailtest"
)

// TestIMAPDovecotIdle runs the client against a real Dovecot: mail delivered
// over LMTP arrives through IDLE, Processed=move moves it, and after a
// Dovecot restart the client reconnects and picks up mail that arrived during
// the outage. Skipped without Dovecot unless TICKETD_REQUIRE_MAILSTACK=1.
func TestIMAPDovecotIdle(t *testing.T) {
	d := mailstack.StartDovecot(t, mailstack.User{Name: imapTestUser, Password: imapTestPassword})
	if err := d.Deliver(imapTestUser, testMessage(1, "backlog")); err != nil {
		t.Fatalf("deliver: %v\n%s", err, d.Log())
	}

	sink := newRecordingSink()
	cfg := imapTestConfig(d.IMAPAddr)
	cfg.PollInterval = time.Hour // only IDLE may deliver within the deadlines
	cfg.Processed = ProcessedMove
	cfg.MoveTo = "Processed"
	c, _ := startClient(t, cfg, sink)

	moved := func(want int) func() bool {
		return func() bool {
			in := imapMailboxUIDsAndFlags(t, d.IMAPAddr, imapTestUser, imapTestPassword, "INBOX")
			out := imapMailboxUIDsAndFlags(t, d.IMAPAddr, imapTestUser, imapTestPassword, "Processed")
			return len(in) == 0 && len(out) == want
		}
	}
	mailtest.Eventually(t, "backlog stored", imapWaitTimeout, func() bool { return len(sink.Calls()) == 1 })
	mailtest.Eventually(t, "backlog moved", imapWaitTimeout, moved(1))
	if !c.Status().IdleSupported {
		t.Fatalf("Dovecot should offer IDLE")
	}

	if err := d.Deliver(imapTestUser, testMessage(2, "live")); err != nil {
		t.Fatalf("deliver: %v", err)
	}
	latency := mailtest.Eventually(t, "LMTP delivery seen through IDLE", imapWaitTimeout, func() bool { return len(sink.Calls()) == 2 })
	t.Logf("LMTP delivery → Sink.Store latency via IDLE: %v", latency)
	mailtest.Eventually(t, "live message moved", imapWaitTimeout, moved(2))

	d.Stop()
	mailtest.Eventually(t, "client notices the outage", imapWaitTimeout, func() bool { return !c.Status().Connected })
	if err := d.DeliverToMaildir(imapTestUser, testMessage(3, "arrived during outage")); err != nil {
		t.Fatal(err)
	}
	d.Restart()
	latency = mailtest.Eventually(t, "mail from the outage fetched after reconnect", imapWaitTimeout, func() bool { return len(sink.Calls()) == 3 })
	t.Logf("restart → Sink.Store latency: %v", latency)
	mailtest.Eventually(t, "outage message moved", imapWaitTimeout, moved(3))

	calls := sink.Calls()
	if !strings.Contains(string(calls[2].Raw), "arrived during outage") {
		t.Errorf("third stored message is %q, want the one from the outage", calls[2].Raw)
	}
	var uids []uint32
	for _, f := range calls {
		uids = append(uids, f.UID)
	}
	if !slices.IsSorted(uids) || calls[0].UIDValidity != calls[2].UIDValidity {
		t.Errorf("stored (uidvalidity, uid) = %v / %d..%d, want increasing UIDs under one UIDVALIDITY",
			uids, calls[0].UIDValidity, calls[2].UIDValidity)
	}
	if st := c.Status(); !st.Connected || st.AuthFailed {
		t.Errorf("Status after recovery = %+v, want connected", st)
	}
}

// TestIMAPDovecotBacklogOf10000 is the outage case against a real server:
// 10,000 mails wait when ticketd starts, with processed = seen and move.
// Every mail must be stored once, in UID order, and marked or moved.
// Skipped without Dovecot unless TICKETD_REQUIRE_MAILSTACK=1.
func TestIMAPDovecotBacklogOf10000(t *testing.T) {
	const n = 10000
	for _, mode := range []string{ProcessedSeen, ProcessedMove} {
		t.Run(mode, func(t *testing.T) {
			d := mailstack.StartDovecot(t, mailstack.User{Name: imapTestUser, Password: imapTestPassword})
			raws := make([][]byte, n)
			for i := range raws {
				raws[i] = testMessage(i+1, "backlog after an outage")
			}
			start := time.Now()
			if err := d.DeliverMany(imapTestUser, raws, 4); err != nil {
				t.Fatalf("deliver: %v\n%s", err, d.Log())
			}
			t.Logf("delivered %d mails over LMTP in %v", n, time.Since(start))

			sink := newRecordingSink()
			cfg := imapTestConfig(d.IMAPAddr)
			cfg.Processed = mode
			cfg.MoveTo = "Processed"
			c := newTestClient(t, cfg, sink)
			c.logger = quietLogger(t)
			clientStart := time.Now()
			startPreparedClient(t, c)
			took := imapWaitProgress(t, "backlog stored", func() int { return len(sink.Calls()) }, n, 20*time.Second, 3*time.Minute)

			status := func(mailbox, item string) int {
				out, err := d.Doveadm("-f", "flow", "mailbox", "status", "-u", imapTestUser, item, mailbox)
				if err != nil {
					return -1
				}
				_, v, _ := strings.Cut(out, item+"=")
				n, _ := strconv.Atoi(strings.TrimSpace(v))
				return n
			}
			done := func() int {
				if mode == ProcessedMove {
					return status("Processed", "messages")
				}
				return n - status("INBOX", "unseen")
			}
			imapWaitProgress(t, "processed = "+mode+" applied", done, n, 20*time.Second, time.Minute)
			t.Logf("processed = %s: %d mails stored in %v, processed = %s applied to all after %v", mode, n, took, mode, time.Since(clientStart))

			uids := sink.callUIDs()
			if len(uids) != n || !slices.IsSorted(uids) || sink.uniqueCount() != n {
				t.Fatalf("%d Store calls, %d distinct mails, sorted %v; want %d, each once, in UID order", len(uids), sink.uniqueCount(), slices.IsSorted(uids), n)
			}
			if mode == ProcessedMove {
				if left := status("INBOX", "messages"); left != 0 {
					t.Errorf("%d mails left in INBOX after move", left)
				}
			}
		})
	}
}

// TestIMAPDovecotMoveToInServerNamespace: move_to = "Processed" failed on
// Cyrus (INBOX/ namespace) and Courier (INBOX.) because those servers
// have no mailboxes outside the personal namespace. Dovecot configured with
// the same layouts stands in for them.
func TestIMAPDovecotMoveToInServerNamespace(t *testing.T) {
	for _, tc := range []struct {
		name, prefix, sep, moveTo, want string
	}{
		{"Courier_INBOX.", "INBOX.", ".", "Processed", "INBOX.Processed"},
		{"Cyrus_INBOX/_nested", "INBOX/", "/", "Done/Tickets", "INBOX/Done/Tickets"},
		{"already_prefixed", "INBOX.", ".", "INBOX.Processed", "INBOX.Processed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mailstack.StartDovecotWithOptions(t, mailstack.DovecotOptions{NamespacePrefix: tc.prefix, NamespaceSeparator: tc.sep},
				mailstack.User{Name: imapTestUser, Password: imapTestPassword})
			for i := 1; i <= 2; i++ {
				if err := d.Deliver(imapTestUser, testMessage(i, "to be moved")); err != nil {
					t.Fatalf("deliver: %v\n%s", err, d.Log())
				}
			}
			sink := newRecordingSink()
			cfg := imapTestConfig(d.IMAPAddr)
			cfg.Processed = ProcessedMove
			cfg.MoveTo = tc.moveTo
			c, _ := startClient(t, cfg, sink)
			count := func(mailbox string) int {
				out, err := d.Doveadm("-f", "flow", "mailbox", "status", "-u", imapTestUser, "messages", mailbox)
				if err != nil {
					return -1
				}
				_, v, _ := strings.Cut(out, "messages=")
				n, _ := strconv.Atoi(strings.TrimSpace(v))
				return n
			}
			mailtest.Eventually(t, "both mails moved to "+tc.want, imapWaitTimeout, func() bool {
				return len(sink.Calls()) == 2 && count(tc.want) == 2 && count("INBOX") == 0
			})
			if p := c.Status().ProcessedProblem; p != "" {
				t.Errorf("Status.ProcessedProblem = %q", p)
			}
		})
	}
}
