package mailtest

import (
	"net/smtp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// SMTP delivers into the recipient's INBOX, a plus-address into its base
// account, and only records mail for strangers.
func TestSystem_deliversToLocalMailboxesAndRecordsEverything(t *testing.T) {
	sys := StartSystem(t)
	for _, u := range []string{"support@example.com", "ops@acme.example"} {
		if err := sys.AddUser(u, "pw"); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var hooked []string
	sys.OnMessage = func(m Message) {
		mu.Lock()
		hooked = append(hooked, m.To...)
		mu.Unlock()
	}
	for _, rcpt := range []string{"ops@acme.example", "support+t1.abc@example.com", "stranger@elsewhere.example"} {
		raw := []byte("From: a@example.org\r\nTo: " + rcpt + "\r\nSubject: hi\r\n\r\nbody\r\n")
		if err := smtp.SendMail(sys.SMTPAddr, nil, "a@example.org", []string{rcpt}, raw); err != nil {
			t.Fatalf("send to %s: %v", rcpt, err)
		}
	}
	if got := len(sys.SMTP.WaitFor(t, 3, 5*time.Second)); got != 3 || len(sys.Messages()) != 3 {
		t.Errorf("recorded %d messages, want 3", got)
	}
	for _, u := range []string{"support@example.com", "ops@acme.example"} {
		st, err := sys.IMAP.User(u).Status("INBOX", &imap.StatusOptions{NumMessages: true})
		if err != nil || *st.NumMessages != 1 {
			t.Errorf("%s's INBOX: %+v, %v; want 1 message", u, st, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"ops@acme.example", "support+t1.abc@example.com", "stranger@elsewhere.example"}; !slices.Equal(hooked, want) {
		t.Errorf("OnMessage saw %v, want %v", hooked, want)
	}
}
