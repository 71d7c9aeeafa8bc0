package intake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"

	"ticketd/ticket"
)

const (
	imapTestUser     = "support@example.test"
	imapTestPassword = "s3cret"
	imapTestToken    = "ya29.test-token"
	imapWaitTimeout  = 5 * time.Second
)

// imapWaitFor polls cond until it holds or imapWaitTimeout passes, and returns
// how long it took. It fails the test with what on timeout.
func imapWaitFor(t testing.TB, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(imapWaitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", imapWaitTimeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

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

func (s *recordingSink) Checkpoint(ctx context.Context, mailbox string) (ticket.Checkpoint, error) {
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

// imapTestServer is go-imap's in-memory server on a real loopback socket,
// with a session that also speaks XOAUTH2 and OAUTHBEARER, and a listener
// that can drop every open connection.
type imapTestServer struct {
	t    testing.TB
	addr string
	user *imapmemserver.User
	srv  *imapserver.Server
	opt  imapServerOptions

	mu     sync.Mutex
	conns  []net.Conn
	logins int
}

type imapServerOptions struct {
	caps imap.CapSet // default: IMAP4rev1 IDLE MOVE UIDPLUS SASL-IR
	// tls serves implicit TLS (imaps) with this config; starttls offers
	// STARTTLS with it instead.
	tls      *tls.Config
	starttls *tls.Config
	// announceOnNoop behaves like Courier-IMAP without IMAP_ENHANCEDIDLE:
	// no IDLE capability, and mail that arrives after SELECT is neither
	// announced (EXISTS) nor visible to UID FETCH until the client sends
	// NOOP.
	announceOnNoop bool
	// refuseCreate answers CREATE with NO [NOPERM], like a server whose
	// ACLs do not let the user make folders.
	refuseCreate bool
}

func startIMAPTestServer(t testing.TB, opt imapServerOptions) *imapTestServer {
	t.Helper()
	if opt.caps == nil {
		opt.caps = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIdle: {}, imap.CapMove: {}, imap.CapUIDPlus: {}, imap.CapSASLIR: {}}
	}
	ts := &imapTestServer{t: t, user: imapmemserver.NewUser(imapTestUser, imapTestPassword), opt: opt}
	if err := ts.user.Create("INBOX", nil); err != nil {
		t.Fatalf("create INBOX: %v", err)
	}
	ts.srv = imapserver.New(&imapserver.Options{
		NewSession: func(conn *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			nc, _ := conn.NetConn().(*noopOnlyConn)
			return &imapTestSession{ts: ts, noopOnly: nc}, nil, nil
		},
		Caps:         opt.caps,
		InsecureAuth: opt.starttls == nil,
		TLSConfig:    opt.starttls,
		Logger:       testLogger{t},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	if opt.tls != nil {
		ln = tls.NewListener(ln, opt.tls)
	}
	ts.addr = ln.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		ts.srv.Serve(&trackingListener{Listener: ln, ts: ts})
	}()
	t.Cleanup(func() {
		ts.srv.Close()
		<-done
	})
	return ts
}

// testLogger routes imapserver's log lines to the test log.
type testLogger struct{ t testing.TB }

func (l testLogger) Printf(format string, args ...any) { l.t.Logf("imapserver: "+format, args...) }

type trackingListener struct {
	net.Listener
	ts *imapTestServer
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil && l.ts.opt.announceOnNoop {
		c = &noopOnlyConn{Conn: c}
	}
	if err == nil {
		l.ts.mu.Lock()
		l.ts.conns = append(l.ts.conns, c)
		l.ts.mu.Unlock()
	}
	return c, err
}

// dropConnections closes every connection accepted so far, like a server
// restart or a NAT timeout would.
func (ts *imapTestServer) dropConnections() {
	ts.mu.Lock()
	conns := ts.conns
	ts.conns = nil
	ts.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

func (ts *imapTestServer) loginCount() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.logins
}

// imapLiteral adapts a byte slice to imap.LiteralReader.
type imapLiteral struct {
	*bytes.Reader
	size int64
}

func (l imapLiteral) Size() int64 { return l.size }

// appendMessage adds raw to mailbox and returns its UID.
func (ts *imapTestServer) appendMessage(mailbox string, raw []byte) imap.UID {
	ts.t.Helper()
	data, err := ts.user.Append(mailbox, imapLiteral{bytes.NewReader(raw), int64(len(raw))}, &imap.AppendOptions{})
	if err != nil {
		ts.t.Fatalf("append to %s: %v", mailbox, err)
	}
	return data.UID
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

// imapTestSession is imapmemserver's user session plus LOGIN, XOAUTH2 and
// OAUTHBEARER checks against the fixed test credentials.
type imapTestSession struct {
	*imapmemserver.UserSession // nil until authenticated
	ts                         *imapTestServer

	// With announceOnNoop: the connection, the selected mailbox and the
	// highest UID the client has been told about.
	noopOnly *noopOnlyConn
	selected string
	visible  imap.UID
}

// noopOnlyConn is the server side of a connection for announceOnNoop: it
// notes every NOOP the client sends and hides IDLE from the capabilities.
type noopOnlyConn struct {
	net.Conn
	noop atomic.Bool
}

func (c *noopOnlyConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	// Our client never sends a literal after login, so command lines are
	// all there is to see.
	if bytes.Contains(bytes.ToUpper(p[:n]), []byte(" NOOP\r\n")) {
		c.noop.Store(true)
	}
	return n, err
}

func (c *noopOnlyConn) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("CAPABILITY")) {
		if _, err := c.Conn.Write(bytes.ReplaceAll(p, []byte(" IDLE"), nil)); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

func (s *imapTestSession) Create(mailbox string, options *imap.CreateOptions) error {
	if s.ts.opt.refuseCreate {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeNoPerm, Text: "Permission denied"}
	}
	return s.UserSession.Create(mailbox, options)
}

func (s *imapTestSession) Select(mailbox string, options *imap.SelectOptions) (*imap.SelectData, error) {
	data, err := s.UserSession.Select(mailbox, options)
	if err == nil {
		s.selected, s.visible = mailbox, data.UIDNext-1
	}
	return data, err
}

// Poll reports mailbox changes after a command; with announceOnNoop only
// after NOOP, which also makes new mail visible.
func (s *imapTestSession) Poll(w *imapserver.UpdateWriter, allowExpunge bool) error {
	if s.noopOnly == nil {
		return s.UserSession.Poll(w, allowExpunge)
	}
	if !s.noopOnly.noop.Swap(false) {
		return nil
	}
	if st, err := s.ts.user.Status(s.selected, &imap.StatusOptions{UIDNext: true}); err == nil {
		s.visible = st.UIDNext - 1
	}
	return s.UserSession.Poll(w, allowExpunge)
}

// Fetch hides, with announceOnNoop, mail the client has not been told
// about: such servers answer UID FETCH from the mailbox as it was at the
// last SELECT or NOOP.
func (s *imapTestSession) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	if uids, ok := numSet.(imap.UIDSet); ok && s.noopOnly != nil {
		var visible imap.UIDSet
		for _, r := range uids {
			start, stop := r.Start, r.Stop
			if start == 0 {
				start = s.visible
			}
			if stop == 0 {
				stop = s.visible
			}
			start, stop = min(start, stop), min(max(start, stop), s.visible)
			if start <= stop && start > 0 {
				visible.AddRange(start, stop)
			}
		}
		if len(visible) == 0 {
			return nil
		}
		numSet = visible
	}
	return s.UserSession.Fetch(w, numSet, options)
}

var _ imapserver.SessionSASL = (*imapTestSession)(nil)

func (s *imapTestSession) authenticated() {
	s.ts.mu.Lock()
	s.ts.logins++
	s.ts.mu.Unlock()
	s.UserSession = imapmemserver.NewUserSession(s.ts.user)
}

func (s *imapTestSession) Login(username, password string) error {
	if err := s.ts.user.Login(username, password); err != nil {
		return err
	}
	s.authenticated()
	return nil
}

// Idle reports mailbox changes while the client idles. go-imap's
// SessionTracker.Idle only reports updates queued after IDLE began, so a
// message appended between a command and the next IDLE would stay unreported;
// Dovecot reports pending changes at once. Polling the session's update
// queue every few milliseconds gives the Dovecot behaviour, and the client
// still only learns of the message from an untagged EXISTS during IDLE.
func (s *imapTestSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := s.UserSession.Poll(w, true); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-tick.C:
		}
	}
}

func (s *imapTestSession) AuthenticateMechanisms() []string {
	return []string{sasl.Plain, xoauth2Mechanism, sasl.OAuthBearer}
}

var errTestAuthFailed = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: "Invalid credentials"}

func (s *imapTestSession) Authenticate(mech string) (sasl.Server, error) {
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return errTestAuthFailed
			}
			return s.Login(username, password)
		}), nil
	case xoauth2Mechanism:
		return &xoauth2TestServer{check: func(user, token string) bool {
			if user == imapTestUser && token == imapTestToken {
				s.authenticated()
				return true
			}
			return false
		}}, nil
	case sasl.OAuthBearer:
		return &noOnFailure{sasl.NewOAuthBearerServer(func(opts sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if opts.Username == imapTestUser && opts.Token == imapTestToken {
				s.authenticated()
				return nil
			}
			return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
		})}, nil
	}
	return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "mechanism not supported"}
}

// noOnFailure turns go-sasl's plain errors into a tagged NO
// [AUTHENTICATIONFAILED] as real servers send, instead of imapserver's
// generic server error.
type noOnFailure struct{ sasl.Server }

func (n *noOnFailure) Next(resp []byte) ([]byte, bool, error) {
	ch, done, err := n.Server.Next(resp)
	if err != nil {
		var ie *imap.Error
		if !errors.As(err, &ie) {
			err = errTestAuthFailed
		}
	}
	return ch, done, err
}

// xoauth2TestServer is the server side of XOAUTH2 as Gmail behaves: on a bad
// token, a JSON error challenge, then NO after the client's empty response.
type xoauth2TestServer struct {
	check  func(user, token string) bool
	failed bool
}

func (x *xoauth2TestServer) Next(resp []byte) ([]byte, bool, error) {
	if x.failed {
		return nil, true, errTestAuthFailed
	}
	if resp == nil {
		return []byte{}, false, nil
	}
	fields := strings.Split(string(resp), "\x01")
	var user, token string
	for _, f := range fields {
		if v, ok := strings.CutPrefix(f, "user="); ok {
			user = v
		}
		if v, ok := strings.CutPrefix(f, "auth=Bearer "); ok {
			token = v
		}
	}
	if len(fields) != 4 || fields[2] != "" || fields[3] != "" || !x.check(user, token) {
		x.failed = true
		return []byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`), false, nil
	}
	return nil, true, nil
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
