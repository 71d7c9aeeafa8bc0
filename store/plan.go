package store

import (
	"context"
	"encoding/json"
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
// bound to NULL. On PostgreSQL it is EXPLAIN's generic plan (the one a
// prepared statement gets whatever its parameters), a line per node.
func (d *DB) QueryPlan(ctx context.Context, query string) ([]string, error) {
	if d.postgres() {
		return d.pgPlan(ctx, query, "TEXT", false)
	}
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

var dollarParam = regexp.MustCompile(`\$(\d+)`)

// pgPlan explains query's generic plan (the one a prepared statement
// gets whatever its parameters) on a connection of its own, in format
// ("TEXT" or "JSON"); with noSeqScan, sequential scans are priced out.
func (d *DB) pgPlan(ctx context.Context, query, format string, noSeqScan bool) ([]string, error) {
	q := rebind(query)
	n := 0
	for _, m := range dollarParam.FindAllStringSubmatch(q, -1) {
		k, _ := strconv.Atoi(m[1])
		n = max(n, k)
	}
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	setup := []string{`SET plan_cache_mode = force_generic_plan`, `PREPARE ticketd_plan AS ` + q}
	if noSeqScan {
		setup = append(setup, `SET enable_seqscan = off`)
	}
	// The connection goes back to the pool as it was.
	defer func() {
		for _, s := range []string{`RESET plan_cache_mode`, `RESET enable_seqscan`, `DEALLOCATE ticketd_plan`} {
			conn.ExecContext(context.WithoutCancel(ctx), s)
		}
	}()
	for _, s := range setup {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return nil, fmt.Errorf("explain %q: %w", query, err)
		}
	}
	explain := `EXPLAIN (FORMAT ` + format + `) EXECUTE ticketd_plan`
	if n > 0 {
		explain += `(` + strings.TrimSuffix(strings.Repeat("NULL, ", n), ", ") + `)`
	}
	rows, err := conn.QueryContext(ctx, explain)
	if err != nil {
		return nil, fmt.Errorf("explain %q: %w", query, err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		steps = append(steps, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "->")))
	}
	return steps, rows.Err()
}

// pgNode is a node of PostgreSQL's EXPLAIN (FORMAT JSON).
type pgNode struct {
	NodeType  string   `json:"Node Type"`
	Relation  string   `json:"Relation Name"`
	Index     string   `json:"Index Name"`
	IndexCond string   `json:"Index Cond"`
	Plans     []pgNode `json:"Plans"`
}

// pgFullScans returns the scans in query's generic plan that read a
// growing table whole: a sequential scan that remains with sequential
// scans priced out (no index can serve the statement), or an index scan
// without an index condition over an index of every row. (With the few
// rows of a test database the planner would scan every table; its cost
// estimate is no test of the schema.)
func (d *DB) pgFullScans(ctx context.Context, query string) ([]string, error) {
	out, err := d.pgPlan(ctx, query, "JSON", true)
	if err != nil {
		return nil, err
	}
	var plans []struct {
		Plan pgNode `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(strings.Join(out, "\n")), &plans); err != nil {
		return nil, fmt.Errorf("explain %q: %w", query, err)
	}
	indexes := map[string]string{} // index → table
	partial := map[string]bool{}
	rows, err := d.db.QueryContext(ctx, `SELECT indexname, tablename, indexdef LIKE '% WHERE %' FROM pg_indexes WHERE schemaname = current_schema()`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var index, table string
		var isPartial bool
		if err := rows.Scan(&index, &table, &isPartial); err != nil {
			rows.Close()
			return nil, err
		}
		indexes[index], partial[index] = table, isPartial
	}
	rows.Close()
	var scans []string
	var walk func(n pgNode)
	walk = func(n pgNode) {
		table := n.Relation
		if table == "" {
			table = indexes[n.Index]
		}
		if slices.Contains(GrowingTables, table) {
			switch {
			case n.NodeType == "Seq Scan":
				scans = append(scans, "Seq Scan on "+table)
			case n.Index != "" && n.IndexCond == "" && !partial[n.Index]:
				scans = append(scans, n.NodeType+" using "+n.Index+" on "+table+" (no index condition)")
			}
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	for _, p := range plans {
		walk(p.Plan)
	}
	return scans, nil
}

var (
	numberedParam   = regexp.MustCompile(`\?(\d+)`)
	scanStep        = regexp.MustCompile(`^SCAN (\w+)(?: USING (?:COVERING )?INDEX (\w+))?`)
	insertReturning = regexp.MustCompile(`(?is)^(\s*INSERT\b.*)\sRETURNING\s+[\w\s,]+$`)
	tableName       = regexp.MustCompile(`(?i)\b(?:FROM|JOIN|UPDATE|INTO)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?`)
)

// FullScans returns the steps of query's plan that read a growing table
// whole: a SCAN of the table, or of an index over all its rows. A scan of
// a partial index (the unprocessed mail, the pending outbox) reads only
// the rows its condition admits and is not reported.
//
// On PostgreSQL it reports a sequential scan of a growing table that
// remains with sequential scans priced out, and an index scan without an
// index condition over a whole growing table (pgFullScans).
func (d *DB) FullScans(ctx context.Context, query string) ([]string, error) {
	if d.postgres() {
		return d.pgFullScans(ctx, query)
	}
	if insertReturning.MatchString(query) {
		// SQLite lists, for an INSERT with RETURNING, the lookups its
		// foreign-key code would make in the tables that reference the
		// new row; at run time they are skipped (no deferred violation
		// is pending; measured: 36 µs an insert beside a 300,000-row
		// child table whose scan takes 24 ms). RETURNING reads nothing
		// else, so the plan is taken without it.
		query = insertReturning.ReplaceAllString(query, "$1")
	}
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
