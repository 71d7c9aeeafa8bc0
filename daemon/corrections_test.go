package daemon

import (
	"context"
	"fmt"
	"testing"
	"time"

	"ticketd/store"
	"ticketd/ticket"
)

// Engineers' "#level" corrections are stored with the factors the
// classifier assessed, closing an uncorrected ticket confirms it, and with
// [classify] learn the table adjusts (issue 12).
func TestCorrections_storedWithFactorsAndLearnedFrom(t *testing.T) {
	clock := ticket.NewFakeClock(zurich(t, "2026-11-23 09:00"))
	h := newHarness(t, withClock(clock))
	const body = "The CSV export writes the date column in the wrong format, so our import has to be fixed by hand every morning."
	assessed := func(n int) ticket.Level {
		clock.Advance(6 * time.Minute) // past the alert fold window: every new ticket alerts
		h.deliver(uint32(100+n), customerMail(fmt.Sprintf("csv-%d@acme.example", n), "Acme Ops <ops@acme.example>",
			fmt.Sprintf("CSV export date format (%d)", n), body))
		h.runOnce()
		ts := h.tickets()
		return ts[0].Level // newest first
	}
	first := assessed(0)
	corrected := ticket.P1
	if first == ticket.P1 {
		corrected = ticket.P2
	}
	// The engineer corrects five such tickets; a sixth is closed as it was.
	for n := 0; n < 6; n++ {
		if n > 0 {
			mustf(t, assessed(n) == first, "the same mail was assessed %s, then %s", first, h.tickets()[0].Level)
		}
		tk := h.tickets()[0]
		alert := h.sentTo("team@example.com")
		if first == ticket.P0 || first == ticket.P1 {
			alert = h.sentTo("oncall@example.com")
		}
		a := alert[len(alert)-1]
		cmd := fmt.Sprintf("#level %s\n#note the whole team re-imports by hand", corrected)
		if n == 5 {
			cmd = "#close"
		}
		clock.Advance(time.Minute)
		h.deliver(uint32(200+n), engineerReply("Erin Novak <erin@example.com>", a.Header.Get("Reply-To"), a.Header.Get("Message-Id"), "x", cmd))
		h.runOnce()
		got := h.ticket(tk.Number)
		if n < 5 {
			mustf(t, got.Level == corrected, "#level %s left ticket %d at %s", corrected, tk.Number, got.Level)
		} else {
			mustf(t, got.Status == ticket.StatusClosed, "#close did not close ticket %d", tk.Number)
		}
	}
	var rows []store.LevelCorrection
	h.d.DB().View(context.Background(), func(tx *store.Tx) (err error) { rows, err = tx.LevelCorrections(time.Time{}); return err })
	mustf(t, len(rows) == 6, "want 5 corrections and 1 confirmation stored, got %d", len(rows))
	for i, r := range rows {
		mustf(t, r.Factors != "" && r.Assessed == first && r.Actor == "erin@example.com", "row %d: %+v", i, r)
		if i < 5 {
			mustf(t, r.Corrected == corrected, "row %d corrected to %s", i, r.Corrected)
		} else {
			mustf(t, r.Corrected == first, "the close did not record a confirmation: %+v", r)
		}
	}

	// Learning off: the next such mail is assessed as before. On: as the
	// engineers corrected it, and the change is visible.
	mustf(t, assessed(7) == first, "without learning the assessment changed")
	h.cfg.Classify.Learn = true
	if err := h.d.ReloadClassifier(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, adjs, err := Classifier(context.Background(), h.cfg, h.d.DB())
	mustf(t, err == nil && len(adjs) > 0, "learning made no adjustment (%v)", err)
	mustf(t, assessed(8) == corrected, "with learning the mail is still %s, want %s (adjustments %v)", h.tickets()[0].Level, corrected, adjs)
	// Vetoing the adjustment reverts it.
	for _, a := range adjs {
		h.cfg.Classify.LearnVetoed = append(h.cfg.Classify.LearnVetoed, a.Key)
	}
	h.d.ReloadClassifier(context.Background())
	mustf(t, assessed(9) == first, "vetoed adjustments still apply")
}
