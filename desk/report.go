package desk

import (
	"context"
	"sort"
	"time"

	"ticketd/store"
	"ticketd/ticket"
)

// SLARow is one plan and level in the SLA report.
type SLARow struct {
	Plan              string        `json:"plan"`
	Level             ticket.Level  `json:"level"`
	Tickets           int           `json:"tickets"`
	Answered          int           `json:"answered"`
	Met               int           `json:"met"`
	MetPercent        *float64      `json:"met_percent"`
	MedianFirstReply  time.Duration `json:"-"`
	P90FirstReply     time.Duration `json:"-"`
	MedianFirstReplyS *float64      `json:"median_first_response_seconds"`
	P90FirstReplyS    *float64      `json:"p90_first_response_seconds"`
	Breaches          int           `json:"breaches"`
	AtRisk            int           `json:"at_risk"`
	NoTarget          int           `json:"no_target"`
}

// SLAReport computes first-response performance per plan and level for
// tickets created since since, as of now. A ticket counts as met when its
// first response came at or before its due time; as breached when it came
// later or has not come and the due time passed. At risk: unanswered, not
// yet due, with at least 75 % of the time to its due time gone. Times to
// first response are wall-clock, from the SLA start to the first reply.
// SQLite does the counting (store.SLAStats): only a row per plan and level
// leaves the database, so the report costs one indexed pass over the
// window at any database size.
func SLAReport(ctx context.Context, db *store.DB, since, now time.Time) ([]SLARow, error) {
	var stats []store.SLAStat
	if err := db.View(ctx, func(tx *store.Tx) (err error) {
		stats, err = tx.SLAStats(since, now, atRiskPercent, [2]int{50, 90})
		return err
	}); err != nil {
		return nil, err
	}
	out := make([]SLARow, 0, len(stats))
	for _, s := range stats {
		r := SLARow{Plan: s.Plan, Level: ticket.Level(s.Level), Tickets: s.Tickets, Answered: s.Answered, Met: s.Met,
			Breaches: s.Breaches, AtRisk: s.AtRisk, NoTarget: s.NoTarget}
		if r.Plan == "" {
			r.Plan = "-"
		}
		if judged := r.Met + r.Breaches; judged > 0 {
			p := 100 * float64(r.Met) / float64(judged)
			r.MetPercent = &p
		}
		if med, ok := s.Waits[50]; ok {
			r.MedianFirstReply, r.P90FirstReply = med, s.Waits[90]
			m, p90 := r.MedianFirstReply.Seconds(), r.P90FirstReply.Seconds()
			r.MedianFirstReplyS, r.P90FirstReplyS = &m, &p90
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Plan != out[j].Plan {
			return out[i].Plan < out[j].Plan
		}
		return out[i].Level < out[j].Level
	})
	return out, nil
}

// atRiskPercent: an unanswered ticket is at risk once this share of the
// time from its SLA start to its due time is gone.
const atRiskPercent = 75
