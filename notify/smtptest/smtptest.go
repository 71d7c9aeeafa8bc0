// Package smtptest runs an in-process SMTP server (go-smtp) for tests. It
// records every accepted message, counts connections, injects failures at
// MAIL, RCPT and DATA, can require AUTH (PLAIN, XOAUTH2, OAUTHBEARER) and
// TLS, and can go down and come back on the same address to simulate an
// outage.
package smtptest

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message the server accepted.
type Message struct {
	From   string
	To     []string
	Data   []byte
	Header mail.Header // parsed from Data; nil when Data does not parse
	User   string      // authenticated user, "" without AUTH
	TLS    bool        // received over TLS (implicit or STARTTLS)
}

// Option configures Start.
type Option func(*Server)

// WithAuth requires AUTH PLAIN with user and pass before MAIL.
func WithAuth(user, pass string) Option {
	return func(s *Server) { s.user, s.pass = user, pass }
}

// WithToken requires AUTH with an OAuth 2.0 bearer token, accepted through
// XOAUTH2 (Google's mechanism) and OAUTHBEARER (RFC 7628).
func WithToken(user, token string) Option {
	return func(s *Server) { s.user, s.token = user, token }
}

// WithTLS offers STARTTLS (RFC 3207) with cfg.
func WithTLS(cfg *tls.Config) Option {
	return func(s *Server) { s.tlsConfig = cfg }
}

// WithImplicitTLS serves TLS from the first byte (RFC 8314 §3.3) with cfg.
func WithImplicitTLS(cfg *tls.Config) Option {
	return func(s *Server) { s.tlsConfig, s.implicitTLS = cfg, true }
}

// Server is a running test server. All methods are safe for concurrent use.
type Server struct {
	t testing.TB

	user, pass, token string
	tlsConfig         *tls.Config
	implicitTLS       bool

	mu       sync.Mutex
	addr     string
	srv      *smtp.Server
	ln       net.Listener
	serveErr chan error
	down     bool
	conns    int
	messages []Message
	changed  chan struct{} // closed and replaced whenever messages grows
	failMail failure
	failData failure
	failRcpt map[string]*failure
}

type failure struct {
	code  int
	msg   string
	times int // remaining; -1 = always
}

// take reports the failure to inject now, consuming one use.
func (f *failure) take() *smtp.SMTPError {
	if f == nil || f.times == 0 {
		return nil
	}
	if f.times > 0 {
		f.times--
	}
	msg := f.msg
	if msg == "" {
		msg = "injected failure"
	}
	return &smtp.SMTPError{Code: f.code, EnhancedCode: smtp.EnhancedCode{f.code / 100, 0, 0}, Message: msg}
}

// Start listens on 127.0.0.1:0 and serves until the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{t: t, changed: make(chan struct{}), failRcpt: map[string]*failure{}}
	for _, o := range opts {
		o(s)
	}
	if err := s.up("127.0.0.1:0"); err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Addr is the host:port the server listens on; it stays the same across
// SetDown.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// up starts listening on addr. Called with s.mu not held.
func (s *Server) up(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	if s.implicitTLS {
		ln = tls.NewListener(ln, s.tlsConfig)
	}
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "smtptest.localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.ErrorLog = discardLogger{}
	if !s.implicitTLS {
		srv.TLSConfig = s.tlsConfig
	}
	done := make(chan error, 1)
	s.mu.Lock()
	s.addr, s.srv, s.ln, s.serveErr = ln.Addr().String(), srv, ln, done
	s.mu.Unlock()
	go func() { done <- srv.Serve(countingListener{ln, s}) }()
	return nil
}

// SetDown(true) closes the listener and every open connection, so clients
// see connection refused; SetDown(false) listens again on the same address.
func (s *Server) SetDown(down bool) {
	s.t.Helper()
	s.mu.Lock()
	if s.down == down {
		s.mu.Unlock()
		return
	}
	s.down = down
	srv, ln, done, addr := s.srv, s.ln, s.serveErr, s.addr
	s.mu.Unlock()
	if down {
		stop(srv, ln, done)
		return
	}
	if err := s.up(addr); err != nil {
		s.t.Fatalf("smtptest: restart: %v", err)
	}
}

// Close stops the server. It is registered with t.Cleanup by Start.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.down {
		s.mu.Unlock()
		return nil
	}
	s.down = true
	srv, ln, done := s.srv, s.ln, s.serveErr
	s.mu.Unlock()
	stop(srv, ln, done)
	return nil
}

// stop closes srv and its connections and waits for Serve to return.
// go-smtp registers the listener only once Serve runs, so a Close racing
// with a just-started Serve would miss it: close the listener ourselves.
func stop(srv *smtp.Server, ln net.Listener, done <-chan error) {
	_ = srv.Close()
	_ = ln.Close()
	<-done
}

// Connections is how many TCP connections the server has accepted.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// Messages returns a copy of the messages accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// WaitFor waits until at least n messages were accepted and returns them;
// it fails the test after timeout.
func (s *Server) WaitFor(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		msgs, changed := append([]Message(nil), s.messages...), s.changed
		s.mu.Unlock()
		if len(msgs) >= n {
			return msgs
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("smtptest: got %d messages after %v, want %d", len(msgs), timeout, n)
			return nil
		}
	}
}

// FailMail answers the next times MAIL commands with code and msg
// (times -1: always, 0: stop failing).
func (s *Server) FailMail(code int, msg string, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failMail = failure{code: code, msg: msg, times: times}
}

// FailRcpt answers the next times RCPT commands for addr with code.
func (s *Server) FailRcpt(addr string, code, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failRcpt[strings.ToLower(addr)] = &failure{code: code, times: times}
}

// FailData answers the next times DATA transfers with code after reading
// the message.
func (s *Server) FailData(code, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failData = failure{code: code, times: times}
}

type countingListener struct {
	net.Listener
	s *Server
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.s.mu.Lock()
		l.s.conns++
		l.s.mu.Unlock()
	}
	return c, err
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...interface{}) {}
func (discardLogger) Println(...interface{})        {}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: s, conn: c}, nil
}

// session is one SMTP connection's state.
type session struct {
	s      *Server
	conn   *smtp.Conn
	authed string
	from   string
	to     []string
}

var _ smtp.AuthSession = (*session)(nil)

func (ss *session) authRequired() bool { return ss.s.pass != "" || ss.s.token != "" }

func (ss *session) AuthMechanisms() []string {
	switch {
	case ss.s.token != "":
		return []string{"XOAUTH2", "OAUTHBEARER"}
	case ss.s.pass != "":
		return []string{sasl.Plain}
	}
	return nil
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	s := ss.s
	switch {
	case mech == sasl.Plain && s.pass != "":
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if user != s.user || pass != s.pass {
				return smtp.ErrAuthFailed
			}
			ss.authed = user
			return nil
		}), nil
	case mech == sasl.OAuthBearer && s.token != "":
		return sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if o.Username != s.user || o.Token != s.token {
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			ss.authed = o.Username
			return nil
		}), nil
	case mech == "XOAUTH2" && s.token != "":
		return &xoauth2Server{check: func(user, token string) bool {
			if user != s.user || token != s.token {
				return false
			}
			ss.authed = user
			return true
		}}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// xoauth2Server implements Google's XOAUTH2: one client message
// "user=U\x01auth=Bearer T\x01\x01"; on failure a JSON challenge, an
// empty client answer, then 535.
type xoauth2Server struct {
	check  func(user, token string) bool
	failed bool
}

func (x *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if x.failed {
		return nil, true, smtp.ErrAuthFailed
	}
	if resp == nil {
		return []byte{}, false, nil // ask for the initial response
	}
	var user, token string
	for _, kv := range strings.Split(string(resp), "\x01") {
		switch {
		case strings.HasPrefix(kv, "user="):
			user = kv[len("user="):]
		case strings.HasPrefix(kv, "auth=Bearer "):
			token = kv[len("auth=Bearer "):]
		}
	}
	if x.check(user, token) {
		return nil, true, nil
	}
	x.failed = true
	return []byte(`{"status":"401","schemes":"bearer"}`), false, nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.authRequired() && ss.authed == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	ss.s.mu.Lock()
	err := ss.s.failMail.take()
	ss.s.mu.Unlock()
	if err != nil {
		return err
	}
	ss.from, ss.to = from, nil
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	err := ss.s.failRcpt[strings.ToLower(to)].take()
	ss.s.mu.Unlock()
	if err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := ss.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failData.take(); err != nil {
		return err
	}
	_, isTLS := ss.conn.TLSConnectionState()
	msg := Message{From: ss.from, To: append([]string(nil), ss.to...), Data: data, User: ss.authed, TLS: isTLS}
	if m, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
		msg.Header = m.Header
	}
	s.messages = append(s.messages, msg)
	close(s.changed)
	s.changed = make(chan struct{})
	return nil
}
