package classify

import (
	"fmt"
	"slices"
	"strings"

	"ticketd/ticket"
)

// The level table maps factors to a level. Rows are tried in order; the
// first whose conditions all hold decides. It is data (the [[level]] rows
// of rules.toml), so an admin can read and override it; learning from
// corrections (learn.go) adds rows in front.

// condition is what a row requires of one factor: one of values, or
// (negate) none of them.
type condition struct {
	factor int // index into factorDefs
	values []string
	negate bool
}

func (c condition) holds(f *Factors) bool {
	return slices.Contains(c.values, factorDefs[c.factor].get(f)) != c.negate
}

func (c condition) String() string {
	op := "="
	if c.negate {
		op = "!="
	}
	return factorDefs[c.factor].name + op + strings.Join(c.values, "|")
}

// tableRow is one compiled [[level]] row.
type tableRow struct {
	name  string
	level ticket.Level
	why   string
	conds []condition
	// learned rows come from engineers' corrections; corrections is how
	// many supported the row.
	learned     bool
	corrections int
}

func (r *tableRow) matches(f *Factors) bool {
	for _, c := range r.conds {
		if !c.holds(f) {
			return false
		}
	}
	return true
}

// when renders the conditions, "any" for none.
func (r *tableRow) when() string {
	if len(r.conds) == 0 {
		return "any"
	}
	parts := make([]string, len(r.conds))
	for i, c := range r.conds {
		parts[i] = c.String()
	}
	return strings.Join(parts, " ")
}

// decide returns the index of the first row that matches f. The loader
// guarantees a last row without conditions.
func decide(rows []tableRow, f *Factors) int {
	for i := range rows {
		if rows[i].matches(f) {
			return i
		}
	}
	return len(rows) - 1
}

// TableRow is a read-only view of one row of the level table, for
// `ticketd classify --table` and the documentation.
type TableRow struct {
	Name        string       `json:"name"`
	Level       ticket.Level `json:"level"`
	When        string       `json:"when"` // "state=stopped scope=everyone|unknown environment!=non-production", or "any"
	Why         string       `json:"why,omitempty"`
	Learned     bool         `json:"learned,omitempty"`
	Corrections int          `json:"corrections,omitempty"`
}

// Table returns the engine's level table in the order rows are tried.
func (e *Engine) Table() []TableRow {
	out := make([]TableRow, len(e.rows))
	for i := range e.rows {
		r := &e.rows[i]
		out[i] = TableRow{Name: r.name, Level: r.level, When: r.when(), Why: r.why, Learned: r.learned, Corrections: r.corrections}
	}
	return out
}

// compileRow checks one [[level]] row as decoded from TOML: name, level,
// why and factor conditions (a value or a list; a leading "!" negates).
func compileRow(raw map[string]any) (tableRow, error) {
	var r tableRow
	str := func(key string) (string, error) {
		v, ok := raw[key]
		if !ok {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("key %q: want a string", key)
		}
		return strings.TrimSpace(s), nil
	}
	var err error
	if r.name, err = str("name"); err != nil {
		return r, err
	}
	if r.name == "" {
		return r, fmt.Errorf(`key "name": missing`)
	}
	lv, err := str("level")
	if err != nil {
		return r, err
	}
	if r.level, err = ticket.ParseLevel(lv); err != nil {
		return r, fmt.Errorf(`key "level": %w`, err)
	}
	if r.why, err = str("why"); err != nil {
		return r, err
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch k {
		case "name", "level", "why":
			continue
		}
		idx := slices.IndexFunc(factorDefs, func(d factorDef) bool { return d.name == k })
		if idx < 0 {
			names := make([]string, len(factorDefs))
			for i, d := range factorDefs {
				names[i] = d.name
			}
			return r, fmt.Errorf("key %q: not a factor (want name, level, why or one of %s)", k, strings.Join(names, ", "))
		}
		var vals []string
		switch v := raw[k].(type) {
		case string:
			vals = []string{v}
		case []any:
			for _, x := range v {
				s, ok := x.(string)
				if !ok {
					return r, fmt.Errorf("key %q: want strings", k)
				}
				vals = append(vals, s)
			}
		default:
			return r, fmt.Errorf("key %q: want a value or a list of values", k)
		}
		c := condition{factor: idx}
		for i, v := range vals {
			v = strings.TrimSpace(v)
			neg := strings.HasPrefix(v, "!")
			if i == 0 {
				c.negate = neg
			} else if neg != c.negate {
				return r, fmt.Errorf("key %q: negate all values with ! or none", k)
			}
			v = strings.TrimPrefix(v, "!")
			if !slices.Contains(factorDefs[idx].values, v) {
				return r, fmt.Errorf("key %q: %q is not one of %s", k, v, strings.Join(factorDefs[idx].values, ", "))
			}
			c.values = append(c.values, v)
		}
		if len(c.values) == 0 {
			return r, fmt.Errorf("key %q: empty list", k)
		}
		r.conds = append(r.conds, c)
	}
	return r, nil
}
