package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"ticketd/config"
	"ticketd/desk"
	"ticketd/internal/mailtest"
	"ticketd/internal/pgtest"
	"ticketd/internal/testclock"
	"ticketd/store"
	"ticketd/ticket"
)

// One PostgreSQL server per package run serves the tests that ask for it.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const (
	testSupport  = "support@example.com"
	testPassword = "secret"
	waitTimeout  = 10 * time.Second // for mailtest.Eventually
)

// harness is a daemon wired to an in-process mail system, with a directory
// of two customers. Tests either Start it (real loops, real IMAP) or step
// it with deliver + RunOnce under a fake clock.
type harness struct {
	t      testing.TB
	sys    *mailtest.System
	cfg    *config.Config
	clock  ticket.Clock
	d      *Daemon
	cancel context.CancelFunc
	done   chan error
	opts   Options // extra daemon options (BusyTimeout, ShutdownGrace)
	driver string  // store.SQLite or store.Postgres (withStore)
}

type harnessOption func(*harness)

func withClock(c ticket.Clock) harnessOption { return func(h *harness) { h.clock = c } }
func withSMTP(addr string) harnessOption {
	return func(h *harness) { h.cfg.SMTP.Address = addr }
}
func withConfig(f func(*config.Config)) harnessOption { return func(h *harness) { f(h.cfg) } }
func withOptions(o Options) harnessOption             { return func(h *harness) { h.opts = o } }

// testStoreEnv names the variable that runs every harness test that
// does not choose its driver (withStore) on PostgreSQL ("postgres");
// by default they run on SQLite.
const testStoreEnv = "TICKETD_TEST_STORE"

// withStore puts the harness's database on driver: a SQLite file, or a
// fresh database of the package's PostgreSQL server.
func withStore(driver string) harnessOption { return func(h *harness) { h.driver = driver } }

// eachStore runs test once per driver, as subtests named for it.
func eachStore(t *testing.T, test func(t *testing.T, driver string)) {
	for _, driver := range []string{store.SQLite, store.Postgres} {
		t.Run(driver, func(t *testing.T) { test(t, driver) })
	}
}

func testConfig(t testing.TB, sys *mailtest.System, dbPath string) *config.Config {
	cfg := config.Default()
	cfg.File = "(test)"
	cfg.Store.Path = dbPath
	cfg.IMAP = config.IMAP{Address: sys.IMAPAddr, Security: "none", Username: testSupport, Auth: "plain", Mailbox: "INBOX",
		PollInterval: config.Duration{Duration: time.Second}, Processed: "leave", Secret: config.Secret{Password: testPassword}}
	cfg.SMTP = config.SMTP{Address: sys.SMTPAddr, Security: "none"}
	cfg.Support = config.Support{Address: testSupport, Name: "Example Support"}
	cfg.Staff = config.Staff{Addresses: []string{"erin@example.com"}, Zone: "UTC"}
	cfg.Routing = []config.Route{{Levels: []string{"P0", "P1"}, To: []string{"oncall@example.com"}},
		{Levels: []string{"P2", "P3", "P4"}, To: []string{"team@example.com"}}}
	cfg.Verify.Admin = "admin@example.com"
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	return cfg
}

func newHarness(t testing.TB, opts ...harnessOption) *harness {
	t.Helper()
	sys := mailtest.StartSystem(t)
	for _, u := range []string{testSupport, "erin@example.com"} {
		if err := sys.AddUser(u, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	h := &harness{t: t, sys: sys, cfg: testConfig(t, sys, filepath.Join(t.TempDir(), "ticketd.db"))}
	for _, o := range opts {
		o(h)
	}
	if h.driver == "" {
		h.driver = store.SQLite
		if os.Getenv(testStoreEnv) == store.Postgres {
			h.driver = store.Postgres
		}
	}
	if h.driver == store.Postgres {
		h.cfg.Store = config.Store{Driver: store.Postgres, DSN: pgtest.Shared(t).NewDatabase(t)}
	}
	if h.clock == nil {
		// Real loops need time to pass; the hour they run at must not matter.
		h.clock = testclock.Running()
	}
	h.open()
	seedDirectory(t, h.d)
	return h
}

// open builds a Daemon on the harness's config (a new Main after a restart).
func (h *harness) open() {
	h.t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	opts := h.opts
	if opts.Logger != nil {
		logger = opts.Logger
	}
	opts.Clock, opts.Logger, opts.ProcessInterval = h.clock, logger, 200*time.Millisecond
	if opts.ShutdownGrace == 0 {
		opts.ShutdownGrace = 2 * time.Second
	}
	d, err := New(context.Background(), h.cfg, opts)
	if err != nil {
		h.t.Fatal(err)
	}
	h.d = d
	h.t.Cleanup(func() { h.stop(); d.Close() })
}

func seedDirectory(t testing.TB, d *Daemon) {
	t.Helper()
	ctx := context.Background()
	dir := desk.Directory{DB: d.DB(), Plans: d.Plans()}
	var existing []*ticket.Customer
	d.DB().View(ctx, func(tx *store.Tx) (err error) { existing, err = tx.Customers(); return err })
	if len(existing) > 0 {
		return
	}
	for _, c := range []struct {
		cu       ticket.Customer
		contacts []ticket.Contact
	}{
		{ticket.Customer{Name: "Acme", Plan: "standard", Region: "CH-ZH", Language: "en"}, []ticket.Contact{
			{Email: "ops@acme.example", Name: "Acme Ops", TZ: "Europe/Zurich"},
			{Email: "dev@acme.example", Name: "Acme Dev", TZ: "Europe/Zurich"}}},
		{ticket.Customer{Name: "Globex", Plan: "premium", Region: "DE", Language: "de"}, []ticket.Contact{
			{Email: "it@globex.example", Name: "Globex IT", TZ: "Europe/Berlin"}}},
	} {
		cu := c.cu
		if err := dir.AddCustomer(ctx, &cu); err != nil {
			t.Fatal(err)
		}
		for _, ct := range c.contacts {
			if _, err := dir.AddContact(ctx, desk.NewContact{Customer: cu.Name, Contact: ct}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// start runs the daemon's loops until stop.
func (h *harness) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- h.d.Run(ctx) }()
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	if err := <-h.done; err != nil {
		h.t.Errorf("Run: %v", err)
	}
	h.cancel = nil
}

// restart stops the daemon and opens a new one on the same database.
func (h *harness) restart() {
	h.stop()
	h.d.Close()
	h.open()
}

// appendMail delivers a mail into the support INBOX over the mail system.
func (h *harness) appendMail(raw string) {
	h.t.Helper()
	if err := h.sys.Append(testSupport, "INBOX", []byte(strings.ReplaceAll(raw, "\n", "\r\n"))); err != nil {
		h.t.Fatal(err)
	}
}

// deliver stores raw directly through the intake sink, as if fetched as uid.
func (h *harness) deliver(uid uint32, raw string) {
	h.t.Helper()
	_, err := h.d.DB().Store(context.Background(), intakeFetched("INBOX", 1, uid, []byte(strings.ReplaceAll(raw, "\n", "\r\n"))))
	if err != nil {
		h.t.Fatal(err)
	}
}

// lead takes this instance's leases once, as the running daemon's lease
// loop would, for tests that call the daemon's parts without starting it
// (on PostgreSQL, work is leased even to a single instance).
func (h *harness) lead() {
	h.t.Helper()
	if h.d.ha.on {
		h.d.renewAndApply(context.Background(), store.Instance{ID: h.d.instance, Host: "test", StartedAt: h.clock.Now()})
	}
}

func (h *harness) runOnce() {
	h.t.Helper()
	if err := h.d.RunOnce(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

// waitProcessed waits until n raw mails are stored and processed and the
// outbox has nothing due.
func (h *harness) waitProcessed(n int) {
	h.t.Helper()
	var total, unprocessed, pending int
	mailtest.Eventually(h.t, "mails to be processed", waitTimeout, func() bool {
		h.d.DB().View(context.Background(), func(tx *store.Tx) error {
			total, unprocessed, _ = tx.RawStats()
			due, _ := tx.DueOutbox(h.clock.Now().Add(time.Hour), 1000)
			pending = len(due)
			return nil
		})
		return total >= n && unprocessed == 0 && pending == 0
	}, func() string {
		return fmt.Sprintf("%d/%d mails stored, %d unprocessed, %d outbound pending", total, n, unprocessed, pending)
	})
}

func (h *harness) tickets() []*ticket.Ticket {
	h.t.Helper()
	var ts []*ticket.Ticket
	if err := h.d.DB().View(context.Background(), func(tx *store.Tx) (err error) { ts, err = tx.Tickets(store.TicketFilter{}); return err }); err != nil {
		h.t.Fatal(err)
	}
	return ts
}

func (h *harness) ticket(n int64) *ticket.Ticket {
	h.t.Helper()
	var t *ticket.Ticket
	if err := h.d.DB().View(context.Background(), func(tx *store.Tx) (err error) { t, err = tx.TicketByNumber(n); return err }); err != nil {
		h.t.Fatal(err)
	}
	return t
}

func (h *harness) outbox() []*ticket.OutboxItem {
	h.t.Helper()
	var items []*ticket.OutboxItem
	if err := h.d.DB().View(context.Background(), func(tx *store.Tx) (err error) { items, err = tx.AllOutbox(); return err }); err != nil {
		h.t.Fatal(err)
	}
	return items
}

// sentMail is a mail the SMTP side accepted, parsed.
type sentMail struct {
	Header mail.Header
	Text   string // decoded text part
	Raw    string
}

// sentTo returns the parsed mails the SMTP side accepted for addr.
func (h *harness) sentTo(addr string) []*sentMail {
	var out []*sentMail
	for _, m := range h.sys.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				env, err := enmime.ReadEnvelope(strings.NewReader(string(m.Data)))
				if err != nil {
					h.t.Fatalf("sent mail does not parse: %v", err)
				}
				pm, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
				if err != nil {
					h.t.Fatalf("sent mail does not parse: %v", err)
				}
				out = append(out, &sentMail{Header: pm.Header, Text: env.Text, Raw: string(m.Data)})
			}
		}
	}
	return out
}

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "daemon", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustf(t *testing.T, cond bool, format string, args ...any) {
	t.Helper()
	if !cond {
		t.Fatalf(format, args...)
	}
}

func (h *harness) quarantine() []*store.QuarantineEntry {
	h.t.Helper()
	var q []*store.QuarantineEntry
	if err := h.d.DB().View(context.Background(), func(tx *store.Tx) (err error) { q, err = tx.QuarantineList(""); return err }); err != nil {
		h.t.Fatal(err)
	}
	return q
}
