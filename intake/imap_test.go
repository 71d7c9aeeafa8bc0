package intake

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"ticketd/internal/mailtest"
	"ticketd/internal/testcert"
	"ticketd/ticket"
	"time"

	"github.com/emersion/go-imap/v2"
)

// startClient runs a Client in the background and returns a function that
// stops it (idempotent; also registered as cleanup) and checks that Run
// returned context.Canceled.
func startClient(t *testing.T, cfg Config, sink Sink) (*Client, func()) {
	t.Helper()
	return startPreparedClient(t, newTestClient(t, cfg, sink))
}

// startPreparedClient is startClient for a Client the test has adjusted.
func startPreparedClient(t *testing.T, c *Client) (*Client, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run returned %v, want context.Canceled", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("Run did not return within 15s of cancel")
		}
	}
	t.Cleanup(stop)
	return c, stop
}

func hasFlag(flags []imap.Flag, f imap.Flag) bool { return slices.Contains(flags, f) }

func TestIMAPFetchesBacklogInUIDOrderAcrossBatches(t *testing.T) {
	ts := startIMAPTestServer(t, nil)
	const n = 2*fetchBatchMessages + 30 // three pipelined body batches
	var raws [][]byte
	for i := 1; i <= n; i++ {
		raw := testMessage(i, "printer on fire")
		raws = append(raws, raw)
		appendMessage(t, ts, "INBOX", raw)
	}
	sink := newRecordingSink()
	c, _ := startClient(t, imapTestConfig(ts.Addr()), sink)

	mailtest.Eventually(t, "backlog stored", imapWaitTimeout, func() bool { return len(sink.Calls()) >= n })
	calls := sink.Calls()
	if len(calls) != n {
		t.Fatalf("Store called %d times, want %d", len(calls), n)
	}
	for i, f := range calls {
		if f.UID != uint32(i+1) {
			t.Fatalf("call %d has UID %d, want %d (UID order)", i, f.UID, i+1)
		}
		if !bytes.Equal(f.Raw, raws[i]) {
			t.Fatalf("UID %d: raw bytes differ from appended message", f.UID)
		}
		if f.Mailbox != "INBOX" || f.UIDValidity == 0 || f.Size != int64(len(raws[i])) || f.Truncated || f.InternalDate.IsZero() {
			t.Fatalf("UID %d: unexpected metadata %+v", f.UID, ticket.Fetched{Mailbox: f.Mailbox, UIDValidity: f.UIDValidity, Size: f.Size, Truncated: f.Truncated, InternalDate: f.InternalDate})
		}
	}
	st := c.Status()
	if !st.Connected || !st.IdleSupported || st.LastFetch.IsZero() || st.LastConnect.IsZero() || st.AuthFailed {
		t.Errorf("Status = %+v, want connected with IDLE and a fetch time", st)
	}
	// Processed=leave with BODY.PEEK: nothing was marked seen.
	for uid, flags := range imapMailboxUIDsAndFlags(t, ts.Addr(), imapTestUser, imapTestPassword, "INBOX") {
		if hasFlag(flags, imap.FlagSeen) {
			t.Fatalf("UID %d is \\Seen after fetch with Processed=leave", uid)
		}
	}
}

func TestIMAPIdleDeliversNewMessageWithoutWaitingForPoll(t *testing.T) {
	ts := startIMAPTestServer(t, nil)
	appendMessage(t, ts, "INBOX", testMessage(1, "first"))
	sink := newRecordingSink()
	cfg := imapTestConfig(ts.Addr())
	cfg.PollInterval = time.Hour // only IDLE can deliver within the deadline
	startClient(t, cfg, sink)
	mailtest.Eventually(t, "backlog stored", imapWaitTimeout, func() bool { return len(sink.Calls()) == 1 })

	appendMessage(t, ts, "INBOX", testMessage(2, "second, while idling"))
	latency := mailtest.Eventually(t, "message appended during IDLE", imapWaitTimeout, func() bool { return len(sink.Calls()) == 2 })
	t.Logf("IDLE delivery latency: %v", latency)
	if got := sink.callUIDs(); !slices.Equal(got, []uint32{1, 2}) {
		t.Fatalf("stored UIDs %v, want [1 2]", got)
	}
}

func TestIMAPPollsWhenIdleUnavailable(t *testing.T) {
	ts := startIMAPTestServer(t, nil)
	sink := newRecordingSink()
	cfg := imapTestConfig(ts.Addr())
	cfg.PollInterval = 50 * time.Millisecond
	c := newTestClient(t, cfg, sink)
	c.noIdle = true // go-imap's server always offers IDLE
	startPreparedClient(t, c)
	mailtest.Eventually(t, "connected", imapWaitTimeout, func() bool { return c.Status().Connected })
	if c.Status().IdleSupported {
		t.Fatalf("IdleSupported = true for a server without IDLE")
	}
	appendMessage(t, ts, "INBOX", testMessage(1, "polled"))
	mailtest.Eventually(t, "message found by polling", imapWaitTimeout, func() bool { return len(sink.Calls()) == 1 })
}

func TestIMAPKickTriggersImmediateCheck(t *testing.T) {
	ts := startIMAPTestServer(t, nil)
	sink := newRecordingSink()
	cfg := imapTestConfig(ts.Addr())
	cfg.PollInterval = time.Hour
	c := newTestClient(t, cfg, sink)
	c.noIdle = true // Kick must also end a poll wait
	startPreparedClient(t, c)
	mailtest.Eventually(t, "first check done", imapWaitTimeout, func() bool { return !c.Status().LastFetch.IsZero() })
	appendMessage(t, ts, "INBOX", testMessage(1, "kicked"))
	c.Kick()
	mailtest.Eventually(t, "message found after Kick", imapWaitTimeout, func() bool { return len(sink.Calls()) == 1 })
}

func TestIMAPRestartFetchesOnlyMessagesAfterCheckpoint(t *testing.T) {
	ts := startIMAPTestServer(t, nil)
	for i := 1; i <= 3; i++ {
		appendMessage(t, ts, "INBOX", testMessage(i, "before restart"))
	}
	sink := newRecordingSink()
	_, stop := startClient(t, imapTestConfig(ts.Addr()), sink)
	mailtest.Eventually(t, "first run stores backlog", imapWaitTimeout, func() bool { return len(sink.Calls()) == 3 })
	stop()

	appendMessage(t, ts, "INBOX", testMessage(4, "during downtime"))
	appendMessage(t, ts, "INBOX", testMessage(5, "during downtime"))
	startClient(t, imapTestConfig(ts.Addr()), sink)
	mailtest.Eventually(t, "second run stores new mail", imapWaitTimeout, func() bool { return len(sink.Calls()) >= 5 })
	if got := sink.callUIDs(); !slices.Equal(got, []uint32{1, 2, 3, 4, 5}) {
		t.Fatalf("Store calls for UIDs %v, want [1 2 3 4 5] with no refetch", got)
	}
}

func TestIMAPUIDValidityChangeRefetchesWholeMailbox(t *testing.T) {
	ts := startIMAPTestServer(t, nil)
	m1, m2 := testMessage(1, "one"), testMessage(2, "two")
	appendMessage(t, ts, "INBOX", m1)
	appendMessage(t, ts, "INBOX", m2)
	sink := newRecordingSink()
	_, stop := startClient(t, imapTestConfig(ts.Addr()), sink)
	mailtest.Eventually(t, "first run", imapWaitTimeout, func() bool { return len(sink.Calls()) == 2 })
	stop()
	oldValidity := sink.Calls()[0].UIDValidity

	// A restored backup or a rebuilt index: same mail, new UIDVALIDITY.
	if err := ts.User(imapTestUser).Delete("INBOX"); err != nil {
		t.Fatal(err)
	}
	if err := ts.User(imapTestUser).Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	appendMessage(t, ts, "INBOX", m1)
	appendMessage(t, ts, "INBOX", m2)
	appendMessage(t, ts, "INBOX", testMessage(3, "three"))

	startClient(t, imapTestConfig(ts.Addr()), sink)
	mailtest.Eventually(t, "refetch after UIDVALIDITY change", imapWaitTimeout, func() bool { return len(sink.Calls()) == 5 })
	calls := sink.Calls()[2:]
	for i, f := range calls {
		if f.UIDValidity == oldValidity || f.UID != uint32(i+1) {
			t.Fatalf("refetch call %d = (uidvalidity %d, uid %d), want new uidvalidity (old %d) and uid %d",
				i, f.UIDValidity, f.UID, oldValidity, i+1)
		}
	}
	if got := sink.uniqueCount(); got != 3 {
		t.Errorf("sink holds %d distinct messages, want 3 (it dedups the refetched two)", got)
	}
}

func TestIMAPProcessedSeenMarksStoredMessages(t *testing.T) {
	ts := startIMAPTestServer(t, nil)
	appendMessage(t, ts, "INBOX", testMessage(1, "a"))
	appendMessage(t, ts, "INBOX", testMessage(2, "b"))
	sink := newRecordingSink()
	cfg := imapTestConfig(ts.Addr())
	cfg.Processed = ProcessedSeen
	startClient(t, cfg, sink)
	mailtest.Eventually(t, "both marked seen", imapWaitTimeout, func() bool {
		if len(sink.Calls()) < 2 {
			return false
		}
		flags := imapMailboxUIDsAndFlags(t, ts.Addr(), imapTestUser, imapTestPassword, "INBOX")
		return len(flags) == 2 && hasFlag(flags[1], imap.FlagSeen) && hasFlag(flags[2], imap.FlagSeen)
	})
}

func TestIMAPProcessedMoveMovesToCreatedFolder(t *testing.T) {
	for _, tc := range []struct {
		name string
		caps imap.CapSet
	}{
		{"with MOVE", nil},
		{"COPY and UID EXPUNGE fallback", imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIdle: {}, imap.CapUIDPlus: {}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startIMAPTestServer(t, &mailtest.IMAPOptions{Caps: tc.caps})
			appendMessage(t, ts, "INBOX", testMessage(1, "a"))
			appendMessage(t, ts, "INBOX", testMessage(2, "b"))
			sink := newRecordingSink()
			cfg := imapTestConfig(ts.Addr())
			cfg.Processed = ProcessedMove
			cfg.MoveTo = "Processed"
			startClient(t, cfg, sink)

			moved := func(want int) func() bool {
				return func() bool {
					if _, err := ts.User(imapTestUser).Status("Processed", &imap.StatusOptions{}); err != nil {
						return false
					}
					in := imapMailboxUIDsAndFlags(t, ts.Addr(), imapTestUser, imapTestPassword, "INBOX")
					out := imapMailboxUIDsAndFlags(t, ts.Addr(), imapTestUser, imapTestPassword, "Processed")
					return len(in) == 0 && len(out) == want
				}
			}
			mailtest.Eventually(t, "backlog moved to Processed", imapWaitTimeout, moved(2))
			appendMessage(t, ts, "INBOX", testMessage(3, "c"))
			mailtest.Eventually(t, "new mail moved to Processed", imapWaitTimeout, moved(3))
			if got := sink.callUIDs(); !slices.Equal(got, []uint32{1, 2, 3}) {
				t.Fatalf("stored UIDs %v, want [1 2 3]", got)
			}
		})
	}
}

func TestIMAPSinkErrorLeavesMessageUnmarkedAndRetries(t *testing.T) {
	ts := startIMAPTestServer(t, nil)
	for i := 1; i <= 3; i++ {
		appendMessage(t, ts, "INBOX", testMessage(i, "x"))
	}
	sink := newRecordingSink()
	sink.setFail(func(f ticket.Fetched) error {
		if f.UID == 2 {
			return errors.New("database is locked")
		}
		return nil
	})
	cfg := imapTestConfig(ts.Addr())
	cfg.Processed = ProcessedSeen
	c, _ := startClient(t, cfg, sink)

	mailtest.Eventually(t, "UID 2 retried after a failed Store", imapWaitTimeout, func() bool { return sink.failureCount() >= 3 })
	if got := sink.callUIDs(); !slices.Equal(got, []uint32{1}) {
		t.Fatalf("stored UIDs %v while UID 2 fails, want [1] (nothing past the failure)", got)
	}
	if st := c.Status(); !strings.Contains(st.LastError, "database is locked") {
		t.Errorf("Status.LastError = %q, want the Store error", st.LastError)
	}
	flags := imapMailboxUIDsAndFlags(t, ts.Addr(), imapTestUser, imapTestPassword, "INBOX")
	if !hasFlag(flags[1], imap.FlagSeen) || hasFlag(flags[2], imap.FlagSeen) || hasFlag(flags[3], imap.FlagSeen) {
		t.Fatalf("flags %v: want only UID 1 \\Seen while UID 2 cannot be stored", flags)
	}

	sink.setFail(nil)
	c.Kick()
	mailtest.Eventually(t, "UID 2 and 3 stored once the database recovers", imapWaitTimeout, func() bool { return len(sink.Calls()) == 3 })
	if got := sink.callUIDs(); !slices.Equal(got, []uint32{1, 2, 3}) {
		t.Fatalf("stored UIDs %v, want [1 2 3]", got)
	}
	mailtest.Eventually(t, "all marked seen", imapWaitTimeout, func() bool {
		flags := imapMailboxUIDsAndFlags(t, ts.Addr(), imapTestUser, imapTestPassword, "INBOX")
		return hasFlag(flags[2], imap.FlagSeen) && hasFlag(flags[3], imap.FlagSeen)
	})
}

func TestIMAPReconnectsAfterServerDropsConnection(t *testing.T) {
	ts := startIMAPTestServer(t, nil)
	appendMessage(t, ts, "INBOX", testMessage(1, "before drop"))
	sink := newRecordingSink()
	cfg := imapTestConfig(ts.Addr())
	cfg.PollInterval = time.Hour
	c, _ := startClient(t, cfg, sink)
	mailtest.Eventually(t, "first message", imapWaitTimeout, func() bool { return len(sink.Calls()) == 1 })

	ts.DropConnections()
	mailtest.Eventually(t, "second login after the drop", imapWaitTimeout, func() bool { return ts.Logins() >= 2 && c.Status().Connected })
	appendMessage(t, ts, "INBOX", testMessage(2, "after reconnect"))
	mailtest.Eventually(t, "message after reconnect", imapWaitTimeout, func() bool { return len(sink.Calls()) == 2 })
	if got := sink.callUIDs(); !slices.Equal(got, []uint32{1, 2}) {
		t.Fatalf("stored UIDs %v, want [1 2]", got)
	}
}

func TestIMAPWrongPasswordSetsAuthFailedUntilFixed(t *testing.T) {
	ts := startIMAPTestServer(t, nil)
	appendMessage(t, ts, "INBOX", testMessage(1, "x"))
	var password atomic.Value
	password.Store("wrong")
	sink := newRecordingSink()
	cfg := imapTestConfig(ts.Addr())
	cfg.Password = func(context.Context) (string, error) { return password.Load().(string), nil }
	c, _ := startClient(t, cfg, sink)

	mailtest.Eventually(t, "AuthFailed", imapWaitTimeout, func() bool { return c.Status().AuthFailed })
	st := c.Status()
	if st.Connected || !strings.Contains(st.LastError, "authentication failed") {
		t.Errorf("Status = %+v, want disconnected with an authentication error", st)
	}
	if len(sink.Calls()) != 0 {
		t.Fatalf("messages stored without a login")
	}

	password.Store(imapTestPassword)
	mailtest.Eventually(t, "login with the fixed password", imapWaitTimeout, func() bool { return len(sink.Calls()) == 1 })
	if c.Status().AuthFailed {
		t.Errorf("AuthFailed still set after a successful login")
	}
}

func TestIMAPOversizedMessageIsFetchedTruncated(t *testing.T) {
	ts := startIMAPTestServer(t, nil)
	big := testMessage(1, strings.Repeat("0123456789abcdef", 400)) // ~6.5 kB
	small := testMessage(2, "small")
	appendMessage(t, ts, "INBOX", big)
	appendMessage(t, ts, "INBOX", small)
	sink := newRecordingSink()
	cfg := imapTestConfig(ts.Addr())
	cfg.MaxMessageBytes = 1024
	startClient(t, cfg, sink)
	mailtest.Eventually(t, "both stored", imapWaitTimeout, func() bool { return len(sink.Calls()) == 2 })

	got := sink.Calls()
	if f := got[0]; !f.Truncated || f.Size != int64(len(big)) || !bytes.Equal(f.Raw, big[:1024]) {
		t.Errorf("big message: Truncated=%v Size=%d len(Raw)=%d, want truncated to the first 1024 of %d bytes",
			f.Truncated, f.Size, len(f.Raw), len(big))
	}
	if f := got[1]; f.Truncated || !bytes.Equal(f.Raw, small) {
		t.Errorf("small message: Truncated=%v len(Raw)=%d, want complete", f.Truncated, len(f.Raw))
	}
}

func TestIMAPOAuthMechanisms(t *testing.T) {
	for _, mech := range []string{AuthXOAUTH2, AuthOAuthBearer} {
		t.Run(mech+"/valid token logs in", func(t *testing.T) {
			ts := startIMAPTestServer(t, nil)
			appendMessage(t, ts, "INBOX", testMessage(1, "x"))
			sink := newRecordingSink()
			cfg := imapTestConfig(ts.Addr())
			cfg.Auth = mech
			cfg.Password = func(context.Context) (string, error) { return imapTestToken, nil }
			startClient(t, cfg, sink)
			mailtest.Eventually(t, "message fetched after OAuth login", imapWaitTimeout, func() bool { return len(sink.Calls()) == 1 })
		})
		t.Run(mech+"/expired token sets AuthFailed", func(t *testing.T) {
			ts := startIMAPTestServer(t, nil)
			cfg := imapTestConfig(ts.Addr())
			cfg.Auth = mech
			cfg.Password = func(context.Context) (string, error) { return "expired", nil }
			c, _ := startClient(t, cfg, newRecordingSink())
			mailtest.Eventually(t, "AuthFailed", imapWaitTimeout, func() bool { return c.Status().AuthFailed })
			if ts.Logins() != 0 {
				t.Errorf("server accepted an expired token")
			}
		})
	}
}

func TestXOAUTH2InitialResponseFormat(t *testing.T) {
	mech, ir, err := newXOAUTH2Client("someone@example.test", "tok").Start()
	if err != nil {
		t.Fatal(err)
	}
	if want := "user=someone@example.test\x01auth=Bearer tok\x01\x01"; mech != "XOAUTH2" || string(ir) != want {
		t.Fatalf("Start() = %q, %q; want XOAUTH2, %q", mech, ir, want)
	}
}

func TestBackoffIsCappedExponentialWithJitter(t *testing.T) {
	lo, hi := time.Second, 5*time.Minute
	for n, base := range map[int]time.Duration{0: time.Second, 1: 2 * time.Second, 3: 8 * time.Second, 9: hi, 100: hi} {
		for range 50 {
			if d := backoff(lo, hi, n); d < base/2 || d > base {
				t.Fatalf("backoff(n=%d) = %v, want within [%v, %v]", n, d, base/2, base)
			}
		}
	}
}

func TestNewClientRejectsInvalidConfig(t *testing.T) {
	valid := imapTestConfig("127.0.0.1:143")
	for name, tc := range map[string]struct {
		mutate func(*Config)
		want   string
	}{
		"missing address":     {func(c *Config) { c.Address = "" }, "address: required"},
		"address not a port":  {func(c *Config) { c.Address = "mail.example.test" }, "address:"},
		"unknown security":    {func(c *Config) { c.Security = "ssl" }, "security:"},
		"no password":         {func(c *Config) { c.Password = nil }, "Password"},
		"unknown auth":        {func(c *Config) { c.Auth = "cram-md5" }, "auth:"},
		"move without folder": {func(c *Config) { c.Processed = ProcessedMove }, "move_to:"},
		"move to itself":      {func(c *Config) { c.Processed, c.MoveTo = ProcessedMove, "INBOX" }, "move_to:"},
		"unknown processed":   {func(c *Config) { c.Processed = "delete" }, "processed:"},
		"backoff inverted":    {func(c *Config) { c.BackoffMin, c.BackoffMax = time.Minute, time.Second }, "backoff:"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := valid
			tc.mutate(&cfg)
			_, err := NewClient(cfg, newRecordingSink(), nil, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewClient error = %v, want one naming %s", err, tc.want)
			}
		})
	}
	if _, err := NewClient(valid, newRecordingSink(), nil, nil); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
}

// A crash between storing a mail and marking it left it unmarked while the
// checkpoint moved past it: the next session finishes the job without
// fetching it again.
func TestIMAPProcessedIsReappliedToStoredMailAfterACrash(t *testing.T) {
	ts := startIMAPTestServer(t, nil)
	appendMessage(t, ts, "INBOX", testMessage(1, "a"))
	appendMessage(t, ts, "INBOX", testMessage(2, "b"))
	st, err := ts.User(imapTestUser).Status("INBOX", &imap.StatusOptions{UIDValidity: true})
	if err != nil {
		t.Fatal(err)
	}
	sink := newRecordingSink()
	sink.cps["INBOX"] = ticket.Checkpoint{UIDValidity: st.UIDValidity, LastUID: 2} // stored before the crash
	appendMessage(t, ts, "INBOX", testMessage(3, "c"))
	cfg := imapTestConfig(ts.Addr())
	cfg.Processed = ProcessedSeen
	startClient(t, cfg, sink)
	mailtest.Eventually(t, "all three marked seen", imapWaitTimeout, func() bool {
		flags := imapMailboxUIDsAndFlags(t, ts.Addr(), imapTestUser, imapTestPassword, "INBOX")
		return len(flags) == 3 && hasFlag(flags[1], imap.FlagSeen) && hasFlag(flags[2], imap.FlagSeen) && hasFlag(flags[3], imap.FlagSeen)
	})
	if got := sink.callUIDs(); !slices.Equal(got, []uint32{3}) {
		t.Fatalf("fetched and stored UIDs %v, want only [3]", got)
	}
}

// TLS certificates are verified by default: a server whose certificate no
// trusted CA signed is refused, and accepted once its CA is configured.
func TestIMAPTLSVerifiesTheServerCertificate(t *testing.T) {
	cert, pool := testcert.SelfSigned(t)
	for _, tc := range []struct {
		name     string
		opt      *mailtest.IMAPOptions
		security string
	}{
		{"implicit TLS", &mailtest.IMAPOptions{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}}, SecurityTLS},
		{"STARTTLS", &mailtest.IMAPOptions{StartTLS: &tls.Config{Certificates: []tls.Certificate{cert}}}, SecurityStartTLS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startIMAPTestServer(t, tc.opt)
			appendMessage(t, ts, "INBOX", testMessage(1, "a"))

			untrusted := imapTestConfig(ts.Addr())
			untrusted.Security = tc.security
			sink := newRecordingSink()
			c, _ := startClient(t, untrusted, sink)
			mailtest.Eventually(t, "a certificate error", imapWaitTimeout, func() bool { return strings.Contains(c.Status().LastError, "certificate") })
			if len(sink.Calls()) != 0 || c.Status().Connected {
				t.Fatal("a server with an untrusted certificate was used")
			}

			trusted := imapTestConfig(ts.Addr())
			trusted.Security = tc.security
			trusted.TLSConfig = &tls.Config{RootCAs: pool}
			sink = newRecordingSink()
			startClient(t, trusted, sink)
			mailtest.Eventually(t, "the mail over TLS", imapWaitTimeout, func() bool { return len(sink.Calls()) == 1 })
		})
	}
}
