package store

import (
	"fmt"
	"strings"
	"time"
)

// SLAStat is first-response performance of the tickets of one plan and
// level created in a window, counted by SQLite (SLAStats).
type SLAStat struct {
	Plan     string // "" when the ticket has none
	Level    string
	Tickets  int
	Answered int
	Met      int // answered at or before the due time
	Breaches int // answered late, or unanswered and past due
	AtRisk   int // unanswered, open, not yet due, with AtRiskPercent of the time gone
	NoTarget int
	// Percentiles of the wall-clock time from SLA start to first
	// response, nearest rank, for the percentiles asked for; empty
	// when nothing was answered.
	Waits map[int]time.Duration
}

// nsOf is the SQL for a stored instant (TimeFormat) in Unix nanoseconds,
// exact: whole seconds from the date and time, nanoseconds from the
// fixed-width fraction. SQLite and PostgreSQL name the seconds
// differently; it is the report's one dialect difference.
func nsOf(postgres bool, col string) string {
	secs := `unixepoch(substr({}, 1, 19))`
	if postgres {
		secs = `CAST(EXTRACT(EPOCH FROM CAST(substr({}, 1, 19) AS TIMESTAMP)) AS BIGINT)`
	}
	return strings.ReplaceAll(`(`+secs+` * 1000000000 + CAST(substr({}, 21, 9) AS BIGINT))`, "{}", col)
}

func slaCountsQuery(postgres bool) string {
	ns := func(col string) string { return nsOf(postgres, col) }
	return `SELECT COALESCE(plan, ''), COALESCE(level, ''), COUNT(*), COUNT(first_response_at),
	COUNT(*) FILTER (WHERE first_response_due IS NOT NULL AND first_response_at IS NOT NULL AND first_response_at <= first_response_due),
	COUNT(*) FILTER (WHERE first_response_due IS NOT NULL AND (first_response_at > first_response_due OR (first_response_at IS NULL AND ?2 >= first_response_due))),
	COUNT(*) FILTER (WHERE first_response_due IS NOT NULL AND first_response_at IS NULL AND ?2 < first_response_due AND status <> 'closed'
		AND ` + ns("?2") + ` - ` + ns("COALESCE(sla_started_at, created_at)") + ` >=
			((` + ns("first_response_due") + ` - ` + ns("COALESCE(sla_started_at, created_at)") + `) * ?3) / 100),
	COUNT(*) FILTER (WHERE first_response_due IS NULL)
	FROM tickets WHERE created_at >= ?1 GROUP BY 1, 2 ORDER BY 1, 2`
}

// slaWaitsQuery picks the nearest-rank percentiles ?2 and ?3 of each
// group's waits: rank max(1, ceil(p*n/100)), written as a CASE because
// the scalar max is SQLite's (GREATEST PostgreSQL's).
func slaWaitsQuery(postgres bool) string {
	rank := func(p string) string {
		return `CASE WHEN (` + p + ` * n + 99) / 100 > 1 THEN (` + p + ` * n + 99) / 100 ELSE 1 END`
	}
	return `SELECT plan, level, rn, n, wait FROM (
	SELECT plan, level, wait, ROW_NUMBER() OVER (PARTITION BY plan, level ORDER BY wait) AS rn, COUNT(*) OVER (PARTITION BY plan, level) AS n
	FROM (SELECT COALESCE(plan, '') AS plan, COALESCE(level, '') AS level,
		` + nsOf(postgres, "first_response_at") + ` - ` + nsOf(postgres, "COALESCE(sla_started_at, created_at)") + ` AS wait
		FROM tickets WHERE created_at >= ?1 AND first_response_at IS NOT NULL) AS answered) AS ranked
	WHERE rn = ` + rank("?2") + ` OR rn = ` + rank("?3")
}

var slaQueries = map[bool][2]string{
	false: {slaCountsQuery(false), slaWaitsQuery(false)},
	true:  {slaCountsQuery(true), slaWaitsQuery(true)},
}

// SLAStats aggregates first-response performance per plan and level over
// the tickets created at or after since, judged as of now, in SQL: only
// the per-group figures leave SQLite, so the cost is one pass over the
// window (indexed by created_at) however many tickets it holds.
// atRiskPercent is the share of the time to the due time after which an
// unanswered ticket is at risk; two percentiles of the wait are computed.
func (tx *Tx) SLAStats(since, now time.Time, atRiskPercent int, percentiles [2]int) ([]SLAStat, error) {
	sinceS, nowS := since.UTC().Format(TimeFormat), now.UTC().Format(TimeFormat)
	queries := slaQueries[tx.db.postgres()]
	rows, err := tx.query(queries[0], sinceS, nowS, atRiskPercent)
	if err != nil {
		return nil, fmt.Errorf("sla report: %w", err)
	}
	var out []SLAStat
	index := map[[2]string]int{}
	for rows.Next() {
		var s SLAStat
		if err := rows.Scan(&s.Plan, &s.Level, &s.Tickets, &s.Answered, &s.Met, &s.Breaches, &s.AtRisk, &s.NoTarget); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sla report: %w", err)
		}
		index[[2]string{s.Plan, s.Level}] = len(out)
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sla report: %w", err)
	}
	rows, err = tx.query(queries[1], sinceS, percentiles[0], percentiles[1])
	if err != nil {
		return nil, fmt.Errorf("sla report waits: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var plan, level string
		var rn, n int
		var wait int64
		if err := rows.Scan(&plan, &level, &rn, &n, &wait); err != nil {
			return nil, fmt.Errorf("sla report waits: %w", err)
		}
		i, ok := index[[2]string{plan, level}]
		if !ok {
			continue
		}
		for _, p := range percentiles {
			if rn == max(1, (p*n+99)/100) {
				if out[i].Waits == nil {
					out[i].Waits = map[int]time.Duration{}
				}
				out[i].Waits[p] = time.Duration(wait)
			}
		}
	}
	return out, rows.Err()
}
