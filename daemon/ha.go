package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"ticketd/config"
	"ticketd/store"
)

// Several instances on one database (issue 16). Each inbox's intake, and
// the processing of stored mail, is leased to one instance at a time
// (store.Tx.AcquireLease: a lease row with an expiry, renewed every
// takeover/3). An instance that dies, hangs or loses the database stops
// renewing; another takes the lease once it expires, within [ha]
// takeover. An instance that cannot renew stops its intake and
// processing itself when its lease would have expired, before anyone
// else may take over (its own clock is the fence). Outbox delivery,
// reminders, alert folds and digests run on every instance: each mail is
// claimed (outbox) or marked sent (reminders, folds, digests) in one
// statement, so none goes out twice.

// leaseProcess names the lease of processing stored mail.
const leaseProcess = "process"

// intakeLease names the lease of an inbox's intake.
func intakeLease(inbox string) string { return "intake:" + inbox }

// haState is this instance's view of its leases.
type haState struct {
	// on is false for a single instance (SQLite without [ha] instance):
	// then it holds everything, and no lease is written.
	on        bool
	mu        sync.Mutex
	held      map[string]time.Time // lease name → when this instance took it
	holders   map[string]store.Lease
	lastRenew time.Time // last time every lease was renewed (or tried and the database answered)
}

func (s *haState) isHeld(name string) bool {
	if !s.on {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.held[name]
	return ok
}

// Role is whether this instance leads (holds the processing lease) or
// stands by, and which leases it holds.
func (d *Daemon) Role() (role string, held []string) {
	if !d.ha.on {
		return "leader", []string{"all (single instance)"}
	}
	d.ha.mu.Lock()
	defer d.ha.mu.Unlock()
	for name := range d.ha.held {
		held = append(held, name)
	}
	sort.Strings(held)
	if len(held) > 0 {
		return "leader", held
	}
	return "standby", nil
}

// instanceID is how this instance names itself in leases: [ha] instance,
// else the host name, so a restart on the same host (after a crash too)
// takes its own leases back at once instead of waiting for them to expire.
func instanceID(cfg *config.Config) string {
	if cfg.HA.Instance != "" {
		return cfg.HA.Instance
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "ticketd"
	}
	return host
}

// checkInstanceUnique refuses to start when another live process on this
// host uses this instance's name: two processes with one name would both
// believe they hold its leases. A process of that name that is gone (a
// crash, a restart) is the normal case and takes its leases back.
func (d *Daemon) checkInstanceUnique(ctx context.Context) error {
	host, _ := os.Hostname()
	var seen []store.Instance
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		seen, err = tx.InstancesSeen(d.clock.Now().Add(-d.cfg.HA.Takeover.Duration))
		return err
	})
	if err != nil {
		return fmt.Errorf("check instance %q: %w", d.instance, err)
	}
	for _, in := range seen {
		if in.ID == d.instance && in.Host == host && in.PID != os.Getpid() && processAlive(in.PID) {
			return fmt.Errorf("instance %q is already running on this host (pid %d, seen %s): "+
				"give each ticketd process its own [ha] instance name", d.instance, in.PID, in.SeenAt.Format(time.RFC3339))
		}
	}
	return nil
}

// processAlive reports whether a process with pid exists on this host.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// haLoop takes, renews and gives up leases, starting and stopping each
// inbox's intake as its lease comes and goes, until ctx is done; then it
// stops the intake sessions and releases the leases.
func (d *Daemon) haLoop(ctx context.Context) {
	if !d.ha.on {
		d.runAlone(ctx)
		return
	}
	takeover := d.cfg.HA.Takeover.Duration
	every := takeover / 3
	var wg sync.WaitGroup
	running := map[string]context.CancelFunc{}
	stop := func(name string) {
		if cancel, ok := running[name]; ok {
			cancel()
			delete(running, name)
		}
	}
	host, _ := os.Hostname()
	self := store.Instance{ID: d.instance, Host: host, PID: os.Getpid(), Version: d.opts.Version, StartedAt: d.metricsStart}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		d.renewAndApply(ctx, self)
		for _, ic := range d.inboxes {
			name := intakeLease(ic.Name)
			_, runs := running[name]
			switch leads := d.ha.isHeld(name); {
			case leads && !runs && ctx.Err() == nil:
				rctx, cancel := context.WithCancel(ctx)
				running[name] = cancel
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := ic.client.Run(rctx); err != nil && !errors.Is(err, context.Canceled) {
						d.log.Error("imap intake stopped", "inbox", ic.Name, "err", err)
					}
				}()
			case !leads && runs:
				d.log.Warn("lease lost: intake stops here", "lease", name)
				stop(name)
			}
		}
		if d.ha.isHeld(leaseProcess) {
			kick(d.kickProcess)
		}
		select {
		case <-ctx.Done():
			for name := range running {
				stop(name)
			}
			wg.Wait()
			d.releaseLeases()
			return
		case <-t.C:
		}
	}
}

// renewAndApply renews the leases once and records which this instance
// holds now; when it cannot renew for longer than is safe, it gives them
// all up (self-fencing) before another instance may take them.
func (d *Daemon) renewAndApply(ctx context.Context, self store.Instance) {
	takeover := d.cfg.HA.Takeover.Duration
	every := takeover / 3
	now := d.clock.Now()
	// A database that does not answer must not keep this instance
	// believing it leads: the renewal gives up after a third of takeover.
	rctx, cancel := context.WithTimeout(ctx, every)
	held, holders, err := d.renewLeases(rctx, self, takeover)
	cancel()
	d.ha.mu.Lock()
	defer d.ha.mu.Unlock()
	if err == nil {
		d.ha.lastRenew = now
		for name := range d.ha.held {
			if !held[name] {
				delete(d.ha.held, name)
			}
		}
		for name, ok := range held {
			if !ok {
				continue
			}
			if _, had := d.ha.held[name]; !had {
				d.ha.held[name] = now
				d.log.Info("lease taken: this instance now runs it", "lease", name, "instance", d.instance, "term", holders[name].Term)
				d.metrics.takeover(name)
			}
		}
		d.ha.holders = holders
	} else if ctx.Err() == nil && now.Sub(d.ha.lastRenew) >= takeover-every/2 {
		// Cannot renew: before another instance may take over, stop.
		if len(d.ha.held) > 0 {
			d.log.Error("cannot renew leases; stopping intake and processing until the database answers", "err", err)
		}
		d.ha.held = map[string]time.Time{}
	}
}

// runAlone runs every inbox's intake: a single instance leases nothing.
func (d *Daemon) runAlone(ctx context.Context) {
	var wg sync.WaitGroup
	for _, ic := range d.inboxes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ic.client.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				d.log.Error("imap intake stopped", "inbox", ic.Name, "err", err)
			}
		}()
	}
	wg.Wait()
}

// haEnabled reports whether instances lease their work: on PostgreSQL,
// or when [ha] instance names this one (several instances on one SQLite
// file on one host).
func haEnabled(cfg *config.Config) bool {
	return cfg.Store.Driver == "postgres" || cfg.HA.Instance != ""
}

// renewLeases takes or renews every lease this instance may hold and
// records its heartbeat, in one transaction; it returns which it holds
// and who holds each.
func (d *Daemon) renewLeases(ctx context.Context, self store.Instance, ttl time.Duration) (map[string]bool, map[string]store.Lease, error) {
	names := []string{leaseProcess}
	for _, ic := range d.inboxes {
		names = append(names, intakeLease(ic.Name))
	}
	held, holders := map[string]bool{}, map[string]store.Lease{}
	// READ COMMITTED: each lease is one conditional upsert, atomic by
	// itself; serializable isolation would fail two instances' renewals
	// against each other.
	err := d.db.UpdateReadCommitted(ctx, func(tx *store.Tx) error {
		if err := tx.Heartbeat(self); err != nil {
			return err
		}
		for _, name := range names {
			l, ok, err := tx.AcquireLease(name, d.instance, ttl)
			if err != nil {
				return err
			}
			held[name], holders[name] = ok, l
		}
		return nil
	})
	return held, holders, err
}

// releaseLeases gives up this instance's leases at shutdown, so a standby
// takes over at once rather than after takeover.
func (d *Daemon) releaseLeases() {
	d.ha.mu.Lock()
	names := make([]string, 0, len(d.ha.held))
	for name := range d.ha.held {
		names = append(names, name)
	}
	d.ha.held = map[string]time.Time{}
	d.ha.mu.Unlock()
	if len(names) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := d.db.Update(ctx, func(tx *store.Tx) error {
		for _, name := range names {
			if err := tx.ReleaseLease(name, d.instance); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		d.log.Warn("leases not released; a standby takes over when they expire", "err", err)
	}
}

// haHealth is the role part of /healthz.
func (d *Daemon) haHealth() PartHealth {
	role, held := d.Role()
	if !d.ha.on {
		return PartHealth{OK: true, Detail: "single instance"}
	}
	d.ha.mu.Lock()
	defer d.ha.mu.Unlock()
	if role == "leader" {
		return PartHealth{OK: true, Detail: fmt.Sprintf("leader (%s): instance %s", strings.Join(held, ", "), d.instance)}
	}
	var others []string
	for _, l := range d.ha.holders {
		if l.Holder != "" && l.Holder != d.instance {
			others = append(others, fmt.Sprintf("%s held by %s since %s", l.Name, l.Holder, l.AcquiredAt.Format(time.RFC3339)))
		}
	}
	sort.Strings(others)
	return PartHealth{OK: true, Detail: fmt.Sprintf("standby: instance %s; %s", d.instance, strings.Join(others, "; "))}
}
