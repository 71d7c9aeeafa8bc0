package smtptest

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

func send(addr, rcpt string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.SendMail("from@example.com", []string{rcpt}, strings.NewReader("Subject: hi\r\n\r\nbody\r\n"))
}

func code(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func TestServer_RecordsMessagesWithParsedHeader(t *testing.T) {
	s := Start(t)
	if err := send(s.Addr(), "a@example.com"); err != nil {
		t.Fatal(err)
	}
	m := s.WaitFor(t, 1, 5*time.Second)[0]
	if m.From != "from@example.com" || m.To[0] != "a@example.com" || m.Header.Get("Subject") != "hi" {
		t.Errorf("message = %+v", m)
	}
}

func TestServer_InjectedFailuresCountDownAndMinusOneIsForever(t *testing.T) {
	s := Start(t)
	s.FailMail(451, "later", 2)
	s.FailRcpt("bad@example.com", 550, -1)
	for i, want := range []int{451, 451, 0} {
		if got := code(send(s.Addr(), "a@example.com")); got != want {
			t.Errorf("MAIL try %d: code %d, want %d", i+1, got, want)
		}
	}
	for i := range 3 {
		if got := code(send(s.Addr(), "bad@example.com")); got != 550 {
			t.Errorf("RCPT try %d: code %d, want 550", i+1, got)
		}
	}
	s.FailData(554, 1)
	if got := code(send(s.Addr(), "a@example.com")); got != 554 {
		t.Errorf("DATA: code %d, want 554", got)
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("messages = %d, want 1", n)
	}
}

func TestServer_SetDownRefusesThenServesOnTheSameAddress(t *testing.T) {
	s := Start(t)
	addr := s.Addr()
	s.SetDown(true)
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("connection accepted while down")
	}
	s.SetDown(false)
	if s.Addr() != addr {
		t.Fatalf("address changed from %s to %s", addr, s.Addr())
	}
	if err := send(addr, "a@example.com"); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

func TestServer_RequiresAuthBeforeMail(t *testing.T) {
	s := Start(t, WithAuth("u", "p"))
	if got := code(send(s.Addr(), "a@example.com")); got != 530 {
		t.Errorf("unauthenticated MAIL: code %d, want 530", got)
	}
}
