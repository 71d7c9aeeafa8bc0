package daemon

import (
	"context"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"ticketd/store"
	"ticketd/ticket"
)

// observeStatements records the text of every statement the store runs
// until the returned function is called, which returns them sorted.
func observeStatements() (stop func() []string) {
	var mu sync.Mutex
	seen := map[string]bool{}
	end := store.ObserveStatements(func(q string) {
		mu.Lock()
		seen[q] = true
		mu.Unlock()
	})
	return func() []string {
		end()
		mu.Lock()
		defer mu.Unlock()
		out := make([]string, 0, len(seen))
		for q := range seen {
			out = append(out, q)
		}
		sort.Strings(out)
		return out
	}
}

// checkQueryPlans fails the test for every statement whose plan reads a
// growing table whole (store.FullScans): its cost would grow with every
// mail ever received.
func checkQueryPlans(t *testing.T, db *store.DB, statements []string) {
	t.Helper()
	for _, q := range statements {
		scans, err := db.FullScans(context.Background(), q)
		if err != nil {
			t.Errorf("explain: %v", err)
			continue
		}
		if len(scans) > 0 {
			plan, _ := db.QueryPlan(context.Background(), q)
			t.Errorf("full scan of a growing table: %s\n\tin: %s\n\tplan: %s", strings.Join(scans, "; "), oneLine(q), strings.Join(plan, " | "))
		}
	}
}

func oneLine(q string) string { return strings.Join(strings.Fields(q), " ") }

// TestQueryPlans_everyPipelineStatementUsesAnIndex runs the pipeline
// through what a desk sees in a day (new tickets, an unknown sender, an
// automated reply, engineer commands and a relayed answer, a follow-up,
// reminders and a breach, a released quarantine entry, delivery and the
// maintenance pass) while recording every statement the store runs, then
// asks the database for each one's plan: none may scan a growing table
// (raw_messages, messages, tickets, outbox, …) whole. On PostgreSQL the
// plan is the generic one with sequential scans priced out (FullScans).
func TestQueryPlans_everyPipelineStatementUsesAnIndex(t *testing.T) {
	eachStore(t, func(t *testing.T, driver string) {
		clock := ticket.NewFakeClock(zurich(t, "2026-11-23 09:00"))
		h := newHarness(t, withClock(clock), withStore(driver))
		ctx := context.Background()
		stop := observeStatements()

		h.deliver(1, readTestdata(t, "new-acme.eml"))
		h.deliver(2, readTestdata(t, "new-globex.eml"))
		h.deliver(3, readTestdata(t, "unknown.eml"))
		h.deliver(4, "Auto-Submitted: auto-replied\n"+customerMail("ooo@acme.example", "Acme Dev <dev@acme.example>", "Out of office", "I am away until Monday."))
		h.deliver(5, "From: Acme Dev <dev@acme.example>\nTo: support@example.com\nSubject: no Message-ID\n\nThe report is empty.\n")
		h.runOnce()
		alerts := h.sentTo("team@example.com")
		mustf(t, len(alerts) > 0, "no alert to answer")
		alert := alerts[0]
		subject, _ := new(mimeWordDecoder).DecodeHeader(alert.Header.Get("Subject"))
		clock.Advance(10 * time.Minute)
		h.deliver(6, engineerReply("Erin Novak <erin@example.com>", alert.Header.Get("Reply-To"), alert.Header.Get("Message-Id"), subject,
			"#level P1\n#assign me\n#note they lost a day of exports"))
		h.deliver(7, customerMail("later@acme.example", "Acme Ops <ops@acme.example>", "Re: [Ticket#1] Nightly export job fails with a timeout",
			"It failed again tonight."))
		h.runOnce()
		clock.Advance(10 * time.Minute)
		h.deliver(8, engineerReply("Erin Novak <erin@example.com>", alert.Header.Get("Reply-To"), alert.Header.Get("Message-Id"), subject,
			"We raised the timeout; tonight's run should pass.\n#waiting"))
		h.runOnce()
		// Reminders, the breach of the unanswered ticket, folded alerts.
		clock.Advance(3 * 24 * time.Hour)
		h.runOnce()
		var held []*store.QuarantineEntry
		h.d.DB().View(ctx, func(tx *store.Tx) (err error) { held, err = tx.QuarantineList(store.QuarantineHeld); return err })
		mustf(t, len(held) > 0, "nothing quarantined")
		if _, err := h.d.Desk().ReleaseQuarantine(ctx, held[0].ID, true, "Acme"); err != nil {
			t.Fatal(err)
		}
		h.runOnce()
		// What the loops, /healthz and /metrics ask between passes.
		if _, _, err := h.d.DB().NextAttemptAt(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.d.Desk().NextDue(ctx); err != nil {
			t.Fatal(err)
		}
		h.d.DB().View(ctx, func(tx *store.Tx) error {
			tx.NudgeSeq(store.NudgeProcess)
			tx.NextAlertFold()
			_, _, err := tx.OutboxStats(clock.Now())
			return err
		})
		// A database upgraded to 0004 compacts its older raw mail.
		h.d.DB().Update(ctx, func(tx *store.Tx) error { return tx.SetMeta("raw_compact_upto", []byte("3")) })
		clock.Advance(8 * 24 * time.Hour)
		if _, err := h.d.Maintain(ctx); err != nil {
			t.Fatal(err)
		}
		statements := stop()
		mustf(t, len(statements) >= 40, "only %d statements observed: the scenario did not run the pipeline", len(statements))
		checkQueryPlans(t, h.d.DB(), statements)
		if testing.Verbose() {
			for _, q := range statements {
				plan, _ := h.d.DB().QueryPlan(ctx, q)
				t.Logf("%s\n\t→ %s", oneLine(q), strings.Join(plan, " | "))
			}
		}
	})
}
