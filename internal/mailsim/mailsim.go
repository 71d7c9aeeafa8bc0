// Package mailsim is a small in-process mail system for the demo, the
// benchmark and end-to-end tests: go-imap's imapmemserver on a loopback
// port, and a go-smtp server that delivers each recipient's copy into that
// user's INBOX (support+token@… into support@…) and records every message
// it accepts. It is not a mail server for production use.
package mailsim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-smtp"
)

// Message is one message the SMTP side accepted.
type Message struct {
	From string
	To   []string
	Data []byte
	At   time.Time
}

// System is a running IMAP and SMTP pair.
type System struct {
	IMAPAddr string
	SMTPAddr string

	mem      *imapmemserver.Server
	imapSrv  *imapserver.Server
	smtpSrv  *smtp.Server
	mu       sync.Mutex
	users    map[string]*imapmemserver.User
	messages []Message
	changed  chan struct{}
	// OnMessage, if set, is called for every accepted message.
	OnMessage func(Message)
}

// Start listens on 127.0.0.1 for IMAP and SMTP.
func Start() (*System, error) {
	s := &System{mem: imapmemserver.New(), users: map[string]*imapmemserver.User{}, changed: make(chan struct{})}
	s.imapSrv = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return s.mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
	})
	iln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("imap listen: %w", err)
	}
	go s.imapSrv.Serve(iln)
	s.IMAPAddr = iln.Addr().String()

	s.smtpSrv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	s.smtpSrv.Domain = "mailsim.localhost"
	s.smtpSrv.AllowInsecureAuth = true
	s.smtpSrv.MaxMessageBytes = 64 << 20
	s.smtpSrv.ErrorLog = log.New(io.Discard, "", 0)
	sln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.imapSrv.Close()
		return nil, fmt.Errorf("smtp listen: %w", err)
	}
	go s.smtpSrv.Serve(sln)
	s.SMTPAddr = sln.Addr().String()
	return s, nil
}

// Close stops both servers.
func (s *System) Close() error {
	return errors.Join(s.imapSrv.Close(), s.smtpSrv.Close())
}

// AddUser creates an IMAP account with an INBOX. Mail for the address (or
// its plus-addresses) is delivered there.
func (s *System) AddUser(address, password string) error {
	u := imapmemserver.NewUser(address, password)
	if err := u.Create("INBOX", nil); err != nil {
		return err
	}
	s.mem.AddUser(u)
	s.mu.Lock()
	s.users[strings.ToLower(address)] = u
	s.mu.Unlock()
	return nil
}

// Append adds raw to a user's mailbox, as an MTA delivering would.
func (s *System) Append(address, mailbox string, raw []byte) error {
	s.mu.Lock()
	u := s.users[strings.ToLower(address)]
	s.mu.Unlock()
	if u == nil {
		return fmt.Errorf("no user %s", address)
	}
	_, err := u.Append(mailbox, literal{bytes.NewReader(raw), int64(len(raw))}, &imap.AppendOptions{Time: time.Now()})
	return err
}

// Messages returns every message the SMTP side accepted, in order.
func (s *System) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// WaitFor waits until at least n messages were accepted or timeout passes,
// and returns what was accepted.
func (s *System) WaitFor(n int, timeout time.Duration) ([]Message, error) {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		got, ch := len(s.messages), s.changed
		s.mu.Unlock()
		if got >= n {
			return s.Messages(), nil
		}
		select {
		case <-ch:
		case <-deadline:
			return s.Messages(), fmt.Errorf("mailsim: %d of %d messages after %s", got, n, timeout)
		}
	}
}

// userFor maps a recipient to its account: exact address, or the base of
// a plus-address (support+t1.abc@example.com → support@example.com).
func (s *System) userFor(rcpt string) *imapmemserver.User {
	rcpt = strings.ToLower(rcpt)
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[rcpt]; u != nil {
		return u
	}
	if at := strings.LastIndexByte(rcpt, '@'); at > 0 {
		if plus := strings.IndexByte(rcpt[:at], '+'); plus > 0 {
			return s.users[rcpt[:plus]+rcpt[at:]]
		}
	}
	return nil
}

func (s *System) accept(m Message) error {
	for _, rcpt := range m.To {
		if u := s.userFor(rcpt); u != nil {
			if _, err := u.Append("INBOX", literal{bytes.NewReader(m.Data), int64(len(m.Data))}, &imap.AppendOptions{Time: m.At}); err != nil {
				return err
			}
		}
	}
	s.mu.Lock()
	s.messages = append(s.messages, m)
	close(s.changed)
	s.changed = make(chan struct{})
	hook := s.OnMessage
	s.mu.Unlock()
	if hook != nil {
		hook(m)
	}
	return nil
}

type literal struct {
	*bytes.Reader
	size int64
}

func (l literal) Size() int64 { return l.size }

type session struct {
	s    *System
	from string
	to   []string
}

func (ss *session) AuthPlain(username, password string) error { return nil }
func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}
func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	return ss.s.accept(Message{From: ss.from, To: ss.to, Data: b, At: time.Now()})
}
func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// RecreateMailbox deletes and creates a user's mailbox, empty and with a
// new UIDVALIDITY, as an admin restoring a mailbox would.
func (s *System) RecreateMailbox(address, mailbox string) error {
	s.mu.Lock()
	u := s.users[strings.ToLower(address)]
	s.mu.Unlock()
	if u == nil {
		return fmt.Errorf("no user %s", address)
	}
	if err := u.Delete(mailbox); err != nil {
		return err
	}
	return u.Create(mailbox, nil)
}
