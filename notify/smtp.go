package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTPConfig says how to reach the relay ticketd submits its mail to.
type SMTPConfig struct {
	Address  string // host:port
	Security string // "tls" (implicit, RFC 8314), "starttls" (RFC 3207; default) or "none"
	Username string

	// Password returns the password for Auth "plain" or the OAuth 2.0
	// access token for "xoauth2" and "oauthbearer". It is called on every
	// new connection, so rotated secrets and refreshed tokens are picked up.
	Password func(ctx context.Context) (string, error)
	Auth     string // "" (none), "plain", "xoauth2" or "oauthbearer" (RFC 7628)

	HeloName  string      // EHLO name; default: the host name
	TLSConfig *tls.Config // nil: system roots, ServerName from Address
	Timeout   time.Duration
}

// Security and Auth values.
const (
	SecurityTLS      = "tls"
	SecurityStartTLS = "starttls"
	SecurityNone     = "none"

	AuthNone        = ""
	AuthPlain       = "plain"
	AuthXOAuth2     = "xoauth2"
	AuthOAuthBearer = "oauthbearer"
)

// DefaultSMTPTimeout bounds connecting (dial, TLS, greeting, EHLO, AUTH)
// and each SMTP command when SMTPConfig.Timeout is zero.
const DefaultSMTPTimeout = time.Minute

// dataTimeout is how long to wait for the reply to the final "." of DATA:
// RFC 5321 §4.5.3.2.6 asks for 10 minutes, because giving up earlier risks
// a duplicate when the server did accept the message.
const dataTimeout = 10 * time.Minute

// Delivery stages, reported in DeliveryError.Stage.
const (
	StageDial = "dial" // TCP connect, greeting, EHLO
	StageTLS  = "tls"  // implicit TLS handshake or STARTTLS
	StageAuth = "auth"
	StageMail = "mail"
	StageRcpt = "rcpt"
	StageData = "data"
)

// DeliveryError is a classed delivery failure.
//
// Temporary follows the reply code (RFC 5321 §4.2.1: 4yz transient, 5yz
// permanent) at the mail, rcpt and data stages. Failures at dial, tls and
// auth are always temporary: they concern ticketd's connection or
// settings (a rotated password, an expired relay certificate), not the
// message, and the message will go through once they are fixed. They are
// logged at error level so admins notice; Worker's GiveUpAfter bounds how
// long a message waits.
type DeliveryError struct {
	Temporary bool
	Code      int    // SMTP reply code; 0 when the failure was not a reply
	Enhanced  string // RFC 3463 enhanced status code, e.g. "5.1.1"; "" if none
	Message   string // server text or a description
	Stage     string // StageDial … StageData
	Recipient string // the RCPT address at the rcpt stage
	Err       error
}

func (e *DeliveryError) Error() string {
	var b strings.Builder
	b.WriteString("smtp ")
	b.WriteString(e.Stage)
	if e.Recipient != "" {
		b.WriteString(" <" + e.Recipient + ">")
	}
	b.WriteString(": ")
	switch {
	case e.Code != 0:
		b.WriteString(strconv.Itoa(e.Code))
		if e.Enhanced != "" {
			b.WriteString(" " + e.Enhanced)
		}
		if e.Message != "" {
			b.WriteString(" " + e.Message)
		}
	case e.Message != "" && e.Err != nil:
		b.WriteString(e.Message + ": " + e.Err.Error())
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		b.WriteString(e.Message)
	}
	if e.Temporary {
		b.WriteString(" (temporary)")
	} else {
		b.WriteString(" (permanent)")
	}
	return b.String()
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// PartialDeliveryError reports a message the server accepted for some
// recipients while refusing others at RCPT. The message was sent: retrying
// it would duplicate it for Delivered, so IsTemporary reports false and
// Worker marks the item sent and reports Failed through OnFailed.
type PartialDeliveryError struct {
	Delivered []string
	Failed    []*DeliveryError // one per refused recipient
}

func (e *PartialDeliveryError) Error() string {
	parts := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		parts[i] = f.Error()
	}
	return fmt.Sprintf("smtp: delivered to %d of %d recipients; refused: %s",
		len(e.Delivered), len(e.Delivered)+len(e.Failed), strings.Join(parts, "; "))
}

// FailedRecipients lists the refused addresses.
func (e *PartialDeliveryError) FailedRecipients() []string {
	out := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		out[i] = f.Recipient
	}
	return out
}

// IsTemporary reports whether retrying the delivery later may succeed.
// A partial delivery is not temporary (the message was sent). An error of
// unknown class counts as temporary: a retry is harmless and the outbox
// bounds it with GiveUpAfter, whereas a wrong "permanent" loses the mail.
func IsTemporary(err error) bool {
	if err == nil {
		return false
	}
	var pe *PartialDeliveryError
	if errors.As(err, &pe) {
		return false
	}
	var de *DeliveryError
	if errors.As(err, &de) {
		return de.Temporary
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code/100 != 5
	}
	if errors.Is(err, ErrInvalidMail) {
		return false
	}
	var t interface{ Temporary() bool }
	if errors.As(err, &t) {
		return t.Temporary()
	}
	return true
}

// ErrDelivererClosed is returned (as a temporary DeliveryError) by Deliver
// after Close.
var ErrDelivererClosed = errors.New("deliverer closed")

// Deliverer submits messages to one SMTP relay over a single reused
// connection. It is safe for concurrent use; deliveries are serialised.
type Deliverer struct {
	cfg     SMTPConfig
	host    string
	tlsConf *tls.Config
	logger  *slog.Logger

	sem    chan struct{} // holds the connection; a channel so waiting honours ctx
	client *smtp.Client  // nil when not connected
	raw    net.Conn      // the TCP connection under client
	closed bool
}

// NewDeliverer checks cfg and returns a Deliverer. It does not connect;
// the first Deliver does.
func NewDeliverer(cfg SMTPConfig, logger *slog.Logger) (*Deliverer, error) {
	host, _, err := net.SplitHostPort(cfg.Address)
	if err != nil || host == "" {
		return nil, fmt.Errorf("SMTPConfig.Address %q: want host:port", cfg.Address)
	}
	cfg.Security = strings.ToLower(strings.TrimSpace(cfg.Security))
	if cfg.Security == "" {
		cfg.Security = SecurityStartTLS
	}
	switch cfg.Security {
	case SecurityTLS, SecurityStartTLS, SecurityNone:
	default:
		return nil, fmt.Errorf("SMTPConfig.Security %q: want tls, starttls or none", cfg.Security)
	}
	cfg.Auth = strings.ToLower(strings.TrimSpace(cfg.Auth))
	switch cfg.Auth {
	case AuthNone:
	case AuthPlain, AuthXOAuth2, AuthOAuthBearer:
		if cfg.Username == "" || cfg.Password == nil {
			return nil, fmt.Errorf("SMTPConfig.Auth %q needs Username and Password", cfg.Auth)
		}
		// RFC 4954 §4: credentials go only over a protected channel; a
		// loopback relay is the one exception worth allowing.
		if cfg.Security == SecurityNone && !isLoopback(host) {
			return nil, fmt.Errorf("SMTPConfig.Auth %q over Security none to %s would send credentials in clear; use tls or starttls", cfg.Auth, host)
		}
	default:
		return nil, fmt.Errorf("SMTPConfig.Auth %q: want \"\", plain, xoauth2 or oauthbearer", cfg.Auth)
	}
	if cfg.HeloName == "" {
		cfg.HeloName, _ = os.Hostname()
		if cfg.HeloName == "" {
			cfg.HeloName = "localhost"
		}
	}
	if strings.ContainsAny(cfg.HeloName, " \t\r\n") {
		return nil, fmt.Errorf("SMTPConfig.HeloName %q: must be one word", cfg.HeloName)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultSMTPTimeout
	}
	tc := &tls.Config{}
	if cfg.TLSConfig != nil {
		tc = cfg.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = host
	}
	if tc.MinVersion == 0 {
		tc.MinVersion = tls.VersionTLS12
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Deliverer{
		cfg:     cfg,
		host:    host,
		tlsConf: tc,
		logger:  logger.With("smtp", cfg.Address),
		sem:     make(chan struct{}, 1),
	}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Deliver submits data to the relay for the envelope from → to. It reuses
// the open connection when a NOOP shows it alive, and reconnects
// otherwise. Some recipients refused and others accepted yields a
// *PartialDeliveryError after the message went to the accepted ones;
// every other failure is a *DeliveryError.
func (d *Deliverer) Deliver(ctx context.Context, from string, to []string, data []byte) error {
	if err := checkEnvelope(from, to); err != nil {
		return err
	}
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		return &DeliveryError{Temporary: true, Stage: StageDial, Message: "waiting for the connection", Err: ctx.Err()}
	}
	defer func() { <-d.sem }()
	if d.closed {
		return &DeliveryError{Temporary: true, Stage: StageDial, Err: ErrDelivererClosed}
	}
	if d.client != nil && !d.alive(ctx) {
		d.logger.Debug("smtp connection went stale, reconnecting")
		d.drop()
	}
	if d.client == nil {
		if err := d.connect(ctx); err != nil {
			d.logFailure(err)
			return err
		}
	}
	err := d.transaction(ctx, from, to, data)
	if err != nil {
		var pe *PartialDeliveryError
		var se *smtp.SMTPError
		switch {
		case errors.As(err, &pe):
		case errors.As(err, &se):
			// Rather than RSET (which makes go-smtp's client repeat EHLO,
			// and some servers drop AUTH state on EHLO), start afresh.
			d.quit()
		default:
			d.drop() // the connection itself failed
		}
		d.logFailure(err)
	}
	return err
}

// Close ends the connection with QUIT. Later Deliver calls fail with
// ErrDelivererClosed.
func (d *Deliverer) Close() error {
	d.sem <- struct{}{}
	defer func() { <-d.sem }()
	d.closed = true
	if d.client == nil {
		return nil
	}
	c := d.client
	d.client, d.raw = nil, nil
	if err := c.Quit(); err != nil {
		_ = c.Close()
		return fmt.Errorf("smtp quit: %w", err)
	}
	return nil
}

// checkEnvelope refuses envelope addresses that would corrupt the SMTP
// command line (RFC 5321 §4.1.2 paths hold no controls or spaces).
func checkEnvelope(from string, to []string) error {
	if len(to) == 0 {
		return &DeliveryError{Stage: StageRcpt, Message: "no recipients"}
	}
	if strings.ContainsFunc(from, badEnvelopeRune) {
		return &DeliveryError{Stage: StageMail, Message: fmt.Sprintf("envelope sender %q contains a control character or space", from)}
	}
	for _, r := range to {
		if r == "" || strings.ContainsFunc(r, badEnvelopeRune) {
			return &DeliveryError{Stage: StageRcpt, Recipient: r, Message: "recipient is empty or contains a control character or space"}
		}
	}
	return nil
}

func badEnvelopeRune(r rune) bool { return r <= ' ' || r == 0x7f || r == '<' || r == '>' }

// watch closes conn when ctx ends, which aborts any blocked read or
// write. The returned stop reports false if that already happened.
func watch(ctx context.Context, conn net.Conn) (stop func() bool) {
	return context.AfterFunc(ctx, func() { _ = conn.Close() })
}

// alive checks a reused connection with NOOP (RFC 5321 §4.1.1.9).
func (d *Deliverer) alive(ctx context.Context) bool {
	stop := watch(ctx, d.raw)
	err := d.client.Noop()
	return stop() && err == nil
}

func (d *Deliverer) drop() {
	if d.client != nil {
		_ = d.client.Close()
	}
	d.client, d.raw = nil, nil
}

// quit ends the connection politely, bounded by the command timeout.
func (d *Deliverer) quit() {
	if d.client == nil {
		return
	}
	if err := d.client.Quit(); err != nil {
		_ = d.client.Close()
	}
	d.client, d.raw = nil, nil
}

func (d *Deliverer) connect(ctx context.Context) (err error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	dialer := net.Dialer{Timeout: d.cfg.Timeout}
	raw, err := dialer.DialContext(ctx, "tcp", d.cfg.Address)
	if err != nil {
		return classify(StageDial, "", err)
	}
	stop := watch(ctx, raw)
	defer func() {
		if !stop() && err == nil {
			err = classify(StageDial, "", ctx.Err())
		}
		if err != nil {
			_ = raw.Close()
		}
	}()
	wrap := func(stage string, err error) error {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return classify(stage, "", err)
	}

	var conn net.Conn = raw
	if d.cfg.Security == SecurityTLS {
		tc := tls.Client(raw, d.tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			return wrap(StageTLS, err)
		}
		conn = tc
	}
	var c *smtp.Client
	if d.cfg.Security == SecurityStartTLS {
		// go-smtp sends its pre-TLS EHLO as "localhost"; the EHLO after
		// the handshake (RFC 3207 §4.2 requires one) uses HeloName.
		c, err = smtp.NewClientStartTLS(conn, d.tlsConf)
		if err != nil {
			return wrap(StageTLS, err)
		}
	} else {
		c = smtp.NewClient(conn)
	}
	c.CommandTimeout = d.cfg.Timeout
	c.SubmissionTimeout = max(d.cfg.Timeout, dataTimeout)
	if err := c.Hello(d.cfg.HeloName); err != nil {
		_ = c.Close()
		// After STARTTLS the handshake runs lazily, during this EHLO.
		if isTLSError(err) {
			return wrap(StageTLS, err)
		}
		return wrap(StageDial, err)
	}
	if err := d.auth(ctx, c); err != nil {
		_ = c.Close()
		return wrap(StageAuth, err)
	}
	d.client, d.raw = c, raw
	d.logger.Debug("smtp connected", "security", d.cfg.Security, "auth", d.cfg.Auth)
	return nil
}

func (d *Deliverer) auth(ctx context.Context, c *smtp.Client) error {
	if d.cfg.Auth == AuthNone {
		return nil
	}
	secret, err := d.cfg.Password(ctx)
	if err != nil {
		return fmt.Errorf("getting the %s secret: %w", d.cfg.Auth, err)
	}
	var client sasl.Client
	var mech string
	switch d.cfg.Auth {
	case AuthPlain:
		mech, client = sasl.Plain, sasl.NewPlainClient("", d.cfg.Username, secret)
	case AuthXOAuth2:
		mech, client = "XOAUTH2", xoauth2Client{user: d.cfg.Username, token: secret}
	case AuthOAuthBearer:
		_, portStr, _ := net.SplitHostPort(d.cfg.Address)
		port, _ := strconv.Atoi(portStr)
		mech, client = sasl.OAuthBearer, sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{
			Username: d.cfg.Username, Token: secret, Host: d.host, Port: port,
		})
	}
	if !c.SupportsAuth(mech) {
		return fmt.Errorf("server does not offer AUTH %s", mech)
	}
	if err := c.Auth(client); err != nil {
		return fmt.Errorf("AUTH %s as %s: %w", mech, d.cfg.Username, err)
	}
	return nil
}

// xoauth2Client implements Google's XOAUTH2 SASL mechanism
// (developers.google.com/gmail/imap/xoauth2-protocol). On failure the
// server sends a JSON challenge, answered with an empty line, then 535.
type xoauth2Client struct{ user, token string }

func (x xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}

func (x xoauth2Client) Next([]byte) ([]byte, error) { return []byte{}, nil }

func (d *Deliverer) transaction(ctx context.Context, from string, to []string, data []byte) (err error) {
	stop := watch(ctx, d.raw)
	defer func() {
		if !stop() {
			// Cancelled: the connection is closed. A nil err means the
			// server had already accepted the message; keep it so.
			d.drop()
			if err != nil {
				err = classify(stageOf(err), "", fmt.Errorf("%w (%v)", ctx.Err(), err))
			}
		}
	}()
	opts := &smtp.MailOptions{Size: int64(len(data))}
	if !isASCII(from) || !allASCII(to) {
		opts.UTF8 = true // RFC 6531 SMTPUTF8; the client fails if the server lacks it
	}
	if err := d.client.Mail(from, opts); err != nil {
		return classify(StageMail, "", err)
	}
	var accepted []string
	var refused []*DeliveryError
	for _, rcpt := range to {
		err := d.client.Rcpt(rcpt, nil)
		if err == nil {
			accepted = append(accepted, rcpt)
			continue
		}
		de := classify(StageRcpt, rcpt, err)
		var se *smtp.SMTPError
		if !errors.As(err, &se) {
			return de // the connection failed, not the recipient
		}
		refused = append(refused, de)
	}
	if len(accepted) == 0 {
		// Report a temporary refusal if there is one: a retry may then
		// reach everyone.
		for _, r := range refused {
			if r.Temporary {
				return r
			}
		}
		return refused[0]
	}
	w, err := d.client.Data()
	if err != nil {
		return classify(StageData, "", err)
	}
	if _, err := w.Write(data); err != nil {
		_ = w.Close()
		return classify(StageData, "", err)
	}
	if err := w.Close(); err != nil {
		return classify(StageData, "", err)
	}
	if len(refused) > 0 {
		return &PartialDeliveryError{Delivered: accepted, Failed: refused}
	}
	return nil
}

func stageOf(err error) string {
	var de *DeliveryError
	if errors.As(err, &de) {
		return de.Stage
	}
	return StageData
}

// classify turns err into a *DeliveryError for stage.
func classify(stage, rcpt string, err error) *DeliveryError {
	var de *DeliveryError
	if errors.As(err, &de) {
		return de
	}
	e := &DeliveryError{Stage: stage, Recipient: rcpt, Err: err, Temporary: true}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		e.Code, e.Message = se.Code, se.Message
		if c := se.EnhancedCode; c[0] > 0 {
			e.Enhanced = fmt.Sprintf("%d.%d.%d", c[0], c[1], c[2])
		}
		// RFC 5321 §4.2.1: 5yz is permanent for this message. At dial,
		// tls and auth the refusal is about our connection or settings,
		// not the message: see DeliveryError.
		switch stage {
		case StageMail, StageRcpt, StageData:
			e.Temporary = se.Code/100 != 5
		}
		return e
	}
	// Network failures, timeouts, cancellation and TLS errors are
	// temporary; so is anything unrecognised (see IsTemporary).
	if errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		e.Message = "connection lost"
	}
	return e
}

func (d *Deliverer) logFailure(err error) {
	var de *DeliveryError
	switch {
	case errors.As(err, &de) && (de.Stage == StageAuth || de.Stage == StageTLS):
		d.logger.Error("smtp configuration problem: check SMTP credentials, TLS settings and the relay", "stage", de.Stage, "err", err)
	default:
		d.logger.Warn("smtp delivery failed", "temporary", IsTemporary(err), "err", err)
	}
}

func isTLSError(err error) bool {
	var (
		verify *tls.CertificateVerificationError
		alert  tls.AlertError
		record tls.RecordHeaderError
	)
	return errors.As(err, &verify) || errors.As(err, &alert) || errors.As(err, &record)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func allASCII(ss []string) bool {
	for _, s := range ss {
		if !isASCII(s) {
			return false
		}
	}
	return true
}
