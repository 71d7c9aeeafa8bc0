package store

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// GrowingTables grow with mail and tickets, without bound: a statement
// that reads one of them whole gets slower every day. The directory
// (customers, contacts), checkpoints, folds, nudges and meta stay small.
var GrowingTables = []string{"raw_messages", "raw_chunks", "messages", "attachments", "tickets", "outbox",
	"quarantine", "auto_replies", "reminders", "events"}

// QueryPlan returns SQLite's EXPLAIN QUERY PLAN of query, one step a line
// ("SEARCH t USING INDEX tickets_number (number=?)"), its parameters
// bound to NULL.
func (d *DB) QueryPlan(ctx context.Context, query string) ([]string, error) {
	n := strings.Count(query, "?")
	if m := numberedParam.FindAllStringSubmatch(query, -1); m != nil {
		n = 0
		for _, p := range m {
			k, _ := strconv.Atoi(p[1])
			n = max(n, k)
		}
	}
	args := make([]any, n)
	rows, err := d.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		return nil, fmt.Errorf("explain %q: %w", query, err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			return nil, err
		}
		steps = append(steps, detail)
	}
	return steps, rows.Err()
}

var (
	numberedParam = regexp.MustCompile(`\?(\d+)`)
	scanStep      = regexp.MustCompile(`^SCAN (\w+)(?: USING (?:COVERING )?INDEX (\w+))?`)
	tableName     = regexp.MustCompile(`(?i)\b(?:FROM|JOIN|UPDATE|INTO)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?`)
)

// FullScans returns the steps of query's plan that read a growing table
// whole: a SCAN of the table, or of an index over all its rows. A scan of
// a partial index (the unprocessed mail, the pending outbox) reads only
// the rows its condition admits and is not reported.
func (d *DB) FullScans(ctx context.Context, query string) ([]string, error) {
	plan, err := d.QueryPlan(ctx, query)
	if err != nil {
		return nil, err
	}
	partial := map[string]bool{}
	rows, err := d.db.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'index' AND sql LIKE '% WHERE %'`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, err
		}
		partial[name] = true
	}
	rows.Close()
	alias := map[string]string{}
	for _, m := range tableName.FindAllStringSubmatch(query, -1) {
		alias[m[1]] = m[1]
		if m[2] != "" && !sqlKeyword[strings.ToUpper(m[2])] {
			alias[m[2]] = m[1]
		}
	}
	var out []string
	for _, step := range plan {
		m := scanStep.FindStringSubmatch(step)
		if m == nil {
			continue
		}
		table := alias[m[1]]
		if table == "" {
			table = m[1]
		}
		if !slices.Contains(GrowingTables, table) || partial[m[2]] {
			continue
		}
		out = append(out, step)
	}
	return out, nil
}

var sqlKeyword = map[string]bool{"WHERE": true, "LEFT": true, "JOIN": true, "ON": true, "ORDER": true, "GROUP": true, "LIMIT": true,
	"INNER": true, "SET": true, "VALUES": true, "SELECT": true, "AND": true, "OR": true, "USING": true, "INDEXED": true, "NOT": true,
	"DEFAULT": true, "WINDOW": true, "HAVING": true, "UNION": true, "CROSS": true, "NATURAL": true, "OUTER": true, "EXCEPT": true}
