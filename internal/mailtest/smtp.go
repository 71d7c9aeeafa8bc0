package mailtest

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTPOptions configures an SMTPServer; the zero value (or nil) accepts
// mail from anyone without AUTH or TLS.
type SMTPOptions struct {
	// Username with Password requires AUTH PLAIN before MAIL; with Token,
	// AUTH with that OAuth 2.0 bearer token through XOAUTH2 or
	// OAUTHBEARER (RFC 7628). Both may be set.
	Username, Password, Token string
	// TLS serves implicit TLS (RFC 8314 §3.3) with this config; StartTLS
	// offers STARTTLS (RFC 3207) with it instead.
	TLS      *tls.Config
	StartTLS *tls.Config
}

// SMTPServer is a go-smtp server on a loopback socket that records every
// message it accepts. All methods are safe for concurrent use.
type SMTPServer struct {
	opt SMTPOptions
	// deliver, if set, is called with each message before it is recorded;
	// an error fails the DATA command. accepted is called after.
	deliver  func(Message) error
	accepted func(Message)

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

// NewSMTPServer listens on 127.0.0.1:0. The caller must Close it.
func NewSMTPServer(opt *SMTPOptions) (*SMTPServer, error) {
	s := &SMTPServer{changed: make(chan struct{}), failRcpt: map[string]*failure{}}
	if opt != nil {
		s.opt = *opt
	}
	if err := s.up("127.0.0.1:0"); err != nil {
		return nil, err
	}
	return s, nil
}

// StartSMTP is NewSMTPServer for a test: the server is closed when the test
// ends.
func StartSMTP(t TB, opt *SMTPOptions) *SMTPServer {
	t.Helper()
	s, err := NewSMTPServer(opt)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Addr is the host:port the server listens on; it stays the same across
// SetDown.
func (s *SMTPServer) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// up starts listening on addr. Called with s.mu not held.
func (s *SMTPServer) up(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("mailtest: smtp listen %s: %w", addr, err)
	}
	if s.opt.TLS != nil {
		ln = tls.NewListener(ln, s.opt.TLS)
	}
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "mailtest.localhost"
	srv.AllowInsecureAuth = true
	srv.MaxMessageBytes = 64 << 20
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.ErrorLog = discardLogger{}
	srv.TLSConfig = s.opt.StartTLS
	done := make(chan error, 1)
	s.mu.Lock()
	s.addr, s.srv, s.ln, s.serveErr = ln.Addr().String(), srv, ln, done
	s.mu.Unlock()
	go func() { done <- srv.Serve(countingListener{ln, s}) }()
	return nil
}

// SetDown(true) closes the listener and every open connection, so clients
// see connection refused; SetDown(false) listens again on the same address.
func (s *SMTPServer) SetDown(down bool) error {
	s.mu.Lock()
	if s.down == down {
		s.mu.Unlock()
		return nil
	}
	s.down = down
	srv, ln, done, addr := s.srv, s.ln, s.serveErr, s.addr
	s.mu.Unlock()
	if down {
		stop(srv, ln, done)
		return nil
	}
	return s.up(addr)
}

// Close stops the server. Closing again does nothing.
func (s *SMTPServer) Close() error {
	return s.SetDown(true)
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
func (s *SMTPServer) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// Messages returns a copy of the messages accepted so far, in order.
func (s *SMTPServer) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// WaitFor waits until at least n messages were accepted and returns them;
// it fails the test after timeout.
func (s *SMTPServer) WaitFor(t TB, n int, timeout time.Duration) []Message {
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
			t.Fatalf("mailtest: %d messages after %v, want %d", len(msgs), timeout, n)
			return msgs
		}
	}
}

// FailMail answers the next times MAIL commands with code
// (times -1: always, 0: stop failing).
func (s *SMTPServer) FailMail(code, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failMail = failure{code: code, times: times}
}

// FailRcpt answers the next times RCPT commands for addr with code.
func (s *SMTPServer) FailRcpt(addr string, code, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failRcpt[strings.ToLower(addr)] = &failure{code: code, times: times}
}

// FailData answers the next times DATA transfers with code after reading
// the message.
func (s *SMTPServer) FailData(code, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failData = failure{code: code, times: times}
}

type failure struct {
	code  int
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
	return &smtp.SMTPError{Code: f.code, EnhancedCode: smtp.EnhancedCode{f.code / 100, 0, 0}, Message: "injected failure"}
}

type countingListener struct {
	net.Listener
	s *SMTPServer
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

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}

func (s *SMTPServer) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{s: s, conn: c}, nil
}

// smtpSession is one SMTP connection's state.
type smtpSession struct {
	s      *SMTPServer
	conn   *smtp.Conn
	authed string
	from   string
	to     []string
}

var _ smtp.AuthSession = (*smtpSession)(nil)

func (ss *smtpSession) authRequired() bool { return ss.s.opt.Password != "" || ss.s.opt.Token != "" }

func (ss *smtpSession) AuthMechanisms() []string {
	var mechs []string
	if ss.s.opt.Password != "" {
		mechs = append(mechs, sasl.Plain)
	}
	if ss.s.opt.Token != "" {
		mechs = append(mechs, xoauth2Mechanism, sasl.OAuthBearer)
	}
	return mechs
}

func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	o := ss.s.opt
	switch {
	case mech == sasl.Plain && o.Password != "":
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if user != o.Username || pass != o.Password {
				return smtp.ErrAuthFailed
			}
			ss.authed = user
			return nil
		}), nil
	case mech == sasl.OAuthBearer && o.Token != "":
		return sasl.NewOAuthBearerServer(func(b sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if b.Username != o.Username || b.Token != o.Token {
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			ss.authed = b.Username
			return nil
		}), nil
	case mech == xoauth2Mechanism && o.Token != "":
		return &xoauth2Server{failErr: smtp.ErrAuthFailed, check: func(user, token string) bool {
			if user != o.Username || token != o.Token {
				return false
			}
			ss.authed = user
			return true
		}}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *smtpSession) Reset() { ss.from, ss.to = "", nil }

func (ss *smtpSession) Logout() error { return nil }

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
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

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	err := ss.s.failRcpt[strings.ToLower(to)].take()
	ss.s.mu.Unlock()
	if err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := ss.s
	s.mu.Lock()
	fail := s.failData.take()
	s.mu.Unlock()
	if fail != nil {
		return fail
	}
	_, isTLS := ss.conn.TLSConnectionState()
	msg := Message{From: ss.from, To: append([]string(nil), ss.to...), Data: data, User: ss.authed, TLS: isTLS, At: time.Now()}
	if m, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
		msg.Header = m.Header
	}
	if s.deliver != nil {
		if err := s.deliver(msg); err != nil {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "delivery failed: " + err.Error()}
		}
	}
	s.mu.Lock()
	s.messages = append(s.messages, msg)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	if s.accepted != nil {
		s.accepted(msg)
	}
	return nil
}
