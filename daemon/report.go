package daemon

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
func SLAReport(ctx context.Context, db *store.DB, since, now time.Time) ([]SLARow, error) {
	var ts []*store.Ticket
	if err := db.View(ctx, func(tx *store.Tx) (err error) { ts, err = tx.Tickets(store.TicketFilter{Since: since}); return err }); err != nil {
		return nil, err
	}
	type key struct {
		plan  string
		level ticket.Level
	}
	rows := map[key]*SLARow{}
	waits := map[key][]time.Duration{}
	for _, t := range ts {
		k := key{t.Plan, t.Level}
		if k.plan == "" {
			k.plan = "-"
		}
		r := rows[k]
		if r == nil {
			r = &SLARow{Plan: k.plan, Level: k.level}
			rows[k] = r
		}
		r.Tickets++
		start := t.CreatedAt
		if t.SLAStartedAt != nil {
			start = *t.SLAStartedAt
		}
		if t.FirstResponseAt != nil {
			r.Answered++
			waits[k] = append(waits[k], t.FirstResponseAt.Sub(start))
		}
		switch {
		case t.FirstResponseDue == nil:
			r.NoTarget++
		case t.FirstResponseAt != nil && !t.FirstResponseAt.After(*t.FirstResponseDue):
			r.Met++
		case t.Breached(now):
			r.Breaches++
		case t.FirstResponseAt == nil && t.Status != ticket.StatusClosed:
			span := t.FirstResponseDue.Sub(start)
			if now.Sub(start) >= span*3/4 {
				r.AtRisk++
			}
		}
	}
	out := make([]SLARow, 0, len(rows))
	for k, r := range rows {
		if judged := r.Met + r.Breaches; judged > 0 {
			p := 100 * float64(r.Met) / float64(judged)
			r.MetPercent = &p
		}
		if w := waits[k]; len(w) > 0 {
			sort.Slice(w, func(i, j int) bool { return w[i] < w[j] })
			r.MedianFirstReply, r.P90FirstReply = percentile(w, 50), percentile(w, 90)
			med, p90 := r.MedianFirstReply.Seconds(), r.P90FirstReply.Seconds()
			r.MedianFirstReplyS, r.P90FirstReplyS = &med, &p90
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Plan != out[j].Plan {
			return out[i].Plan < out[j].Plan
		}
		return out[i].Level < out[j].Level
	})
	return out, nil
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}
