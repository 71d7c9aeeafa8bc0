package intake

import (
	"fmt"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"ticketd/internal/mailtest"
)

// imapWaitProgress waits until count() reaches want. It fails when count()
// stops moving for stall (a hang, not slowness) or when deadline passes, and
// returns how long it took.
func imapWaitProgress(t testing.TB, what string, count func() int, want int, stall, deadline time.Duration) time.Duration {
	t.Helper()
	n, last, lastChange := 0, -1, time.Now()
	return mailtest.Eventually(t, what, deadline, func() bool {
		if n = count(); n >= want {
			return true
		}
		if now := time.Now(); n != last {
			last, lastChange = n, now
		} else if now.Sub(lastChange) > stall {
			t.Fatalf("%s: stuck at %d of %d for %v", what, n, want, stall)
		}
		return false
	}, func() string { return fmt.Sprintf("%d of %d", n, want) })
}

// A backlog of many batches after an outage is the normal case: every
// processed mode must get through it, each mail stored once and in UID
// order, and seen/move applied to all of them. (Seen and move used to
// deadlock after the first batch: the next batch's FETCH was in flight,
// unread, while the STORE or MOVE waited for its answer.)
func TestIMAPBacklogOf10000WithEveryProcessedMode(t *testing.T) {
	const n = 10000
	for _, mode := range []string{ProcessedLeave, ProcessedSeen, ProcessedMove} {
		t.Run(mode, func(t *testing.T) {
			ts := startIMAPTestServer(t, nil)
			for i := 1; i <= n; i++ {
				appendMessage(t, ts, "INBOX", testMessage(i, "backlog"))
			}
			sink := newRecordingSink()
			cfg := imapTestConfig(ts.Addr())
			cfg.Processed = mode
			if mode == ProcessedMove {
				cfg.MoveTo = "Processed"
			}
			c := newTestClient(t, cfg, sink)
			c.logger = quietLogger(t) // 10,000 "message stored" lines drown the test log
			startPreparedClient(t, c)

			took := imapWaitProgress(t, "backlog stored", func() int { return len(sink.Calls()) }, n, 10*time.Second, 2*time.Minute)
			t.Logf("%d mails stored with processed=%s in %v", n, mode, took)
			uids := sink.callUIDs()
			if len(uids) != n {
				t.Fatalf("Store called %d times, want %d", len(uids), n)
			}
			for i, uid := range uids {
				if uid != uint32(i+1) {
					t.Fatalf("Store call %d has UID %d, want %d", i, uid, i+1)
				}
			}
			done := func() int {
				in := imapMailboxUIDsAndFlags(t, ts.Addr(), imapTestUser, imapTestPassword, "INBOX")
				switch mode {
				case ProcessedSeen:
					seen := 0
					for _, flags := range in {
						if hasFlag(flags, imap.FlagSeen) {
							seen++
						}
					}
					return seen
				case ProcessedMove:
					if _, err := ts.User(imapTestUser).Status("Processed", &imap.StatusOptions{}); err != nil {
						return 0
					}
					return len(imapMailboxUIDsAndFlags(t, ts.Addr(), imapTestUser, imapTestPassword, "Processed"))
				}
				return n
			}
			imapWaitProgress(t, fmt.Sprintf("processed=%s applied", mode), done, n, 10*time.Second, time.Minute)
			in := imapMailboxUIDsAndFlags(t, ts.Addr(), imapTestUser, imapTestPassword, "INBOX")
			switch mode {
			case ProcessedMove:
				if len(in) != 0 {
					t.Errorf("%d mails left in INBOX after move", len(in))
				}
			case ProcessedLeave:
				for uid, flags := range in {
					if hasFlag(flags, imap.FlagSeen) {
						t.Fatalf("UID %d \\Seen with processed=leave", uid)
					}
				}
			}
		})
	}
}
