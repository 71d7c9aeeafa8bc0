package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"ticketd/classify"
	"ticketd/config"
	"ticketd/daemon"
	"ticketd/desk"
	"ticketd/intake"
	"ticketd/internal/mailtest"
	"ticketd/store"
)

// Config says what to measure and against which servers.
type Config struct {
	// Messages is the backlog: appended before the daemon starts.
	Messages int
	// Rate (mails/s) and Duration are the steady phase, appended while
	// the daemon idles on the mailbox; Rate 0 skips it.
	Rate     float64
	Duration time.Duration
	// LargeAttachment is the size in bytes of the attachment of the one
	// mail of the memory phase; 0 skips it.
	LargeAttachment int
	Seed            int64

	// IMAP, when set, is an external server (host:port) to append to and
	// read from; SMTP is then the relay the daemon sends through. Empty:
	// in-process servers (internal/mailtest).
	IMAP         string
	IMAPSecurity string // none | tls | starttls (default none)
	IMAPUser     string
	IMAPPassword string
	Mailbox      string // default INBOX
	SMTP         string
	SMTPSecurity string // none | tls | starttls (default none)
	// InsecureSkipVerify accepts any server certificate (test servers).
	InsecureSkipVerify bool

	// Timeout bounds each phase (default 2 minutes plus 50 ms a mail).
	Timeout time.Duration
	// CPUProfile, when set, receives a CPU profile of the backlog phase.
	CPUProfile io.Writer
	// Logger receives the daemon's log (default: discarded).
	Logger *slog.Logger
	// Progress, when set, receives a line as each phase starts and ends.
	Progress io.Writer
	// DaemonBinary, when set, runs the daemon as `DaemonBinary run --config
	// F` in its own process in every phase (unless CPUProfile is set, which
	// needs it in this one), so RSS figures are the daemon's alone, as
	// deployed, without the bench's servers, generator and tracker.
	DaemonBinary string

	// Store is the database the run uses: "" or "sqlite" for a SQLite
	// file in a temp directory, or "postgres:DSN" for a scratch database
	// the bench creates on that server (the role needs CREATEDB) and
	// drops when the run ends.
	Store string

	// Prefill is how many tickets are written into the database (through
	// the store, see prefill) before the backlog: the backlog then runs
	// against a database of that size.
	Prefill int
	// Admin, when set, runs a ticketd admin command (args as on the
	// command line, output discarded); the bench times `tickets list`,
	// `tickets show`, `tickets list --overdue` and `report sla` with it.
	Admin func(ctx context.Context, args []string) error
}

// Result is what a run measured.
type Result struct {
	Messages          int           `json:"messages"`
	BacklogElapsed    time.Duration `json:"-"`
	MessagesPerSecond float64       `json:"messages_per_second"`

	Rate          float64       `json:"rate"`
	Duration      time.Duration `json:"-"`
	Offered       int           `json:"offered"`
	AckLatencyP50 time.Duration `json:"-"`
	AckLatencyP99 time.Duration `json:"-"`
	AckLatencyMax time.Duration `json:"-"`

	LargeAttachmentBytes int `json:"large_attachment_bytes"`
	LargeMailBytes       int `json:"large_mail_bytes"`
	LargeElapsed         time.Duration
	RSSBeforeLargeMB     float64 // resident set before the large mail arrived
	PeakRSSMB            float64 // VmHWM after the large mail (reset before it when the kernel allows)
	PeakRSSReset         bool    // whether VmHWM was reset before the large mail
	PeakRSSWholeRunMB    float64 // VmHWM before that reset: the whole run so far
	DaemonProcess        bool    // the peak is a separate daemon process's (Config.DaemonBinary)

	// DaemonPeakRSSMB is the daemon process's VmHWM over the backlog and
	// steady phases (0 when the daemon ran in this process).
	DaemonPeakRSSMB float64

	PrefillTickets int
	PrefillElapsed time.Duration
	// Admin commands against the database after the steady phase, median
	// of adminRuns, each a whole command (config, open, query, output).
	TicketsListMS    float64
	TicketsShowMS    float64
	TicketsOverdueMS float64
	ReportSLAMS      float64 // default window, 30 days
	ReportSLAYearMS  float64 // --since 365d: every prefilled ticket
	// Database growth per ticket the pipeline created in the backlog and
	// steady phases, once delivered bodies are pruned and rate-limit rows
	// forgotten (as maintenance leaves them after keep_sent and 48 h):
	// BytesPerTicket is everything but the raw mail, RawBytesPerTicket
	// the raw mail as stored (deflated).
	BytesPerTicket    float64
	RawBytesPerTicket float64
	TicketsMeasured   int
	DBFileMB          float64
	// ClassifyP50 is the median time of severity classification of one
	// backlog mail (classify.Engine.Classify), measured apart.
	ClassifyP50  time.Duration
	ClassifyMean time.Duration

	// MailboxPreexisting counts the mails an external mailbox held before
	// the run: the daemon fetched and processed them too.
	MailboxPreexisting int

	External bool
	Store    string // the database, for people
	NumCPU   int
	GOOS     string
	GOARCH   string
}

const (
	benchSupport  = "support@example.com"
	benchPassword = "bench"
)

// Run measures the pipeline in three phases on one database: a backlog
// of cfg.Messages mails, a steady rate through IDLE, and one large mail.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Messages < 1 {
		return nil, errors.New("messages must be at least 1")
	}
	if cfg.IMAP != "" && cfg.SMTP == "" {
		return nil, errors.New("an external IMAP server needs an SMTP relay too (--smtp)")
	}
	if cfg.Mailbox == "" {
		cfg.Mailbox = "INBOX"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	res := &Result{Messages: cfg.Messages, Rate: cfg.Rate, Duration: cfg.Duration, External: cfg.IMAP != "",
		NumCPU: runtime.NumCPU(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH}
	tmp, err := os.MkdirTemp("", "ticketd-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	r := &runner{cfg: cfg, res: res, track: newTracker()}
	support := benchSupport
	if cfg.IMAP == "" {
		r.support = support
		if err := r.inProcess(); err != nil {
			return nil, err
		}
		defer func() { r.sys.Close() }()
	} else {
		support = cfg.IMAPUser
		if !strings.Contains(support, "@") {
			return nil, fmt.Errorf("--imap-user %q: the bench uses it as the support address and needs an address", support)
		}
		app, err := dialAppender(cfg)
		if err != nil {
			return nil, err
		}
		defer app.Close()
		r.app = app
		r.imapAddr, r.imapUser, r.imapPass, r.smtpAddr = cfg.IMAP, cfg.IMAPUser, cfg.IMAPPassword, cfg.SMTP
	}
	r.support = support

	offered := 0
	if cfg.Rate > 0 {
		offered = int(cfg.Rate * cfg.Duration.Seconds())
	}
	r.tmp = tmp
	if r.db, err = newBenchDB(ctx, cfg, tmp, "ticketd"); err != nil {
		return nil, err
	}
	defer func() { r.db.drop() }()
	res.Store = r.db.describe()
	r.daemonCfg = r.config()
	total := cfg.Messages + offered + 1
	r.gen = NewGenerator(cfg.Seed, support, ContactsFor(total, r.daemonCfg.Limits.AutoRepliesPerSenderPerHour))
	if cfg.IMAP != "" {
		// A shared mailbox may hold an earlier run's mail: keep IDs unique.
		r.gen.SetRunID(strconv.FormatInt(time.Now().UnixNano(), 36))
	}
	if err := r.open(ctx); err != nil {
		return nil, err
	}
	defer func() { r.stop(); r.closeDaemon() }()
	if err := r.seed(ctx); err != nil {
		return nil, err
	}
	if cfg.Prefill > 0 {
		fmt.Fprintf(cfg.Progress, "prefill: writing %d tickets\n", cfg.Prefill)
		start := time.Now()
		if err := prefill(ctx, r.d.DB(), r.d.Plans(), r.prefillGenerator(), cfg.Prefill, time.Now().UTC(), r.daemonCfg.Outbox.KeepSent.Duration); err != nil {
			return res, err
		}
		res.PrefillTickets, res.PrefillElapsed = cfg.Prefill, time.Since(start)
		fmt.Fprintf(cfg.Progress, "prefill: %d tickets in %s\n", cfg.Prefill, res.PrefillElapsed.Round(time.Millisecond))
	}
	if app, ok := r.app.(*imapAppender); ok {
		if res.MailboxPreexisting, err = app.Count(); err != nil {
			return res, err
		}
		if res.MailboxPreexisting > 0 {
			fmt.Fprintf(cfg.Progress, "warning: mailbox %s already holds %d mails: the daemon fetches and processes them too\n", cfg.Mailbox, res.MailboxPreexisting)
		}
	}
	// Measured as maintenance leaves the database (prefilled bodies sent
	// within keep_sent pruned too), so the growth is the backlog's alone.
	before, err := r.usage(ctx, true)
	if err != nil {
		return res, err
	}
	if r.useChild() {
		if err := r.writeConfig(); err != nil {
			return res, err
		}
		r.closeDaemon()
	}
	if cfg.IMAP != "" {
		stop := r.watchOutbox(ctx)
		defer stop()
	}
	if err := r.backlog(ctx); err != nil {
		return res, err
	}
	if offered > 0 {
		if err := r.steady(ctx, offered); err != nil {
			return res, err
		}
	}
	if cfg.Admin != nil {
		if err := r.admin(ctx); err != nil {
			return res, err
		}
	}
	r.stop()
	res.DaemonPeakRSSMB = r.childPeak
	after, err := r.usage(ctx, true)
	if err != nil {
		return res, err
	}
	if n := after.tickets - before.tickets; n > 0 {
		res.TicketsMeasured = n
		raw := after.rawBytes - before.rawBytes
		res.RawBytesPerTicket = float64(raw) / float64(n)
		res.BytesPerTicket = float64(after.bytesInUse-before.bytesInUse-raw) / float64(n)
	}
	res.DBFileMB = float64(after.fileBytes) / (1 << 20)
	if cfg.LargeAttachment > 0 {
		if err := r.large(ctx); err != nil {
			return res, err
		}
	} else {
		res.PeakRSSMB, _ = procStatusMB("VmHWM")
		res.PeakRSSWholeRunMB = res.PeakRSSMB
		if res.DaemonPeakRSSMB > 0 {
			res.PeakRSSMB = res.DaemonPeakRSSMB
		}
	}
	return res, nil
}

type runner struct {
	cfg       Config
	res       *Result
	track     *tracker
	app       appender
	sys       *mailtest.System // in-process servers, nil with external ones
	gen       *Generator
	support   string
	imapAddr  string
	imapUser  string
	imapPass  string
	smtpAddr  string
	tmp       string   // the run's directory: config, SQLite files
	db        *benchDB // the run's database
	daemonCfg *config.Config

	d      *daemon.Daemon
	cancel context.CancelFunc
	done   chan error

	child       *exec.Cmd     // the daemon process, when it runs in one
	childStderr *bytes.Buffer // its log
	childPeak   float64       // its VmHWM, read before it exits
	// childRunning is closed when the daemon process has opened its
	// database and starts its loops: where an in-process daemon's Run
	// starts, so both are timed from the same point.
	childRunning chan struct{}
	cfgPath      string // the daemon's config file, for the child and admin commands
}

// inProcess starts (or replaces) the in-process mail system.
func (r *runner) inProcess() error {
	if r.sys != nil {
		r.sys.Close()
		r.sys = nil
	}
	sys, err := mailtest.NewSystem()
	if err != nil {
		return err
	}
	if err := sys.AddUser(r.support, benchPassword); err != nil {
		sys.Close()
		return err
	}
	sys.OnMessage = func(m mailtest.Message) { r.track.acked(inReplyTo(m.Data), m.To, m.At) }
	r.sys = sys
	r.app = simAppender{sys, r.support, r.cfg.Mailbox}
	r.imapAddr, r.imapUser, r.imapPass, r.smtpAddr = sys.IMAPAddr, r.support, benchPassword, sys.SMTPAddr
	return nil
}

func (r *runner) phaseTimeout(n int) time.Duration {
	if r.cfg.Timeout > 0 {
		return r.cfg.Timeout
	}
	return 2*time.Minute + time.Duration(n)*50*time.Millisecond
}

// config is a production configuration (config.Default) pointed at
// the servers, wired like the demo.
func (r *runner) config() *config.Config {
	cfg := config.Default()
	cfg.File = "(bench)"
	if driver, dsn := r.db.source(); driver == store.SQLite {
		cfg.Store.Path = dsn
	} else {
		cfg.Store = config.Store{Driver: driver, DSN: dsn}
	}
	cfg.IMAP = config.IMAP{Address: r.imapAddr, Security: orNone(r.cfg.IMAPSecurity), Username: r.imapUser, Auth: "plain",
		Mailbox: r.cfg.Mailbox, PollInterval: config.Duration{Duration: time.Second}, Processed: "leave",
		Secret: config.Secret{Password: r.imapPass}, InsecureSkipVerify: r.cfg.InsecureSkipVerify}
	cfg.SMTP = config.SMTP{Address: r.smtpAddr, Security: orNone(r.cfg.SMTPSecurity), InsecureSkipVerify: r.cfg.InsecureSkipVerify}
	cfg.Support = config.Support{Address: r.support, Name: "Example Support"}
	cfg.Staff = config.Staff{Addresses: []string{"erin@example.com"}, Zone: "Europe/Zurich"}
	cfg.Routing = []config.Route{{Levels: []string{"P0", "P1"}, To: []string{"oncall@example.com"}},
		{Levels: []string{"P2", "P3", "P4"}, To: []string{"support-team@example.com"}}}
	cfg.Verify.Admin = "admin@example.com"
	// The memory phase ingests the large mail whole rather than truncated
	// at the default 25 MiB, to measure the real cost of the attachment.
	if need := int64(r.cfg.LargeAttachment)*4/3 + 1<<20; need > cfg.Limits.MaxMessageBytes {
		cfg.Limits.MaxMessageBytes = need
	}
	return cfg
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func (r *runner) open(ctx context.Context) error {
	if err := r.daemonCfg.Validate(); err != nil {
		return fmt.Errorf("bench config: %w", err)
	}
	d, err := daemon.New(ctx, r.daemonCfg, daemon.Options{Logger: r.cfg.Logger, ProcessInterval: time.Second, ShutdownGrace: 5 * time.Second})
	if err != nil {
		return err
	}
	r.d = d
	return nil
}

func (r *runner) closeDaemon() {
	if r.d != nil {
		r.d.Close()
		r.d = nil
	}
}

// useChild says whether the daemon runs as its own process.
func (r *runner) useChild() bool { return r.cfg.DaemonBinary != "" && r.cfg.CPUProfile == nil }

// writeConfig writes the daemon's configuration (with the IMAP password)
// to a file only its owner may read, for the daemon process and the
// admin commands.
func (r *runner) writeConfig() error {
	r.cfgPath = filepath.Join(r.tmp, "ticketd.toml")
	f, err := os.OpenFile(r.cfgPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	err = toml.NewEncoder(f).Encode(r.daemonCfg)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write daemon config: %w", err)
	}
	return nil
}

// start runs the daemon: as `ticketd run` when useChild, else in this
// process on r.d.
func (r *runner) start(ctx context.Context) error {
	if r.useChild() {
		r.closeDaemon()
		if r.cfgPath == "" {
			if err := r.writeConfig(); err != nil {
				return err
			}
		}
		r.childStderr = &bytes.Buffer{}
		r.childRunning = make(chan struct{})
		cmd := exec.Command(r.cfg.DaemonBinary, "run", "--config", r.cfgPath)
		cmd.Stderr = &lockedBuffer{b: r.childStderr, running: r.childRunning}
		cmd.Env = append(os.Environ(), "GOMEMLIMIT=") // the config's limit applies, as in production
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start %s: %w", r.cfg.DaemonBinary, err)
		}
		r.child, r.childPeak = cmd, 0
		return nil
	}
	if r.d == nil {
		if err := r.open(ctx); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan error, 1)
	go func() { r.done <- r.d.Run(ctx) }()
	return nil
}

// stop stops the daemon; a daemon process's peak RSS is read first.
func (r *runner) stop() {
	if r.child != nil {
		r.childPeak, _ = fileStatusMB(fmt.Sprintf("/proc/%d/status", r.child.Process.Pid), "VmHWM")
		r.child.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { r.child.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			r.child.Process.Kill()
			<-done
		}
		r.child = nil
		return
	}
	if r.cancel == nil {
		return
	}
	r.cancel()
	<-r.done
	r.cancel = nil
}

// childLog is the end of the daemon process's log, for errors.
func (r *runner) childLog() string {
	if r.childStderr == nil {
		return ""
	}
	return "; daemon log:\n" + lastLines(r.childStderr.String(), 20)
}

// lockedBuffer collects a daemon process's log and notes when it said it
// is running.
type lockedBuffer struct {
	mu      sync.Mutex
	b       *bytes.Buffer
	running chan struct{} // closed at "ticketd running"; nil: not watched
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running != nil && bytes.Contains(p, []byte(`msg="ticketd running"`)) {
		close(l.running)
		l.running = nil
	}
	return l.b.Write(p)
}

func (r *runner) seed(ctx context.Context) error {
	dir := desk.Directory{DB: r.d.DB(), Plans: r.d.Plans()}
	for _, cu := range r.gen.Customers() {
		c := cu.Customer
		if err := dir.AddCustomer(ctx, &c); err != nil {
			return fmt.Errorf("seed customer %s: %w", c.Name, err)
		}
		for _, ct := range cu.Contacts {
			if _, err := dir.AddContact(ctx, desk.NewContact{Customer: c.Name, Contact: ct}); err != nil {
				return fmt.Errorf("seed contact %s: %w", ct.Email, err)
			}
		}
	}
	return nil
}

// prefillGenerator writes the prefill's mail from the same contacts as
// the bench's, with a generator of its own so the backlog's mail stays
// what it is without a prefill.
func (r *runner) prefillGenerator() *Generator {
	g := *r.gen
	g.rng = rand.New(rand.NewSource(r.cfg.Seed ^ 0x5eed))
	g.run = "prefill"
	return &g
}

// backlog appends every mail, then starts the daemon and times until the
// last acknowledgement is accepted (which implies the mail was processed:
// the acknowledgement is written in the same transaction).
func (r *runner) backlog(ctx context.Context) error {
	n := r.cfg.Messages
	fmt.Fprintf(r.cfg.Progress, "backlog: appending %d mails\n", n)
	var classify []time.Duration
	for i := 0; i < n; i++ {
		m := r.gen.Next()
		if i < classifySample {
			classify = append(classify, timeClassify(m.Raw))
		}
		r.track.add(phaseBacklog, m, time.Now())
		if err := r.app.Append(m.Raw); err != nil {
			return fmt.Errorf("append mail %d: %w", i+1, err)
		}
	}
	slices.Sort(classify)
	r.res.ClassifyP50 = percentile(classify, 0.5)
	var sum time.Duration
	for _, d := range classify {
		sum += d
	}
	r.res.ClassifyMean = sum / time.Duration(max(len(classify), 1))
	fmt.Fprintf(r.cfg.Progress, "backlog: daemon started, waiting for %d acknowledgements\n", n)
	if r.cfg.CPUProfile != nil {
		if err := pprof.StartCPUProfile(r.cfg.CPUProfile); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	if err := r.start(ctx); err != nil {
		return err
	}
	if r.child != nil {
		select {
		case <-r.childRunning:
			start = time.Now()
		case <-time.After(time.Minute):
			return fmt.Errorf("the daemon process did not start%s", r.childLog())
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := r.track.wait(ctx, phaseBacklog, n, r.phaseTimeout(n)); err != nil {
		return r.explain(ctx, err)
	}
	r.res.BacklogElapsed = time.Since(start)
	r.res.MessagesPerSecond = float64(n) / r.res.BacklogElapsed.Seconds()
	fmt.Fprintf(r.cfg.Progress, "backlog: %d mails in %s\n", n, r.res.BacklogElapsed.Round(time.Millisecond))
	return nil
}

// steady offers mail at cfg.Rate while the daemon idles on the mailbox.
// A mail's latency is from the start of its APPEND to the SMTP server
// accepting its acknowledgement.
func (r *runner) steady(ctx context.Context, n int) error {
	fmt.Fprintf(r.cfg.Progress, "steady: %d mails at %g/s\n", n, r.cfg.Rate)
	mails := make([]Mail, n)
	for i := range mails {
		mails[i] = r.gen.Next()
	}
	interval := time.Duration(float64(time.Second) / r.cfg.Rate)
	start := time.Now()
	for i, m := range mails {
		// Scheduled sends: a slow APPEND does not lower the offered rate.
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
		r.track.add(phaseSteady, m, time.Now())
		if err := r.app.Append(m.Raw); err != nil {
			return fmt.Errorf("append mail %d: %w", i+1, err)
		}
	}
	if err := r.track.wait(ctx, phaseSteady, n, r.phaseTimeout(n)); err != nil {
		return r.explain(ctx, err)
	}
	lat := r.track.latencies(phaseSteady)
	r.res.Offered = n
	r.res.AckLatencyP50, r.res.AckLatencyP99, r.res.AckLatencyMax = percentile(lat, 0.50), percentile(lat, 0.99), lat[len(lat)-1]
	fmt.Fprintf(r.cfg.Progress, "steady: p50 %s, p99 %s\n", r.res.AckLatencyP50.Round(time.Millisecond), r.res.AckLatencyP99.Round(time.Millisecond))
	return nil
}

// adminRuns is how often each admin command is timed (the median counts).
const adminRuns = 5

// admin times the admin commands against the database as the steady
// phase left it, with the daemon running, as an admin would run them.
func (r *runner) admin(ctx context.Context) error {
	if r.cfgPath == "" {
		if err := r.writeConfig(); err != nil {
			return err
		}
	}
	var number int64
	if err := r.withStore(ctx, func(db *store.DB) error {
		return db.View(ctx, func(tx *store.Tx) error {
			ts, err := tx.Tickets(store.TicketFilter{Limit: 1})
			if len(ts) > 0 {
				number = (ts[0].Number + 1) / 2 // one in the middle of the database
			}
			return err
		})
	}); err != nil {
		return err
	}
	timeIt := func(args ...string) (float64, error) {
		var ds []time.Duration
		for range adminRuns {
			start := time.Now()
			if err := r.cfg.Admin(ctx, append(args, "--config", r.cfgPath)); err != nil {
				return 0, fmt.Errorf("ticketd %s: %w", strings.Join(args, " "), err)
			}
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		return ms(percentile(ds, 0.5)), nil
	}
	var err error
	for _, c := range []struct {
		to   *float64
		args []string
	}{
		{&r.res.TicketsListMS, []string{"tickets", "list", "--json"}},
		{&r.res.TicketsShowMS, []string{"tickets", "show", fmt.Sprint(number), "--json"}},
		{&r.res.TicketsOverdueMS, []string{"tickets", "list", "--overdue", "--json"}},
		{&r.res.ReportSLAMS, []string{"report", "sla", "--json"}},
		{&r.res.ReportSLAYearMS, []string{"report", "sla", "--since", "365d", "--json"}},
	} {
		if *c.to, err = timeIt(c.args...); err != nil {
			return err
		}
	}
	fmt.Fprintf(r.cfg.Progress, "admin: tickets list %.0f ms, show %.0f ms, overdue %.0f ms, report sla %.0f ms (365d: %.0f ms)\n",
		r.res.TicketsListMS, r.res.TicketsShowMS, r.res.TicketsOverdueMS, r.res.ReportSLAMS, r.res.ReportSLAYearMS)
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// withStore runs fn on the daemon's database: the in-process daemon's, or
// a handle of its own while the daemon runs elsewhere.
func (r *runner) withStore(ctx context.Context, fn func(*store.DB) error) error {
	if r.d != nil {
		return fn(r.d.DB())
	}
	driver, dsn := r.db.source()
	db, err := store.OpenDSN(ctx, driver, dsn, nil, store.Options{Manual: true})
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

// usageFigures is how much of the database is in use.
type usageFigures struct {
	tickets    int
	rawBytes   int64 // raw mail as stored
	bytesInUse int64 // SQLite: pages in use; PostgreSQL: tables, indexes, TOAST
	fileBytes  int64 // SQLite: the file; PostgreSQL: the database
}

// usage measures the database; with prune it first does what maintenance
// does once keep_sent and the rate-limit windows have passed, so the
// figures are those of a database in steady state.
func (r *runner) usage(ctx context.Context, prune bool) (usageFigures, error) {
	var u usageFigures
	err := r.withStore(ctx, func(db *store.DB) error {
		if prune {
			later := time.Now().Add(100 * 365 * 24 * time.Hour)
			for n := 1; n > 0; {
				if err := db.Update(ctx, func(tx *store.Tx) (err error) { n, err = tx.PruneSentOutbox(later, 5000); return err }); err != nil {
					return err
				}
			}
			for n := 1; n > 0; {
				if err := db.Update(ctx, func(tx *store.Tx) (err error) { n, err = tx.PruneAutoReplies(later, 5000); return err }); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return u, err
	}
	sdb, _, err := r.db.sqlDB()
	if err != nil {
		return u, err
	}
	defer sdb.Close()
	var inline, chunks int64
	for _, q := range []struct {
		sql string
		to  any
	}{
		{`SELECT COUNT(*) FROM tickets`, &u.tickets},
		{`SELECT COALESCE(SUM(LENGTH(data)), 0) FROM raw_messages`, &inline},
		{`SELECT COALESCE(SUM(LENGTH(data)), 0) FROM raw_chunks`, &chunks},
	} {
		if err := sdb.QueryRowContext(ctx, q.sql).Scan(q.to); err != nil {
			return u, fmt.Errorf("%s: %w", q.sql, err)
		}
	}
	u.rawBytes = inline + chunks
	u.bytesInUse, u.fileBytes, err = r.db.space(ctx, sdb)
	return u, err
}

// large stops the daemon, appends one mail with a large attachment, drops
// the bench's own copy and resets the peak-RSS mark, then starts a daemon
// on the same database and measures the peak while it ingests the mail.
// With in-process servers the IMAP server's copy of the mail is part of
// the figure unless the daemon runs as its own process.
func (r *runner) large(ctx context.Context) error {
	r.stop()
	r.closeDaemon()
	r.res.PeakRSSWholeRunMB, _ = procStatusMB("VmHWM")
	if r.sys != nil {
		// A fresh in-process mail system and database, so the backlog
		// the servers hold in memory is not counted against the daemon.
		if err := r.inProcess(); err != nil {
			return err
		}
		large, err := newBenchDB(ctx, r.cfg, r.tmp, "large")
		if err != nil {
			return err
		}
		r.db.drop()
		r.db = large // dropped when Run returns
		r.daemonCfg = r.config()
		if err := r.open(ctx); err != nil {
			return err
		}
		if err := r.seed(ctx); err != nil {
			return err
		}
		r.cfgPath = ""
	}
	m := r.gen.Large(r.cfg.LargeAttachment)
	r.res.LargeAttachmentBytes, r.res.LargeMailBytes = r.cfg.LargeAttachment, len(m.Raw)
	fmt.Fprintf(r.cfg.Progress, "large: one mail of %.1f MB with a %.1f MB attachment\n", float64(len(m.Raw))/(1<<20), float64(r.cfg.LargeAttachment)/(1<<20))
	r.track.add(phaseLarge, m, time.Now())
	if err := r.app.Append(m.Raw); err != nil {
		return fmt.Errorf("append large mail: %w", err)
	}
	m.Raw = nil
	if r.cfg.DaemonBinary != "" {
		return r.largeInProcess(ctx)
	}
	r.closeDaemon()
	runtime.GC()
	debug.FreeOSMemory()
	r.res.RSSBeforeLargeMB, _ = procStatusMB("VmRSS")
	// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0).
	r.res.PeakRSSReset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	if err := r.open(ctx); err != nil {
		return err
	}
	start := time.Now()
	if err := r.start(ctx); err != nil {
		return err
	}
	if err := r.track.wait(ctx, phaseLarge, 1, r.phaseTimeout(100)); err != nil {
		return r.explain(ctx, err)
	}
	r.res.LargeElapsed = time.Since(start)
	r.res.PeakRSSMB, _ = procStatusMB("VmHWM")
	if !r.res.PeakRSSReset {
		r.res.PeakRSSWholeRunMB = r.res.PeakRSSMB
	}
	fmt.Fprintf(r.cfg.Progress, "large: acknowledged after %s, peak RSS %.0f MB\n", r.res.LargeElapsed.Round(time.Millisecond), r.res.PeakRSSMB)
	return nil
}

// largeInProcess runs the daemon binary as a child process on the
// database and takes the child's VmHWM once the large mail is
// acknowledged. (The name is historical: the daemon runs in a process of
// its own.)
func (r *runner) largeInProcess(ctx context.Context) error {
	r.closeDaemon()
	if err := r.writeConfig(); err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd := exec.Command(r.cfg.DaemonBinary, "run", "--config", r.cfgPath)
	cmd.Stderr = &lockedBuffer{b: &stderr}
	cmd.Env = append(os.Environ(), "GOMEMLIMIT=") // the config's limit applies, as in production
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", r.cfg.DaemonBinary, err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	if err := r.track.wait(ctx, phaseLarge, 1, r.phaseTimeout(100)); err != nil {
		return fmt.Errorf("%w; daemon log:\n%s", err, lastLines(stderr.String(), 20))
	}
	r.res.LargeElapsed = time.Since(start)
	var err error
	r.res.PeakRSSMB, err = fileStatusMB(status, "VmHWM")
	if err != nil {
		return fmt.Errorf("read the daemon's peak RSS: %w", err)
	}
	r.res.RSSBeforeLargeMB, r.res.PeakRSSReset, r.res.DaemonProcess = 0, true, true
	fmt.Fprintf(r.cfg.Progress, "large: acknowledged after %s, daemon process peak RSS %.0f MB\n", r.res.LargeElapsed.Round(time.Millisecond), r.res.PeakRSSMB)
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// explain adds the database's view to a phase that did not finish.
func (r *runner) explain(ctx context.Context, err error) error {
	var total, unprocessed, pending int
	outcomes := map[string]int{}
	r.withStore(context.WithoutCancel(ctx), func(db *store.DB) error {
		return db.View(context.WithoutCancel(ctx), func(tx *store.Tx) error {
			total, unprocessed, _ = tx.RawStats()
			pending, _, _ = tx.OutboxStats(time.Now().Add(time.Hour))
			return nil
		})
	})
	if db, _, derr := r.db.sqlDB(); derr == nil {
		rows, qerr := db.Query(`SELECT outcome, COUNT(*) FROM raw_messages GROUP BY outcome`)
		if qerr == nil {
			for rows.Next() {
				var o string
				var n int
				if rows.Scan(&o, &n) == nil {
					outcomes[o] = n
				}
			}
			rows.Close()
		}
		db.Close()
	}
	return fmt.Errorf("%w (database: %d mails stored, %d unprocessed, outcomes %v, %d outbound pending)%s", err, total, unprocessed, outcomes, pending, r.childLog())
}

// watchOutbox follows acknowledgements through the database when the
// SMTP server is not ours to watch: an outbox row of kind ack marked sent
// was accepted by the relay at sent_at.
func (r *runner) watchOutbox(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		db, bind, err := r.db.sqlDB()
		if err != nil {
			return
		}
		defer db.Close()
		watch := bind(`SELECT m.in_reply_to, o.recipients, o.sent_at FROM outbox o JOIN messages m ON m.message_id = o.message_id
				WHERE o.kind = 'ack' AND o.status = 'sent' AND o.sent_at >= ? ORDER BY o.sent_at`)
		last := ""
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
			rows, err := db.QueryContext(ctx, watch, last)
			if err != nil {
				continue
			}
			for rows.Next() {
				var irt, rcpts, sent string
				if rows.Scan(&irt, &rcpts, &sent) != nil {
					continue
				}
				at, _ := time.Parse(store.TimeFormat, sent)
				r.track.acked(irt, nil, at)
				last = sent
			}
			rows.Close()
		}
	}()
	return func() { cancel(); <-done }
}

// inReplyTo reads the In-Reply-To message id from raw mail's header.
func inReplyTo(raw []byte) string {
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		end = len(raw)
	}
	m, err := mail.ReadMessage(bufio.NewReader(io.MultiReader(bytes.NewReader(raw[:end]), strings.NewReader("\r\n\r\n"))))
	if err != nil {
		return ""
	}
	return strings.Trim(strings.TrimSpace(m.Header.Get("In-Reply-To")), "<>")
}

type phase int

const (
	phaseBacklog phase = iota
	phaseSteady
	phaseLarge
)

// tracker matches acknowledgements to the mails they answer.
type tracker struct {
	mu      sync.Mutex
	mails   map[string]*tracked
	done    map[phase]int
	changed chan struct{}
}

type tracked struct {
	phase    phase
	from     string
	appended time.Time
	acked    time.Time
}

func newTracker() *tracker {
	return &tracker{mails: map[string]*tracked{}, done: map[phase]int{}, changed: make(chan struct{})}
}

func (t *tracker) add(p phase, m Mail, at time.Time) {
	t.mu.Lock()
	t.mails[m.MessageID] = &tracked{phase: p, from: strings.ToLower(m.From), appended: at}
	t.mu.Unlock()
}

// acked records the acknowledgement of the mail with id inReplyTo, sent
// to rcpts (nil: not checked; engineer alerts carry the same In-Reply-To).
func (t *tracker) acked(inReplyTo string, rcpts []string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.mails[inReplyTo]
	if m == nil || !m.acked.IsZero() {
		return
	}
	if rcpts != nil && !slices.ContainsFunc(rcpts, func(s string) bool { return strings.EqualFold(s, m.from) }) {
		return
	}
	m.acked = at
	t.done[m.phase]++
	close(t.changed)
	t.changed = make(chan struct{})
}

func (t *tracker) wait(ctx context.Context, p phase, n int, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		t.mu.Lock()
		got, ch := t.done[p], t.changed
		t.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("%d of %d acknowledgements after %s", got, n, timeout)
		}
	}
}

// latencies are the sorted APPEND-to-acknowledgement times of phase p.
func (t *tracker) latencies(p phase) []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []time.Duration
	for _, m := range t.mails {
		if m.phase == p && !m.acked.IsZero() {
			out = append(out, m.acked.Sub(m.appended))
		}
	}
	slices.Sort(out)
	return out
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// procStatusMB reads a size field (kB) of /proc/self/status in megabytes.
func procStatusMB(field string) (float64, error) { return fileStatusMB("/proc/self/status", field) }

// fileStatusMB reads a kB field of a /proc/PID/status file, in MB.
func fileStatusMB(path, field string) (float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no %s in %s", field, path)
}

// appender puts mail into the support mailbox.
type appender interface {
	Append(raw []byte) error
}

type simAppender struct {
	sys              *mailtest.System
	address, mailbox string
}

func (a simAppender) Append(raw []byte) error { return a.sys.Append(a.address, a.mailbox, raw) }

// imapAppender appends over IMAP (RFC 9051 §6.3.12), as an MTA delivering
// by LMTP would make the mail appear.
type imapAppender struct {
	c       *imapclient.Client
	mailbox string
}

func dialAppender(cfg Config) (*imapAppender, error) {
	opts := &imapclient.Options{}
	if cfg.InsecureSkipVerify {
		opts.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	}
	var c *imapclient.Client
	var err error
	switch orNone(cfg.IMAPSecurity) {
	case "none":
		c, err = imapclient.DialInsecure(cfg.IMAP, opts)
	case "tls":
		c, err = imapclient.DialTLS(cfg.IMAP, opts)
	case "starttls":
		c, err = imapclient.DialStartTLS(cfg.IMAP, opts)
	default:
		return nil, fmt.Errorf("--imap-security %q: want none, tls or starttls", cfg.IMAPSecurity)
	}
	if err != nil {
		return nil, fmt.Errorf("imap %s: %w", cfg.IMAP, err)
	}
	if err := c.Login(cfg.IMAPUser, cfg.IMAPPassword).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("imap login as %s: %w", cfg.IMAPUser, err)
	}
	return &imapAppender{c: c, mailbox: cfg.Mailbox}, nil
}

func (a *imapAppender) Append(raw []byte) error {
	cmd := a.c.Append(a.mailbox, int64(len(raw)), &imap.AppendOptions{Time: time.Now()})
	if _, err := cmd.Write(raw); err != nil {
		cmd.Close()
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	_, err := cmd.Wait()
	return err
}

func (a *imapAppender) Close() error {
	a.c.Logout().Wait()
	return a.c.Close()
}

// Count returns how many mails the mailbox holds.
func (a *imapAppender) Count() (int, error) {
	data, err := a.c.Status(a.mailbox, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		return 0, fmt.Errorf("imap status %s: %w", a.mailbox, err)
	}
	if data.NumMessages == nil {
		return 0, nil
	}
	return int(*data.NumMessages), nil
}

// classifySample backlog mails are classified apart, to time severity
// classification on its own.
const classifySample = 200

var classifier = sync.OnceValue(classify.Default)

// timeClassify parses raw and times the severity classification of it, as
// the pipeline calls it.
func timeClassify(raw []byte) time.Duration {
	m := intake.Parse(raw)
	in := classify.Input{Subject: m.Subject, Body: m.NewText, Forwarded: m.Forwarded, Header: m.Header}
	start := time.Now()
	classifier().Classify(in)
	return time.Since(start)
}
