package mailtest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
)

// IMAPOptions configures an IMAPServer; the zero value (or nil) is a plain
// server speaking IMAP4rev1 with IDLE, MOVE, UIDPLUS and SASL-IR.
type IMAPOptions struct {
	Caps imap.CapSet // nil: IMAP4rev1 IDLE MOVE UIDPLUS SASL-IR
	// TLS serves implicit TLS (imaps, RFC 8314 §3.3) with this config;
	// StartTLS offers STARTTLS with it instead and refuses LOGIN before it.
	TLS      *tls.Config
	StartTLS *tls.Config
	// AnnounceOnNoop behaves like Courier-IMAP without IMAP_ENHANCEDIDLE:
	// no IDLE capability, and mail that arrives after SELECT is neither
	// announced (EXISTS) nor visible to UID FETCH until the client sends
	// NOOP. It does not combine with StartTLS.
	AnnounceOnNoop bool
	// RefuseCreate answers CREATE with NO [NOPERM], like a server whose
	// ACLs do not let the user make folders.
	RefuseCreate bool
}

// IMAPServer is go-imap's in-memory server on a loopback socket. Its users
// log in with LOGIN, AUTHENTICATE PLAIN, or a bearer token through XOAUTH2
// and OAUTHBEARER (RFC 7628). All methods are safe for concurrent use.
type IMAPServer struct {
	opt  IMAPOptions
	addr string
	srv  *imapserver.Server
	ln   net.Listener
	done chan struct{} // closed when Serve returns
	log  *switchLogger

	closeOnce sync.Once
	closeErr  error

	mu     sync.Mutex
	users  map[string]*account // by lower-case address
	conns  map[*serverConn]struct{}
	logins int
}

// account is one IMAP user.
type account struct {
	mem   *imapmemserver.User
	token string // accepted bearer token; "" accepts none
}

// NewIMAPServer listens on 127.0.0.1:0. The caller must Close it.
func NewIMAPServer(opt *IMAPOptions) (*IMAPServer, error) {
	s := &IMAPServer{users: map[string]*account{}, conns: map[*serverConn]struct{}{}, done: make(chan struct{}), log: &switchLogger{}}
	if opt != nil {
		s.opt = *opt
	}
	if s.opt.AnnounceOnNoop && s.opt.StartTLS != nil {
		return nil, errors.New("mailtest: AnnounceOnNoop rewrites the plaintext stream and cannot be combined with StartTLS")
	}
	if s.opt.Caps == nil {
		s.opt.Caps = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIdle: {}, imap.CapMove: {}, imap.CapUIDPlus: {}, imap.CapSASLIR: {}}
	}
	s.srv = imapserver.New(&imapserver.Options{
		NewSession: func(conn *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &imapSession{srv: s, conn: conn.NetConn().(*serverConn)}, nil, nil
		},
		Caps:         s.opt.Caps,
		InsecureAuth: s.opt.StartTLS == nil,
		TLSConfig:    s.opt.StartTLS,
		Logger:       s.log,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("mailtest: imap listen: %w", err)
	}
	s.addr = ln.Addr().String()
	if s.opt.TLS != nil {
		ln = tls.NewListener(ln, s.opt.TLS)
	}
	s.ln = ln
	go func() {
		defer close(s.done)
		s.srv.Serve(&trackingListener{Listener: ln, s: s})
	}()
	return s, nil
}

// StartIMAP is NewIMAPServer for a test: the server logs to t and is closed
// when the test ends.
func StartIMAP(t TB, opt *IMAPOptions) *IMAPServer {
	t.Helper()
	s, err := NewIMAPServer(opt)
	if err != nil {
		t.Fatalf("%v", err)
	}
	s.log.set(t)
	t.Cleanup(func() { s.Close() })
	return s
}

// Addr is the host:port the server listens on.
func (s *IMAPServer) Addr() string { return s.addr }

// Close stops the server and closes every connection. Closing again does
// nothing.
func (s *IMAPServer) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = s.srv.Close()
		// imapserver learns of the listener only once Serve runs: a Close
		// racing with a just-started Serve would miss it.
		s.ln.Close()
		<-s.done
		s.log.set(nil) // connection goroutines may outlive the test
	})
	return s.closeErr
}

// AddUser creates an account with an INBOX.
func (s *IMAPServer) AddUser(address, password string) error {
	u := imapmemserver.NewUser(address, password)
	if err := u.Create("INBOX", nil); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(address)
	if s.users[key] != nil {
		return fmt.Errorf("mailtest: user %s exists", address)
	}
	s.users[key] = &account{mem: u}
	return nil
}

// SetToken makes the server accept token as an OAuth 2.0 bearer token for
// address, through XOAUTH2 and OAUTHBEARER.
func (s *IMAPServer) SetToken(address, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.users[strings.ToLower(address)]
	if a == nil {
		return fmt.Errorf("mailtest: no user %s", address)
	}
	a.token = token
	return nil
}

// User is address's mailbox store, to inspect or change from outside the
// protocol (Status, Create, Delete, …); nil if there is no such user.
func (s *IMAPServer) User(address string) *imapmemserver.User {
	if a := s.account(address); a != nil {
		return a.mem
	}
	return nil
}

func (s *IMAPServer) account(address string) *account {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users[strings.ToLower(address)]
}

// Append adds raw to a user's mailbox, as an MTA delivering would.
func (s *IMAPServer) Append(address, mailbox string, raw []byte) error {
	return s.appendAt(address, mailbox, raw, time.Now())
}

func (s *IMAPServer) appendAt(address, mailbox string, raw []byte, at time.Time) error {
	u := s.User(address)
	if u == nil {
		return fmt.Errorf("mailtest: no user %s", address)
	}
	_, err := u.Append(mailbox, literal{bytes.NewReader(raw), int64(len(raw))}, &imap.AppendOptions{Time: at})
	return err
}

// RecreateMailbox deletes and creates a user's mailbox, empty and with a
// new UIDVALIDITY, as an admin restoring a mailbox would.
func (s *IMAPServer) RecreateMailbox(address, mailbox string) error {
	u := s.User(address)
	if u == nil {
		return fmt.Errorf("mailtest: no user %s", address)
	}
	if err := u.Delete(mailbox); err != nil {
		return err
	}
	return u.Create(mailbox, nil)
}

// DropConnections closes every open connection, as a server restart or a
// NAT timeout would; the server keeps listening.
func (s *IMAPServer) DropConnections() {
	s.mu.Lock()
	conns := s.conns
	s.conns = map[*serverConn]struct{}{}
	s.mu.Unlock()
	for c := range conns {
		c.Close()
	}
}

// Logins is how many times a client has authenticated, by any mechanism.
func (s *IMAPServer) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// literal adapts a byte slice to imap.LiteralReader.
type literal struct {
	*bytes.Reader
	size int64
}

func (l literal) Size() int64 { return l.size }

// switchLogger sends imapserver's log lines to a test's log while it runs,
// and nowhere otherwise: a line logged after the test ended would panic.
type switchLogger struct {
	mu sync.Mutex
	t  TB
}

func (l *switchLogger) set(t TB) {
	l.mu.Lock()
	l.t = t
	l.mu.Unlock()
}

func (l *switchLogger) Printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.t != nil {
		l.t.Logf("imapserver: "+format, args...)
	}
}

type trackingListener struct {
	net.Listener
	s *IMAPServer
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	sc := &serverConn{Conn: c, s: l.s, noopOnly: l.s.opt.AnnounceOnNoop}
	l.s.mu.Lock()
	l.s.conns[sc] = struct{}{}
	l.s.mu.Unlock()
	return sc, nil
}

// serverConn is the server side of a connection. It forgets itself on
// Close, and with AnnounceOnNoop it notes every NOOP the client sends and
// hides IDLE from the capabilities (imapserver always lists IDLE).
type serverConn struct {
	net.Conn
	s        *IMAPServer
	noopOnly bool
	noop     atomic.Bool
}

func (c *serverConn) Close() error {
	c.s.mu.Lock()
	delete(c.s.conns, c)
	c.s.mu.Unlock()
	return c.Conn.Close()
}

func (c *serverConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	// Clients do not send literals after login here, so command lines are
	// all there is to see.
	if c.noopOnly && bytes.Contains(bytes.ToUpper(p[:n]), []byte(" NOOP\r\n")) {
		c.noop.Store(true)
	}
	return n, err
}

func (c *serverConn) Write(p []byte) (int, error) {
	if c.noopOnly && bytes.Contains(p, []byte("CAPABILITY")) {
		if _, err := c.Conn.Write(bytes.ReplaceAll(p, []byte(" IDLE"), nil)); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// imapSession is imapmemserver's user session plus authentication against
// the server's accounts and the behaviours IMAPOptions asks for.
type imapSession struct {
	*imapmemserver.UserSession // nil until authenticated
	srv                        *IMAPServer
	conn                       *serverConn
	user                       *account

	// With AnnounceOnNoop: the selected mailbox and the highest UID the
	// client has been told about.
	selected string
	visible  imap.UID
}

var _ imapserver.SessionSASL = (*imapSession)(nil)

var errAuthFailed = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: "Invalid credentials"}

func (s *imapSession) authenticated(a *account) {
	s.srv.mu.Lock()
	s.srv.logins++
	s.srv.mu.Unlock()
	s.user = a
	s.UserSession = imapmemserver.NewUserSession(a.mem)
}

func (s *imapSession) Login(username, password string) error {
	a := s.srv.account(username)
	if a == nil {
		return imapserver.ErrAuthFailed
	}
	if err := a.mem.Login(username, password); err != nil {
		return err
	}
	s.authenticated(a)
	return nil
}

// tokenLogin authenticates username by bearer token.
func (s *imapSession) tokenLogin(username, token string) bool {
	a := s.srv.account(username)
	if a == nil {
		return false
	}
	s.srv.mu.Lock()
	ok := a.token != "" && token == a.token
	s.srv.mu.Unlock()
	if ok {
		s.authenticated(a)
	}
	return ok
}

func (s *imapSession) AuthenticateMechanisms() []string {
	return []string{sasl.Plain, xoauth2Mechanism, sasl.OAuthBearer}
}

func (s *imapSession) Authenticate(mech string) (sasl.Server, error) {
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return errAuthFailed
			}
			return s.Login(username, password)
		}), nil
	case xoauth2Mechanism:
		return &xoauth2Server{check: s.tokenLogin, failErr: errAuthFailed}, nil
	case sasl.OAuthBearer:
		return &noOnFailure{sasl.NewOAuthBearerServer(func(opts sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if s.tokenLogin(opts.Username, opts.Token) {
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
			err = errAuthFailed
		}
	}
	return ch, done, err
}

func (s *imapSession) Create(mailbox string, options *imap.CreateOptions) error {
	if s.srv.opt.RefuseCreate {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeNoPerm, Text: "Permission denied"}
	}
	return s.UserSession.Create(mailbox, options)
}

func (s *imapSession) Select(mailbox string, options *imap.SelectOptions) (*imap.SelectData, error) {
	data, err := s.UserSession.Select(mailbox, options)
	if err == nil {
		s.selected, s.visible = mailbox, data.UIDNext-1
	}
	return data, err
}

// Poll reports mailbox changes after a command; with AnnounceOnNoop only
// after NOOP, which also makes new mail visible.
func (s *imapSession) Poll(w *imapserver.UpdateWriter, allowExpunge bool) error {
	if !s.conn.noopOnly {
		return s.UserSession.Poll(w, allowExpunge)
	}
	if !s.conn.noop.Swap(false) {
		return nil
	}
	if st, err := s.user.mem.Status(s.selected, &imap.StatusOptions{UIDNext: true}); err == nil {
		s.visible = st.UIDNext - 1
	}
	return s.UserSession.Poll(w, allowExpunge)
}

// Fetch hides, with AnnounceOnNoop, mail the client has not been told
// about: such servers answer UID FETCH from the mailbox as it was at the
// last SELECT or NOOP.
func (s *imapSession) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	if uids, ok := numSet.(imap.UIDSet); ok && s.conn.noopOnly {
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

// Idle reports mailbox changes while the client idles. go-imap's
// SessionTracker.Idle only reports updates queued after IDLE began, so a
// message appended between a command and the next IDLE would stay
// unreported; Dovecot reports pending changes at once. Polling the
// session's update queue every few milliseconds gives the Dovecot
// behaviour, and the client still only learns of the message from an
// untagged EXISTS during IDLE.
func (s *imapSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
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
