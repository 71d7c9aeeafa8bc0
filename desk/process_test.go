package desk

import (
	"context"
	"strings"
	"testing"
	"time"

	"ticketd/store"
)

func TestProcessing_failureQuarantinesTheMailAndTheBatchGoesOn(t *testing.T) {
	eachStore(t, func(t *testing.T, driver string) {
		td := newTestDeskOn(t, driver, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
		td.store(readTestdata(t, "new-acme.eml"))
		td.store(readTestdata(t, "new-globex.eml"))
		ctx := context.Background()
		var ids []int64
		td.db.View(ctx, func(tx *store.Tx) (err error) { ids, err = tx.UnprocessedRaw(10); return err })
		batch, _, err := td.d.prepareBatch(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		// The customer disappears between verification and writing: creating
		// the ticket violates its foreign key, deterministically.
		td.db.Update(ctx, func(tx *store.Tx) error {
			c, err := tx.CustomerByName("Acme")
			if err != nil {
				return err
			}
			return tx.RemoveCustomer(c.ID)
		})
		if err := td.d.processBatch(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if ts := td.tickets(); len(ts) != 1 || ts[0].CustomerName != "Globex" {
			t.Fatalf("the good mail of the batch must still become a ticket: %d tickets", len(ts))
		}
		if n := len(td.outbox("it@globex.example")); n != 1 {
			t.Fatalf("the good mail's acknowledgement: %d queued, want 1", n)
		}
		var held []*store.QuarantineEntry
		td.db.View(ctx, func(tx *store.Tx) (err error) { held, err = tx.QuarantineList(store.QuarantineHeld); return err })
		if len(held) != 1 || held[0].Outcome != "error" || !strings.Contains(held[0].Reason, "processing failed") {
			t.Fatalf("failed mail not quarantined: %+v", held)
		}
		var total, unprocessed int
		td.db.View(ctx, func(tx *store.Tx) (err error) { total, unprocessed, err = tx.RawStats(); return err })
		if total != 2 || unprocessed != 0 {
			t.Fatalf("raw: %d stored, %d unprocessed", total, unprocessed)
		}
	})
}
