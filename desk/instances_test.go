package desk

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"ticketd/store"
	"ticketd/ticket"
)

// TestSendDue_twoInstancesOnPostgreSQLSendEachOnce: reminders, breach
// notices, alert folds and weekly digests run on every instance of a
// PostgreSQL desk. Two instances (four senders) at once must queue exactly
// what one instance alone queues for the same desk: nothing twice,
// nothing skipped.
func TestSendDue_twoInstancesOnPostgreSQLSendEachOnce(t *testing.T) {
	monday := time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC) // 07:00 Zurich
	withDigest := func(c *Config) { c.DigestOn, c.DigestDay, c.DigestMinute = true, time.Monday, 8*60 }
	scenario := func(td *testDesk) {
		for i := range 12 {
			from := []string{"Acme Ops <ops@acme.example>", "Acme Dev <dev@acme.example>", "Globex IT <it@globex.example>"}[i%3]
			td.deliver(fmt.Sprintf("From: %s\nTo: support@example.com\nSubject: Export %d fails\nDate: Mon, 23 Nov 2026 07:00:00 +0100\nMessage-ID: <inst-%d@example.org>\n\nThe nightly export %d failed again; we re-run it by hand.\n",
				from, i, i, i))
		}
		td.clock.Advance(7*24*time.Hour + 2*time.Hour) // every reminder and breach due; the next Monday 08:00 Zurich digest too
	}
	count := func(td *testDesk) map[string]int {
		var all []*ticket.OutboxItem
		if err := td.db.View(context.Background(), func(tx *store.Tx) (err error) { all, err = tx.AllOutbox(); return err }); err != nil {
			t.Fatal(err)
		}
		by := map[string]int{}
		for _, it := range all {
			by[it.Kind+" to "+strings.Join(it.Recipients, ",")]++
		}
		return by
	}

	alone := newTestDeskOn(t, store.Postgres, monday, withDigest)
	scenario(alone)
	if _, err := alone.d.SendDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := count(alone)

	td := newTestDeskOn(t, store.Postgres, monday, withDigest)
	scenario(td)
	desks := []*Desk{td.d, td.twin(), td.d, td.twin()}
	var wg sync.WaitGroup
	for _, d := range desks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, err := d.SendDue(context.Background())
				if err == nil {
					return
				}
				if !store.IsBusy(err) {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got := count(td)
	kinds := 0
	for k, n := range want {
		if !strings.HasPrefix(k, "ack") {
			kinds++
		}
		if got[k] != n {
			t.Errorf("%s: %d queued by two instances, %d by one", k, got[k], n)
		}
	}
	for k, n := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: %d queued by two instances, none by one", k, n)
		}
	}
	for _, k := range []string{"reminder", "breach", "digest"} {
		found := false
		for key := range want {
			found = found || strings.HasPrefix(key, k)
		}
		if !found {
			t.Errorf("the scenario queued no %s: it tests nothing of it (%v)", k, want)
		}
	}
	t.Logf("one instance queued %v", want)
}
