package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"ticketd/classify"
	"ticketd/config"
	"ticketd/desk"
	"ticketd/intake"
	"ticketd/notify"
	"ticketd/sla"
	"ticketd/store"
	"ticketd/templates"
	"ticketd/ticket"
)

// Options are the parts of a Daemon a test or the demo may replace.
type Options struct {
	Clock  ticket.Clock
	Logger *slog.Logger
	// Version is this build's version, shown in `ticketd status`.
	Version string
	// IMAPTLS and SMTPTLS replace the TLS settings (e.g. a test CA).
	IMAPTLS *tls.Config
	SMTPTLS *tls.Config
	// Retry overrides the outbox retry schedule.
	Retry notify.Retry
	// ShutdownGrace is how long in-flight work may take after shutdown
	// starts before it is cancelled; default 10s.
	ShutdownGrace time.Duration
	// ProcessInterval is the safety-net interval of the processing and
	// reminder loops; default 30s.
	ProcessInterval time.Duration
	// BusyTimeout is how long a write waits for the database's write lock
	// before it is retried later; default store.DefaultBusyTimeout.
	BusyTimeout time.Duration
}

// Daemon is a running ticketd: database, pipeline and loops.
type Daemon struct {
	cfg   *config.Config
	opts  Options
	log   *slog.Logger
	clock ticket.Clock

	db         *store.DB
	desk       *desk.Desk
	classifier atomic.Pointer[classify.Engine]

	// inboxes are the IMAP sessions, one per inbox, the default first;
	// intake is the default one's.
	inboxes   []inboxClient
	intake    *intake.Client
	deliverer *notify.Deliverer
	worker    *notify.Worker
	metrics   *metrics

	kickProcess   chan struct{}
	kickReminders chan struct{}

	httpServer *http.Server
	httpAddr   string

	metricsStart time.Time

	// instance names this process in leases; ha is what it holds.
	instance string
	ha       haState

	mu          sync.Mutex
	incidents   map[string]bool // admin alerts already sent, per open incident
	lastProcErr string
}

// New opens the database and builds every part from cfg. Nothing runs
// until Run.
func New(ctx context.Context, cfg *config.Config, opts Options) (*Daemon, error) {
	if opts.Clock == nil {
		opts.Clock = ticket.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ShutdownGrace == 0 {
		opts.ShutdownGrace = 10 * time.Second
	}
	if opts.ProcessInterval == 0 {
		opts.ProcessInterval = 30 * time.Second
	}
	d := &Daemon{
		cfg: cfg, opts: opts, log: opts.Logger, clock: opts.Clock,
		kickProcess:   make(chan struct{}, 1),
		kickReminders: make(chan struct{}, 1),
		incidents:     map[string]bool{},
		instance:      instanceID(cfg),
		ha:            haState{on: haEnabled(cfg), held: map[string]time.Time{}},
	}
	d.metrics = newMetrics(d)
	d.metricsStart = opts.Clock.Now()
	var err error
	if d.db, err = OpenStore(ctx, cfg, d.clock, store.Options{NoUpgrade: true, BusyTimeout: opts.BusyTimeout}); err != nil {
		return nil, err
	}
	if err := d.ReloadClassifier(ctx); err != nil {
		d.db.Close()
		return nil, err
	}
	d.desk, err = newDesk(ctx, cfg, d.db, d.log, desk.Parts{Classifier: d.classifier.Load, Observer: d.metrics, WakeOutbox: d.kickOutbox})
	if err != nil {
		d.db.Close()
		return nil, err
	}
	if err := d.buildMailParts(); err != nil {
		d.db.Close()
		return nil, err
	}
	if d.ha.on {
		if err := d.checkInstanceUnique(ctx); err != nil {
			d.db.Close()
			return nil, err
		}
		// Several instances deliver: each mail is claimed; a dead
		// instance's claims go to the others once its heartbeat is a
		// takeover old.
		d.db.ClaimAs(d.instance, cfg.HA.Takeover.Duration)
	}
	return d, nil
}

// inboxClient is one inbox and the IMAP session reading it.
type inboxClient struct {
	config.Inbox
	client *intake.Client
}

// checkName is the inbox's part in /healthz and incident keys: "imap" for
// the default inbox, "imap:NAME" for another.
func (ic inboxClient) checkName() string {
	if ic.Name == config.DefaultInbox {
		return "imap"
	}
	return "imap:" + ic.Name
}

// OpenStore opens cfg's database ([store]: a SQLite file, or PostgreSQL
// at a DSN read now from dsn, dsn_file or dsn_env) with opts.
func OpenStore(ctx context.Context, cfg *config.Config, clock ticket.Clock, opts store.Options) (*store.DB, error) {
	driver, dsn, err := cfg.Store.Source()
	if err != nil {
		return nil, err
	}
	return store.OpenDSN(ctx, driver, dsn, clock, opts)
}

// DeskConfig is what the desk needs of cfg.
func DeskConfig(cfg *config.Config) desk.Config {
	dc := desk.Config{
		SupportAddress: cfg.Support.Address, SupportName: cfg.Support.Name, StaffZone: cfg.Staff.Zone,
		DefaultLanguage: cfg.Templates.DefaultLanguage, FollowupAck: cfg.Templates.FollowupAck, ReopenDays: cfg.Tickets.ReopenDays,
		HoldingReply: cfg.Reminders.CustomerHoldingReply, Admin: cfg.Verify.Admin, TrustConfigured: len(cfg.Verify.TrustedAuthservIDs) > 0,
		AutoRepliesPerSenderPerHour: cfg.Limits.AutoRepliesPerSenderPerHour, UnknownNoticesPerHour: cfg.Limits.UnknownNoticesPerHour,
		AlertFoldWindow: cfg.Limits.AlertFoldWindow.Duration, AlertsPerSenderWindow: cfg.Limits.AlertsPerSenderWindow,
		MaxMessageBytes: cfg.Limits.MaxMessageBytes, ParseLimits: cfg.ParseLimits(), StaffRegion: cfg.Staff.Region,
	}
	if cfg.Digest.Weekly != "" {
		if day, minute, err := config.ParseWeekly(cfg.Digest.Weekly); err == nil {
			dc.DigestOn, dc.DigestDay, dc.DigestMinute = true, day, minute
		}
	}
	dc.Routes = deskRoutes(cfg.Routing)
	for _, in := range cfg.AllInboxes()[1:] {
		dc.Inboxes = append(dc.Inboxes, desk.Inbox{Name: in.Name, Address: in.Address, DisplayName: in.DisplayName,
			Plan: in.Plan, Language: in.Language, Routes: deskRoutes(in.Routing)})
	}
	for _, a := range cfg.Reminders.At {
		if p, err := config.ParsePercent(a); err == nil {
			dc.ReminderPercents = append(dc.ReminderPercents, p)
		}
	}
	return dc
}

// deskRoutes are [[routing]] entries as the desk takes them.
func deskRoutes(rs []config.Route) []desk.Route {
	var out []desk.Route
	for _, r := range rs {
		route := desk.Route{To: r.To, When: r.When, Calendar: r.Calendar}
		for _, l := range r.Levels {
			if lv, err := ticket.ParseLevel(l); err == nil {
				route.Levels = append(route.Levels, lv)
			}
		}
		out = append(out, route)
	}
	return out
}

// senderPolicy is how senders are verified under cfg.
func senderPolicy(cfg *config.Config) classify.SenderPolicy {
	return classify.SenderPolicy{TrustedAuthServIDs: cfg.Verify.TrustedAuthservIDs, RequireAuth: cfg.Verify.RequireAuth,
		StaffAddresses: cfg.Staff.Addresses, StaffDomains: cfg.Staff.Domains}
}

// newDesk builds the desk of cfg on db: plans, templates, the reply-token
// key (made at first start), sender policy; p brings the rest.
func newDesk(ctx context.Context, cfg *config.Config, db *store.DB, log *slog.Logger, p desk.Parts) (*desk.Desk, error) {
	var err error
	if p.Plans, err = sla.NewCatalog(cfg.Calendars, cfg.Plans); err != nil {
		return nil, fmt.Errorf("plans: %w", err)
	}
	if p.Templates, err = templates.NewLive(cfg.Templates.Dir, log); err != nil {
		return nil, fmt.Errorf("templates.dir: %w", err)
	}
	if p.TokenKey, err = loadTokenKey(ctx, db); err != nil {
		return nil, err
	}
	p.DB, p.Logger, p.SenderPolicy = db, log, senderPolicy(cfg)
	return desk.New(DeskConfig(cfg), p), nil
}

// OpenDesk opens cfg's database and builds the desk on it, without any of
// the daemon's loops or connections: for admin commands that act on a
// ticket or a quarantined mail. A running daemon is woken through the
// database (store.Tx.Nudge). Close the desk's DB when done.
func OpenDesk(ctx context.Context, cfg *config.Config, clock ticket.Clock, log *slog.Logger) (*desk.Desk, error) {
	db, err := OpenStore(ctx, cfg, clock, store.Options{NoUpgrade: true})
	if err != nil {
		return nil, err
	}
	engine, _, err := Classifier(ctx, cfg, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	k, err := newDesk(ctx, cfg, db, log, desk.Parts{Classifier: func() *classify.Engine { return engine }})
	if err != nil {
		db.Close()
		return nil, err
	}
	return k, nil
}

// loadTokenKey returns the reply-token key, generating it at first start.
func loadTokenKey(ctx context.Context, db *store.DB) ([]byte, error) {
	var key []byte
	err := db.Update(ctx, func(tx *store.Tx) error {
		k, err := tx.Meta("reply_token_key")
		if err == nil {
			key = k
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if key, err = ticket.NewTokenKey(); err != nil {
			return err
		}
		return tx.SetMeta("reply_token_key", key)
	})
	if err != nil {
		return nil, fmt.Errorf("reply token key: %w", err)
	}
	return key, nil
}

func (d *Daemon) buildMailParts() error {
	smtpCfg := d.cfg.SMTPClientConfig(d.opts.SMTPTLS)
	var err error
	if d.deliverer, err = notify.NewDeliverer(smtpCfg, d.log.With("part", "smtp")); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	d.worker = &notify.Worker{
		Outbox:   d.db,
		Deliver:  d.deliverer.Deliver,
		Clock:    d.clock,
		Retry:    d.retry(),
		Logger:   d.log.With("part", "outbox"),
		OnFailed: d.deliveryFailed,
		OnSent:   d.delivered,
	}
	for _, in := range d.cfg.AllInboxes() {
		imapCfg := d.cfg.InboxIMAPConfig(in, d.opts.IMAPTLS)
		name := in.Name
		imapCfg.OnStored = func(duplicate bool) {
			d.metrics.fetched(name, duplicate)
			if !duplicate {
				kick(d.kickProcess)
			}
		}
		c, err := intake.NewClient(imapCfg, d.db, d.clock, d.log.With("part", "imap", "inbox", name))
		if err != nil {
			return fmt.Errorf("imap (inbox %s): %w", name, err)
		}
		d.inboxes = append(d.inboxes, inboxClient{Inbox: in, client: c})
	}
	d.intake = d.inboxes[0].client
	return nil
}

// retry is the outbox schedule: Options (tests) over [outbox] config.
func (d *Daemon) retry() notify.Retry {
	if d.opts.Retry != (notify.Retry{}) {
		return d.opts.Retry
	}
	return notify.Retry{Min: d.cfg.Outbox.RetryMin.Duration, Max: d.cfg.Outbox.RetryMax.Duration, GiveUpAfter: d.cfg.Outbox.GiveUpAfter.Duration}
}

// DB is the daemon's database (for admin commands and tests).
func (d *Daemon) DB() *store.DB { return d.db }

// Plans is the SLA catalog in force.
func (d *Daemon) Plans() *sla.Catalog { return d.desk.Plans() }

// Desk is the daemon's desk (for admin commands and tests).
func (d *Daemon) Desk() *desk.Desk { return d.desk }

// HTTPAddr is the address the health and metrics server listens on, once running.
func (d *Daemon) HTTPAddr() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.httpAddr
}

// Close releases the database and connections. Call after Run returns.
func (d *Daemon) Close() error {
	d.deliverer.Close()
	return d.db.Close()
}

func (d *Daemon) kickOutbox() { d.worker.Kick() }

func kick(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Run starts every loop and blocks until ctx is cancelled, then shuts
// down in two phases: new work stops at once (no new fetch, no new
// delivery); work in flight gets ShutdownGrace to finish before its
// context is cancelled too.
func (d *Daemon) Run(ctx context.Context) error {
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	if d.cfg.HTTP.Listen != "" {
		if err := d.startHTTP(); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	loop := func(name string, fn func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					d.log.Error("loop panicked", "loop", name, "panic", r)
					panic(r)
				}
			}()
			fn()
		}()
	}
	// Intake runs where this instance holds an inbox's lease (haLoop).
	loop("ha", func() { d.haLoop(ctx) })
	loop("process", func() { d.processLoop(ctx, workCtx) })
	loop("outbox", func() {
		if err := d.worker.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			d.log.Error("outbox worker stopped", "err", err)
		}
	})
	loop("reminders", func() { d.reminderLoop(ctx, workCtx) })
	loop("templates", func() {
		d.desk.Templates().Watch(ctx, d.cfg.Templates.WatchInterval.Duration, d.templatesRejected)
	})
	loop("watchdog", func() { d.watchdog(ctx) })
	loop("nudges", func() { d.nudgeLoop(ctx) })
	loop("maintenance", func() { d.maintenanceLoop(ctx) })
	d.log.Info("ticketd running", "instance", d.instance, "imap", d.cfg.IMAP.Address, "mailbox", d.cfg.IMAP.Mailbox, "smtp", d.cfg.SMTP.Address,
		"database", d.db.Name(), "http", d.HTTPAddr())
	<-ctx.Done()
	d.log.Info("shutting down: no new work; waiting for work in flight", "grace", d.opts.ShutdownGrace)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d.opts.ShutdownGrace):
		d.log.Warn("grace period over: cancelling work in flight")
		cancelWork()
		<-done
	}
	if d.httpServer != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		d.httpServer.Shutdown(sctx)
		cancel()
	}
	d.log.Info("ticketd stopped")
	return nil
}

// Classifier builds the severity engine cfg asks for: the built-in level
// table or the admin's ([classify] rules), and with [classify] learn the
// adjustments learned from the corrections stored in db (nil: none).
func Classifier(ctx context.Context, cfg *config.Config, db *store.DB) (*classify.Engine, []classify.Adjustment, error) {
	engine := classify.Default()
	if cfg.Classify.Rules != "" {
		b, err := os.ReadFile(cfg.Classify.Rules)
		if err != nil {
			return nil, nil, fmt.Errorf("classify.rules: %w", err)
		}
		if engine, err = classify.LoadRules(b); err != nil {
			return nil, nil, fmt.Errorf("classify.rules %s: %w", cfg.Classify.Rules, err)
		}
	}
	if !cfg.Classify.Learn || db == nil {
		return engine, nil, nil
	}
	cs, err := Corrections(ctx, db, time.Time{})
	if err != nil {
		return nil, nil, err
	}
	learned, adjs := engine.WithCorrections(cs, classify.LearnOptions{Vetoed: cfg.Classify.LearnVetoed})
	return learned, adjs, nil
}

// Corrections reads the stored level corrections and confirmations since
// t in the classifier's form; rows whose factors no longer parse (a
// classifier upgrade renamed a value) are skipped.
func Corrections(ctx context.Context, db *store.DB, since time.Time) ([]classify.Correction, error) {
	var rows []store.LevelCorrection
	if err := db.View(ctx, func(tx *store.Tx) (err error) { rows, err = tx.LevelCorrections(since); return err }); err != nil {
		return nil, err
	}
	out := make([]classify.Correction, 0, len(rows))
	for _, r := range rows {
		f, err := classify.ParseFactors(r.Factors)
		if err != nil {
			continue
		}
		out = append(out, classify.Correction{Factors: f, Assessed: r.Assessed, Corrected: r.Corrected, At: r.At})
	}
	return out, nil
}

// ReloadClassifier rebuilds the severity engine (at start and on SIGHUP),
// logging what learning changed.
func (d *Daemon) ReloadClassifier(ctx context.Context) error {
	engine, adjs, err := Classifier(ctx, d.cfg, d.db)
	if err != nil {
		return err
	}
	for _, a := range adjs {
		d.log.Info("severity table learned from corrections", "adjustment", a.String())
	}
	if d.cfg.Classify.Learn {
		d.log.Info("severity learning on", "adjustments", len(adjs), "vetoed", len(d.cfg.Classify.LearnVetoed))
	}
	d.classifier.Store(engine)
	return nil
}

// ReloadTemplates re-reads the template directory (SIGHUP).
func (d *Daemon) ReloadTemplates() {
	if err := d.desk.Templates().Reload(); err != nil {
		d.templatesRejected(err)
		return
	}
	d.log.Info("templates reloaded")
}

func (d *Daemon) templatesRejected(err error) {
	d.log.Error("template change rejected; previous templates stay active", "err", err)
	d.adminNotice(context.Background(), "templates", "Template change rejected",
		"The edited templates failed the check and were not activated; the previous set stays in use.\n\n"+err.Error())
}

// nudgePoll is how often the daemon reads the nudge numbers: one indexed
// read a second, so a released quarantine entry is acknowledged within a
// second rather than at the next safety-net run.
const nudgePoll = time.Second

// nudgeLoop wakes the process and outbox loops when an admin command
// nudged them.
func (d *Daemon) nudgeLoop(ctx context.Context) {
	read := func() map[string]int64 {
		seqs := map[string]int64{}
		err := d.db.View(ctx, func(tx *store.Tx) error {
			for _, topic := range []string{store.NudgeProcess, store.NudgeOutbox} {
				n, err := tx.NudgeSeq(topic)
				if err != nil {
					return err
				}
				seqs[topic] = n
			}
			return nil
		})
		if err != nil {
			return nil
		}
		return seqs
	}
	last := read()
	t := time.NewTicker(nudgePoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		seqs := read()
		if seqs == nil {
			continue
		}
		if last != nil && seqs[store.NudgeProcess] != last[store.NudgeProcess] {
			kick(d.kickProcess)
		}
		if last != nil && seqs[store.NudgeOutbox] != last[store.NudgeOutbox] {
			d.kickOutbox()
		}
		last = seqs
	}
}

// processLoop processes stored mail whenever intake kicks it, and on an
// interval as a safety net (e.g. after a crash left mail unprocessed).
func (d *Daemon) processLoop(shutdown, work context.Context) {
	backoff := time.Second
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-shutdown.Done():
			return
		case <-d.kickProcess:
		case <-timer.C:
		}
		var err error
		if d.ha.isHeld(leaseProcess) {
			_, err = d.desk.ProcessPending(work)
		}
		next := d.opts.ProcessInterval
		if err != nil && work.Err() == nil {
			// Database locked or full: keep the mail stored and unprocessed
			// and say why, rather than lose it.
			d.log.Error("processing stopped; stored mail waits", "err", err, "retry_in", backoff)
			d.setProcessError(err.Error())
			next = backoff
			backoff = min(backoff*2, time.Minute)
		} else {
			d.setProcessError("")
			backoff = time.Second
		}
		timer.Reset(next)
	}
}

func (d *Daemon) setProcessError(s string) {
	d.mu.Lock()
	d.lastProcErr = s
	d.mu.Unlock()
}

// reminderLoop is a database-driven timer: it sleeps until the next
// reminder's due_at (or a kick), sends what is due, and repeats.
func (d *Daemon) reminderLoop(shutdown, work context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	backoff := time.Second
	for {
		select {
		case <-shutdown.Done():
			return
		case <-d.kickReminders:
		case <-timer.C:
		}
		wait := d.opts.ProcessInterval
		_, err := d.desk.SendDue(work)
		if err != nil {
			d.log.Error("reminders", "err", err)
			wait, backoff = backoff, min(backoff*2, time.Minute)
		} else {
			backoff = time.Second
			if at, ok, err := d.desk.NextDue(work); err == nil && ok {
				wait = min(max(at.Sub(d.clock.Now()), 0), wait)
			}
		}
		timer.Reset(wait)
	}
}

// RunOnce processes everything pending now: stored mail, due reminders and
// the outbox. Tests and the demo use it to step the daemon with a fake clock.
func (d *Daemon) RunOnce(ctx context.Context) error {
	if _, err := d.desk.ProcessPending(ctx); err != nil {
		return err
	}
	if _, err := d.desk.SendDue(ctx); err != nil {
		return err
	}
	_, err := d.worker.RunOnce(ctx)
	return err
}

// ApplyMemoryLimit sets the runtime's soft memory limit from
// limits.memory_limit_mb, unless GOMEMLIMIT is set in the environment. A
// soft limit keeps a burst (one 25 MB mail is parsed into several
// buffers) from doubling the heap before the collector runs; it is not a
// hard cap. It returns the limit in force, in MB (0: none).
func ApplyMemoryLimit(cfg *config.Config) int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1) >> 20
	}
	if cfg.Limits.MemoryLimitMB > 0 {
		debug.SetMemoryLimit(cfg.Limits.MemoryLimitMB << 20)
	}
	return cfg.Limits.MemoryLimitMB
}
