package classify

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"ticketd/ticket"
)

// Learning from engineers: every "#level Pn" an engineer sends is stored
// (by the daemon) as a Correction with the factors the classifier had
// assessed. WithCorrections turns agreeing corrections into rows in front
// of the level table; the base engine is never changed, so switching
// learning off, or vetoing one adjustment, is reversible at once.

// Correction is one engineer's verdict on a classification. Corrected ==
// Assessed records a confirmation (a ticket closed without correction);
// feeding those is optional but lets learning weigh corrections against
// the mails the table got right.
type Correction struct {
	Factors   Factors      `json:"factors"`
	Assessed  ticket.Level `json:"assessed"`
	Corrected ticket.Level `json:"corrected"`
	At        time.Time    `json:"at"`
}

// LearnOptions bound what learning may change.
type LearnOptions struct {
	// MinCorrections is how many observations a refinement must put right
	// (default 3; twice that to move a whole table row).
	MinCorrections int
	// MinShare is the share of all observations (corrections and
	// confirmations) behind a row that must agree (default 0.6).
	MinShare float64
	// Since ignores corrections made before it (zero: all).
	Since time.Time
	// Vetoed lists Adjustment.Key values an admin rejected.
	Vetoed []string
}

func (o LearnOptions) withDefaults() LearnOptions {
	if o.MinCorrections <= 0 {
		o.MinCorrections = 3
	}
	if o.MinShare <= 0 {
		o.MinShare = 0.6
	}
	return o
}

// Adjustment is one change learning made to the level table.
type Adjustment struct {
	// Key identifies the adjustment for a veto: "split:<row>:<conditions>"
	// for the factor values corrected mails of a row shared, "row:<name>"
	// for a whole row.
	Key string `json:"key"`
	// Row is the table row that decided before.
	Row          string       `json:"row"`
	From         ticket.Level `json:"from"`
	To           ticket.Level `json:"to"`
	Corrections  int          `json:"corrections"`  // corrections agreeing on To
	Observations int          `json:"observations"` // corrections and confirmations behind the row or combination
}

func (a Adjustment) String() string {
	return fmt.Sprintf("%s: %s → %s (%d of %d observations; was row %q)", a.Key, a.From, a.To, a.Corrections, a.Observations, a.Row)
}

// WithCorrections returns a new engine whose level table learned from cs,
// and the adjustments it made. Learning works inside each table row, on
// the observations that row decided, like a decision list: it repeatedly
// takes the refinement that puts the most observations right — the whole
// row moving to another level, or the factor values that corrected mails
// share getting a level of their own within the row — as long as it
// gains at least MinCorrections (twice that for a whole row) and MinShare
// of the observations it covers agree.
// Refinements stand just before the row they refine, the latest first,
// so a learned row never takes mails from an earlier row. e is not
// changed.
func (e *Engine) WithCorrections(cs []Correction, opt LearnOptions) (*Engine, []Adjustment) {
	opt = opt.withDefaults()
	perRow := make([][]Correction, len(e.rows))
	for _, c := range cs {
		if !c.Corrected.Valid() || (!opt.Since.IsZero() && c.At.Before(opt.Since)) || c.Factors.Valid() != nil {
			continue
		}
		i := decide(e.rows, &c.Factors)
		perRow[i] = append(perRow[i], c)
	}
	var rows []tableRow
	var adjs []Adjustment
	for i := range e.rows {
		refined, radjs := refineRow(e.rows[i], perRow[i], opt)
		rows = append(rows, refined...)
		adjs = append(adjs, radjs...)
	}
	out := *e
	out.rows = rows
	return &out, adjs
}

// agreed returns the corrected level most of obs agree on when it differs
// from base, how many agree, and whether that passes MinShare.
func agreed(obs []Correction, base ticket.Level, share float64) (ticket.Level, int, bool) {
	count := map[ticket.Level]int{}
	for _, c := range obs {
		count[c.Corrected]++
	}
	best, n := ticket.Level(""), 0
	for _, l := range ticket.Levels {
		if l != base && count[l] > n {
			best, n = l, count[l]
		}
	}
	return best, n, n > 0 && float64(n) >= share*float64(len(obs))
}

// refinement is a candidate learned row: extra conditions within a row.
type refinement struct {
	conds []condition
	key   string
}

// refineRow learns a decision list for one row from the observations it
// decided and returns the rows that replace it (refinements, then the
// row, perhaps moved) with the adjustments made.
func refineRow(base tableRow, obs []Correction, opt LearnOptions) ([]tableRow, []Adjustment) {
	if len(obs) < opt.MinCorrections {
		return []tableRow{base}, nil
	}
	cands := candidates(base, obs)
	var list []tableRow // learned rows, in table order
	var adjs []Adjustment
	predict := func(rows []tableRow, f *Factors) ticket.Level {
		for i := range rows {
			if rows[i].matches(f) {
				return rows[i].level
			}
		}
		return base.level
	}
	used := map[string]bool{}
	for {
		bestGain, best := 0, -1
		var bestRow tableRow
		var bestAdj Adjustment
		for ci, cd := range cands {
			if used[cd.key] {
				continue
			}
			probe := tableRow{conds: cd.conds}
			var group []Correction
			for _, c := range obs {
				if probe.matches(&c.Factors) {
					group = append(group, c)
				}
			}
			to, n, ok := agreed(group, predict(list, &obs[0].Factors), opt.MinShare)
			if len(cd.conds) == 0 {
				to, n, ok = agreed(group, base.level, opt.MinShare)
			}
			if !ok {
				continue
			}
			row := tableRow{level: to, learned: true, corrections: n, conds: append(slices.Clone(base.conds), cd.conds...)}
			trial := append([]tableRow{row}, list...)
			gain := 0
			for _, c := range obs {
				before, after := predict(list, &c.Factors) == c.Corrected, predict(trial, &c.Factors) == c.Corrected
				switch {
				case after && !before:
					gain++
				case before && !after:
					gain--
				}
			}
			min := opt.MinCorrections
			if len(cd.conds) == 0 {
				min *= 2
			}
			if gain < min || gain < bestGain || (gain == bestGain && best >= 0 && len(cd.conds) >= len(cands[best].conds)) {
				continue
			}
			kind := "split:" + base.name + ":" + cd.key
			if len(cd.conds) == 0 {
				kind = "row:" + base.name
			}
			adj := Adjustment{Key: kind, Row: base.name, From: base.level, To: to, Corrections: n, Observations: len(group)}
			if slices.Contains(opt.Vetoed, adj.Key) {
				continue
			}
			bestGain, best, bestRow, bestAdj = gain, ci, row, adj
		}
		if best < 0 {
			break
		}
		used[cands[best].key] = true
		if len(cands[best].conds) == 0 {
			// The whole row moves: it is the row itself, last.
			base.level, base.learned, base.corrections = bestRow.level, true, bestRow.corrections
		} else {
			bestRow.name = fmt.Sprintf("%s/learned-%d", base.name, len(list)+1)
			bestRow.why = fmt.Sprintf("engineers corrected %d of %d such mails of row %q to %s", bestAdj.Corrections, bestAdj.Observations, base.name, bestRow.level)
			list = append([]tableRow{bestRow}, list...)
		}
		adjs = append(adjs, bestAdj)
	}
	return append(list, base), adjs
}

// candidates lists the refinements the observations of a row support:
// the whole row, and for each corrected-to level the factor values shared
// by all its corrections, by each pair of them, and by each one alone —
// the least general rules that cover the evidence. Factors the row pins
// already are left out.
func candidates(base tableRow, obs []Correction) []refinement {
	var out []refinement
	seen := map[string]bool{}
	fixed := func(f int) bool {
		return slices.ContainsFunc(base.conds, func(c condition) bool { return c.factor == f && !c.negate && len(c.values) == 1 })
	}
	// shared returns the conditions every correction in set agrees on.
	shared := func(set []Correction) []condition {
		var conds []condition
		for f := range factorDefs {
			v := factorDefs[f].get(&set[0].Factors)
			if fixed(f) || slices.ContainsFunc(set, func(c Correction) bool { return factorDefs[f].get(&c.Factors) != v }) {
				continue
			}
			conds = append(conds, condition{factor: f, values: []string{v}})
		}
		return conds
	}
	add := func(conds []condition) {
		parts := make([]string, len(conds))
		for i, c := range conds {
			parts[i] = c.String()
		}
		key := strings.Join(parts, " ")
		if !seen[key] {
			seen[key] = true
			out = append(out, refinement{conds, key})
		}
	}
	add(nil)
	const maxPairs = 64 // corrections per level paired with each other
	for _, l := range ticket.Levels {
		var set []Correction
		for _, c := range obs {
			if c.Corrected == l && l != base.level {
				set = append(set, c)
			}
		}
		if len(set) == 0 {
			continue
		}
		if lgg := shared(set); len(lgg) > 0 {
			add(lgg)
		}
		for a := 0; a < len(set) && a < maxPairs; a++ {
			for b := a + 1; b < len(set) && b < maxPairs; b++ {
				if lgg := shared([]Correction{set[a], set[b]}); len(lgg) > 0 {
					add(lgg)
				}
			}
			add(shared(set[a : a+1]))
		}
	}
	return out
}

// Report summarises stored corrections for `ticketd classify
// --explain-corrections`: how often each factor value and each table row
// was corrected, in which direction, and what learning would change.
type Report struct {
	Corrections   int           `json:"corrections"`
	Confirmations int           `json:"confirmations"`
	ByFactor      []FactorCount `json:"by_factor"`
	ByRow         []RowCount    `json:"by_row"`
	Adjustments   []Adjustment  `json:"adjustments"`
}

// FactorCount is how often mails with one factor value were corrected.
type FactorCount struct {
	Factor       string `json:"factor"` // "state=stopped"
	Observations int    `json:"observations"`
	Raised       int    `json:"raised"`  // corrected to a more severe level
	Lowered      int    `json:"lowered"` // corrected to a less severe level
}

// RowCount is how often the mails one table row decided were corrected,
// and to which levels.
type RowCount struct {
	Row          string               `json:"row"`
	Level        ticket.Level         `json:"level"`
	Observations int                  `json:"observations"`
	CorrectedTo  map[ticket.Level]int `json:"corrected_to"`
}

// ExplainCorrections reports on cs against the engine's table, including
// the adjustments WithCorrections would make with default options.
func (e *Engine) ExplainCorrections(cs []Correction) Report {
	var r Report
	byFactor := map[string]*FactorCount{}
	byRow := map[int]*RowCount{}
	for _, c := range cs {
		if !c.Corrected.Valid() || c.Factors.Valid() != nil {
			continue
		}
		corrected := c.Corrected != c.Assessed
		if corrected {
			r.Corrections++
		} else {
			r.Confirmations++
		}
		for _, d := range factorDefs {
			k := d.name + "=" + d.get(&c.Factors)
			fc := byFactor[k]
			if fc == nil {
				fc = &FactorCount{Factor: k}
				byFactor[k] = fc
			}
			fc.Observations++
			switch {
			case corrected && c.Corrected.MoreSevere(c.Assessed):
				fc.Raised++
			case corrected:
				fc.Lowered++
			}
		}
		i := decide(e.rows, &c.Factors)
		rc := byRow[i]
		if rc == nil {
			rc = &RowCount{Row: e.rows[i].name, Level: e.rows[i].level, CorrectedTo: map[ticket.Level]int{}}
			byRow[i] = rc
		}
		rc.Observations++
		if c.Corrected != e.rows[i].level {
			rc.CorrectedTo[c.Corrected]++
		}
	}
	for _, fc := range byFactor {
		if fc.Raised+fc.Lowered > 0 {
			r.ByFactor = append(r.ByFactor, *fc)
		}
	}
	slices.SortFunc(r.ByFactor, func(a, b FactorCount) int {
		return cmp.Or(cmp.Compare(b.Raised+b.Lowered, a.Raised+a.Lowered), cmp.Compare(a.Factor, b.Factor))
	})
	for _, rc := range byRow {
		r.ByRow = append(r.ByRow, *rc)
	}
	slices.SortFunc(r.ByRow, func(a, b RowCount) int {
		return cmp.Or(cmp.Compare(b.Observations, a.Observations), cmp.Compare(a.Row, b.Row))
	})
	_, r.Adjustments = e.WithCorrections(cs, LearnOptions{})
	return r
}

// ExplainCorrections reports on cs against the built-in table.
func ExplainCorrections(cs []Correction) Report { return Default().ExplainCorrections(cs) }

// String renders the report for people.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d corrections, %d confirmations\n", r.Corrections, r.Confirmations)
	if len(r.ByFactor) > 0 {
		b.WriteString("\nfactors of corrected mails (raised / lowered of observations):\n")
		for _, f := range r.ByFactor {
			fmt.Fprintf(&b, "  %-28s %3d raised %3d lowered of %d\n", f.Factor, f.Raised, f.Lowered, f.Observations)
		}
	}
	if len(r.ByRow) > 0 {
		b.WriteString("\ntable rows (observations, corrected to):\n")
		for _, row := range r.ByRow {
			var to []string
			for _, l := range ticket.Levels {
				if n := row.CorrectedTo[l]; n > 0 {
					to = append(to, fmt.Sprintf("%s×%d", l, n))
				}
			}
			fmt.Fprintf(&b, "  %-28s %s  %3d  %s\n", row.Row, row.Level, row.Observations, strings.Join(to, " "))
		}
	}
	b.WriteString("\nlearning would adjust:\n")
	if len(r.Adjustments) == 0 {
		b.WriteString("  nothing (not enough agreeing corrections)\n")
	}
	for _, a := range r.Adjustments {
		fmt.Fprintf(&b, "  %s\n", a)
	}
	return b.String()
}
