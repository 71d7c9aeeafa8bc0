package mailtest

import (
	"errors"
	"strings"
)

// System is a small mail system: an IMAPServer and an SMTPServer whose
// accepted mail is delivered into each local recipient's INBOX, a
// plus-address (support+t1.abc@example.com) into its base account
// (support@example.com). Mail for other recipients is only recorded.
type System struct {
	IMAP *IMAPServer
	SMTP *SMTPServer
	// IMAPAddr and SMTPAddr are IMAP.Addr() and SMTP.Addr().
	IMAPAddr, SMTPAddr string

	// OnMessage, if set, is called for every message SMTP accepted, after
	// it was delivered and recorded. Set it while no mail is arriving.
	OnMessage func(Message)
}

// NewSystem starts both servers on 127.0.0.1. The caller must Close it.
func NewSystem() (*System, error) {
	imapSrv, err := NewIMAPServer(nil)
	if err != nil {
		return nil, err
	}
	smtpSrv, err := NewSMTPServer(nil)
	if err != nil {
		imapSrv.Close()
		return nil, err
	}
	s := &System{IMAP: imapSrv, SMTP: smtpSrv, IMAPAddr: imapSrv.Addr(), SMTPAddr: smtpSrv.Addr()}
	smtpSrv.deliver = s.deliver
	smtpSrv.accepted = func(m Message) {
		if s.OnMessage != nil {
			s.OnMessage(m)
		}
	}
	return s, nil
}

// StartSystem is NewSystem for a test: the IMAP server logs to t, and both
// are closed when the test ends.
func StartSystem(t TB) *System {
	t.Helper()
	s, err := NewSystem()
	if err != nil {
		t.Fatalf("%v", err)
	}
	s.IMAP.log.set(t)
	t.Cleanup(func() { s.Close() })
	return s
}

// Close stops both servers.
func (s *System) Close() error {
	return errors.Join(s.IMAP.Close(), s.SMTP.Close())
}

// AddUser creates an IMAP account with an INBOX; mail for the address and
// its plus-addresses is delivered there.
func (s *System) AddUser(address, password string) error {
	return s.IMAP.AddUser(address, password)
}

// Append adds raw to a user's mailbox, as an MTA delivering would.
func (s *System) Append(address, mailbox string, raw []byte) error {
	return s.IMAP.Append(address, mailbox, raw)
}

// RecreateMailbox deletes and creates a user's mailbox, empty and with a
// new UIDVALIDITY, as an admin restoring a mailbox would.
func (s *System) RecreateMailbox(address, mailbox string) error {
	return s.IMAP.RecreateMailbox(address, mailbox)
}

// Messages returns every message SMTP accepted, in order.
func (s *System) Messages() []Message {
	return s.SMTP.Messages()
}

// deliver appends m to the INBOX of each recipient with an account.
func (s *System) deliver(m Message) error {
	for _, rcpt := range m.To {
		if account := s.accountFor(rcpt); account != "" {
			if err := s.IMAP.appendAt(account, "INBOX", m.Data, m.At); err != nil {
				return err
			}
		}
	}
	return nil
}

// accountFor maps a recipient to its account: the exact address, or the
// base of a plus-address; "" if neither exists.
func (s *System) accountFor(rcpt string) string {
	if s.IMAP.account(rcpt) != nil {
		return rcpt
	}
	if at := strings.LastIndexByte(rcpt, '@'); at > 0 {
		if plus := strings.IndexByte(rcpt[:at], '+'); plus > 0 {
			if base := rcpt[:plus] + rcpt[at:]; s.IMAP.account(base) != nil {
				return base
			}
		}
	}
	return ""
}
