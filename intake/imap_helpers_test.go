package intake

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"ticketd/internal/mailtest"
	"ticketd/ticket"
)

const (
	imapTestUser     = "support@example.test"
	imapTestPassword = "s3cret"
	imapTestToken    = "ya29.test-token"
	imapWaitTimeout  = 5 * time.Second // for mailtest.Eventually
)

// recordingSink is an in-memory Sink that dedups like the real store: by
// (mailbox, uidvalidity, uid) and by content hash.
type recordingSink struct {
	mu       sync.Mutex
	cps      map[string]ticket.Checkpoint
	calls    []ticket.Fetched // every Store call that returned nil, duplicates included
	unique   []ticket.Fetched // messages actually stored
	byKey    map[string]bool
	byHash   map[[32]byte]bool
	failures int
	fail     func(f ticket.Fetched) error // if set and non-nil result, Store fails
}

func newRecordingSink() *recordingSink {
	return &recordingSink{cps: map[string]ticket.Checkpoint{}, byKey: map[string]bool{}, byHash: map[[32]byte]bool{}}
}

func (s *recordingSink) Checkpoint(ctx context.Context, inbox, mailbox string) (ticket.Checkpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cps[mailbox], nil
}

func (s *recordingSink) Store(ctx context.Context, f ticket.Fetched) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		if err := s.fail(f); err != nil {
			s.failures++
			return false, err
		}
	}
	s.calls = append(s.calls, f)
	key := fmt.Sprintf("%s/%d/%d", f.Mailbox, f.UIDValidity, f.UID)
	hash := sha256.Sum256(f.Raw)
	dup := s.byKey[key] || s.byHash[hash]
	if !dup {
		s.unique = append(s.unique, f)
	}
	s.byKey[key], s.byHash[hash] = true, true
	s.cps[f.Mailbox] = ticket.Checkpoint{UIDValidity: f.UIDValidity, LastUID: f.UID}
	return dup, nil
}

func (s *recordingSink) setFail(fail func(ticket.Fetched) error) {
	s.mu.Lock()
	s.fail = fail
	s.mu.Unlock()
}

func (s *recordingSink) failureCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failures
}

// Calls returns a copy of every successful Store call.
func (s *recordingSink) Calls() []ticket.Fetched {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func (s *recordingSink) uniqueCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.unique)
}

// callUIDs returns the UIDs of all successful Store calls, in call order.
func (s *recordingSink) callUIDs() []uint32 {
	var uids []uint32
	for _, f := range s.Calls() {
		uids = append(uids, f.UID)
	}
	return uids
}

// startIMAPTestServer starts mailtest's IMAP server with the test user,
// who logs in with imapTestPassword or the bearer token imapTestToken.
func startIMAPTestServer(t testing.TB, opt *mailtest.IMAPOptions) *mailtest.IMAPServer {
	t.Helper()
	ts := mailtest.StartIMAP(t, opt)
	if err := ts.AddUser(imapTestUser, imapTestPassword); err != nil {
		t.Fatal(err)
	}
	if err := ts.SetToken(imapTestUser, imapTestToken); err != nil {
		t.Fatal(err)
	}
	return ts
}

// appendMessage adds raw to the test user's mailbox.
func appendMessage(t testing.TB, ts *mailtest.IMAPServer, mailbox string, raw []byte) {
	t.Helper()
	if err := ts.Append(imapTestUser, mailbox, raw); err != nil {
		t.Fatalf("append to %s: %v", mailbox, err)
	}
}

// inspect runs f with a separate client logged in to the server (or any
// server at addr), for looking at flags and mailboxes from outside.
func imapInspect(t testing.TB, addr, user, password string, f func(c *imapclient.Client)) {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatalf("inspect: dial: %v", err)
	}
	defer c.Close()
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatalf("inspect: login: %v", err)
	}
	f(c)
	c.Logout().Wait()
}

// imapMailboxUIDsAndFlags lists (UID, flags) of every message in mailbox.
func imapMailboxUIDsAndFlags(t testing.TB, addr, user, password, mailbox string) map[uint32][]imap.Flag {
	t.Helper()
	out := map[uint32][]imap.Flag{}
	imapInspect(t, addr, user, password, func(c *imapclient.Client) {
		sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil {
			t.Fatalf("inspect: select %s: %v", mailbox, err)
		}
		if sel.NumMessages == 0 {
			return
		}
		var all imap.SeqSet
		all.AddRange(1, 0)
		bufs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true}).Collect()
		if err != nil {
			t.Fatalf("inspect: fetch flags in %s: %v", mailbox, err)
		}
		for _, b := range bufs {
			out[uint32(b.UID)] = b.Flags
		}
	})
	return out
}

// testMessage returns a small RFC 5322 message with a unique Message-ID.
func testMessage(n int, body string) []byte {
	return []byte(fmt.Sprintf("From: customer%d@example.org\r\nTo: %s\r\nSubject: Help %d\r\n"+
		"Message-ID: <m%d@example.org>\r\nDate: Mon, 02 Jan 2026 10:00:00 +0000\r\n\r\n%s\r\n",
		n, imapTestUser, n, n, body))
}

// imapTestConfig is a Config for the test server with fast backoff.
func imapTestConfig(addr string) Config {
	return Config{
		Address:      addr,
		Security:     SecurityNone,
		Username:     imapTestUser,
		Password:     func(context.Context) (string, error) { return imapTestPassword, nil },
		PollInterval: time.Minute, // long: tests must not pass by polling
		BackoffMin:   10 * time.Millisecond,
		BackoffMax:   100 * time.Millisecond,
	}
}

// newTestClient builds a Client logging to the test log.
func newTestClient(t testing.TB, cfg Config, sink Sink) *Client {
	t.Helper()
	c, err := NewClient(cfg, sink, ticket.SystemClock{}, slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

type testLogWriter struct{ t testing.TB }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var _ io.Writer = testLogWriter{}

// quietLogger logs warnings and errors only, to the test log.
func quietLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// logCapture is a logger that writes to the test log and keeps the text for
// the test to inspect.
type logCapture struct {
	t   testing.TB
	mu  sync.Mutex
	buf strings.Builder
}

func captureLogger(t testing.TB, level slog.Level) (*slog.Logger, *logCapture) {
	lc := &logCapture{t: t}
	return slog.New(slog.NewTextHandler(lc, &slog.HandlerOptions{Level: level})), lc
}

func (lc *logCapture) Write(p []byte) (int, error) {
	lc.mu.Lock()
	lc.buf.Write(p)
	lc.mu.Unlock()
	lc.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// lines returns the logged lines that contain every one of subs.
func (lc *logCapture) lines(subs ...string) []string {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	var out []string
	for _, line := range strings.Split(lc.buf.String(), "\n") {
		ok := line != ""
		for _, sub := range subs {
			ok = ok && strings.Contains(line, sub)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}
