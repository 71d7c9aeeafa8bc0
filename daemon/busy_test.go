package daemon

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"ticketd/internal/mailtest"
	"ticketd/internal/testclock"
	"ticketd/store"
)

// holdWriteLock takes SQLite's write lock on the daemon's database from
// a second connection, as another process (an admin command, a backup
// tool) would, and returns the function that releases it. On PostgreSQL
// it locks the tables every write of intake, processing and the health
// probe touches against writes (reads go on, as in SQLite's WAL).
func holdWriteLock(t *testing.T, h *harness) (release func()) {
	t.Helper()
	ctx := context.Background()
	sqlDriver, dsn, lock := "sqlite", "file:"+h.cfg.Store.Path, `BEGIN IMMEDIATE`
	if h.driver == store.Postgres {
		sqlDriver, dsn, lock = "pgx", h.cfg.Store.DSN, `BEGIN; LOCK TABLE raw_messages, imap_checkpoints, meta IN EXCLUSIVE MODE`
	}
	other, err := sql.Open(sqlDriver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, lock); err != nil {
		t.Fatal(err)
	}
	released := false
	release = func() {
		if released {
			return
		}
		released = true
		if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
			t.Error(err)
		}
		conn.Close()
		other.Close()
	}
	t.Cleanup(release)
	return release
}

func (h *harness) processError() string {
	h.d.mu.Lock()
	defer h.d.mu.Unlock()
	return h.d.lastProcErr
}

func (h *harness) rawOutcomes() map[string]int {
	h.t.Helper()
	out := map[string]int{}
	h.d.DB().View(context.Background(), func(tx *store.Tx) error {
		ids, err := tx.UnprocessedRaw(1000)
		out["unprocessed"] = len(ids)
		if err != nil {
			return err
		}
		total, _, _ := tx.RawStats()
		for id := int64(1); id <= int64(total); id++ {
			if m, err := tx.RawMeta(id); err == nil && !m.ProcessedAt.IsZero() {
				out[string(m.Outcome)]++
			}
		}
		return nil
	})
	return out
}

// TestBusyDatabase_lockTimeoutIsARetryAndEveryMailIsTicketed holds the
// write lock from another connection for longer than the busy timeout
// while contacts' mail is stored and more arrives over IMAP: processing
// and intake fail with "database is locked" and try again, nothing is
// quarantined or answered as unknown, and once the lock is gone every
// mail becomes one ticket with one acknowledgement.
func TestBusyDatabase_lockTimeoutIsARetryAndEveryMailIsTicketed(t *testing.T) {
	eachStore(t, func(t *testing.T, driver string) {
		h := newHarness(t, withStore(driver), withOptions(Options{BusyTimeout: 50 * time.Millisecond}))
		senders := []string{"Acme Ops <ops@acme.example>", "Acme Dev <dev@acme.example>", "Globex IT <it@globex.example>"}
		mail := func(i int) string {
			return customerMail(fmt.Sprintf("busy%d@customer.example", i), senders[i%len(senders)],
				fmt.Sprintf("Export job %d fails", i), "The nightly export fails with a timeout since yesterday.")
		}
		// Fetched before the lock (from another mailbox, so the INBOX
		// checkpoint stays at the start), stored, not yet processed: the loops
		// are not running.
		for i := range 3 {
			raw := []byte(strings.ReplaceAll(mail(i), "\n", "\r\n"))
			if _, err := h.d.DB().Store(context.Background(), intakeFetched("Earlier", 1, uint32(i+1), raw)); err != nil {
				t.Fatal(err)
			}
		}
		release := holdWriteLock(t, h)
		h.start()
		// More mail arrives while the lock is held.
		for i := 3; i < 5; i++ {
			h.appendMail(mail(i))
		}
		mailtest.Eventually(t, "processing to fail on the lock", waitTimeout, func() bool { return h.processError() != "" })
		mailtest.Eventually(t, "intake to fail storing on the lock", waitTimeout, func() bool {
			return strings.Contains(h.d.intake.Status().LastError, "store fetched mail")
		})
		perr := h.processError()
		mustf(t, strings.Contains(perr, "database is locked") || strings.Contains(perr, "busy") || strings.Contains(perr, "lock timeout"),
			"processing failed for another reason: %s", perr)
		mustf(t, len(h.quarantine()) == 0, "a lock timeout quarantined mail: %+v", h.quarantine())
		mustf(t, len(h.tickets()) == 0, "tickets written while another connection held the write lock?")

		release()
		acks := map[string]int{} // address → acknowledgements it must get
		for i := range 5 {
			s := senders[i%len(senders)]
			acks[s[strings.Index(s, "<")+1:len(s)-1]]++
		}
		mailtest.Eventually(t, "every mail to be ticketed and acknowledged", waitTimeout, func() bool {
			for addr, n := range acks {
				if len(h.sentTo(addr)) < n {
					return false
				}
			}
			return true
		})
		outcomes := h.rawOutcomes()
		mustf(t, outcomes["ticket"] == 5 && outcomes["unprocessed"] == 0 && len(outcomes) == 2, "raw outcomes %v, want 5 tickets", outcomes)
		mustf(t, len(h.tickets()) == 5, "want 5 tickets, got %d", len(h.tickets()))
		mustf(t, len(h.quarantine()) == 0, "quarantined: %+v", h.quarantine())
		for addr, n := range acks {
			got := h.sentTo(addr)
			mustf(t, len(got) == n, "%s got %d mails, want %d acknowledgements", addr, len(got), n)
			for _, m := range got {
				mustf(t, strings.Contains(m.Header.Get("Subject"), "[Ticket#"), "%s got a mail that is not an acknowledgement: %q", addr, m.Header.Get("Subject"))
			}
		}
	})
}

// TestShutdown_withinGraceWhileTheDatabaseIsLocked stops the daemon while
// another connection holds the write lock and the busy timeout is far
// longer than the grace period: Run returns once the grace is over, and
// the waiting mail stays stored and unprocessed, not quarantined.
func TestShutdown_withinGraceWhileTheDatabaseIsLocked(t *testing.T) {
	eachStore(t, func(t *testing.T, driver string) {
		const grace = 500 * time.Millisecond
		h := newHarness(t, withStore(driver), withOptions(Options{BusyTimeout: time.Minute, ShutdownGrace: grace}))
		for i := range 3 {
			h.deliver(uint32(200+i), customerMail(fmt.Sprintf("stop%d@acme.example", i), "Acme Ops <ops@acme.example>",
				fmt.Sprintf("Report %d is empty", i), "The monthly report is empty."))
		}
		release := holdWriteLock(t, h)
		h.start()
		h.appendMail(customerMail("stop9@acme.example", "Acme Ops <ops@acme.example>", "Report 9 is empty", "Empty again."))
		mailtest.Eventually(t, "the IMAP session", waitTimeout, func() bool { return h.d.intake.Status().Connected })

		start := time.Now()
		h.cancel()
		select {
		case err := <-h.done:
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
		case <-time.After(grace + 3*time.Second):
			t.Fatalf("Run did not return within %s of shutdown with the database locked", grace+3*time.Second)
		}
		h.cancel = nil
		took := time.Since(start)
		mustf(t, took < grace+2*time.Second, "shutdown took %s, grace is %s", took, grace)
		release()
		outcomes := h.rawOutcomes()
		mustf(t, outcomes["unprocessed"] == 3 && len(outcomes) == 1, "after shutdown under the lock: %v, want 3 stored mails unprocessed", outcomes)
		mustf(t, len(h.quarantine()) == 0, "quarantined on shutdown: %+v", h.quarantine())
	})
}

// onRecord calls fn with every log record, with the attributes the logger
// was given by With, before passing it on.
type onRecord struct {
	slog.Handler
	fn    func(slog.Record)
	attrs []slog.Attr
}

func (h onRecord) Handle(ctx context.Context, r slog.Record) error {
	full := r.Clone()
	full.AddAttrs(h.attrs...)
	h.fn(full)
	return h.Handler.Handle(ctx, r)
}

func (h onRecord) WithAttrs(a []slog.Attr) slog.Handler {
	return onRecord{h.Handler.WithAttrs(a), h.fn, append(slices.Clip(h.attrs), a...)}
}

func (h onRecord) WithGroup(n string) slog.Handler {
	return onRecord{h.Handler.WithGroup(n), h.fn, h.attrs}
}

// TestBusyDatabase_lockFreedRightAfterATimeoutQuarantinesNothing frees
// the lock the moment processing first reports a failure, from inside
// that log call: a pipeline that took the lock timeout for a bad mail
// would now succeed in quarantining it (as 9 valid mails were in the
// field). Every mail must become a ticket instead.
func TestBusyDatabase_lockFreedRightAfterATimeoutQuarantinesNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, driver string) {
		var mu sync.Mutex
		var release func()
		logger := slog.New(onRecord{Handler: slog.NewTextHandler(io.Discard, nil), fn: func(r slog.Record) {
			if r.Level < slog.LevelError || !strings.Contains(r.Message, "process") {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if release != nil {
				release()
			}
		}})
		h := newHarness(t, withStore(driver), withClock(testclock.Fake()), withOptions(Options{BusyTimeout: 30 * time.Millisecond, Logger: logger}))
		for i := range 4 {
			h.deliver(uint32(i+1), customerMail(fmt.Sprintf("freed%d@acme.example", i), "Acme Ops <ops@acme.example>",
				fmt.Sprintf("Backup %d failed", i), "Last night's backup failed."))
		}
		mu.Lock()
		release = holdWriteLock(t, h)
		mu.Unlock()
		if err := h.d.RunOnce(context.Background()); err == nil || !store.IsBusy(err) {
			t.Fatalf("RunOnce under the lock: want a lock timeout, got %v", err)
		}
		mustf(t, len(h.quarantine()) == 0, "a lock timeout quarantined mail: %+v", h.quarantine())
		mu.Lock()
		release()
		mu.Unlock()
		h.runOnce()
		outcomes := h.rawOutcomes()
		mustf(t, outcomes["ticket"] == 4 && len(outcomes) == 2, "raw outcomes %v, want 4 tickets", outcomes)
		mustf(t, len(h.sentTo("ops@acme.example")) == 4, "want 4 acknowledgements, got %d", len(h.sentTo("ops@acme.example")))
	})
}
