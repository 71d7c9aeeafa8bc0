package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"ticketd/internal/mailtest"
	"ticketd/internal/testcert"
)

const waitTimeout = 10 * time.Second

func testMessage(t testing.TB, id string) []byte {
	t.Helper()
	m := baseMail()
	m.MessageID = id + "@example.com"
	return mustCompose(t, m)
}

func newTestDeliverer(t testing.TB, cfg SMTPConfig) *Deliverer {
	t.Helper()
	if cfg.Security == "" {
		cfg.Security = SecurityNone
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	cfg.HeloName = "ticketd.test"
	d, err := NewDeliverer(cfg, nil)
	if err != nil {
		t.Fatalf("NewDeliverer: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func password(s string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return s, nil }
}

func deliveryError(t *testing.T, err error) *DeliveryError {
	t.Helper()
	var de *DeliveryError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v (%T), want *DeliveryError", err, err)
	}
	return de
}

func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) { return testcert.SelfSigned(t) }

func TestDeliver_ReusesOneConnectionForManyMessages(t *testing.T) {
	srv := mailtest.StartSMTP(t, nil)
	d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr()})
	for i := range 5 {
		if err := d.Deliver(t.Context(), "bounce@example.com", []string{"ada@customer.example"}, testMessage(t, fmt.Sprint("m", i))); err != nil {
			t.Fatalf("Deliver %d: %v", i, err)
		}
	}
	msgs := srv.WaitFor(t, 5, waitTimeout)
	if got := srv.Connections(); got != 1 {
		t.Errorf("connections = %d, want 1", got)
	}
	for i, m := range msgs {
		if m.From != "bounce@example.com" || len(m.To) != 1 || m.To[0] != "ada@customer.example" {
			t.Errorf("message %d envelope = %s → %v", i, m.From, m.To)
		}
		if got, want := m.Header.Get("Message-Id"), fmt.Sprintf("<m%d@example.com>", i); got != want {
			t.Errorf("message %d Message-ID = %q, want %q", i, got, want)
		}
	}
}

func TestDeliver_ConcurrentCallsShareTheConnection(t *testing.T) {
	srv := mailtest.StartSMTP(t, nil)
	d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr()})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			errs <- d.Deliver(t.Context(), "b@example.com", []string{"ada@customer.example"}, testMessage(t, fmt.Sprint("c", i)))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Deliver: %v", err)
		}
	}
	srv.WaitFor(t, 8, waitTimeout)
	if got := srv.Connections(); got != 1 {
		t.Errorf("connections = %d, want 1", got)
	}
}

func TestDeliver_TemporaryRejectionSucceedsOnRetry(t *testing.T) {
	srv := mailtest.StartSMTP(t, nil)
	srv.FailMail(451, 1)
	d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr()})
	data := testMessage(t, "grey")

	err := d.Deliver(t.Context(), "b@example.com", []string{"ada@customer.example"}, data)
	de := deliveryError(t, err)
	if !IsTemporary(err) || de.Code != 451 || de.Stage != StageMail || de.Enhanced != "4.0.0" {
		t.Fatalf("err = %v; want temporary 451 4.0.0 at mail", err)
	}
	if err := d.Deliver(t.Context(), "b@example.com", []string{"ada@customer.example"}, data); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if got := len(srv.WaitFor(t, 1, waitTimeout)); got != 1 {
		t.Errorf("messages = %d, want 1", got)
	}
}

func TestDeliver_PermanentRejectionsArePermanent(t *testing.T) {
	cases := []struct {
		name   string
		inject func(*mailtest.SMTPServer)
		stage  string
	}{
		{"550 at MAIL", func(s *mailtest.SMTPServer) { s.FailMail(550, 1) }, StageMail},
		{"550 at RCPT", func(s *mailtest.SMTPServer) { s.FailRcpt("ada@customer.example", 550, 1) }, StageRcpt},
		{"554 at DATA", func(s *mailtest.SMTPServer) { s.FailData(554, 1) }, StageData},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.StartSMTP(t, nil)
			tc.inject(srv)
			d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr()})
			err := d.Deliver(t.Context(), "b@example.com", []string{"ada@customer.example"}, testMessage(t, "p"))
			de := deliveryError(t, err)
			if IsTemporary(err) || de.Stage != tc.stage || de.Code/100 != 5 {
				t.Fatalf("err = %v; want permanent 5xx at %s", err, tc.stage)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server stored %d messages after a rejection", n)
			}
			// The deliverer recovers for the next message.
			if err := d.Deliver(t.Context(), "b@example.com", []string{"ada@customer.example"}, testMessage(t, "q")); err != nil {
				t.Fatalf("next Deliver: %v", err)
			}
		})
	}
}

func TestDeliver_PartialRecipientFailureDeliversToTheRest(t *testing.T) {
	srv := mailtest.StartSMTP(t, nil)
	srv.FailRcpt("gone@customer.example", 550, -1)
	d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr()})
	err := d.Deliver(t.Context(), "b@example.com", []string{"ada@customer.example", "gone@customer.example"}, testMessage(t, "part"))
	var pe *PartialDeliveryError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *PartialDeliveryError", err)
	}
	if IsTemporary(err) {
		t.Errorf("partial delivery classed temporary; a retry would duplicate it")
	}
	if got := pe.FailedRecipients(); len(got) != 1 || got[0] != "gone@customer.example" {
		t.Errorf("failed = %v", got)
	}
	msgs := srv.WaitFor(t, 1, waitTimeout)
	if len(msgs[0].To) != 1 || msgs[0].To[0] != "ada@customer.example" {
		t.Errorf("delivered to %v, want only ada", msgs[0].To)
	}
}

func TestDeliver_AllRecipientsRefusedReportsTemporaryIfAnyIs(t *testing.T) {
	srv := mailtest.StartSMTP(t, nil)
	srv.FailRcpt("a@customer.example", 550, -1)
	srv.FailRcpt("b@customer.example", 452, -1)
	d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr()})
	err := d.Deliver(t.Context(), "x@example.com", []string{"a@customer.example", "b@customer.example"}, testMessage(t, "all"))
	de := deliveryError(t, err)
	if !IsTemporary(err) || de.Recipient != "b@customer.example" || de.Code != 452 {
		t.Fatalf("err = %v; want temporary 452 for b", err)
	}
}

func TestDeliver_AuthPlain(t *testing.T) {
	srv := mailtest.StartSMTP(t, &mailtest.SMTPOptions{Username: "ticketd", Password: "s3cret"})

	t.Run("right password delivers", func(t *testing.T) {
		d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr(), Auth: AuthPlain, Username: "ticketd", Password: password("s3cret")})
		if err := d.Deliver(t.Context(), "b@example.com", []string{"ada@customer.example"}, testMessage(t, "auth")); err != nil {
			t.Fatalf("Deliver: %v", err)
		}
		if u := srv.WaitFor(t, 1, waitTimeout)[0].User; u != "ticketd" {
			t.Errorf("authenticated as %q", u)
		}
	})
	t.Run("wrong password is an auth-stage error kept for retry", func(t *testing.T) {
		d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr(), Auth: AuthPlain, Username: "ticketd", Password: password("old")})
		err := d.Deliver(t.Context(), "b@example.com", []string{"ada@customer.example"}, testMessage(t, "auth2"))
		de := deliveryError(t, err)
		if de.Stage != StageAuth || de.Code != 535 || !de.Temporary {
			t.Fatalf("err = %v; want temporary 535 at auth", err)
		}
	})
	t.Run("no credentials is refused at MAIL", func(t *testing.T) {
		d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr()})
		err := d.Deliver(t.Context(), "b@example.com", []string{"ada@customer.example"}, testMessage(t, "auth3"))
		if de := deliveryError(t, err); de.Code != 530 || de.Stage != StageMail {
			t.Fatalf("err = %v; want 530 at mail", err)
		}
	})
	t.Run("password source error is temporary", func(t *testing.T) {
		d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr(), Auth: AuthPlain, Username: "ticketd",
			Password: func(context.Context) (string, error) { return "", errors.New("vault sealed") }})
		err := d.Deliver(t.Context(), "b@example.com", []string{"ada@customer.example"}, testMessage(t, "auth4"))
		if de := deliveryError(t, err); de.Stage != StageAuth || !de.Temporary || !strings.Contains(err.Error(), "vault sealed") {
			t.Fatalf("err = %v; want temporary auth error mentioning the cause", err)
		}
	})
}

func TestDeliver_OAuthTokens(t *testing.T) {
	srv := mailtest.StartSMTP(t, &mailtest.SMTPOptions{Username: "ticketd@example.com", Token: "tok-123"})
	for _, mech := range []string{AuthXOAuth2, AuthOAuthBearer} {
		t.Run(mech+" accepted", func(t *testing.T) {
			d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr(), Auth: mech, Username: "ticketd@example.com", Password: password("tok-123")})
			if err := d.Deliver(t.Context(), "b@example.com", []string{"ada@customer.example"}, testMessage(t, mech)); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
		})
		t.Run(mech+" bad token fails at auth", func(t *testing.T) {
			d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr(), Auth: mech, Username: "ticketd@example.com", Password: password("expired")})
			err := d.Deliver(t.Context(), "b@example.com", []string{"ada@customer.example"}, testMessage(t, mech+"x"))
			if de := deliveryError(t, err); de.Stage != StageAuth {
				t.Fatalf("err = %v; want auth-stage error", err)
			}
		})
	}
	if got := len(srv.Messages()); got != 2 {
		t.Errorf("messages = %d, want 2 (one per accepted mechanism)", got)
	}
}

func TestDeliver_StartTLSWithTrustedSelfSignedCert(t *testing.T) {
	cert, pool := selfSigned(t)
	srv := mailtest.StartSMTP(t, &mailtest.SMTPOptions{StartTLS: &tls.Config{Certificates: []tls.Certificate{cert}}, Username: "u", Password: "p"})
	d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr(), Security: SecurityStartTLS, Auth: AuthPlain, Username: "u", Password: password("p"),
		TLSConfig: &tls.Config{RootCAs: pool}})
	if err := d.Deliver(t.Context(), "b@example.com", []string{"ada@customer.example"}, testMessage(t, "tls")); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if m := srv.WaitFor(t, 1, waitTimeout)[0]; !m.TLS || m.User != "u" {
		t.Errorf("message TLS=%v user=%q, want TLS and user u", m.TLS, m.User)
	}
}

func TestDeliver_ImplicitTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	srv := mailtest.StartSMTP(t, &mailtest.SMTPOptions{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr(), Security: SecurityTLS, TLSConfig: &tls.Config{RootCAs: pool}})
	if err := d.Deliver(t.Context(), "b@example.com", []string{"ada@customer.example"}, testMessage(t, "itls")); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if !srv.WaitFor(t, 1, waitTimeout)[0].TLS {
		t.Errorf("message not received over TLS")
	}
}

func TestDeliver_UntrustedCertificateIsATLSStageError(t *testing.T) {
	cert, _ := selfSigned(t)
	srv := mailtest.StartSMTP(t, &mailtest.SMTPOptions{StartTLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr(), Security: SecurityStartTLS})
	err := d.Deliver(t.Context(), "b@example.com", []string{"ada@customer.example"}, testMessage(t, "untrusted"))
	if de := deliveryError(t, err); de.Stage != StageTLS || !de.Temporary {
		t.Fatalf("err = %v; want temporary tls-stage error", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("message sent despite an untrusted certificate")
	}
}

func TestDeliver_StartTLSRequiredButNotOfferedNeverFallsBackToPlaintext(t *testing.T) {
	srv := mailtest.StartSMTP(t, nil)
	d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr(), Security: SecurityStartTLS})
	err := d.Deliver(t.Context(), "b@example.com", []string{"ada@customer.example"}, testMessage(t, "notls"))
	if de := deliveryError(t, err); de.Stage != StageTLS {
		t.Fatalf("err = %v; want tls-stage error", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("message sent in plaintext")
	}
}

func TestDeliver_ServerDownIsTemporaryAndRecovers(t *testing.T) {
	srv := mailtest.StartSMTP(t, nil)
	d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr()})
	rcpt := []string{"ada@customer.example"}
	if err := d.Deliver(t.Context(), "b@example.com", rcpt, testMessage(t, "before")); err != nil {
		t.Fatalf("Deliver before outage: %v", err)
	}

	if err := srv.SetDown(true); err != nil {
		t.Fatal(err)
	}
	err := d.Deliver(t.Context(), "b@example.com", rcpt, testMessage(t, "during"))
	if de := deliveryError(t, err); !IsTemporary(err) || de.Stage != StageDial {
		t.Fatalf("err = %v; want temporary dial error", err)
	}

	if err := srv.SetDown(false); err != nil {
		t.Fatal(err)
	}
	if err := d.Deliver(t.Context(), "b@example.com", rcpt, testMessage(t, "after")); err != nil {
		t.Fatalf("Deliver after outage: %v", err)
	}
	if got := len(srv.WaitFor(t, 2, waitTimeout)); got != 2 {
		t.Errorf("messages = %d, want 2", got)
	}
	if got := srv.Connections(); got != 2 {
		t.Errorf("connections = %d, want 2 (one before, one after the outage)", got)
	}
}

func TestDeliver_CancelledContextIsTemporary(t *testing.T) {
	srv := mailtest.StartSMTP(t, nil)
	d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr()})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := d.Deliver(ctx, "b@example.com", []string{"ada@customer.example"}, testMessage(t, "cancel"))
	if !IsTemporary(err) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want temporary, wrapping context.Canceled", err)
	}
}

func TestDeliver_AfterCloseFailsTemporarily(t *testing.T) {
	srv := mailtest.StartSMTP(t, nil)
	d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr()})
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	err := d.Deliver(t.Context(), "b@example.com", []string{"ada@customer.example"}, testMessage(t, "closed"))
	if !errors.Is(err, ErrDelivererClosed) || !IsTemporary(err) {
		t.Fatalf("err = %v; want temporary ErrDelivererClosed", err)
	}
}

func TestDeliver_RejectsMalformedEnvelopeWithoutConnecting(t *testing.T) {
	srv := mailtest.StartSMTP(t, nil)
	d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr()})
	for name, env := range map[string]struct {
		from string
		to   []string
	}{
		"CRLF in sender":    {"b@example.com\r\nRCPT TO:<x@evil.example>", []string{"a@b.example"}},
		"space in rcpt":     {"b@example.com", []string{"a b@example.com"}},
		"no recipients":     {"b@example.com", nil},
		"empty recipient":   {"b@example.com", []string{""}},
		"bracket in sender": {"<b@example.com>", []string{"a@b.example"}},
	} {
		t.Run(name, func(t *testing.T) {
			err := d.Deliver(t.Context(), env.from, env.to, []byte("x\r\n"))
			if deliveryError(t, err); IsTemporary(err) {
				t.Fatalf("err = %v; want permanent", err)
			}
		})
	}
	if got := srv.Connections(); got != 0 {
		t.Errorf("connections = %d, want 0", got)
	}
}

func TestNewDeliverer_RejectsBadConfig(t *testing.T) {
	pw := password("x")
	cases := map[string]SMTPConfig{
		"address without port":     {Address: "mail.example.com"},
		"unknown security":         {Address: "mail.example.com:587", Security: "ssl"},
		"unknown auth":             {Address: "mail.example.com:587", Auth: "cram-md5", Username: "u", Password: pw},
		"auth without username":    {Address: "mail.example.com:587", Auth: AuthPlain, Password: pw},
		"auth without password":    {Address: "mail.example.com:587", Auth: AuthPlain, Username: "u"},
		"auth in clear to remote":  {Address: "mail.example.com:25", Security: SecurityNone, Auth: AuthPlain, Username: "u", Password: pw},
		"helo name with a newline": {Address: "mail.example.com:587", HeloName: "a\r\nMAIL FROM:<x>"},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := NewDeliverer(cfg, nil); err == nil {
				t.Fatalf("NewDeliverer accepted %+v", cfg)
			}
		})
	}
	if _, err := NewDeliverer(SMTPConfig{Address: "127.0.0.1:25", Security: SecurityNone, Auth: AuthPlain, Username: "u", Password: pw}, nil); err != nil {
		t.Errorf("auth over loopback without TLS refused: %v", err)
	}
}

func TestIsTemporary_ClassesErrors(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"4xx delivery error", &DeliveryError{Temporary: true, Code: 421}, true},
		{"5xx delivery error", &DeliveryError{Code: 550}, false},
		{"wrapped permanent", fmt.Errorf("outbox 7: %w", &DeliveryError{Code: 550}), false},
		{"partial", &PartialDeliveryError{Failed: []*DeliveryError{{Temporary: true}}}, false},
		{"invalid mail", fmt.Errorf("x: %w", ErrInvalidMail), false},
		{"deadline", context.DeadlineExceeded, true},
		{"unknown", errors.New("something odd"), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsTemporary(tc.err); got != tc.want {
				t.Errorf("IsTemporary(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func BenchmarkDeliver(b *testing.B) {
	srv := mailtest.StartSMTP(b, nil)
	d := newTestDeliverer(b, SMTPConfig{Address: srv.Addr()})
	data := testMessage(b, "bench")
	rcpt := []string{"ada@customer.example"}
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Deliver(b.Context(), "b@example.com", rcpt, data); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if got := srv.Connections(); got != 1 {
		b.Errorf("connections = %d, want 1", got)
	}
}
