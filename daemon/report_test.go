package daemon

import (
	"context"
	"testing"
	"time"

	"ticketd/desk"
	"ticketd/store"
	"ticketd/ticket"
)

// TestSLAReport_matchesHandCheckedFixture builds six tickets whose figures
// were worked out by hand and compares the report row by row.
func TestSLAReport_matchesHandCheckedFixture(t *testing.T) {
	clock := ticket.NewFakeClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	db, err := store.Open(context.Background(), t.TempDir()+"/r.db", clock)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := func(h, m int) *time.Time {
		v := time.Date(2026, 11, 23, h, m, 0, 0, time.UTC)
		return &v
	}
	fixture := []ticket.Ticket{
		// standard P1 (due 2h after start): met after 30m, met after 1h30m, breached (answered after 3h).
		{Plan: "standard", Level: ticket.P1, SLAStartedAt: at(6, 0), FirstResponseDue: at(8, 0), FirstResponseAt: at(6, 30)},
		{Plan: "standard", Level: ticket.P1, SLAStartedAt: at(7, 0), FirstResponseDue: at(9, 0), FirstResponseAt: at(8, 30)},
		{Plan: "standard", Level: ticket.P1, SLAStartedAt: at(8, 0), FirstResponseDue: at(10, 0), FirstResponseAt: at(11, 0)},
		// standard P1 unanswered, due 13:00, started 10:00: 2h of 3h gone (67 %) — not yet at risk.
		{Plan: "standard", Level: ticket.P1, SLAStartedAt: at(10, 0), FirstResponseDue: at(13, 0)},
		// premium P0 unanswered, started 11:00, due 12:30: 60 of 90 minutes (67 %)… and one at 80 %.
		{Plan: "premium", Level: ticket.P0, SLAStartedAt: at(11, 0), FirstResponseDue: at(12, 30)},
		{Plan: "premium", Level: ticket.P0, SLAStartedAt: at(11, 12), FirstResponseDue: at(12, 12)},
		// premium P0 unanswered and past due: a breach.
		{Plan: "premium", Level: ticket.P0, SLAStartedAt: at(9, 0), FirstResponseDue: at(9, 30)},
	}
	err = db.Update(context.Background(), func(tx *store.Tx) error {
		for i := range fixture {
			tk := fixture[i]
			tk.Subject, tk.Requester = "fixture", "a@b.example"
			if err := tx.CreateTicket(&tk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := desk.SLAReport(context.Background(), db, clock.Now().Add(-24*time.Hour), clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	mustf(t, len(rows) == 2, "want 2 rows, got %+v", rows)
	p0, p1 := rows[0], rows[1]
	mustf(t, p0.Plan == "premium" && p0.Level == ticket.P0, "row order: %+v", rows)
	// premium P0: 3 tickets, none answered, 1 breach, 1 at risk (80 % ≥ 75 %), met 0 of 1 judged.
	mustf(t, p0.Tickets == 3 && p0.Answered == 0 && p0.Breaches == 1 && p0.AtRisk == 1 && *p0.MetPercent == 0 && p0.MedianFirstReplyS == nil,
		"premium P0 row: %+v", p0)
	// standard P1: 4 tickets, 3 answered (30m, 1h30m, 3h), 2 met, 1 breach, median 1h30m, p90 3h, met 66.7 %.
	mustf(t, p1.Tickets == 4 && p1.Answered == 3 && p1.Met == 2 && p1.Breaches == 1 && p1.AtRisk == 0, "standard P1 row: %+v", p1)
	mustf(t, p1.MedianFirstReply == 90*time.Minute && p1.P90FirstReply == 3*time.Hour, "standard P1 times: median %v p90 %v", p1.MedianFirstReply, p1.P90FirstReply)
	mustf(t, int(*p1.MetPercent*10) == 666, "standard P1 met %% = %v", *p1.MetPercent)
}
