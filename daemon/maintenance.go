package daemon

import (
	"context"
	"time"

	"ticketd/store"
)

// Maintenance keeps the database's growth to what is worth keeping: the
// composed bytes of delivered mail go after [outbox] keep_sent (the row
// and the message text stay), rate-limit records go once no limit window
// reaches them, and raw mail stored before migration 0004 is deflated.
// Each step is a short write transaction of at most maintenanceBatch
// rows, so intake and processing are never held up for long.
const (
	maintenanceInterval = time.Minute
	maintenanceBatch    = 200
	// maintenanceBatches bounds one pass; the rest waits for the next.
	maintenanceBatches = 50
	// autoReplyRetention is past the longest rate-limit window (a day).
	autoReplyRetention = 48 * time.Hour
)

// MaintenanceResult counts what one maintenance pass did.
type MaintenanceResult struct {
	OutboxBodiesPruned int
	AutoRepliesPruned  int
	RawCompacted       int
}

func (d *Daemon) maintenanceLoop(ctx context.Context) {
	timer := time.NewTimer(maintenanceInterval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if !d.ha.isHeld(leaseProcess) { // a standby: the leader maintains
			timer.Reset(maintenanceInterval)
			continue
		}
		r, err := d.Maintain(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.Warn("maintenance pass stopped; next pass continues", "err", err)
		}
		if r != (MaintenanceResult{}) {
			d.log.Info("maintenance", "outbox_bodies_pruned", r.OutboxBodiesPruned, "auto_replies_pruned", r.AutoRepliesPruned,
				"raw_compacted", r.RawCompacted)
		}
		timer.Reset(maintenanceInterval)
	}
}

// Maintain runs one maintenance pass as of the clock's now.
func (d *Daemon) Maintain(ctx context.Context) (MaintenanceResult, error) {
	var r MaintenanceResult
	now := d.clock.Now()
	steps := []struct {
		count *int
		step  func(tx *store.Tx) (n int, more bool, err error)
	}{
		{&r.OutboxBodiesPruned, func(tx *store.Tx) (int, bool, error) {
			n, err := tx.PruneSentOutbox(now.Add(-d.cfg.Outbox.KeepSent.Duration), maintenanceBatch)
			return n, n == maintenanceBatch, err
		}},
		{&r.AutoRepliesPruned, func(tx *store.Tx) (int, bool, error) {
			n, err := tx.PruneAutoReplies(now.Add(-autoReplyRetention), maintenanceBatch)
			return n, n == maintenanceBatch, err
		}},
		{&r.RawCompacted, func(tx *store.Tx) (int, bool, error) { return tx.CompactRaw(maintenanceBatch) }},
	}
	for _, s := range steps {
		more := true
		for i := 0; more && i < maintenanceBatches; i++ {
			if err := ctx.Err(); err != nil {
				return r, err
			}
			var n int
			err := d.db.Update(ctx, func(tx *store.Tx) (err error) { n, more, err = s.step(tx); return err })
			if err != nil {
				return r, err
			}
			*s.count += n
		}
	}
	return r, nil
}
