// Package config is ticketd's configuration file: the keys and their
// defaults, the checks that name file, key and reason, the warnings
// check-config prints, and secrets read from files, the environment or
// commands. It maps sections to the settings of the packages that use
// them (IMAPClientConfig, SMTPClientConfig, ParseLimits); their own rules
// (intake.Config.Check) are reported under the file's keys, not repeated.
package config

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/jackc/pgx/v5/pgconn"

	"ticketd/intake"
	"ticketd/notify"
	"ticketd/sla"
	"ticketd/store"
	"ticketd/ticket"
)

// Config is ticketd.toml. Field names follow the documented keys; see
// ticketd.example.toml for every key with a comment.
type Config struct {
	Store     Store                         `toml:"store"`
	IMAP      IMAP                          `toml:"imap"`
	SMTP      SMTP                          `toml:"smtp"`
	Support   Support                       `toml:"support"`
	Log       Log                           `toml:"log"`
	Staff     Staff                         `toml:"staff"`
	Routing   []Route                       `toml:"routing"`
	Verify    Verify                        `toml:"verify"`
	Calendars map[string]sla.CalendarConfig `toml:"calendars"`
	Plans     map[string]sla.PlanConfig     `toml:"plans"`
	Templates Templates                     `toml:"templates"`
	Tickets   Tickets                       `toml:"tickets"`
	Reminders Reminders                     `toml:"reminders"`
	Limits    Limits                        `toml:"limits"`
	Outbox    Outbox                        `toml:"outbox"`
	HTTP      HTTP                          `toml:"http"`
	Health    Health                        `toml:"health"`
	Classify  Classify                      `toml:"classify"`
	// Inboxes are the addresses besides [support] that customers write to
	// and ticketd answers from (security@, a German desk, a partner
	// address); the [imap]/[support] pair is the inbox named "default".
	Inboxes []Inbox `toml:"inboxes"`
	Digest  Digest  `toml:"digest"`
	HA      HA      `toml:"ha"`

	// File is where the config was read from ("" when built in code).
	File string `toml:"-"`
	// Warnings are non-fatal findings of Validate, for check-config.
	Warnings []string `toml:"-"`
}

// Store is [store]: which database holds ticketd's state.
type Store struct {
	// Driver is "sqlite" (default: one file, no setup) or "postgres"
	// (a database several ticketd instances can share).
	Driver string `toml:"driver"`
	// Path is the SQLite file.
	Path string `toml:"path"`
	// DSN is the PostgreSQL connection string, a URL
	// (postgres://ticketd@db.example.com/ticketd?sslmode=verify-full) or
	// libpq's key=value form, inline or read at start from DSNFile or
	// the environment variable DSNEnv: exactly one of them. A password
	// may also come from PGPASSWORD or ~/.pgpass, as for psql.
	DSN     string `toml:"dsn"`
	DSNFile string `toml:"dsn_file"`
	DSNEnv  string `toml:"dsn_env"`
}

// Source returns the driver and what to open with it: the SQLite file,
// or the PostgreSQL DSN, read from dsn_file or dsn_env now.
func (s Store) Source() (driver, dsn string, err error) {
	switch {
	case s.Driver == store.Postgres && s.DSNFile != "":
		b, err := os.ReadFile(s.DSNFile)
		if err != nil {
			return "", "", fmt.Errorf("store.dsn_file: %w", err)
		}
		return store.Postgres, strings.TrimSpace(string(b)), nil
	case s.Driver == store.Postgres && s.DSNEnv != "":
		v := strings.TrimSpace(os.Getenv(s.DSNEnv))
		if v == "" {
			return "", "", fmt.Errorf("store.dsn_env: environment variable %s is empty or unset", s.DSNEnv)
		}
		return store.Postgres, v, nil
	case s.Driver == store.Postgres:
		return store.Postgres, s.DSN, nil
	}
	return store.SQLite, s.Path, nil
}

// Name is the database for people: the SQLite file, or the PostgreSQL
// DSN without its password ("postgres (dsn_env TICKETD_DSN)" when it
// cannot be read).
func (s Store) Name() string {
	_, dsn, err := s.Source()
	switch {
	case s.Driver != store.Postgres:
		return s.Path
	case err != nil && s.DSNFile != "":
		return "postgres (store.dsn_file " + s.DSNFile + ")"
	case err != nil:
		return "postgres (store.dsn_env " + s.DSNEnv + ")"
	}
	return store.RedactDSN(dsn)
}

// Secret is how a password or token is obtained: inline, from a file, from
// an environment variable, or by running a command (like mail clients'
// password_command). Exactly one may be set.
type Secret struct {
	Password        string `toml:"password"`
	PasswordFile    string `toml:"password_file"`
	PasswordEnv     string `toml:"password_env"`
	PasswordCommand string `toml:"password_command"`
	TokenCommand    string `toml:"token_command"` // OAuth2 access token helper, for auth = xoauth2 | oauthbearer
}

// IMAP is [imap].
type IMAP struct {
	Address            string   `toml:"address"`
	Security           string   `toml:"security"`
	Username           string   `toml:"username"`
	Auth               string   `toml:"auth"` // plain (default) | xoauth2 | oauthbearer
	Mailbox            string   `toml:"mailbox"`
	PollInterval       Duration `toml:"poll_interval"`
	Processed          string   `toml:"processed"`
	MoveTo             string   `toml:"move_to"`
	InsecureSkipVerify bool     `toml:"insecure_skip_verify"`
	Secret
}

// SMTP is [smtp].
type SMTP struct {
	Address            string `toml:"address"`
	Security           string `toml:"security"`
	Username           string `toml:"username"`
	Auth               string `toml:"auth"` // "" (plain when a username is set) | plain | xoauth2 | oauthbearer | none
	HeloName           string `toml:"helo_name"`
	InsecureSkipVerify bool   `toml:"insecure_skip_verify"`
	Secret
}

// Support is [support]: who ticketd speaks as.
type Support struct {
	Address string `toml:"address"`
	Name    string `toml:"name"`
}

// Log is [log].
type Log struct {
	Level  string `toml:"level"`
	Format string `toml:"format"`
}

// Staff is [staff]: who the engineers are.
type Staff struct {
	Addresses []string `toml:"addresses"`
	Domains   []string `toml:"domains"`
	// Zone is the time zone due times are shown in to engineers, and the
	// routing calendars' hours are read in.
	Zone string `toml:"zone"`
	// Region is whose public holidays routing calendars skip (optional).
	Region string `toml:"region"`
}

// Route is one [[routing]] entry: alerts for these levels go to these
// addresses — always, or with When only "business" (within Calendar's
// hours) or "outside" them (on-call). Calendar hours are read in the
// [staff] zone and skip the [staff] region's holidays.
type Route struct {
	Levels   []string `toml:"levels"`
	To       []string `toml:"to"`
	When     string   `toml:"when"`
	Calendar string   `toml:"calendar"`
}

// DefaultInbox names the inbox made of [imap] and [support].
const DefaultInbox = "default"

// Inbox is one [[inboxes]] entry.
type Inbox struct {
	Name        string `toml:"name"`
	Address     string `toml:"address"`
	DisplayName string `toml:"display_name"`
	// IMAP has the keys of [imap]; those left out are taken from [imap].
	IMAP IMAP `toml:"imap"`
	// Plan, when set, is the plan of tickets opened through this inbox
	// (else the customer's); Language the default language of its mail;
	// Routing, when set, replaces [[routing]] for its tickets.
	Plan     string  `toml:"plan"`
	Language string  `toml:"language"`
	Routing  []Route `toml:"routing"`
}

// HA is [ha]: several instances on one (PostgreSQL) database.
type HA struct {
	// Takeover is how soon a standby takes over the intake and processing
	// of an instance that died or lost the database (default 15s). The
	// holder renews its leases every takeover/3.
	Takeover Duration `toml:"takeover"`
	// Instance names this instance in leases and `ticketd status`
	// (default: the host name). Instances on one host need different
	// names.
	Instance string `toml:"instance"`
}

// Digest is [digest]: status mail to each customer's primary contact.
type Digest struct {
	// Weekly is when, in the primary contact's zone: "mon 08:00"; "" is off.
	Weekly string `toml:"weekly"`
}

// Verify is [verify]: sender authentication.
type Verify struct {
	TrustedAuthservIDs []string `toml:"trusted_authserv_ids"`
	RequireAuth        string   `toml:"require_auth"`
	Admin              string   `toml:"admin"`
}

// Templates is [templates].
type Templates struct {
	Dir             string   `toml:"dir"`
	DefaultLanguage string   `toml:"default_language"`
	FollowupAck     bool     `toml:"followup_ack"`
	WatchInterval   Duration `toml:"watch_interval"`
}

// Tickets is [tickets].
type Tickets struct {
	ReopenDays int `toml:"reopen_days"`
}

// Reminders is [reminders].
type Reminders struct {
	At                   []string `toml:"at"`
	CustomerHoldingReply bool     `toml:"customer_holding_reply"`
}

// Limits is [limits].
type Limits struct {
	AutoRepliesPerSenderPerHour int   `toml:"auto_replies_per_sender_per_hour"`
	MaxMessageBytes             int64 `toml:"max_message_bytes"`
	MaxHeaderFields             int   `toml:"max_header_fields"`
	MaxLineLength               int   `toml:"max_line_length"`
	MaxAttachments              int   `toml:"max_attachments"`
	// MaxMIMEDepth and MaxMIMEParts bound the MIME structure parsed per
	// mail (defaults 32 and 500; see intake.Limits): a mail beyond them
	// is kept whole in the database, flagged, and ticketed or quarantined
	// on what could be read within them, so one hostile mail cannot keep
	// a core busy.
	MaxMIMEDepth int `toml:"max_mime_depth"`
	MaxMIMEParts int `toml:"max_mime_parts"`
	// MemoryLimitMB is the Go runtime's soft memory limit for `ticketd
	// run` (runtime/debug.SetMemoryLimit): the garbage collector works
	// harder near it instead of letting the heap double. 0 means no limit;
	// the GOMEMLIMIT environment variable, when set, wins.
	MemoryLimitMB int64 `toml:"memory_limit_mb"`
	// UnknownNoticesPerHour caps the unknown-sender notices over all
	// addresses: forged outsiders must not turn the desk into a
	// backscatter source. Beyond it the mail is still quarantined.
	UnknownNoticesPerHour int `toml:"unknown_notices_per_hour"`
	// AlertFoldWindow is the window engineer alerts are folded in: a
	// ticket's follow-ups alert once per window, one sender's new tickets
	// AlertsPerSenderWindow times; the rest are summed up in one alert
	// when the window ends. "0s" turns folding off.
	AlertFoldWindow       Duration `toml:"alert_fold_window"`
	AlertsPerSenderWindow int      `toml:"alerts_per_sender_window"`
}

// Outbox is [outbox]: how temporary delivery failures are retried.
type Outbox struct {
	RetryMin    Duration `toml:"retry_min"`     // first retry after this; doubles up to retry_max
	RetryMax    Duration `toml:"retry_max"`     // longest wait between attempts
	GiveUpAfter Duration `toml:"give_up_after"` // then the mail is failed and admins told
	// KeepSent is how long a delivered mail keeps its composed bytes; then
	// only its row (kind, recipients, status, times) and the message text
	// `tickets show` prints stay.
	KeepSent Duration `toml:"keep_sent"`
}

// DefaultKeepSent is [outbox] keep_sent when unset.
const DefaultKeepSent = 7 * 24 * time.Hour

// HTTP is [http].
type HTTP struct {
	Listen string `toml:"listen"`
	// TokenFile and TokenEnv hold a bearer token /healthz and /metrics
	// then require (Authorization: Bearer …); without one the endpoints
	// answer anyone who can connect.
	TokenFile string `toml:"token_file"`
	TokenEnv  string `toml:"token_env"`
}

// Token returns the configured bearer token, "" when none is set.
func (h HTTP) Token() (string, error) {
	switch {
	case h.TokenFile != "":
		b, err := os.ReadFile(h.TokenFile)
		if err != nil {
			return "", fmt.Errorf("http.token_file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	case h.TokenEnv != "":
		return strings.TrimSpace(os.Getenv(h.TokenEnv)), nil
	}
	return "", nil
}

// Health is [health].
type Health struct {
	MaxSilence Duration `toml:"max_silence"`
}

// Classify is [classify].
type Classify struct {
	// Rules is a severity level table overriding the built-in one.
	Rules string `toml:"rules"`
	// Learn adjusts the level table from engineers' "#level" corrections
	// stored in the database, at start and on SIGHUP; the adjustments are
	// logged and shown by `ticketd classify --table`. Off by default.
	Learn bool `toml:"learn"`
	// LearnVetoed lists adjustment keys (see `ticketd report corrections`)
	// an admin rejected.
	LearnVetoed []string `toml:"learn_vetoed"`
}

// Duration is a time.Duration written as "60s", "5m", "1h30m" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like 60s, 5m or 1h30m", b)
	}
	d.Duration = v
	return nil
}

// MarshalText renders the duration.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Error names the file, the key and what is wrong with it.
type Error struct {
	File   string
	Key    string
	Reason string
}

func (e *Error) Error() string {
	file := e.File
	if file == "" {
		file = "config"
	}
	if e.Key == "" {
		return file + ": " + e.Reason
	}
	return file + ": " + e.Key + ": " + e.Reason
}

// Errors is every problem Validate found.
type Errors []*Error

func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Default returns a config with every default applied and nothing
// else: a starting point for tests and the demo.
func Default() *Config {
	c := &Config{}
	c.ApplyDefaults()
	return c
}

// Load reads, defaults and validates a config file. Unknown keys are
// errors naming the key.
func Load(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{File: file, Reason: "no such file (use --config FILE or $TICKETD_CONFIG)"}
		}
		return nil, &Error{File: file, Reason: err.Error()}
	}
	return Parse(file, data)
}

// Parse decodes, defaults and validates config text; file names it in errors.
func Parse(file string, data []byte) (*Config, error) {
	var c Config
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&c)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, &Error{File: fmt.Sprintf("%s:%d", file, perr.Position.Line), Reason: perr.Message}
		}
		return nil, &Error{File: file, Reason: err.Error()}
	}
	var errs Errors
	for _, k := range md.Undecoded() {
		errs = append(errs, &Error{File: file, Key: k.String(), Reason: "unknown key"})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	c.File = file
	// An explicit "0s" turns alert folding off; unset means the default.
	if md.IsDefined("limits", "alert_fold_window") && c.Limits.AlertFoldWindow.Duration == 0 {
		c.Limits.AlertFoldWindow.Duration = -1
	}
	c.ApplyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// ApplyDefaults fills every key left unset with its default (Parse does
// it; code that builds a Config calls it before Validate).
func (c *Config) ApplyDefaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Store.Driver, store.SQLite)
	if c.Store.Driver == store.SQLite {
		def(&c.Store.Path, "ticketd.db")
	}
	def(&c.IMAP.Security, "tls")
	def(&c.IMAP.Mailbox, "INBOX")
	def(&c.IMAP.Processed, "leave")
	def(&c.IMAP.Auth, "plain")
	if c.IMAP.Processed == "move" {
		def(&c.IMAP.MoveTo, "Processed")
	}
	if c.IMAP.PollInterval.Duration == 0 {
		c.IMAP.PollInterval.Duration = 60 * time.Second
	}
	def(&c.SMTP.Security, "starttls")
	def(&c.Support.Name, "Support")
	def(&c.Log.Level, "info")
	def(&c.Log.Format, "text")
	def(&c.Staff.Zone, "UTC")
	// With a trusted receiving server, contacts' mail must pass DMARC (or
	// aligned DKIM/SPF); without one there is nothing to check against, so
	// a plain setup still works (check-config warns).
	if len(c.Verify.TrustedAuthservIDs) > 0 {
		def(&c.Verify.RequireAuth, "dmarc")
	} else {
		def(&c.Verify.RequireAuth, "off")
	}
	def(&c.Templates.DefaultLanguage, "en")
	if c.Templates.WatchInterval.Duration == 0 {
		c.Templates.WatchInterval.Duration = 2 * time.Second
	}
	if c.Tickets.ReopenDays == 0 {
		c.Tickets.ReopenDays = 14
	}
	if c.Reminders.At == nil {
		c.Reminders.At = []string{"50%", "90%"}
	}
	if c.Limits.AutoRepliesPerSenderPerHour == 0 {
		c.Limits.AutoRepliesPerSenderPerHour = 10
	}
	if c.Limits.MemoryLimitMB == 0 {
		c.Limits.MemoryLimitMB = 64
	}
	if c.Limits.MaxMessageBytes == 0 {
		c.Limits.MaxMessageBytes = 25 << 20
	}
	if c.Limits.UnknownNoticesPerHour == 0 {
		c.Limits.UnknownNoticesPerHour = 20
	}
	if c.Limits.AlertFoldWindow.Duration == 0 {
		c.Limits.AlertFoldWindow.Duration = 5 * time.Minute
	}
	if c.Limits.AlertsPerSenderWindow == 0 {
		c.Limits.AlertsPerSenderWindow = 3
	}
	if c.Limits.MaxMIMEDepth == 0 {
		c.Limits.MaxMIMEDepth = intake.DefaultMaxMIMEDepth
	}
	if c.Limits.MaxMIMEParts == 0 {
		c.Limits.MaxMIMEParts = intake.DefaultMaxMIMEParts
	}
	if c.Outbox.RetryMin.Duration == 0 {
		c.Outbox.RetryMin.Duration = 30 * time.Second
	}
	if c.Outbox.RetryMax.Duration == 0 {
		c.Outbox.RetryMax.Duration = time.Hour
	}
	if c.Outbox.GiveUpAfter.Duration == 0 {
		c.Outbox.GiveUpAfter.Duration = 72 * time.Hour
	}
	if c.Outbox.KeepSent.Duration == 0 {
		c.Outbox.KeepSent.Duration = DefaultKeepSent
	}
	if c.Health.MaxSilence.Duration == 0 {
		c.Health.MaxSilence.Duration = 10 * time.Minute
	}
	if c.HA.Takeover.Duration == 0 {
		c.HA.Takeover.Duration = 15 * time.Second
	}
}

// Validate checks every key it can without touching the network and
// returns Errors naming each bad key. Non-fatal findings go to Warnings.
func (c *Config) Validate() error {
	c.Warnings = nil // idempotent: validating twice reports once
	var errs Errors
	bad := func(key, format string, args ...any) {
		errs = append(errs, &Error{File: c.File, Key: key, Reason: fmt.Sprintf(format, args...)})
	}
	warn := func(format string, args ...any) { c.Warnings = append(c.Warnings, fmt.Sprintf(format, args...)) }
	oneOf := func(key, v string, allowed ...string) {
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		bad(key, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
	hostPort := func(key, v string) {
		if v == "" {
			bad(key, "required (host:port)")
			return
		}
		if _, _, err := net.SplitHostPort(v); err != nil {
			bad(key, "%q is not host:port", v)
		}
	}
	address := func(key, v string) {
		if v == "" || !strings.Contains(v, "@") || strings.ContainsAny(v, " <>\r\n") {
			bad(key, "%q is not an email address", v)
		}
	}
	for _, e := range c.IMAPClientConfig(nil).Check() {
		bad("imap."+e.Key, "%s", e.Reason)
	}
	if d := c.IMAP.PollInterval.Duration; d > 0 && d < time.Second {
		// intake polls as often as asked (tests do, every few ms); a
		// server is not to be hammered.
		bad("imap.poll_interval", "%s is too short (at least 1s)", d)
	}
	c.checkSecret("imap", c.IMAP.Secret, c.IMAP.Auth, true, bad, warn)
	if c.IMAP.Security == "none" && c.IMAP.Secret != (Secret{}) && !isLoopback(c.IMAP.Address) {
		warn("imap.security = \"none\" with a password: the password and every mail cross the network to %s unencrypted; use tls or starttls", c.IMAP.Address)
	}
	if c.IMAP.InsecureSkipVerify {
		warn("imap.insecure_skip_verify = true: the IMAP server's TLS certificate is not verified")
	}
	hostPort("smtp.address", c.SMTP.Address)
	oneOf("smtp.security", c.SMTP.Security, "tls", "starttls", "none")
	oneOf("smtp.auth", c.SMTP.Auth, "", "none", "plain", "xoauth2", "oauthbearer")
	if c.SMTP.Username != "" || (c.SMTP.Auth != "" && c.SMTP.Auth != "none") {
		c.checkSecret("smtp", c.SMTP.Secret, c.SMTP.Auth, c.SMTP.Username != "", bad, warn)
	}
	if c.SMTP.Security == "none" && c.SMTP.Secret != (Secret{}) && !isLoopback(c.SMTP.Address) {
		warn("smtp.security = \"none\" with a password: the password and every mail cross the network to %s unencrypted; use tls or starttls", c.SMTP.Address)
	}
	if c.SMTP.InsecureSkipVerify {
		warn("smtp.insecure_skip_verify = true: the SMTP server's TLS certificate is not verified")
	}
	address("support.address", c.Support.Address)
	oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	oneOf("log.format", c.Log.Format, "text", "json")
	for i, a := range c.Staff.Addresses {
		address(fmt.Sprintf("staff.addresses[%d]", i), a)
	}
	if _, err := time.LoadLocation(c.Staff.Zone); err != nil {
		bad("staff.zone", "unknown time zone %q", c.Staff.Zone)
	}
	cat, catErr := sla.NewCatalog(c.Calendars, c.Plans)
	checkRoutes := func(prefix string, routes []Route) {
		for i, r := range routes {
			key := fmt.Sprintf("%s[%d]", prefix, i)
			if len(r.Levels) == 0 {
				bad(key+".levels", "required: which levels (P0…P4) this route takes")
			}
			for j, l := range r.Levels {
				if _, err := ticket.ParseLevel(l); err != nil {
					bad(fmt.Sprintf("%s.levels[%d]", key, j), "%v", err)
				}
			}
			if len(r.To) == 0 {
				bad(key+".to", "required: at least one address")
			}
			for j, a := range r.To {
				address(fmt.Sprintf("%s.to[%d]", key, j), a)
			}
			oneOf(key+".when", r.When, "", "business", "outside")
			switch {
			case r.When != "" && r.Calendar == "":
				bad(key+".calendar", "required with when = %q: whose business hours", r.When)
			case r.When == "" && r.Calendar != "":
				bad(key+".when", `required with a calendar: "business" or "outside"`)
			case r.Calendar != "" && catErr == nil && cat.Calendars[r.Calendar] == nil:
				bad(key+".calendar", "unknown calendar %q (see ticketd sla plans)", r.Calendar)
			}
		}
	}
	checkRoutes("routing", c.Routing)
	if c.Staff.Region != "" {
		if err := sla.ValidRegion(c.Staff.Region); err != nil {
			bad("staff.region", "%v", err)
		}
	}
	c.checkInboxes(bad, warn, address, oneOf, checkRoutes, cat)
	if c.HA.Takeover.Duration < 3*time.Second {
		bad("ha.takeover", "%s is too short (at least 3s: leases are renewed every takeover/3)", c.HA.Takeover.Duration)
	}
	if c.Digest.Weekly != "" {
		if _, _, err := ParseWeekly(c.Digest.Weekly); err != nil {
			bad("digest.weekly", "%v", err)
		}
	}
	if len(c.Routing) == 0 {
		warn("no [[routing]]: engineers get no alerts for new tickets")
	}
	oneOf("verify.require_auth", c.Verify.RequireAuth, "off", "dmarc")
	if c.Verify.RequireAuth == "dmarc" && len(c.Verify.TrustedAuthservIDs) == 0 {
		bad("verify.require_auth", `"dmarc" needs verify.trusted_authserv_ids: whose Authentication-Results to trust`)
	}
	if len(c.Verify.TrustedAuthservIDs) == 0 {
		warn("verify.trusted_authserv_ids is empty: senders are recognised by their From address alone, so a forged From is not detected")
	} else if c.Verify.RequireAuth == "dmarc" {
		warn("verify.trusted_authserv_ids = %q with require_auth = \"dmarc\": EVERY contact's and engineer's mail is quarantined as spoofed "+
			"unless it carries an Authentication-Results header from %s reporting dmarc=pass (or aligned DKIM or SPF). "+
			"Check the headers of a real mail in the mailbox first; set require_auth = \"off\" to only reject mail that fails",
			c.Verify.TrustedAuthservIDs, strings.Join(c.Verify.TrustedAuthservIDs, " or "))
	}
	if c.Verify.Admin != "" {
		address("verify.admin", c.Verify.Admin)
	} else {
		warn("verify.admin is empty: spoofing, delivery failures and intake problems alert nobody by mail")
	}
	if c.HTTP.Listen != "" {
		hostPort("http.listen", c.HTTP.Listen)
		if tok, err := c.HTTP.Token(); err != nil {
			bad("http.token_file", "%v", err)
		} else if c.HTTP.TokenEnv != "" && tok == "" {
			bad("http.token_env", "environment variable %s is empty or unset", c.HTTP.TokenEnv)
		} else if tok == "" && !isLoopback(c.HTTP.Listen) {
			warn("http.listen = %q is reachable from other hosts and /healthz and /metrics have no authentication: "+
				"listen on 127.0.0.1, or set http.token_file so they require a bearer token", c.HTTP.Listen)
		}
	}
	c.checkStore(bad, warn)
	if catErr != nil {
		bad("plans", "%v", catErr)
	}
	oneOf("templates.default_language", c.Templates.DefaultLanguage, "en", "de", "fr")
	if c.Templates.Dir != "" {
		if st, err := os.Stat(c.Templates.Dir); err != nil || !st.IsDir() {
			bad("templates.dir", "%q is not a directory", c.Templates.Dir)
		}
	}
	if c.Tickets.ReopenDays < 0 {
		bad("tickets.reopen_days", "must not be negative")
	}
	for i, a := range c.Reminders.At {
		if _, err := ParsePercent(a); err != nil {
			bad(fmt.Sprintf("reminders.at[%d]", i), "%v", err)
		}
	}
	if c.Limits.AutoRepliesPerSenderPerHour < 0 {
		bad("limits.auto_replies_per_sender_per_hour", "must not be negative")
	}
	if c.Limits.UnknownNoticesPerHour < 0 {
		bad("limits.unknown_notices_per_hour", "must not be negative")
	}
	if c.Limits.AlertsPerSenderWindow < 0 {
		bad("limits.alerts_per_sender_window", "must not be negative")
	}
	if c.Limits.MaxMessageBytes < 1024 {
		bad("limits.max_message_bytes", "%d is too small (at least 1024)", c.Limits.MaxMessageBytes)
	}
	if c.Limits.MaxMIMEDepth < 1 {
		bad("limits.max_mime_depth", "%d: want at least 1 (default %d)", c.Limits.MaxMIMEDepth, intake.DefaultMaxMIMEDepth)
	}
	if c.Limits.MaxMIMEParts < 1 {
		bad("limits.max_mime_parts", "%d: want at least 1 (default %d)", c.Limits.MaxMIMEParts, intake.DefaultMaxMIMEParts)
	}
	if c.Limits.MemoryLimitMB < 0 {
		bad("limits.memory_limit_mb", "must not be negative (0 means no limit)")
	}
	if c.Outbox.RetryMin.Duration < time.Second || c.Outbox.RetryMax.Duration < c.Outbox.RetryMin.Duration {
		bad("outbox.retry_min", "want at least 1s and no more than outbox.retry_max (%s)", c.Outbox.RetryMax.Duration)
	}
	if c.Outbox.KeepSent.Duration < 0 {
		bad("outbox.keep_sent", "%s is negative", c.Outbox.KeepSent.Duration)
	}
	if c.Outbox.GiveUpAfter.Duration < c.Outbox.RetryMax.Duration {
		bad("outbox.give_up_after", "%s is shorter than outbox.retry_max", c.Outbox.GiveUpAfter.Duration)
	}
	if c.HTTP.Listen != "" {
		hostPort("http.listen", c.HTTP.Listen)
	}
	if c.Classify.Rules != "" {
		if _, err := os.Stat(c.Classify.Rules); err != nil {
			bad("classify.rules", "%v", err)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// checkStore checks [store]: the driver, and where its database is.
func (c *Config) checkStore(bad func(string, string, ...any), warn func(string, ...any)) {
	s := c.Store
	oneOf := func(key, v string, allowed ...string) bool {
		for _, a := range allowed {
			if v == a {
				return true
			}
		}
		bad(key, "%q is not one of %s", v, strings.Join(allowed, ", "))
		return false
	}
	if !oneOf("store.driver", s.Driver, store.SQLite, store.Postgres) {
		return
	}
	set := 0
	for _, v := range []string{s.DSN, s.DSNFile, s.DSNEnv} {
		if v != "" {
			set++
		}
	}
	if s.Driver == store.SQLite {
		if set > 0 {
			bad(dsnKey(s), "only used with store.driver = \"postgres\" (SQLite's database is store.path)")
		}
		if st, err := os.Stat(s.Path); err == nil && st.Mode().Perm()&0o077 != 0 {
			warn("store.path %s is readable by others (mode %s): it holds every mail and the key that signs reply tokens; chmod 600 it and its -wal and -shm files",
				s.Path, st.Mode().Perm())
		}
		return
	}
	if s.Path != "" {
		warn("store.path %s is not used with store.driver = \"postgres\" (the database is store.dsn)", s.Path)
	}
	switch {
	case set == 0:
		bad("store.dsn", "required with store.driver = \"postgres\" (or store.dsn_file, store.dsn_env): the PostgreSQL connection string")
		return
	case set > 1:
		bad("store.dsn", "set only one of dsn, dsn_file, dsn_env")
		return
	}
	if s.DSNFile != "" {
		st, err := os.Stat(s.DSNFile)
		switch {
		case err != nil:
			bad("store.dsn_file", "%v", err)
			return
		case st.Mode().Perm()&0o004 != 0:
			warn("store.dsn_file %s is world-readable (mode %s): chmod 600 it", s.DSNFile, st.Mode().Perm())
		}
	}
	_, dsn, err := s.Source()
	if err != nil {
		bad(dsnKey(s), "%v", strings.TrimPrefix(err.Error(), dsnKey(s)+": "))
		return
	}
	cc, err := pgconn.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the string; say only what is wrong.
		bad(dsnKey(s), "not a PostgreSQL connection string (a postgres:// URL or key=value pairs)")
		return
	}
	if s.DSN != "" && store.DSNHasPassword(s.DSN) {
		if st, err := os.Stat(c.File); err == nil && st.Mode().Perm()&0o004 != 0 {
			warn("store.dsn has a password inline in %s, which is world-readable: prefer store.dsn_file or store.dsn_env, or PGPASSWORD or ~/.pgpass", c.File)
		}
	}
	if mode := sslMode(dsn); mode != "verify-full" && mode != "verify-ca" && !strings.HasPrefix(cc.Host, "/") && !isLoopback(net.JoinHostPort(cc.Host, "0")) {
		warn("%s: the connection to %s is not verified (sslmode=%s): the database password and every mail may cross the network in the clear or to an impostor; "+
			"use sslmode=verify-full", dsnKey(s), cc.Host, mode)
	}
}

// dsnKey names the key the DSN comes from.
func dsnKey(s Store) string {
	switch {
	case s.DSNFile != "":
		return "store.dsn_file"
	case s.DSNEnv != "":
		return "store.dsn_env"
	}
	return "store.dsn"
}

// sslMode is a DSN's sslmode, libpq's default ("prefer") when unset.
func sslMode(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		if m := u.Query().Get("sslmode"); m != "" {
			return m
		}
	} else {
		for _, f := range strings.Fields(dsn) {
			if k, v, ok := strings.Cut(f, "="); ok && k == "sslmode" {
				return strings.Trim(v, "'")
			}
		}
	}
	if m := os.Getenv("PGSSLMODE"); m != "" {
		return m
	}
	return "prefer"
}

func (c *Config) checkSecret(section string, s Secret, auth string, required bool, bad func(string, string, ...any), warn func(string, ...any)) {
	n := 0
	for _, v := range []string{s.Password, s.PasswordFile, s.PasswordEnv, s.PasswordCommand, s.TokenCommand} {
		if v != "" {
			n++
		}
	}
	if n > 1 {
		bad(section+".password", "set only one of password, password_file, password_env, password_command, token_command")
	}
	oauth := auth == "xoauth2" || auth == "oauthbearer"
	if oauth && s.TokenCommand == "" && s.PasswordCommand == "" {
		bad(section+".token_command", "required for auth = %q: a command printing an OAuth2 access token", auth)
	}
	if !oauth && s.TokenCommand != "" {
		bad(section+".token_command", "only used with auth = xoauth2 or oauthbearer")
	}
	if required && n == 0 {
		bad(section+".password", "required (or password_file, password_env, password_command)")
	}
	if s.PasswordFile != "" {
		st, err := os.Stat(s.PasswordFile)
		switch {
		case err != nil:
			bad(section+".password_file", "%v", err)
		case st.Mode().Perm()&0o004 != 0:
			warn("%s.password_file %s is world-readable (mode %s): chmod 600 it", section, s.PasswordFile, st.Mode().Perm())
		}
	}
	if s.PasswordEnv != "" && os.Getenv(s.PasswordEnv) == "" {
		bad(section+".password_env", "environment variable %s is empty or unset", s.PasswordEnv)
	}
	if s.Password != "" {
		if st, err := os.Stat(c.File); err == nil && st.Mode().Perm()&0o004 != 0 {
			warn("%s.password is inline in %s, which is world-readable: prefer password_file", section, c.File)
		}
	}
}

// isLoopback reports whether a host:port names this host only.
func isLoopback(hostPort string) bool {
	host, _, err := net.SplitHostPort(hostPort)
	if err != nil {
		host = hostPort
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Provider returns a function that yields the secret each time it is
// needed, so rotated files and short-lived tokens are picked up.
func (s Secret) Provider() func(ctx context.Context) (string, error) {
	switch {
	case s.PasswordFile != "":
		return func(context.Context) (string, error) {
			b, err := os.ReadFile(s.PasswordFile)
			if err != nil {
				return "", fmt.Errorf("read password_file: %w", err)
			}
			return strings.TrimRight(string(b), "\r\n"), nil
		}
	case s.PasswordEnv != "":
		return func(context.Context) (string, error) {
			v := os.Getenv(s.PasswordEnv)
			if v == "" {
				return "", fmt.Errorf("environment variable %s is empty", s.PasswordEnv)
			}
			return v, nil
		}
	case s.PasswordCommand != "" || s.TokenCommand != "":
		cmdline := s.PasswordCommand
		if s.TokenCommand != "" {
			cmdline = s.TokenCommand
		}
		return func(ctx context.Context) (string, error) {
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "/bin/sh", "-c", cmdline)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				// The command's output may be a secret: report only stderr.
				return "", fmt.Errorf("secret command failed: %w: %s", err, strings.TrimSpace(stderr.String()))
			}
			v := strings.TrimRight(string(out), "\r\n")
			if v == "" {
				return "", errors.New("secret command printed nothing")
			}
			return v, nil
		}
	default:
		pw := s.Password
		return func(context.Context) (string, error) { return pw, nil }
	}
}

// ParsePercent parses "50%" (or "50") into 50; it must be in (0, 100].
func ParsePercent(s string) (int, error) {
	var n int
	if _, err := fmt.Sscanf(strings.TrimSuffix(strings.TrimSpace(s), "%"), "%d", &n); err != nil || n <= 0 || n > 100 {
		return 0, fmt.Errorf("%q is not a percentage between 1%% and 100%%", s)
	}
	return n, nil
}

// IMAPClientConfig is the intake client's configuration for [imap], with
// tlsConfig (a test CA; nil: the system's) and the [limits] it uses. Both
// the configuration check and the daemon use it, so the rules are
// intake's alone.
func (c *Config) IMAPClientConfig(tlsConfig *tls.Config) intake.Config {
	return c.imapClientConfig(c.IMAP, DefaultInbox, tlsConfig)
}

// InboxIMAPConfig is IMAPClientConfig for an inbox (Inboxes).
func (c *Config) InboxIMAPConfig(in Inbox, tlsConfig *tls.Config) intake.Config {
	return c.imapClientConfig(in.IMAP, in.Name, tlsConfig)
}

func (c *Config) imapClientConfig(m IMAP, inbox string, tlsConfig *tls.Config) intake.Config {
	ic := intake.Config{
		Inbox:   inbox,
		Address: m.Address, Security: m.Security, Username: m.Username,
		Password: m.Secret.Provider(), Auth: m.Auth, Mailbox: m.Mailbox,
		PollInterval: m.PollInterval.Duration, Processed: m.Processed, MoveTo: m.MoveTo,
		MaxMessageBytes: c.Limits.MaxMessageBytes, TLSConfig: tlsConfig,
	}
	if m.InsecureSkipVerify {
		ic.TLSConfig = insecure(ic.TLSConfig)
	}
	return ic
}

// SMTPClientConfig is the delivery settings for [smtp], with tlsConfig (a
// test CA; nil: the system's).
func (c *Config) SMTPClientConfig(tlsConfig *tls.Config) notify.SMTPConfig {
	sc := notify.SMTPConfig{
		Address: c.SMTP.Address, Security: c.SMTP.Security, Username: c.SMTP.Username,
		Password: c.SMTP.Secret.Provider(), HeloName: c.SMTP.HeloName, TLSConfig: tlsConfig,
	}
	switch c.SMTP.Auth {
	case "", "plain":
		if c.SMTP.Username != "" {
			sc.Auth = notify.AuthPlain
		}
	case "none":
	default:
		sc.Auth = c.SMTP.Auth
	}
	if c.SMTP.InsecureSkipVerify {
		sc.TLSConfig = insecure(sc.TLSConfig)
	}
	return sc
}

// ParseLimits are the [limits] that bound parsing one mail.
func (c *Config) ParseLimits() intake.Limits {
	l := c.Limits
	return intake.Limits{MaxHeaderFields: l.MaxHeaderFields, MaxLineLength: l.MaxLineLength, MaxAttachments: l.MaxAttachments,
		MaxMIMEDepth: l.MaxMIMEDepth, MaxMIMEParts: l.MaxMIMEParts}
}

// insecure returns c (or a new config) with certificate checks off.
func insecure(c *tls.Config) *tls.Config {
	if c == nil {
		c = &tls.Config{}
	} else {
		c = c.Clone()
	}
	c.InsecureSkipVerify = true
	return c
}
