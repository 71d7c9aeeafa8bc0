package desk

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ticketd/classify"
	"ticketd/intake"
	"ticketd/internal/pgtest"
	"ticketd/sla"
	"ticketd/store"
	"ticketd/templates"
	"ticketd/ticket"
)

// testDesk is a desk on a real database (a SQLite file in t.TempDir(),
// or a fresh PostgreSQL database: newTestDeskOn), with two customers: Acme (standard, contacts ops@ and dev@acme.example) and
// Globex (premium, it@globex.example); staff are erin@example.com. Mail
// goes in through the store, as intake hands it over; what the desk sends
// is read from the outbox.
type testDesk struct {
	t     testing.TB
	d     *Desk
	db    *store.DB
	clock *ticket.FakeClock
	uid   uint32

	driver, dsn string
	cfg         Config
	parts       Parts
}

func testConfig() Config {
	return Config{
		SupportAddress: "support@example.com", SupportName: "Example Support", StaffZone: "UTC",
		Routes: []Route{{Levels: []ticket.Level{ticket.P0, ticket.P1}, To: []string{"oncall@example.com"}},
			{Levels: []ticket.Level{ticket.P2, ticket.P3, ticket.P4}, To: []string{"team@example.com"}}},
		DefaultLanguage: "en", ReopenDays: 14, ReminderPercents: []int{50, 90}, Admin: "admin@example.com",
		AutoRepliesPerSenderPerHour: 10, UnknownNoticesPerHour: 20, AlertFoldWindow: 5 * time.Minute, AlertsPerSenderWindow: 3,
		MaxMessageBytes: 25 << 20,
	}
}

// The desk's tests that write run on both drivers (eachStore), on one
// PostgreSQL server per package run.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// eachStore runs test once per store driver, as subtests named for it.
func eachStore(t *testing.T, test func(t *testing.T, driver string)) {
	for _, driver := range []string{store.SQLite, store.Postgres} {
		t.Run(driver, func(t *testing.T) { test(t, driver) })
	}
}

// newTestDesk is a test desk on SQLite, or on PostgreSQL when
// TICKETD_TEST_STORE=postgres.
func newTestDesk(t testing.TB, at time.Time, edit ...func(*Config)) *testDesk {
	t.Helper()
	driver := store.SQLite
	if os.Getenv("TICKETD_TEST_STORE") == store.Postgres {
		driver = store.Postgres
	}
	return newTestDeskOn(t, driver, at, edit...)
}

func newTestDeskOn(t testing.TB, driver string, at time.Time, edit ...func(*Config)) *testDesk {
	t.Helper()
	clock := ticket.NewFakeClock(at)
	dsn := filepath.Join(t.TempDir(), "ticketd.db")
	if driver == store.Postgres {
		dsn = pgtest.Shared(t).NewDatabase(t)
	}
	db, err := store.OpenDSN(context.Background(), driver, dsn, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tmpl, err := templates.NewLive("", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	for _, e := range edit {
		e(&cfg)
	}
	key, _ := ticket.NewTokenKey()
	parts := Parts{DB: db, Plans: sla.Builtin(), Templates: tmpl, TokenKey: key,
		SenderPolicy: classify.SenderPolicy{StaffAddresses: []string{"erin@example.com"}, RequireAuth: "off"},
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil))}
	d := New(cfg, parts)
	dir := Directory{DB: db, Plans: d.plans}
	ctx := context.Background()
	for _, c := range []struct {
		cu       ticket.Customer
		contacts []ticket.Contact
	}{
		{ticket.Customer{Name: "Acme", Plan: "standard", Region: "CH-ZH", Language: "en"}, []ticket.Contact{
			{Email: "ops@acme.example", Name: "Acme Ops", TZ: "Europe/Zurich"}, {Email: "dev@acme.example", Name: "Acme Dev", TZ: "Europe/Zurich"}}},
		{ticket.Customer{Name: "Globex", Plan: "premium", Region: "DE", Language: "de"}, []ticket.Contact{
			{Email: "it@globex.example", Name: "Globex IT", TZ: "Europe/Berlin"}}},
	} {
		cu := c.cu
		if err := dir.AddCustomer(ctx, &cu); err != nil {
			t.Fatal(err)
		}
		for _, ct := range c.contacts {
			if _, err := dir.AddContact(ctx, NewContact{Customer: cu.Name, Contact: ct}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return &testDesk{t: t, d: d, db: db, clock: clock, driver: driver, dsn: dsn, cfg: cfg, parts: parts}
}

// twin is a second desk on td's database through its own connection, as
// another ticketd instance on the same PostgreSQL would run it.
func (td *testDesk) twin() *Desk {
	td.t.Helper()
	db, err := store.OpenDSN(context.Background(), td.driver, td.dsn, td.clock)
	if err != nil {
		td.t.Fatal(err)
	}
	td.t.Cleanup(func() { db.Close() })
	parts := td.parts
	parts.DB = db
	return New(td.cfg, parts)
}

// store hands raw mail to the store as intake would, not yet processed.
func (td *testDesk) store(raw string) {
	td.t.Helper()
	td.uid++
	b := []byte(strings.ReplaceAll(raw, "\n", "\r\n"))
	if _, err := td.db.Store(context.Background(), ticket.Fetched{Mailbox: "INBOX", UIDValidity: 1, UID: td.uid,
		MessageID: intake.HeaderMessageID(b), Raw: b, Size: int64(len(b))}); err != nil {
		td.t.Fatal(err)
	}
}

// deliver stores raw and processes everything pending.
func (td *testDesk) deliver(raw string) {
	td.t.Helper()
	td.store(raw)
	if _, err := td.d.ProcessPending(context.Background()); err != nil {
		td.t.Fatal(err)
	}
}

func (td *testDesk) tickets() []*ticket.Ticket {
	td.t.Helper()
	var ts []*ticket.Ticket
	if err := td.db.View(context.Background(), func(tx *store.Tx) (err error) { ts, err = tx.Tickets(store.TicketFilter{}); return err }); err != nil {
		td.t.Fatal(err)
	}
	return ts
}

// outbox lists what the desk queued to addr.
func (td *testDesk) outbox(addr string) []*ticket.OutboxItem {
	td.t.Helper()
	var all, out []*ticket.OutboxItem
	td.db.View(context.Background(), func(tx *store.Tx) (err error) { all, err = tx.AllOutbox(); return err })
	for _, it := range all {
		for _, r := range it.Recipients {
			if strings.EqualFold(r, addr) {
				out = append(out, it)
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
