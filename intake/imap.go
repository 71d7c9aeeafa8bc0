package intake

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"ticketd/ticket"
)

// Defaults applied by NewClient to zero Config fields.
const (
	DefaultMailbox         = "INBOX"
	DefaultPollInterval    = 60 * time.Second
	DefaultMaxMessageBytes = 25 << 20
	DefaultBackoffMin      = time.Second
	DefaultBackoffMax      = 5 * time.Minute
	// DefaultIdleRestart is below the 29 minutes after which RFC 9051 §6.3.13
	// allows servers to drop an idle client, and below go-imap's own 28m.
	DefaultIdleRestart = 25 * time.Minute
)

// Security values for Config.Security.
const (
	SecurityTLS      = "tls"
	SecurityStartTLS = "starttls"
	SecurityNone     = "none"
)

// Auth values for Config.Auth.
const (
	AuthPlain       = "plain"
	AuthXOAUTH2     = "xoauth2"
	AuthOAuthBearer = "oauthbearer"
)

// Processed values for Config.Processed: what happens on the server to a
// message once the Sink has stored it.
const (
	ProcessedLeave = "leave"
	ProcessedSeen  = "seen"
	ProcessedMove  = "move"
)

const (
	// fetchBatchMessages and fetchBatchBytes bound one UID FETCH of bodies, so
	// that at most two batches (one being stored, one in flight) are in memory.
	fetchBatchMessages = 100
	fetchBatchBytes    = 32 << 20
	dialTimeout        = 30 * time.Second
	// logoutTimeout bounds the polite LOGOUT on shutdown; shutdownGrace bounds
	// how long a command in progress may delay shutdown before the connection
	// is closed under it.
	logoutTimeout = 5 * time.Second
	shutdownGrace = 10 * time.Second
)

// Config configures an IMAP intake Client.
type Config struct {
	// Inbox names the inbox this client reads (ticketd may read several);
	// it goes with every fetched mail and checkpoint. "" is the default.
	Inbox    string
	Address  string // host:port
	Security string // "tls" (default) | "starttls" | "none"
	Username string
	// Password returns the password, or the OAuth token for the OAuth
	// mechanisms. It is called on every connect so rotated secrets are picked
	// up; the caller resolves files, environment or commands.
	Password func(ctx context.Context) (string, error)
	// Auth is "plain" (default: LOGIN, or AUTHENTICATE PLAIN when the server
	// advertises LOGINDISABLED), "xoauth2" or "oauthbearer".
	Auth    string
	Mailbox string // default INBOX
	// PollInterval is how often the mailbox is re-checked without IDLE, and
	// the safety-net re-check with IDLE (default 60s).
	PollInterval time.Duration
	// Processed is "leave" (default), "seen" (set \Seen) or "move" (to MoveTo,
	// created when missing). It is applied only after Sink.Store succeeded.
	Processed string
	MoveTo    string
	// MaxMessageBytes caps the bytes fetched per message (default 25 MiB);
	// larger messages are fetched truncated with Fetched.Truncated set.
	MaxMessageBytes int64
	// OnStored, when set, is called after the Sink stored a message (or
	// recognised it as a duplicate): the daemon wakes its processing loop.
	OnStored func(duplicate bool)
	// TLSConfig is cloned for "tls" and "starttls"; ServerName defaults to
	// the host of Address.
	TLSConfig *tls.Config
	// BackoffMin and BackoffMax bound the capped exponential reconnect delay
	// (defaults 1s and 5m); authentication failures wait BackoffMax.
	BackoffMin, BackoffMax time.Duration
	// IdleRestart is how often IDLE is re-issued (default 25m).
	IdleRestart time.Duration
}

// withDefaults returns cfg with zero fields set to their defaults.
func (cfg Config) withDefaults() Config {
	if cfg.Security == "" {
		cfg.Security = SecurityTLS
	}
	if cfg.Auth == "" {
		cfg.Auth = AuthPlain
	}
	if cfg.Mailbox == "" {
		cfg.Mailbox = DefaultMailbox
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.Processed == "" {
		cfg.Processed = ProcessedLeave
	}
	if cfg.MaxMessageBytes == 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if cfg.BackoffMin == 0 {
		cfg.BackoffMin = DefaultBackoffMin
	}
	if cfg.BackoffMax == 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	if cfg.IdleRestart == 0 {
		cfg.IdleRestart = DefaultIdleRestart
	}
	return cfg
}

// FieldError is a problem with one Config field, named by its key in
// ticketd's [imap] configuration section ("address", "move_to", …), so the
// configuration reports it as "imap.KEY: reason" without checking again.
type FieldError struct{ Key, Reason string }

func (e FieldError) Error() string { return e.Key + ": " + e.Reason }

// Check reports every problem in cfg (after defaults are applied). These
// are the only rules IMAP settings have: ticketd's configuration check
// calls it instead of repeating them.
func (cfg Config) Check() []FieldError {
	cfg = cfg.withDefaults()
	var errs []FieldError
	bad := func(key, format string, args ...any) {
		errs = append(errs, FieldError{key, fmt.Sprintf(format, args...)})
	}
	if cfg.Address == "" {
		bad("address", "required (host:port)")
	} else if _, _, err := net.SplitHostPort(cfg.Address); err != nil {
		bad("address", "%q is not host:port", cfg.Address)
	}
	switch cfg.Security {
	case SecurityTLS, SecurityStartTLS, SecurityNone:
	default:
		bad("security", "%q is not one of tls, starttls, none", cfg.Security)
	}
	if cfg.Username == "" {
		bad("username", "required")
	}
	switch cfg.Auth {
	case AuthPlain, AuthXOAUTH2, AuthOAuthBearer:
	default:
		bad("auth", "%q is not one of plain, xoauth2, oauthbearer", cfg.Auth)
	}
	switch cfg.Processed {
	case ProcessedLeave, ProcessedSeen:
	case ProcessedMove:
		if cfg.MoveTo == "" {
			bad("move_to", "required when processed = move")
		} else if cfg.MoveTo == cfg.Mailbox {
			bad("move_to", "%q is the mailbox being read", cfg.MoveTo)
		}
	default:
		bad("processed", "%q is not one of leave, seen, move", cfg.Processed)
	}
	if cfg.PollInterval < 0 {
		bad("poll_interval", "%s is negative", cfg.PollInterval)
	}
	if cfg.MaxMessageBytes < 0 || cfg.MaxMessageBytes > 1<<32-1 {
		bad("max_message_bytes", "%d is out of range", cfg.MaxMessageBytes)
	}
	if cfg.BackoffMin < 0 || cfg.BackoffMax < cfg.BackoffMin {
		bad("backoff", "need 0 < %v <= %v", cfg.BackoffMin, cfg.BackoffMax)
	}
	if cfg.IdleRestart < 0 {
		bad("idle_restart", "%v is negative", cfg.IdleRestart)
	}
	return errs
}

// Sink stores fetched messages. It is the intake's only way into the
// database.
type Sink interface {
	// Checkpoint returns the stored position of inbox's mailbox (zero if
	// none).
	Checkpoint(ctx context.Context, inbox, mailbox string) (ticket.Checkpoint, error)
	// Store durably stores one fetched message and advances the checkpoint
	// (one transaction). It must be idempotent: the same (mailbox,
	// uidvalidity, uid), or after a UIDVALIDITY change the same
	// Message-ID/raw hash, advances the checkpoint without storing a
	// second copy and reports duplicate.
	Store(ctx context.Context, f ticket.Fetched) (duplicate bool, err error)
}

// Status is a snapshot of a Client's connection state, for health checks.
type Status struct {
	Connected     bool
	LastFetch     time.Time // end of the last complete check of the mailbox
	LastConnect   time.Time // last successful login and select
	LastError     string    // last error, cleared by the next complete check
	AuthFailed    bool      // the server rejected the credentials; cleared by a successful login
	IdleSupported bool
	// ProcessedProblem says why processed mail is not marked or moved
	// although Processed asks for it (the server refused); mail is still
	// stored and stays in the mailbox.
	ProcessedProblem string

	// What the server said is in the mailbox, and intake's progress
	// through it: health tells a stalled intake from a quiet mailbox by
	// them. They keep their last values while disconnected.
	ServerMessages uint32    // EXISTS, as last reported
	ServerUIDNext  uint32    // UIDNEXT at the last SELECT
	LastStoredUID  uint32    // the checkpoint: every UID up to it is stored
	LastStored     time.Time // when the Sink last took a mail (stored, or recognised as a duplicate)
	// Waiting is how many mails are on the server above LastStoredUID, as
	// far as intake knows: counted by the last UID FETCH of new mail,
	// raised by EXISTS, lowered as mails are stored; estimated from
	// UIDNEXT at SELECT.
	Waiting      int
	WaitingSince time.Time // when Waiting last became non-zero
}

// StalledFor is how long mail has been waiting on the server without
// anything being stored; 0 when nothing waits.
func (s Status) StalledFor(now time.Time) time.Duration {
	if s.Waiting == 0 {
		return 0
	}
	since := s.WaitingSince
	if s.LastStored.After(since) {
		since = s.LastStored
	}
	return now.Sub(since)
}

// setWaiting records that n mails wait above the checkpoint.
func (s *Status) setWaiting(n int, now time.Time) {
	if n <= 0 {
		s.Waiting, s.WaitingSince = 0, time.Time{}
		return
	}
	if s.Waiting == 0 {
		s.WaitingSince = now
	}
	s.Waiting = n
}

// Client reads one IMAP mailbox and hands every new message to a Sink, exactly
// once per (mailbox, UIDVALIDITY, UID) as far as the Sink's checkpoint goes.
type Client struct {
	cfg    Config
	sink   Sink
	clock  ticket.Clock
	logger *slog.Logger
	kick   chan struct{}
	// noIdle makes the client poll even when the server offers IDLE; tests
	// use it because go-imap's server always advertises IDLE.
	noIdle bool

	mu     sync.Mutex
	status Status
	// processedProblemKey identifies the refusal last reported, so that
	// it is logged once rather than on every reconnect.
	processedProblemKey string
}

// NewClient validates cfg, applies defaults and returns a Client. A nil
// clock means ticket.SystemClock, a nil logger slog.Default().
func NewClient(cfg Config, sink Sink, clock ticket.Clock, logger *slog.Logger) (*Client, error) {
	cfg = cfg.withDefaults()
	if errs := cfg.Check(); len(errs) > 0 {
		joined := make([]error, len(errs))
		for i, e := range errs {
			joined[i] = e
		}
		return nil, fmt.Errorf("imap intake config: %w", errors.Join(joined...))
	}
	if cfg.Password == nil {
		return nil, errors.New("imap intake config: Password: a secret provider is required")
	}
	if sink == nil {
		return nil, errors.New("imap intake: nil Sink")
	}
	if clock == nil {
		clock = ticket.SystemClock{}
	}
	if logger == nil {
		logger = slog.Default()
	}
	logger = logger.With(slog.String("component", "imap"), slog.String("addr", cfg.Address),
		slog.String("mailbox", cfg.Mailbox))
	return &Client{cfg: cfg, sink: sink, clock: clock, logger: logger, kick: make(chan struct{}, 1)}, nil
}

// Status returns a snapshot of the connection state. It is safe to call from
// any goroutine.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Kick asks for an immediate re-check of the mailbox, also cutting a
// reconnect backoff short. It never blocks; kicks coalesce.
func (c *Client) Kick() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *Client) updateStatus(f func(*Status)) {
	c.mu.Lock()
	f(&c.status)
	c.mu.Unlock()
}

// serverExists notes an EXISTS from the server: mail that arrived since
// the last count waits too.
func (c *Client) serverExists(n uint32) {
	c.updateStatus(func(s *Status) {
		if n > s.ServerMessages {
			s.setWaiting(s.Waiting+int(n-s.ServerMessages), c.clock.Now())
		}
		s.ServerMessages = n
	})
}

// authError marks a rejection of the credentials, which retrying soon will
// not fix (and may lock the account).
type authError struct{ err error }

func (e *authError) Error() string { return "authentication failed: " + e.err.Error() }
func (e *authError) Unwrap() error { return e.err }

// Run reads the mailbox until ctx is done: connect, log in, select, fetch
// everything after the checkpoint, then wait for news with IDLE (or by
// polling) and repeat. Any error closes the connection and reconnects after a
// capped exponential backoff with jitter. Run returns ctx.Err() after a
// LOGOUT when ctx is done.
func (c *Client) Run(ctx context.Context) error {
	failures := 0
	for {
		healthy, err := c.session(ctx)
		c.updateStatus(func(s *Status) { s.Connected = false })
		if ctx.Err() != nil {
			c.logger.Info("imap intake stopped")
			return ctx.Err()
		}
		if healthy {
			// The session got through at least one complete check, so this
			// is a fresh outage, not a persistent failure.
			failures = 0
		}
		var ae *authError
		var delay time.Duration
		if errors.As(err, &ae) {
			delay = c.cfg.BackoffMax
			c.updateStatus(func(s *Status) { s.AuthFailed = true })
		} else {
			delay = backoff(c.cfg.BackoffMin, c.cfg.BackoffMax, failures)
		}
		failures++
		c.updateStatus(func(s *Status) { s.LastError = err.Error() })
		c.logger.Error("imap session failed; reconnecting",
			slog.Any("err", err), slog.Duration("backoff", delay), slog.Int("failures", failures))

		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			c.logger.Info("imap intake stopped")
			return ctx.Err()
		case <-c.kick:
			t.Stop()
			c.logger.Info("reconnect backoff cut short by kick")
		case <-t.C:
		}
	}
}

// backoff returns the delay before reconnect attempt n (0-based): min·2ⁿ
// capped at max, with the upper half jittered so that many clients do not
// reconnect in lockstep after a server restart.
func backoff(lo, hi time.Duration, n int) time.Duration {
	d := hi
	if n < 62 {
		if m := lo << n; m > 0 && m < hi {
			d = m
		}
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// session runs one connection. healthy reports whether it completed at least
// one full check of the mailbox before failing.
func (c *Client) session(ctx context.Context) (healthy bool, err error) {
	exists := make(chan struct{}, 1)
	opts := &imapclient.Options{
		TLSConfig: c.cfg.TLSConfig,
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				// Called on the reader goroutine: never block it.
				if data.NumMessages != nil {
					c.serverExists(*data.NumMessages)
					select {
					case exists <- struct{}{}:
					default:
					}
				}
			},
			Expunge: func(uint32) {
				c.updateStatus(func(s *Status) { s.ServerMessages = max(s.ServerMessages, 1) - 1 })
			},
		},
	}

	c.logger.Info("imap connecting", slog.String("security", c.cfg.Security))
	cl, err := c.dial(ctx, opts)
	if err != nil {
		return false, err
	}
	sessionDone := make(chan struct{})
	defer close(sessionDone)
	defer cl.Close()
	defer func() {
		if ctx.Err() != nil {
			c.logout(cl)
		} else if err != nil {
			err = explainClosed(cl, err)
		}
	}()
	// A command blocked on a dead server must not hold shutdown forever: after
	// a grace period close the connection under it.
	stopWatch := context.AfterFunc(ctx, func() {
		t := time.NewTimer(shutdownGrace)
		defer t.Stop()
		select {
		case <-sessionDone:
		case <-t.C:
			cl.Close()
		}
	})
	defer stopWatch()

	if err := c.login(ctx, cl); err != nil {
		return false, err
	}
	c.updateStatus(func(s *Status) { s.AuthFailed = false })

	caps := cl.Caps()
	idle := caps.Has(imap.CapIdle) && !c.noIdle

	proc := &processing{mode: c.cfg.Processed}
	if c.cfg.Processed == ProcessedMove {
		target, err := c.resolveMoveTo(cl)
		if err != nil {
			if !refused(err) {
				return false, err
			}
			c.processedRefused(proc, "create", err)
		} else {
			proc.moveTo = target
		}
	}

	sel, err := cl.Select(c.cfg.Mailbox, nil).Wait()
	if err != nil {
		return false, fmt.Errorf("select %q: %w", c.cfg.Mailbox, err)
	}
	if sel.UIDValidity == 0 {
		return false, fmt.Errorf("select %q: server sent no UIDVALIDITY", c.cfg.Mailbox)
	}
	c.updateStatus(func(s *Status) {
		s.Connected = true
		s.LastConnect = c.clock.Now()
		s.IdleSupported = idle
	})
	c.logger.Info("imap connected",
		slog.Uint64("uidvalidity", uint64(sel.UIDValidity)), slog.Uint64("uidnext", uint64(sel.UIDNext)),
		slog.Uint64("messages", uint64(sel.NumMessages)), slog.Bool("idle", idle),
		slog.Any("move", caps.Has(imap.CapMove)))

	cp, err := c.sink.Checkpoint(ctx, c.cfg.Inbox, c.cfg.Mailbox)
	if err != nil {
		return false, fmt.Errorf("read checkpoint for %q: %w", c.cfg.Mailbox, err)
	}
	last := cp.LastUID
	if cp.UIDValidity != sel.UIDValidity {
		if cp.UIDValidity != 0 {
			// RFC 9051 §2.3.1.1: old UIDs mean nothing now. Fetch everything
			// again; the Sink recognises what it already has by Message-ID
			// or content hash.
			c.logger.Warn("UIDVALIDITY changed; refetching the whole mailbox",
				slog.Uint64("old_uidvalidity", uint64(cp.UIDValidity)),
				slog.Uint64("uidvalidity", uint64(sel.UIDValidity)),
				slog.Uint64("old_last_uid", uint64(cp.LastUID)))
		}
		last = 0
	}
	c.updateStatus(func(s *Status) {
		s.ServerMessages, s.ServerUIDNext, s.LastStoredUID = sel.NumMessages, uint32(sel.UIDNext), last
		// Until the first UID FETCH counts them: what UIDNEXT says came in
		// after the checkpoint, at most as many as there are mails.
		waiting := 0
		if next := uint32(sel.UIDNext); next > last+1 {
			waiting = int(min(next-1-last, sel.NumMessages))
		}
		s.setWaiting(waiting, c.clock.Now())
	})
	if last > 0 && c.cfg.Processed != ProcessedLeave && sel.NumMessages > 0 {
		// Everything up to the checkpoint is stored. A crash between
		// storing and marking or moving left some of it behind: finish
		// that now (UID STORE and MOVE ignore UIDs that are gone).
		var done imap.UIDSet
		done.AddRange(1, imap.UID(last))
		if err := c.applyProcessed(cl, proc, done); err != nil {
			return false, fmt.Errorf("re-apply %s to stored UIDs: %w", c.cfg.Processed, err)
		}
	}

	poll := time.NewTimer(c.cfg.PollInterval)
	defer poll.Stop()
	for {
		last, err = c.fetchNew(ctx, cl, proc, sel.UIDValidity, last)
		if err != nil {
			return healthy, err
		}
		healthy = true
		c.updateStatus(func(s *Status) {
			s.LastFetch = c.clock.Now()
			s.LastError = ""
		})
		poll.Reset(c.cfg.PollInterval)

		if err := c.wait(ctx, cl, idle, exists, poll.C); err != nil {
			return healthy, err
		}
		if ctx.Err() != nil {
			return healthy, ctx.Err()
		}
	}
}

// dial connects according to cfg.Security and waits for the greeting.
func (c *Client) dial(ctx context.Context, opts *imapclient.Options) (*imapclient.Client, error) {
	host, _, _ := net.SplitHostPort(c.cfg.Address)
	tlsConfig := new(tls.Config)
	if c.cfg.TLSConfig != nil {
		tlsConfig = c.cfg.TLSConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = host
	}
	opts.TLSConfig = tlsConfig
	dialer := &net.Dialer{Timeout: dialTimeout}

	var cl *imapclient.Client
	switch c.cfg.Security {
	case SecurityTLS:
		if tlsConfig.NextProtos == nil {
			tlsConfig.NextProtos = []string{"imap"}
		}
		conn, err := (&tls.Dialer{NetDialer: dialer, Config: tlsConfig}).DialContext(ctx, "tcp", c.cfg.Address)
		if err != nil {
			return nil, fmt.Errorf("dial %s (tls): %w", c.cfg.Address, err)
		}
		cl = imapclient.New(conn, opts)
	case SecurityStartTLS:
		conn, err := dialer.DialContext(ctx, "tcp", c.cfg.Address)
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", c.cfg.Address, err)
		}
		cl, err = imapclient.NewStartTLS(conn, opts)
		if err != nil {
			return nil, fmt.Errorf("starttls with %s: %w", c.cfg.Address, err)
		}
	default:
		conn, err := dialer.DialContext(ctx, "tcp", c.cfg.Address)
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", c.cfg.Address, err)
		}
		cl = imapclient.New(conn, opts)
	}
	if err := cl.WaitGreeting(); err != nil {
		cl.Close()
		return nil, fmt.Errorf("greeting from %s: %w", c.cfg.Address, err)
	}
	return cl, nil
}

// login authenticates with the configured mechanism. A NO from the server is
// returned as *authError.
func (c *Client) login(ctx context.Context, cl *imapclient.Client) error {
	secret, err := c.cfg.Password(ctx)
	if err != nil {
		return fmt.Errorf("get password for %s: %w", c.cfg.Username, err)
	}
	var mech string
	switch c.cfg.Auth {
	case AuthXOAUTH2:
		mech = xoauth2Mechanism
		err = cl.Authenticate(newXOAUTH2Client(c.cfg.Username, secret))
	case AuthOAuthBearer:
		mech = sasl.OAuthBearer
		host, portStr, _ := net.SplitHostPort(c.cfg.Address)
		port, _ := strconv.Atoi(portStr)
		sc := newOAuthBearerClient(&sasl.OAuthBearerOptions{
			Username: c.cfg.Username, Token: secret, Host: host, Port: port,
		})
		err = cl.Authenticate(sc)
		if err != nil && sc.serverErr != nil {
			err = fmt.Errorf("%w (server said: %v)", err, sc.serverErr)
		}
	default:
		if cl.Caps().Has(imap.CapLoginDisabled) {
			mech = sasl.Plain
			err = cl.Authenticate(sasl.NewPlainClient("", c.cfg.Username, secret))
		} else {
			mech = "LOGIN"
			err = cl.Login(c.cfg.Username, secret).Wait()
		}
	}
	if err != nil {
		err = fmt.Errorf("%s as %s: %w", mech, c.cfg.Username, err)
		if isAuthRejection(err) {
			return &authError{err}
		}
		return err
	}
	c.logger.Info("imap logged in", slog.String("user", c.cfg.Username), slog.String("mechanism", mech))
	return nil
}

// isAuthRejection reports whether err is the server refusing the
// credentials, as opposed to a transient server problem (RFC 5530 codes).
func isAuthRejection(err error) bool {
	var ie *imap.Error
	if !errors.As(err, &ie) || ie.Type != imap.StatusResponseTypeNo {
		return false
	}
	switch ie.Code {
	case imap.ResponseCodeUnavailable, imap.ResponseCodeServerBug, imap.ResponseCodeInUse, imap.ResponseCodeLimit:
		return false
	}
	return true
}

// resolveMoveTo returns the mailbox processed mail is moved to, creating it
// when missing. MoveTo is taken as configured when the server has it;
// otherwise it is placed in the personal namespace (RFC 2342) with the
// server's hierarchy separator: "Processed" is "INBOX.Processed" on
// Courier-IMAP and "INBOX/Processed" on Cyrus, and "Done/Tickets" is
// "INBOX.Done.Tickets" on Courier.
func (c *Client) resolveMoveTo(cl *imapclient.Client) (string, error) {
	name := c.cfg.MoveTo
	if ok, err := mailboxExists(cl, name); err != nil || ok {
		return name, err
	}
	prefix, delim, err := personalNamespace(cl)
	if err != nil {
		return "", err
	}
	target := name
	if delim != 0 && delim != '/' {
		target = strings.ReplaceAll(target, "/", string(delim))
	}
	if prefix != "" && !hasMailboxPrefix(target, prefix) {
		target = prefix + target
	}
	if target != name {
		if ok, err := mailboxExists(cl, target); err != nil || ok {
			return target, err
		}
	}
	if err := cl.Create(target, nil).Wait(); err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Code == imap.ResponseCodeAlreadyExists {
			return target, nil
		}
		if target != name {
			return "", fmt.Errorf("create %q (move_to %q in the server's namespace %q): %w", target, name, prefix, err)
		}
		return "", fmt.Errorf("create %q: %w", target, err)
	}
	c.logger.Info("created mailbox for processed mail", slog.String("move_to", name), slog.String("mailbox", target))
	return target, nil
}

// mailboxExists reports whether LIST finds exactly name.
func mailboxExists(cl *imapclient.Client, name string) (bool, error) {
	list, err := cl.List("", name, nil).Collect()
	if err != nil {
		return false, fmt.Errorf("list %q: %w", name, err)
	}
	for _, l := range list {
		if l.Mailbox == name || (strings.EqualFold(l.Mailbox, "INBOX") && strings.EqualFold(name, "INBOX")) {
			return !slices.Contains(l.Attrs, imap.MailboxAttrNoSelect) && !slices.Contains(l.Attrs, imap.MailboxAttrNonExistent), nil
		}
	}
	return false, nil
}

// personalNamespace returns the prefix and hierarchy separator of the
// user's own mailboxes: from NAMESPACE (RFC 2342) when offered, else the
// separator from LIST "" "" (RFC 9051 §6.3.9) and no prefix.
func personalNamespace(cl *imapclient.Client) (prefix string, delim rune, err error) {
	if cl.Caps().Has(imap.CapNamespace) {
		ns, err := cl.Namespace().Wait()
		if err != nil {
			return "", 0, fmt.Errorf("namespace: %w", err)
		}
		if len(ns.Personal) > 0 {
			return ns.Personal[0].Prefix, ns.Personal[0].Delim, nil
		}
	}
	list, err := cl.List("", "", nil).Collect()
	if err != nil {
		return "", 0, fmt.Errorf("list hierarchy separator: %w", err)
	}
	if len(list) > 0 {
		delim = list[0].Delim
	}
	return "", delim, nil
}

// hasMailboxPrefix reports whether name is inside prefix; "INBOX" is
// case-insensitive (RFC 9051 §5.1).
func hasMailboxPrefix(name, prefix string) bool {
	if len(name) < len(prefix) {
		return false
	}
	if strings.HasPrefix(strings.ToUpper(prefix), "INBOX") {
		return strings.EqualFold(name[:5], prefix[:5]) && name[5:len(prefix)] == prefix[5:]
	}
	return strings.HasPrefix(name, prefix)
}

// processing is how one session applies Processed.
type processing struct {
	mode   string // Processed, or ProcessedLeave once the server refused
	moveTo string // MoveTo as resolved in the server's namespace
}

// refused reports whether err is the server answering NO or BAD, as
// opposed to a broken connection: retrying on a new connection will not
// change its mind.
func refused(err error) bool {
	var ie *imap.Error
	return errors.As(err, &ie)
}

// processedRefused turns Processed off for this session after the server
// refused to mark, move or create: mail is still read and stored, and left
// where it is. It is said once (at Error level) per kind of refusal, not on
// every reconnect, and shown in Status until it works again.
func (c *Client) processedRefused(proc *processing, op string, err error) {
	proc.mode = ProcessedLeave
	problem := fmt.Sprintf("processed mail cannot be %s: the server refused (%v). Mail is still read and ticketed, "+
		"but stays in %s until this is fixed (see the README on move_to and namespaces)", c.processedWhat(), err, c.cfg.Mailbox)
	key := op + " " + c.cfg.Processed + " " + c.cfg.MoveTo
	c.mu.Lock()
	first := c.processedProblemKey != key
	c.processedProblemKey = key
	c.status.ProcessedProblem = problem
	c.mu.Unlock()
	if first {
		c.logger.Error(problem, slog.String("processed", c.cfg.Processed), slog.String("move_to", c.cfg.MoveTo))
	} else {
		c.logger.Debug("processed still refused", slog.Any("err", err))
	}
}

// processedWorks clears a reported refusal once marking or moving works.
func (c *Client) processedWorks() {
	c.mu.Lock()
	was := c.processedProblemKey
	c.processedProblemKey = ""
	c.status.ProcessedProblem = ""
	c.mu.Unlock()
	if was != "" {
		c.logger.Info("processed mail is " + c.processedWhat() + " again")
	}
}

func (c *Client) processedWhat() string {
	if c.cfg.Processed == ProcessedSeen {
		return "marked seen"
	}
	return fmt.Sprintf("moved to %q", c.cfg.MoveTo)
}

// wait blocks until there may be news: an EXISTS, a kick, the poll timer, or
// ctx done. With IDLE support it idles meanwhile, re-issuing IDLE every
// IdleRestart; without, it sends NOOP on every poll so the server can report.
func (c *Client) wait(ctx context.Context, cl *imapclient.Client, idle bool, exists <-chan struct{}, poll <-chan time.Time) error {
	if !idle {
		select {
		case <-ctx.Done():
			return nil
		case <-c.kick:
		case <-exists:
		case <-poll:
		case <-cl.Closed():
			return errServerClosed
		}
		// RFC 9051 §6.1.2: NOOP is the poll. Servers such as Courier-IMAP
		// take in new mail and announce it (EXISTS) only on NOOP or IDLE,
		// so a UID FETCH alone would find nothing, forever.
		if err := cl.Noop().Wait(); err != nil {
			return fmt.Errorf("noop: %w", err)
		}
		return nil
	}
	restart := time.NewTimer(c.cfg.IdleRestart)
	defer restart.Stop()
	for {
		cmd, err := cl.Idle()
		if err != nil {
			return fmt.Errorf("idle: %w", err)
		}
		c.logger.Debug("imap idling")
		again := false
		select {
		case <-ctx.Done():
		case <-c.kick:
		case <-exists:
		case <-poll:
		case <-restart.C:
			again = true
			restart.Reset(c.cfg.IdleRestart)
		case <-cl.Closed():
			// Nothing to send DONE on.
			return errServerClosed
		}
		if err := cmd.Close(); err != nil {
			return fmt.Errorf("stop idle: %w", err)
		}
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("idle: %w", err)
		}
		if !again {
			return nil
		}
	}
}

// errServerClosed is the reason given when the server closed the
// connection (or it broke under us), in place of what the socket says
// ("use of closed network connection", "unexpected EOF", "connection reset
// by peer"), which describes our side of it.
var errServerClosed = errors.New("server closed the connection")

// explainClosed rewrites err, a session's failure, when it comes from the
// connection going away: "stop idle: write tcp …: use of closed network
// connection" becomes "stop idle: server closed the connection". When
// go-imap's reader stopped on something other than the end of the
// connection (a protocol error), that is said instead.
func explainClosed(cl *imapclient.Client, err error) error {
	if !errors.Is(err, errServerClosed) && !connectionGone(err) {
		return err
	}
	// The reader closes the socket first and then reports; it is about to.
	select {
	case <-cl.Closed():
	case <-time.After(time.Second):
		return err
	}
	reason := errServerClosed
	if readErr := cl.Close(); readErr != nil && !connectionGone(readErr) {
		reason = fmt.Errorf("reading from the server failed: %w", readErr)
	}
	cause := err
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		cause = opErr
	} else {
		for _, sentinel := range []error{io.ErrUnexpectedEOF, io.EOF, net.ErrClosed} {
			if errors.Is(err, sentinel) {
				cause = sentinel
				break
			}
		}
	}
	if err == errServerClosed {
		return reason
	}
	msg := err.Error()
	if cause != err && strings.Contains(msg, cause.Error()) {
		msg = strings.Replace(msg, cause.Error(), reason.Error(), 1)
	} else {
		msg = reason.Error() + " (" + msg + ")"
	}
	return &closedError{msg: msg, err: err}
}

// connectionGone reports whether err says the connection is no longer
// there.
func connectionGone(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// closedError is a session failure explained by explainClosed; it wraps the
// original error.
type closedError struct {
	msg string
	err error
}

func (e *closedError) Error() string { return e.msg }
func (e *closedError) Unwrap() error { return e.err }

// logout says goodbye politely, bounded by logoutTimeout.
func (c *Client) logout(cl *imapclient.Client) {
	done := make(chan error, 1)
	go func() { done <- cl.Logout().Wait() }()
	t := time.NewTimer(logoutTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			c.logger.Warn("imap logout", slog.Any("err", err))
		}
	case <-t.C:
		c.logger.Warn("imap logout timed out")
	}
}

// messageMeta is what the first, cheap FETCH learns about a new message.
type messageMeta struct {
	uid          imap.UID
	size         int64
	internalDate time.Time
}

// fetchNew fetches, stores and processes every message with a UID above last,
// in UID order, and returns the new last UID. It stops at the first Sink
// error without touching that message on the server, so it is fetched again
// after the reconnect.
func (c *Client) fetchNew(ctx context.Context, cl *imapclient.Client, proc *processing, uidValidity uint32, last uint32) (uint32, error) {
	metas, err := c.fetchMeta(cl, last)
	if err != nil {
		return last, err
	}
	c.updateStatus(func(s *Status) {
		if mb := cl.Mailbox(); mb != nil {
			s.ServerMessages = mb.NumMessages
		}
		s.setWaiting(len(metas), c.clock.Now())
	})
	if len(metas) == 0 {
		c.logger.Debug("no new mail", slog.Uint64("last_uid", uint64(last)))
		return last, nil
	}
	c.logger.Info("new mail", slog.Int("count", len(metas)),
		slog.Uint64("first_uid", uint64(metas[0].uid)), slog.Uint64("last_uid", uint64(metas[len(metas)-1].uid)))

	batches := c.batch(metas)
	// Pipelining: the next batch streams in while this one is being stored.
	// go-imap's reader hands every literal to its FetchCommand and waits
	// until it is read, so a FETCH must be read to its end before any command
	// whose answer we wait for (STORE, MOVE) is sent, or both wait forever.
	var pending *imapclient.FetchCommand
	defer func() {
		if pending != nil {
			pending.Close() // an error path: let the reader move on
		}
	}()
	bufs, err := collectSized(c.fetchBodies(cl, batches[0]))
	for i, b := range batches {
		if err != nil {
			return last, fmt.Errorf("fetch bodies of UIDs %d:%d: %w", b[0].uid, b[len(b)-1].uid, err)
		}
		if i+1 < len(batches) {
			pending = c.fetchBodies(cl, batches[i+1])
		}
		stored, storeErr := c.storeBatch(ctx, b, bufs, uidValidity, &last)
		bufs = nil
		if pending != nil {
			if storeErr == nil {
				bufs, err = collectSized(pending)
			} else {
				pending.Close()
			}
			pending = nil
		}
		// Only what the Sink accepted is marked or moved, and only now that
		// no FETCH is in flight.
		if err := c.applyProcessed(cl, proc, stored); err != nil {
			return last, err
		}
		if storeErr != nil {
			return last, storeErr
		}
	}
	return last, nil
}

// storeBatch hands the fetched bodies of one batch to the Sink in UID order,
// advancing *last, and returns the UIDs stored. It stops at the first Sink
// error.
func (c *Client) storeBatch(ctx context.Context, b []messageMeta, bufs []*imapclient.FetchMessageBuffer, uidValidity uint32, last *uint32) (imap.UIDSet, error) {
	byUID := make(map[imap.UID]*imapclient.FetchMessageBuffer, len(bufs))
	for _, buf := range bufs {
		byUID[buf.UID] = buf
	}
	var stored imap.UIDSet
	for _, m := range b {
		if err := ctx.Err(); err != nil {
			return stored, err
		}
		log := c.logger.With(slog.Uint64("uid", uint64(m.uid)), slog.Uint64("uidvalidity", uint64(uidValidity)))
		buf := byUID[m.uid]
		if buf == nil || len(buf.BodySection) == 0 {
			// Expunged by someone else between the two FETCHes.
			log.Warn("message vanished before its body was fetched")
			continue
		}
		// One section was requested; a partial one is echoed as
		// BODY[]<0>, so take it as it comes rather than matching.
		raw := buf.BodySection[0].Bytes
		if raw == nil {
			raw = []byte{}
		}
		f := ticket.Fetched{
			Inbox:        c.cfg.Inbox,
			Mailbox:      c.cfg.Mailbox,
			UIDValidity:  uidValidity,
			UID:          uint32(m.uid),
			MessageID:    HeaderMessageID(raw),
			Raw:          raw,
			InternalDate: m.internalDate,
			Size:         m.size,
			Truncated:    m.size > c.cfg.MaxMessageBytes,
		}
		dup, err := c.sink.Store(ctx, f)
		// The Sink has the bytes (or will get them again after a
		// reconnect): drop ours now, a large mail must not stay in
		// memory for the rest of the batch.
		buf.BodySection, f.Raw, raw = nil, nil, nil
		delete(byUID, m.uid)
		if err != nil {
			return stored, fmt.Errorf("store UID %d of %q: %w", m.uid, c.cfg.Mailbox, err)
		}
		*last = uint32(m.uid)
		stored.AddNum(m.uid)
		c.updateStatus(func(s *Status) {
			s.LastStored, s.LastStoredUID = c.clock.Now(), uint32(m.uid)
			s.setWaiting(s.Waiting-1, s.LastStored)
		})
		if c.cfg.OnStored != nil {
			c.cfg.OnStored(dup)
		}
		if dup {
			log.Info("duplicate skipped: already stored", slog.Int64("size", m.size))
			continue
		}
		log.Info("message stored", slog.Int64("size", m.size),
			slog.Bool("truncated", f.Truncated))
		if f.Truncated {
			log.Warn("message larger than MaxMessageBytes stored truncated",
				slog.Int64("size", m.size), slog.Int64("max", c.cfg.MaxMessageBytes))
		}
	}
	return stored, nil
}

// fetchMeta returns UID, size and internal date of every message with a UID
// above last, sorted by UID.
func (c *Client) fetchMeta(cl *imapclient.Client, last uint32) ([]messageMeta, error) {
	var set imap.UIDSet
	set.AddRange(imap.UID(last+1), 0) // last+1:*
	bufs, err := cl.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true, InternalDate: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("fetch UIDs %d:*: %w", last+1, err)
	}
	metas := make([]messageMeta, 0, len(bufs))
	for _, b := range bufs {
		// "n:*" matches the highest UID even when it is below n
		// (RFC 9051 §6.4.9), so filter.
		if uint32(b.UID) <= last {
			continue
		}
		metas = append(metas, messageMeta{uid: b.UID, size: b.RFC822Size, internalDate: b.InternalDate})
	}
	slices.SortFunc(metas, func(a, b messageMeta) int { return int(int64(a.uid) - int64(b.uid)) })
	return metas, nil
}

// batch splits metas into runs of at most fetchBatchMessages messages and
// about fetchBatchBytes, each either all complete or all truncated (they need
// different FETCH items).
func (c *Client) batch(metas []messageMeta) [][]messageMeta {
	var out [][]messageMeta
	var cur []messageMeta
	var bytes int64
	for _, m := range metas {
		size := min(m.size, c.cfg.MaxMessageBytes)
		truncated := m.size > c.cfg.MaxMessageBytes
		if len(cur) > 0 && (len(cur) == fetchBatchMessages || bytes+size > fetchBatchBytes ||
			truncated != (cur[0].size > c.cfg.MaxMessageBytes)) {
			out = append(out, cur)
			cur, bytes = nil, 0
		}
		cur = append(cur, m)
		bytes += size
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// collectSized is FetchCommand.Collect for UID and body sections, but
// reads each literal into a buffer of its announced size: Collect's
// io.ReadAll grows by doubling, which for a 34 MB mail briefly holds about
// twice that.
func collectSized(cmd *imapclient.FetchCommand) ([]*imapclient.FetchMessageBuffer, error) {
	var out []*imapclient.FetchMessageBuffer
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		buf := &imapclient.FetchMessageBuffer{SeqNum: msg.SeqNum}
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				buf.UID = it.UID
			case imapclient.FetchItemDataBodySection:
				var b []byte
				if it.Literal != nil {
					b = make([]byte, it.Literal.Size())
					if _, err := io.ReadFull(it.Literal, b); err != nil {
						cmd.Close()
						return nil, fmt.Errorf("read body of UID %d: %w", buf.UID, err)
					}
				}
				buf.BodySection = append(buf.BodySection, imapclient.FetchBodySectionBuffer{Section: it.Section, Bytes: b})
			}
		}
		out = append(out, buf)
	}
	return out, cmd.Close()
}

// fetchBodies sends UID FETCH for the bodies of one batch. BODY.PEEK keeps
// \Seen untouched: Processed decides that, after the Sink stored the mail.
func (c *Client) fetchBodies(cl *imapclient.Client, b []messageMeta) *imapclient.FetchCommand {
	var set imap.UIDSet
	for _, m := range b {
		set.AddNum(m.uid)
	}
	section := &imap.FetchItemBodySection{Peek: true}
	if b[0].size > c.cfg.MaxMessageBytes {
		section.Partial = &imap.SectionPartial{Offset: 0, Size: c.cfg.MaxMessageBytes}
	}
	c.logger.Debug("fetching bodies", slog.String("uids", set.String()), slog.Bool("truncated", section.Partial != nil))
	return cl.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
}

// applyProcessed marks or moves stored messages as configured. When the
// server refuses (NO), Processed is off for the rest of the session and nil
// is returned: the mail is stored, and reading on matters more than moving.
func (c *Client) applyProcessed(cl *imapclient.Client, proc *processing, uids imap.UIDSet) error {
	if len(uids) == 0 {
		return nil
	}
	switch proc.mode {
	case ProcessedSeen:
		err := cl.Store(uids, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close()
		if refused(err) {
			c.processedRefused(proc, "store", err)
			return nil
		}
		if err != nil {
			return fmt.Errorf("mark UIDs %s seen: %w", uids, err)
		}
		c.processedWorks()
		c.logger.Info("marked seen", slog.String("uids", uids.String()))
	case ProcessedMove:
		// go-imap falls back to COPY, STORE \Deleted and UID EXPUNGE (or
		// EXPUNGE without UIDPLUS) when the server lacks MOVE (RFC 6851).
		_, err := cl.Move(uids, proc.moveTo).Wait()
		if refused(err) {
			c.processedRefused(proc, "move", err)
			return nil
		}
		if err != nil {
			return fmt.Errorf("move UIDs %s to %q: %w", uids, proc.moveTo, err)
		}
		c.processedWorks()
		c.updateStatus(func(s *Status) {
			if mb := cl.Mailbox(); mb != nil {
				s.ServerMessages = mb.NumMessages // the EXPUNGEs of the move
			}
		})
		c.logger.Info("moved", slog.String("uids", uids.String()), slog.String("move_to", proc.moveTo))
	}
	return nil
}
