package mailtest

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"ticketd/internal/testcert"
)

func send(addr, rcpt string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.SendMail("from@example.com", []string{rcpt}, strings.NewReader("Subject: hi\r\n\r\nbody\r\n"))
}

// sendWith submits one message over c after auth (nil: none).
func sendWith(c *smtp.Client, auth sasl.Client) error {
	defer c.Close()
	if auth != nil {
		if err := c.Auth(auth); err != nil {
			return err
		}
	}
	return c.SendMail("from@example.com", []string{"a@example.com"}, strings.NewReader("Subject: hi\r\n\r\nbody\r\n"))
}

func code(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// xoauth2Client is the client side of XOAUTH2 for these tests.
type xoauth2Client struct{ user, token string }

func (x xoauth2Client) Start() (string, []byte, error) {
	return xoauth2Mechanism, []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}
func (x xoauth2Client) Next([]byte) ([]byte, error) { return []byte{}, nil }

func TestSMTP_recordsMessagesWithParsedHeaderAndCountsConnections(t *testing.T) {
	s := StartSMTP(t, nil)
	for range 2 {
		if err := send(s.Addr(), "a@example.com"); err != nil {
			t.Fatal(err)
		}
	}
	msgs := s.WaitFor(t, 2, 5*time.Second)
	m := msgs[0]
	if m.From != "from@example.com" || m.To[0] != "a@example.com" || m.Header.Get("Subject") != "hi" || m.TLS || m.User != "" || m.At.IsZero() {
		t.Errorf("message = %+v", m)
	}
	if got := s.Connections(); got != 2 {
		t.Errorf("connections = %d, want 2", got)
	}
}

func TestSMTP_injectedFailuresCountDownAndMinusOneIsForever(t *testing.T) {
	s := StartSMTP(t, nil)
	s.FailMail(451, 2)
	s.FailRcpt("Bad@example.com", 550, -1)
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

func TestSMTP_setDownRefusesThenServesOnTheSameAddress(t *testing.T) {
	s := StartSMTP(t, nil)
	addr := s.Addr()
	if err := s.SetDown(true); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("connection accepted while down")
	}
	if err := s.SetDown(false); err != nil {
		t.Fatal(err)
	}
	if s.Addr() != addr {
		t.Fatalf("address changed from %s to %s", addr, s.Addr())
	}
	if err := send(addr, "a@example.com"); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

func TestSMTP_auth(t *testing.T) {
	opt := &SMTPOptions{Username: "u", Password: "p", Token: "tok"}
	cases := []struct {
		name string
		auth sasl.Client
		want int // SMTP code of the failure, 0 for success, -1 for a client-side error
	}{
		{"none", nil, 530},
		{"PLAIN", sasl.NewPlainClient("", "u", "p"), 0},
		{"PLAIN wrong password", sasl.NewPlainClient("", "u", "x"), 535},
		{"XOAUTH2", xoauth2Client{"u", "tok"}, 0},
		{"XOAUTH2 wrong token", xoauth2Client{"u", "bad"}, 535},
		{"OAUTHBEARER", sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: "u", Token: "tok"}), 0},
		{"OAUTHBEARER wrong user", sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: "v", Token: "tok"}), -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := StartSMTP(t, opt)
			c, err := smtp.Dial(s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			err = sendWith(c, tc.auth)
			if (err == nil) != (tc.want == 0) || (tc.want > 0 && code(err) != tc.want) {
				t.Fatalf("err = %v, want code %d", err, tc.want)
			}
			if tc.want == 0 {
				if m := s.WaitFor(t, 1, 5*time.Second)[0]; m.User != "u" {
					t.Errorf("message user %q, want u", m.User)
				}
			}
		})
	}
}

func TestSMTP_implicitTLSAndSTARTTLSAreMarked(t *testing.T) {
	cert, pool := testcert.SelfSigned(t)
	server := &tls.Config{Certificates: []tls.Certificate{cert}}
	client := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	for _, tc := range []struct {
		name string
		opt  *SMTPOptions
		dial func(addr string) (*smtp.Client, error)
	}{
		{"implicit", &SMTPOptions{TLS: server}, func(addr string) (*smtp.Client, error) { return smtp.DialTLS(addr, client) }},
		{"STARTTLS", &SMTPOptions{StartTLS: server}, func(addr string) (*smtp.Client, error) { return smtp.DialStartTLS(addr, client) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := StartSMTP(t, tc.opt)
			c, err := tc.dial(s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			if err := sendWith(c, nil); err != nil {
				t.Fatal(err)
			}
			if m := s.WaitFor(t, 1, 5*time.Second)[0]; !m.TLS {
				t.Errorf("message not marked as received over TLS")
			}
		})
	}
}
