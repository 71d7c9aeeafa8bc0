package daemon

import (
	"context"
	"testing"
	"time"

	"ticketd/config"
	"ticketd/internal/testclock"
	"ticketd/store"
	"ticketd/ticket"
)

// TestMaintain_prunesDeliveredBodiesAfterKeepSent: a delivered mail keeps
// its composed bytes for [outbox] keep_sent, then loses them; its outbox
// row and the message text `tickets show` prints stay.
func TestMaintain_prunesDeliveredBodiesAfterKeepSent(t *testing.T) {
	clock := testclock.Fake()
	h := newHarness(t, withClock(clock), withConfig(func(c *config.Config) { c.Outbox.KeepSent = config.Duration{Duration: 24 * time.Hour} }))
	h.deliver(1, readTestdata(t, "new-acme.eml"))
	h.runOnce()
	ctx := context.Background()
	sent := func() (withBody, total int) {
		for _, it := range h.outbox() {
			if it.Status == ticket.OutboxSent {
				total++
				if len(it.Data) > 0 {
					withBody++
				}
			}
		}
		return withBody, total
	}
	if b, n := sent(); n < 2 || b != n {
		t.Fatalf("after delivery: %d of %d sent mails have their bytes, want all (at least ack and alert)", b, n)
	}
	clock.Advance(23 * time.Hour)
	if r, err := h.d.Maintain(ctx); err != nil || r.OutboxBodiesPruned != 0 {
		t.Fatalf("before keep_sent: %+v, %v", r, err)
	}
	clock.Advance(2 * time.Hour)
	r, err := h.d.Maintain(ctx)
	_, n := sent()
	if err != nil || r.OutboxBodiesPruned != n {
		t.Fatalf("after keep_sent: %+v, %v; want %d pruned", r, err, n)
	}
	if b, n2 := sent(); b != 0 || n2 != n {
		t.Fatalf("after pruning: %d of %d sent rows still have bytes", b, n2)
	}
	var msgs []*store.Message
	h.d.DB().View(ctx, func(tx *store.Tx) (err error) { msgs, err = tx.Messages(h.ticket(1).ID); return err })
	for _, m := range msgs {
		mustf(t, m.Direction != store.Outbound || m.Body != "", "outbound %s message lost its text", m.Kind)
	}
}
