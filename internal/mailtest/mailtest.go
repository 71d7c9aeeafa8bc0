// Package mailtest runs in-process mail servers on loopback sockets, for
// tests, the demo and the benchmark:
//
//   - IMAPServer: go-imap's imapmemserver with PLAIN, XOAUTH2 and
//     OAUTHBEARER, TLS or STARTTLS, and options that imitate less capable
//     servers (no IDLE, new mail announced only on NOOP, no CREATE); it can
//     drop every connection and counts logins.
//   - SMTPServer: a go-smtp server that records what it accepts, counts
//     connections, injects failures at MAIL, RCPT and DATA, can require AUTH
//     and TLS, and can go down and come back on the same address.
//   - System: both, with SMTP delivering each recipient's copy into that
//     user's IMAP INBOX, as a small mail system for the demo and the bench.
//
// Eventually is the one way tests wait for a condition. Nothing here
// imports testing: the demo and the bench link this package, so the test
// conveniences take the small TB interface that *testing.T satisfies.
// None of it is a mail server for production use.
package mailtest

import (
	"net/mail"
	"time"
)

// TB is the part of testing.TB that the Start functions and Eventually use.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
}

// Message is one message an SMTP server accepted.
type Message struct {
	From   string
	To     []string
	Data   []byte
	Header mail.Header // parsed from Data; nil when Data does not parse
	User   string      // authenticated user, "" without AUTH
	TLS    bool        // received over TLS (implicit or STARTTLS)
	At     time.Time   // when DATA completed
}
