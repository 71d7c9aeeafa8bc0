package mailstack

import (
	"fmt"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"ticketd/internal/mailtest"
)

func smtpSend(addr, from string, to []string, raw []byte) error {
	return smtp.SendMail(addr, nil, from, to, raw)
}

// waitInbox waits until user's INBOX holds at least n messages.
func waitInbox(t *testing.T, d *Dovecot, user string, n int) [][]byte {
	t.Helper()
	var raws [][]byte
	mailtest.Eventually(t, fmt.Sprintf("%d messages in %s", n, user), 20*time.Second, func() bool {
		c, err := d.login(user)
		if err != nil {
			return false
		}
		c.Close()
		_, raws = mailboxStateOf(t, d, user, "INBOX")
		return len(raws) >= n
	})
	return raws
}

func TestPostfixDeliversToDovecotAndRejectsUnknownRecipients(t *testing.T) {
	const rcpt = "bob@example.org"
	d := StartDovecot(t, User{testUser, testPassword}, User{rcpt, testPassword})
	p := StartPostfix(t, d, "example.test", "example.org")

	msg := []byte("From: a@example.org\r\nTo: " + testUser + "\r\nSubject: via postfix\r\nMessage-ID: <pf-1@example.org>\r\n\r\nbody\r\n")
	if err := smtpSend(p.SMTPAddr, "a@example.org", []string{testUser}, msg); err != nil {
		t.Fatalf("send: %v\n%s", err, p.Log())
	}
	// The recipient delimiter: support+tag@ reaches support@.
	tagged := []byte("From: a@example.org\r\nTo: support+t1.x@example.test\r\nSubject: tagged\r\nMessage-ID: <pf-2@example.org>\r\n\r\nbody\r\n")
	if err := smtpSend(p.SMTPAddr, "a@example.org", []string{"support+t1.x@example.test"}, tagged); err != nil {
		t.Fatalf("send tagged: %v\n%s", err, p.Log())
	}
	raws := waitInbox(t, d, testUser, 2)
	if !strings.Contains(string(raws[0])+string(raws[1]), "Subject: tagged") {
		t.Fatalf("tagged mail not in %s's INBOX", testUser)
	}

	err := smtpSend(p.SMTPAddr, "a@example.org", []string{"nobody@example.org"}, msg)
	if err == nil || !strings.Contains(err.Error(), "550") {
		t.Fatalf("unknown recipient: err = %v, want 550 at RCPT", err)
	}
	err = smtpSend(p.SMTPAddr, "a@example.org", []string{"someone@elsewhere.example"}, msg)
	if err == nil || !strings.HasPrefix(err.Error(), "5") {
		t.Fatalf("relay attempt: err = %v, want a 5xx", err)
	}
}

func TestPostfixStopStartKeepsQueuedMail(t *testing.T) {
	d := StartDovecot(t, User{testUser, testPassword})
	p := StartPostfix(t, d, "example.test")
	d.Stop() // LMTP down: Postfix must queue
	msg := []byte("From: a@example.org\r\nTo: " + testUser + "\r\nSubject: queued\r\nMessage-ID: <pf-q@example.org>\r\n\r\nbody\r\n")
	if err := smtpSend(p.SMTPAddr, "a@example.org", []string{testUser}, msg); err != nil {
		t.Fatalf("send: %v\n%s", err, p.Log())
	}
	p.Stop()
	if err := smtpSend(p.SMTPAddr, "a@example.org", []string{testUser}, msg); err == nil {
		t.Fatal("send to a stopped postfix succeeded")
	}
	d.Start()
	p.Start()
	raws := waitInbox(t, d, testUser, 1)
	if !strings.Contains(string(raws[0]), "Subject: queued") {
		t.Fatalf("INBOX = %q", raws)
	}
	mailtest.Eventually(t, "postfix's queue to empty after delivery", 10*time.Second, p.QueueEmpty)
}

func TestSieveVacationAnswersThroughPostfix(t *testing.T) {
	const away, writer = "away@example.org", "writer@example.org"
	port := FreePort(t)
	d := StartDovecotWithOptions(t, DovecotOptions{
		Sieve: map[string]string{away: `require ["vacation"];
vacation :days 1 :subject "Away" :addresses ["` + away + `"] "I am away.";
`},
		SubmissionHost: fmt.Sprintf("127.0.0.1:%d", port),
	}, User{away, testPassword}, User{writer, testPassword})
	p := StartPostfixWithOptions(t, d, PostfixOptions{SMTPPort: port}, "example.org")

	msg := []byte("From: " + writer + "\r\nTo: " + away + "\r\nSubject: hello\r\nMessage-ID: <v-1@example.org>\r\n\r\nhi\r\n")
	if err := smtpSend(p.SMTPAddr, writer, []string{away}, msg); err != nil {
		t.Fatalf("send: %v", err)
	}
	raws := waitInbox(t, d, writer, 1)
	if !strings.Contains(string(raws[0]), "Subject: Away") || !strings.Contains(string(raws[0]), "Auto-Submitted: auto-replied") {
		t.Fatalf("vacation answer = %q\n%s", raws[0], d.Log())
	}
	// Automated mail is not answered.
	auto := []byte("From: " + writer + "\r\nTo: " + away + "\r\nSubject: auto\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <v-2@example.org>\r\n\r\nhi\r\n")
	if err := smtpSend(p.SMTPAddr, writer, []string{away}, auto); err != nil {
		t.Fatalf("send: %v", err)
	}
	waitInbox(t, d, away, 2)
	// An answer to the automated mail would be in the queue or delivered:
	// count once the queue is empty.
	mailtest.Eventually(t, "postfix's queue to empty", 10*time.Second, p.QueueEmpty)
	if _, raws := mailboxStateOf(t, d, writer, "INBOX"); len(raws) != 1 {
		t.Fatalf("writer has %d mails, want only the one vacation answer", len(raws))
	}
}

// mailboxStateOf is mailboxState for any user.
func mailboxStateOf(t *testing.T, d *Dovecot, user, mailbox string) (uint32, [][]byte) {
	t.Helper()
	c, err := d.login(user)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("select %s: %v", mailbox, err)
	}
	var raws [][]byte
	if sel.NumMessages > 0 {
		var all imap.SeqSet
		all.AddRange(1, 0)
		bufs, err := c.Fetch(all, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
		if err != nil {
			t.Fatalf("fetch: %v", err)
		}
		for _, b := range bufs {
			raws = append(raws, b.BodySection[0].Bytes)
		}
	}
	return sel.UIDValidity, raws
}
