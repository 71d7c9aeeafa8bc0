package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"ticketd/config"
	"ticketd/internal/mailtest"
	"ticketd/store"
)

// Two instances on one database (SQLite and PostgreSQL here; the
// integration suite does it on PostgreSQL with kill -9): one leads, the
// other stands by, and the standby takes over when the leader's leases end.
func TestHA_standbyTakesOverAndNothingIsDoubled(t *testing.T) {
	eachStore(t, testHAStandbyTakesOver)
}

func testHAStandbyTakesOver(t *testing.T, driver string) {
	ha := func(id string) harnessOption {
		return withConfig(func(c *config.Config) {
			c.HA.Instance = id
			c.HA.Takeover = config.Duration{Duration: 3 * time.Second}
		})
	}
	a := newHarness(t, ha("a"), withStore(driver))
	// A ghost held the intake lease and died: b must wait for it to expire.
	a.d.DB().Update(context.Background(), func(tx *store.Tx) error {
		_, _, err := tx.AcquireLease(intakeLease(config.DefaultInbox), "ghost", 2*time.Second)
		return err
	})
	a.start()
	mailtest.Eventually(t, "a to take the processing lease", waitTimeout, func() bool { return a.d.ha.isHeld(leaseProcess) })
	if a.d.ha.isHeld(intakeLease(config.DefaultInbox)) {
		var ls []store.Lease
		a.d.DB().View(context.Background(), func(tx *store.Tx) (err error) { ls, err = tx.Leases(); return err })
		t.Fatalf("a took the ghost's live intake lease: %+v (now %v)", ls, a.clock.Now())
	}
	mailtest.Eventually(t, "a to take the intake lease once the ghost's expired", waitTimeout, func() bool {
		return a.d.ha.isHeld(intakeLease(config.DefaultInbox))
	})

	// b: same database and mailbox, standing by.
	b := &harness{t: t, sys: a.sys, cfg: testConfig(t, a.sys, a.cfg.Store.Path), clock: a.clock, driver: driver}
	b.cfg.Store = a.cfg.Store
	ha("b")(b)
	b.open()
	b.start()
	mailtest.Eventually(t, "b to stand by", waitTimeout, func() bool {
		role, _ := b.d.Role()
		return role == "standby" && strings.Contains(b.d.Health(context.Background()).Checks["ha"].Detail, "held by a")
	})
	for i := 0; i < 3; i++ {
		a.appendMail(customerMail(fmt.Sprintf("ha-a-%d@acme.example", i), "Acme Ops <ops@acme.example>", fmt.Sprintf("Report %d empty", i), "The report is empty."))
	}
	a.waitProcessed(3)

	a.stop() // a leaves cleanly: its leases are released
	mailtest.Eventually(t, "b to take over", waitTimeout, func() bool {
		return b.d.ha.isHeld(leaseProcess) && b.d.ha.isHeld(intakeLease(config.DefaultInbox))
	})
	for i := 0; i < 3; i++ {
		b.appendMail(customerMail(fmt.Sprintf("ha-b-%d@acme.example", i), "Acme Ops <ops@acme.example>", fmt.Sprintf("Export %d failed", i), "The export failed."))
	}
	b.waitProcessed(6)
	mustf(t, len(b.tickets()) == 6, "want 6 tickets, got %d", len(b.tickets()))
	mustf(t, len(b.sentTo("ops@acme.example")) == 6, "want 6 acknowledgements, got %d", len(b.sentTo("ops@acme.example")))
	var leases []store.Lease
	b.d.DB().View(context.Background(), func(tx *store.Tx) (err error) { leases, err = tx.Leases(); return err })
	for _, l := range leases {
		mustf(t, l.Holder == "b", "lease %s held by %s after the takeover", l.Name, l.Holder)
	}
}

// Two processes on one host with one instance name would both believe
// they hold its leases: the second refuses to start. The name of a
// process that is gone (a crash) is taken back at once.
func TestHA_instanceNameInUseOnThisHostRefusesToStart(t *testing.T) {
	a := newHarness(t, withConfig(func(c *config.Config) { c.HA.Instance = "node-1" }))
	host, _ := os.Hostname()
	heartbeat := func(pid int) {
		t.Helper()
		if err := a.d.DB().Update(context.Background(), func(tx *store.Tx) error {
			return tx.Heartbeat(store.Instance{ID: "node-1", Host: host, PID: pid, StartedAt: a.clock.Now()})
		}); err != nil {
			t.Fatal(err)
		}
	}
	heartbeat(os.Getppid()) // alive: the test's parent
	_, err := New(context.Background(), a.cfg, Options{Clock: a.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	mustf(t, err != nil && strings.Contains(err.Error(), `instance "node-1" is already running on this host`), "second process with the name started: %v", err)

	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	heartbeat(gone.Process.Pid) // exited and reaped: a crashed ticketd
	d, err := New(context.Background(), a.cfg, Options{Clock: a.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	mustf(t, err == nil, "the name of a process that is gone was refused: %v", err)
	d.Close()
}
