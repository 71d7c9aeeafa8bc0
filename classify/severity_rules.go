package classify

import (
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"ticketd/ticket"
)

// builtinRules is the documented default rule set; see rules.toml for the
// format.
//
//go:embed rules.toml
var builtinRules []byte

// ruleFile is the TOML shape of a rules file.
type ruleFile struct {
	Negation struct {
		Window *int     `toml:"window"`
		Cues   []string `toml:"cues"`
	} `toml:"negation"`
	Explicit struct {
		Lines    int               `toml:"lines"`
		Priority []string          `toml:"priority"`
		Severity []string          `toml:"severity"`
		Filler   []string          `toml:"filler"`
		Words    map[string]string `toml:"words"`
	} `toml:"explicit"`
	Terms map[string][]string `toml:"terms"`
	Rules []ruleSpec          `toml:"rule"`
}

// ruleSpec is one [[rule]] as written.
type ruleSpec struct {
	Name           string     `toml:"name"`
	Level          string     `toml:"level"`
	Cap            string     `toml:"cap"`
	Scope          string     `toml:"scope"`
	Unless         []string   `toml:"unless"`
	Phrases        []string   `toml:"phrases"`
	Together       [][]string `toml:"together"`
	Weak           bool       `toml:"weak"`
	Uncapped       bool       `toml:"uncapped"`
	NotNegatable   bool       `toml:"not_negatable"`
	StatementsOnly bool       `toml:"statements_only"`
	Overrides      []string   `toml:"overrides"`
	Note           string     `toml:"note"`
}

// rule is a compiled [[rule]].
type rule struct {
	name           string
	index          int          // position in the file, for stable ordering
	level          ticket.Level // "" for caps and notes
	cap            ticket.Level // "" unless a cap
	sentenceScope  bool
	unless         []*pattern
	phrases        []*pattern
	together       [][]*pattern
	weak           bool
	uncapped       bool
	notNegatable   bool
	statementsOnly bool
	overrides      []string
	note           string
}

// explicitSpec is the compiled [explicit] section.
type explicitSpec struct {
	lines    int
	priority []patWord
	severity []patWord
	filler   []patWord
	words    []explicitWord
}

type explicitWord struct {
	word  patWord
	level ticket.Level
}

// maxGap bounds ~N in patterns; larger gaps would reach across clauses.
const maxGap = 12

// LoadRules compiles a rules file (the format is documented in the built-in
// rules.toml). Errors name the rule and the field at fault.
func LoadRules(data []byte) (*Engine, error) {
	var f ruleFile
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		return nil, fmt.Errorf("severity rules: %w", err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		keys := make([]string, len(undecoded))
		for i, k := range undecoded {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("severity rules: unknown field(s) %s", strings.Join(keys, ", "))
	}
	e := &Engine{window: 3}
	if f.Negation.Window != nil {
		if *f.Negation.Window < 0 || *f.Negation.Window > maxGap {
			return nil, fmt.Errorf("severity rules: [negation] window: %d is outside 0..%d", *f.Negation.Window, maxGap)
		}
		e.window = *f.Negation.Window
	}
	for i, c := range f.Negation.Cues {
		w, err := compileSingleWord(c)
		if err != nil {
			return nil, fmt.Errorf("severity rules: [negation] cues[%d]: %w", i, err)
		}
		e.negationCues = append(e.negationCues, w)
	}
	if e.explicit, err = compileExplicit(f); err != nil {
		return nil, fmt.Errorf("severity rules: [explicit] %w", err)
	}

	terms := make(map[string][]*pattern, len(f.Terms))
	for name, list := range f.Terms {
		for i, src := range list {
			if strings.HasPrefix(strings.TrimSpace(src), "@") {
				return nil, fmt.Errorf("severity rules: [terms] %s[%d]: a term list cannot name another (%q)", name, i, src)
			}
			p, err := compilePattern(src)
			if err != nil {
				return nil, fmt.Errorf("severity rules: [terms] %s[%d]: %w", name, i, err)
			}
			terms[name] = append(terms[name], p)
		}
	}

	names := make(map[string]bool, len(f.Rules))
	for i, spec := range f.Rules {
		r, err := compileRule(i, spec, terms)
		if err != nil {
			label := fmt.Sprintf("rule #%d", i+1)
			if spec.Name != "" {
				label = fmt.Sprintf("rule %q", spec.Name)
			}
			return nil, fmt.Errorf("severity rules: %s: %w", label, err)
		}
		if names[r.name] {
			return nil, fmt.Errorf("severity rules: rule %q: field \"name\": used by an earlier rule too", r.name)
		}
		names[r.name] = true
		e.rules = append(e.rules, r)
	}
	for _, r := range e.rules {
		for _, o := range r.overrides {
			if !names[o] {
				return nil, fmt.Errorf("severity rules: rule %q: field \"overrides\": no rule named %q", r.name, o)
			}
		}
	}
	if len(e.rules) == 0 {
		return nil, errors.New("severity rules: no [[rule]] defined")
	}
	return e, nil
}

func compileRule(index int, spec ruleSpec, terms map[string][]*pattern) (*rule, error) {
	r := &rule{
		name: strings.TrimSpace(spec.Name), index: index, weak: spec.Weak, uncapped: spec.Uncapped,
		notNegatable: spec.NotNegatable, statementsOnly: spec.StatementsOnly, overrides: spec.Overrides,
		note: strings.TrimSpace(spec.Note),
	}
	if r.name == "" {
		return nil, errors.New(`field "name": missing`)
	}
	var err error
	if spec.Level != "" {
		if r.level, err = ticket.ParseLevel(spec.Level); err != nil {
			return nil, fmt.Errorf(`field "level": %w`, err)
		}
	}
	if spec.Cap != "" {
		if r.cap, err = ticket.ParseLevel(spec.Cap); err != nil {
			return nil, fmt.Errorf(`field "cap": %w`, err)
		}
	}
	if r.level == "" && r.cap == "" && r.note == "" {
		return nil, errors.New(`fields "level", "cap", "note": a rule needs at least one`)
	}
	switch spec.Scope {
	case "", "mail":
	case "sentence":
		r.sentenceScope = true
	default:
		return nil, fmt.Errorf(`field "scope": %q is neither "mail" nor "sentence"`, spec.Scope)
	}
	if spec.Scope != "" && r.cap == "" {
		return nil, errors.New(`field "scope": only caps have a scope`)
	}
	if len(spec.Unless) > 0 && r.cap == "" {
		return nil, errors.New(`field "unless": only caps take "unless"`)
	}
	if r.unless, err = compileList(spec.Unless, terms); err != nil {
		return nil, fmt.Errorf(`field "unless": %w`, err)
	}
	if r.phrases, err = compileList(spec.Phrases, terms); err != nil {
		return nil, fmt.Errorf(`field "phrases": %w`, err)
	}
	if len(spec.Together) == 1 {
		return nil, errors.New(`field "together": needs at least two lists (use "phrases" for one)`)
	}
	for i, group := range spec.Together {
		if len(group) == 0 {
			return nil, fmt.Errorf(`field "together": list %d is empty`, i+1)
		}
		pats, err := compileList(group, terms)
		if err != nil {
			return nil, fmt.Errorf(`field "together": list %d: %w`, i+1, err)
		}
		r.together = append(r.together, pats)
	}
	if len(r.phrases) == 0 && len(r.together) == 0 {
		return nil, errors.New(`fields "phrases", "together": the rule has no pattern`)
	}
	return r, nil
}

// compileList compiles patterns, expanding "@name" entries from terms.
func compileList(list []string, terms map[string][]*pattern) ([]*pattern, error) {
	var out []*pattern
	for i, src := range list {
		if name, ok := strings.CutPrefix(strings.TrimSpace(src), "@"); ok {
			t, found := terms[name]
			if !found {
				return nil, fmt.Errorf("entry %d: no [terms] list named %q", i+1, name)
			}
			out = append(out, t...)
			continue
		}
		p, err := compilePattern(src)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func compileExplicit(f ruleFile) (explicitSpec, error) {
	x := explicitSpec{lines: f.Explicit.Lines}
	if x.lines < 0 || x.lines > 50 {
		return x, fmt.Errorf("lines: %d is outside 0..50", x.lines)
	}
	if x.lines == 0 {
		x.lines = 5
	}
	lists := []struct {
		name string
		src  []string
		dst  *[]patWord
	}{{"priority", f.Explicit.Priority, &x.priority}, {"severity", f.Explicit.Severity, &x.severity}, {"filler", f.Explicit.Filler, &x.filler}}
	for _, l := range lists {
		for i, s := range l.src {
			w, err := compileSingleWord(s)
			if err != nil {
				return x, fmt.Errorf("%s[%d]: %w", l.name, i, err)
			}
			*l.dst = append(*l.dst, w)
		}
	}
	for word, lv := range f.Explicit.Words {
		level, err := ticket.ParseLevel(lv)
		if err != nil {
			return x, fmt.Errorf("words.%s: %w", word, err)
		}
		w, err := compileSingleWord(word)
		if err != nil {
			return x, fmt.Errorf("words.%s: %w", word, err)
		}
		x.words = append(x.words, explicitWord{word: w, level: level})
	}
	return x, nil
}

// patWord matches one normalised token: exactly, or as a prefix.
type patWord struct {
	variants []string // spellings: "storung", "stoerung"
	prefix   bool     // "crash*": crashed, crashing
	suffix   bool     // "*daten": kundendaten (German compounds)
}

func (w patWord) matches(tok string) bool {
	for _, v := range w.variants {
		if tok == v || (w.prefix && strings.HasPrefix(tok, v)) || (w.suffix && strings.HasSuffix(tok, v)) {
			return true
		}
	}
	return false
}

// patTerm is one space-separated element of a pattern: alternatives, each
// a sequence of words ("l'arrêt" is l, arret), or a gap of up to gap words.
type patTerm struct {
	alts [][]patWord
	gap  int
}

// pattern is a compiled phrase pattern.
type pattern struct {
	src   string
	terms []patTerm
}

// compilePattern parses the pattern syntax documented in rules.toml.
func compilePattern(src string) (*pattern, error) {
	fields := strings.Fields(src)
	if len(fields) == 0 {
		return nil, errors.New("empty pattern")
	}
	p := &pattern{src: src}
	for i, f := range fields {
		if n, ok := strings.CutPrefix(f, "~"); ok {
			gap, err := strconv.Atoi(n)
			if err != nil || gap < 1 || gap > maxGap {
				return nil, fmt.Errorf("pattern %q: gap %q: want ~1 to ~%d", src, f, maxGap)
			}
			if i == 0 || i == len(fields)-1 || p.terms[len(p.terms)-1].gap > 0 {
				return nil, fmt.Errorf("pattern %q: gap %q must stand between two words", src, f)
			}
			p.terms = append(p.terms, patTerm{gap: gap})
			continue
		}
		var term patTerm
		for _, alt := range strings.Split(f, "|") {
			words, err := compileAlternative(alt)
			if err != nil {
				return nil, fmt.Errorf("pattern %q: %w", src, err)
			}
			term.alts = append(term.alts, words)
		}
		p.terms = append(p.terms, term)
	}
	return p, nil
}

// compileAlternative compiles one alternative of a pattern word. A
// trailing * makes its last word a prefix, a leading * its first word a
// suffix. Words with umlauts also match the "ae/oe/ue" spelling and vice
// versa.
func compileAlternative(alt string) ([]patWord, error) {
	prefix := strings.HasSuffix(alt, "*")
	body := strings.TrimSuffix(alt, "*")
	suffix := strings.HasPrefix(body, "*")
	body = strings.TrimPrefix(body, "*")
	if strings.Contains(body, "*") {
		return nil, fmt.Errorf("alternative %q: * is allowed only at the start or the end", alt)
	}
	base := tokenizeText(body).tokens
	if len(base) == 0 {
		return nil, fmt.Errorf("alternative %q has no words", alt)
	}
	expanded := tokenizeText(expandUmlauts(body)).tokens
	words := make([]patWord, len(base))
	for i, t := range base {
		vs := []string{t.word}
		if len(expanded) == len(base) {
			vs = appendUnique(vs, expanded[i].word)
		}
		vs = appendUnique(vs, collapseDigraphs(t.word))
		words[i] = patWord{variants: vs}
	}
	words[len(words)-1].prefix = prefix
	words[0].suffix = suffix
	return words, nil
}

// compileSingleWord compiles a pattern that must be one word.
func compileSingleWord(s string) (patWord, error) {
	words, err := compileAlternative(strings.TrimSpace(s))
	if err != nil {
		return patWord{}, err
	}
	if len(words) != 1 {
		return patWord{}, fmt.Errorf("%q: want a single word", s)
	}
	return words[0], nil
}

func appendUnique(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

var umlautExpander = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "Ä", "Ae", "Ö", "Oe", "Ü", "Ue")

// expandUmlauts writes ä ö ü as ae oe ue, the spelling of keyboards
// without umlauts.
func expandUmlauts(s string) string { return umlautExpander.Replace(s) }

var digraphCollapser = strings.NewReplacer("ae", "a", "oe", "o", "ue", "u")

// collapseDigraphs maps an already normalised "stoerung" to "storung", the
// form Normalize gives "Störung".
func collapseDigraphs(s string) string { return digraphCollapser.Replace(s) }
