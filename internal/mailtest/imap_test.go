package mailtest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"ticketd/internal/testcert"
)

const (
	user     = "support@example.test"
	password = "s3cret"
	token    = "ya29.test-token"
)

func startIMAPWithUser(t *testing.T, opt *IMAPOptions) *IMAPServer {
	t.Helper()
	s := StartIMAP(t, opt)
	if err := s.AddUser(user, password); err != nil {
		t.Fatal(err)
	}
	if err := s.SetToken(user, token); err != nil {
		t.Fatal(err)
	}
	return s
}

func dial(t *testing.T, addr string, opts *imapclient.Options) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func message(n int) []byte {
	return fmt.Appendf(nil, "From: a@example.org\r\nTo: %s\r\nSubject: %d\r\nMessage-ID: <m%d@example.org>\r\n\r\nbody\r\n", user, n, n)
}

func TestIMAP_authenticatesByPasswordAndTokenAndCountsLogins(t *testing.T) {
	s := startIMAPWithUser(t, nil)
	cases := []struct {
		name  string
		login func(c *imapclient.Client) error
		ok    bool
	}{
		{"LOGIN", func(c *imapclient.Client) error { return c.Login(user, password).Wait() }, true},
		{"LOGIN wrong password", func(c *imapclient.Client) error { return c.Login(user, "x").Wait() }, false},
		{"LOGIN unknown user", func(c *imapclient.Client) error { return c.Login("nobody@example.test", password).Wait() }, false},
		{"PLAIN", func(c *imapclient.Client) error { return c.Authenticate(sasl.NewPlainClient("", user, password)) }, true},
		{"XOAUTH2", func(c *imapclient.Client) error { return c.Authenticate(xoauth2Client{user, token}) }, true},
		{"XOAUTH2 wrong token", func(c *imapclient.Client) error { return c.Authenticate(xoauth2Client{user, "bad"}) }, false},
		{"OAUTHBEARER", func(c *imapclient.Client) error {
			return c.Authenticate(sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: user, Token: token}))
		}, true},
	}
	want := 0
	for _, tc := range cases {
		err := tc.login(dial(t, s.Addr(), nil))
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want success %v", tc.name, err, tc.ok)
		}
		var ie *imap.Error
		if !tc.ok && errors.As(err, &ie) && ie.Type != imap.StatusResponseTypeNo {
			t.Errorf("%s: %v, want a tagged NO", tc.name, err)
		}
		if tc.ok {
			want++
		}
	}
	if got := s.Logins(); got != want {
		t.Errorf("Logins() = %d, want %d", got, want)
	}
}

func TestIMAP_appendRecreateAndRefuseCreate(t *testing.T) {
	s := startIMAPWithUser(t, &IMAPOptions{RefuseCreate: true})
	for i := range 2 {
		if err := s.Append(user, "INBOX", message(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Append("nobody@example.test", "INBOX", message(9)); err == nil {
		t.Error("Append to an unknown user succeeded")
	}
	before, err := s.User(user).Status("INBOX", &imap.StatusOptions{NumMessages: true, UIDValidity: true})
	if err != nil || *before.NumMessages != 2 {
		t.Fatalf("status %+v, %v; want 2 messages", before, err)
	}
	if err := s.RecreateMailbox(user, "INBOX"); err != nil {
		t.Fatal(err)
	}
	after, _ := s.User(user).Status("INBOX", &imap.StatusOptions{NumMessages: true, UIDValidity: true})
	if *after.NumMessages != 0 || after.UIDValidity == before.UIDValidity {
		t.Errorf("after RecreateMailbox: %d messages, UIDVALIDITY %d (was %d)", *after.NumMessages, after.UIDValidity, before.UIDValidity)
	}
	c := dial(t, s.Addr(), nil)
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatal(err)
	}
	var ie *imap.Error
	if err := c.Create("Processed", nil).Wait(); !errors.As(err, &ie) || ie.Code != imap.ResponseCodeNoPerm {
		t.Errorf("CREATE: %v, want NO [NOPERM]", err)
	}
}

func TestIMAP_dropConnectionsClosesSessionsAndKeepsListening(t *testing.T) {
	s := startIMAPWithUser(t, nil)
	c := dial(t, s.Addr(), nil)
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatal(err)
	}
	s.DropConnections()
	if err := c.Noop().Wait(); err == nil {
		t.Error("NOOP succeeded on a dropped connection")
	}
	if err := dial(t, s.Addr(), nil).Login(user, password).Wait(); err != nil {
		t.Errorf("login after the drop: %v", err)
	}
}

// idleClient dials with a handler that counts EXISTS announcements.
func idleClient(t *testing.T, addr string) (*imapclient.Client, func() uint32) {
	exists := make(chan uint32, 100)
	c := dial(t, addr, &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				exists <- *d.NumMessages
			}
		},
	}})
	var last uint32
	latest := func() uint32 {
		for {
			select {
			case n := <-exists:
				last = n
			default:
				return last
			}
		}
	}
	return c, latest
}

// Mail appended between a command and IDLE is announced during IDLE, as
// Dovecot does.
func TestIMAP_idleAnnouncesMailAppendedBeforeIdleBegan(t *testing.T) {
	s := startIMAPWithUser(t, nil)
	c, exists := idleClient(t, s.Addr())
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(user, "INBOX", message(1)); err != nil {
		t.Fatal(err)
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatal(err)
	}
	Eventually(t, "EXISTS 1 during IDLE", 5*time.Second, func() bool { return exists() == 1 })
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestIMAP_announceOnNoopHidesIdleAndNewMailUntilNoop(t *testing.T) {
	s := startIMAPWithUser(t, &IMAPOptions{AnnounceOnNoop: true})
	c, exists := idleClient(t, s.Addr())
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatal(err)
	}
	caps, err := c.Capability().Wait()
	if err != nil {
		t.Fatal(err)
	}
	if caps.Has(imap.CapIdle) {
		t.Error("IDLE advertised")
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(user, "INBOX", message(1)); err != nil {
		t.Fatal(err)
	}
	fetchAll := func() int {
		msgs, err := c.Fetch(imap.UIDSetNum(imap.UID(1)), &imap.FetchOptions{UID: true}).Collect()
		if err != nil {
			t.Fatal(err)
		}
		return len(msgs)
	}
	if n := fetchAll(); n != 0 || exists() != 0 {
		t.Fatalf("before NOOP: UID FETCH returned %d messages, EXISTS %d; want neither", n, exists())
	}
	if err := c.Noop().Wait(); err != nil {
		t.Fatal(err)
	}
	if n := fetchAll(); n != 1 || exists() != 1 {
		t.Fatalf("after NOOP: UID FETCH returned %d messages, EXISTS %d; want 1 and 1", n, exists())
	}
}

func TestIMAP_TLS(t *testing.T) {
	cert, pool := testcert.SelfSigned(t)
	server := &tls.Config{Certificates: []tls.Certificate{cert}}
	client := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}

	t.Run("implicit", func(t *testing.T) {
		s := startIMAPWithUser(t, &IMAPOptions{TLS: server})
		c, err := imapclient.DialTLS(s.Addr(), &imapclient.Options{TLSConfig: client})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Login(user, password).Wait(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("STARTTLS refuses LOGIN before it", func(t *testing.T) {
		s := startIMAPWithUser(t, &IMAPOptions{StartTLS: server})
		if err := dial(t, s.Addr(), nil).Login(user, password).Wait(); err == nil {
			t.Error("LOGIN accepted without TLS")
		}
		c, err := imapclient.DialStartTLS(s.Addr(), &imapclient.Options{TLSConfig: client})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Login(user, password).Wait(); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := NewIMAPServer(&IMAPOptions{StartTLS: server, AnnounceOnNoop: true}); err == nil {
		t.Error("AnnounceOnNoop with StartTLS accepted")
	}
}
