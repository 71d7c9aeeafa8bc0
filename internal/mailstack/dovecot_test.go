package mailstack

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

const (
	testUser     = "support@example.test"
	testPassword = "secret"
)

func testMail(subject string) []byte {
	return []byte("From: a@example.org\r\nTo: " + testUser + "\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", ".") + "@example.org>\r\n\r\n.leading dot\r\nbody\r\n")
}

// mailboxState returns UIDVALIDITY and the raw messages of the test user's mailbox.
func mailboxState(t *testing.T, d *Dovecot, mailbox string) (uint32, [][]byte) {
	t.Helper()
	return mailboxStateOf(t, d, testUser, mailbox)
}

func TestDovecotDeliversOverLMTPAndAppends(t *testing.T) {
	d := StartDovecot(t, User{testUser, testPassword})
	if err := d.Deliver(testUser, testMail("via lmtp")); err != nil {
		t.Fatalf("Deliver: %v\n%s", err, d.Log())
	}
	if err := d.Append(testUser, "Archive", testMail("via append")); err != nil {
		t.Fatalf("Append: %v", err)
	}
	_, inbox := mailboxState(t, d, "INBOX")
	if len(inbox) != 1 || !strings.Contains(string(inbox[0]), "Subject: via lmtp") ||
		!strings.Contains(string(inbox[0]), "\r\n.leading dot\r\n") {
		t.Fatalf("INBOX = %q, want the LMTP message with its leading dot intact", inbox)
	}
	_, archive := mailboxState(t, d, "Archive")
	if len(archive) != 1 || !strings.Contains(string(archive[0]), "Subject: via append") {
		t.Fatalf("Archive = %q, want the appended message", archive)
	}
}

func TestDovecotRejectsWrongPassword(t *testing.T) {
	d := StartDovecot(t, User{testUser, testPassword})
	c, err := imapclient.DialInsecure(d.IMAPAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(testUser, "wrong").Wait(); err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
}

func TestDovecotRecreateMailboxChangesUIDValidity(t *testing.T) {
	d := StartDovecot(t, User{testUser, testPassword})
	// No subtests: RecreateMailbox reports failures on the test it was
	// started with.
	for _, mailbox := range []string{"INBOX", "Archive"} {
		if err := d.Append(testUser, mailbox, testMail("before "+mailbox)); err != nil {
			t.Fatal(err)
		}
		before, _ := mailboxState(t, d, mailbox)
		d.RecreateMailbox(testUser, mailbox)
		after, msgs := mailboxState(t, d, mailbox)
		if after == before || len(msgs) != 0 {
			t.Fatalf("%s after RecreateMailbox: UIDVALIDITY %d (was %d), %d messages; want a new UIDVALIDITY and no messages",
				mailbox, after, before, len(msgs))
		}
	}
}

func TestDovecotRestartKeepsMailAndPorts(t *testing.T) {
	d := StartDovecot(t, User{testUser, testPassword})
	if err := d.Deliver(testUser, testMail("before restart")); err != nil {
		t.Fatal(err)
	}
	d.Stop()
	if err := d.Deliver(testUser, testMail("during outage")); err == nil {
		t.Fatal("Deliver succeeded while dovecot was stopped")
	}
	if err := d.DeliverToMaildir(testUser, testMail("into maildir during outage")); err != nil {
		t.Fatal(err)
	}
	d.Restart()
	if err := d.Deliver(testUser, testMail("after restart")); err != nil {
		t.Fatal(err)
	}
	if _, inbox := mailboxState(t, d, "INBOX"); len(inbox) != 3 {
		t.Fatalf("INBOX has %d messages after restart, want 3 (LMTP before, maildir during, LMTP after)", len(inbox))
	}
}

func TestDovecotDeliverManyDeliversEveryMail(t *testing.T) {
	d := StartDovecot(t, User{testUser, testPassword})
	var raws [][]byte
	for i := range 300 {
		raws = append(raws, testMail(fmt.Sprintf("bulk %d", i)))
	}
	start := time.Now()
	if err := d.DeliverMany(testUser, raws, 4); err != nil {
		t.Fatalf("DeliverMany: %v\n%s", err, d.Log())
	}
	t.Logf("%d mails over LMTP in %v", len(raws), time.Since(start))
	_, inbox := mailboxState(t, d, "INBOX")
	if len(inbox) != len(raws) {
		t.Fatalf("INBOX has %d mails, want %d", len(inbox), len(raws))
	}
	seen := map[string]bool{}
	for _, m := range inbox {
		_, rest, _ := strings.Cut(string(m), "Subject: ")
		subject, _, _ := strings.Cut(rest, "\r\n")
		seen[subject] = true
	}
	if len(seen) != len(raws) {
		t.Fatalf("%d distinct subjects in INBOX, want %d", len(seen), len(raws))
	}
}
