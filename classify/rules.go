package classify

import (
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"

	"ticketd/ticket"
)

// builtinRules is the documented default: cues and level table; see
// rules.toml for the format.
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
	Words     map[string][]string `toml:"words"`
	Cues      map[string][]string `toml:"cues"`
	ExtraCues map[string][]string `toml:"extra_cues"`
	Level     []map[string]any    `toml:"level"`

	md  toml.MetaData
	src string
}

func parseRuleFile(data []byte) (*ruleFile, error) {
	f := &ruleFile{src: string(data)}
	md, err := toml.Decode(f.src, f)
	if err != nil {
		return nil, err
	}
	f.md = md
	if md.IsDefined("rule") {
		return nil, fmt.Errorf("line %d: [[rule]] is the format before factors; write the level table as [[level]] rows and cue lists under [cues] (see the built-in rules.toml)",
			lineOf(f.src, `\[\[\s*rule\s*\]\]`, 0))
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		var msgs []string
		for _, k := range undecoded {
			last := k[len(k)-1]
			msgs = append(msgs, fmt.Sprintf("line %d: unknown key %q", lineOf(f.src, `"?`+regexp.QuoteMeta(last)+`"?\s*=|\[\s*`+regexp.QuoteMeta(k.String())+`\s*\]`, 0), k.String()))
		}
		return nil, errors.New(strings.Join(msgs, "; "))
	}
	return f, nil
}

// lineOf returns the 1-based line of the nth (0-based) line matching the
// regular expression re at its start, or 0.
func lineOf(src, re string, nth int) int {
	rx, err := regexp.Compile(`^\s*(` + re + `)`)
	if err != nil {
		return 0
	}
	for i, line := range strings.Split(src, "\n") {
		if rx.MatchString(line) {
			if nth == 0 {
				return i + 1
			}
			nth--
		}
	}
	return 0
}

var builtinFile = func() *ruleFile {
	f, err := parseRuleFile(builtinRules)
	if err != nil {
		panic("classify: built-in rules.toml: " + err.Error())
	}
	return f
}()

// LoadRules compiles an admin's rules file over the built-in one. Every
// section the file defines replaces the built-in section: [[level]] rows
// replace the whole table; each [cues] list replaces the built-in list of
// that name and [extra_cues] lists are added to it; [words] lists replace
// those of the same name; [negation] and [explicit] replace theirs.
// Errors name the line and key at fault.
func LoadRules(data []byte) (*Engine, error) {
	f, err := parseRuleFile(data)
	if err != nil {
		return nil, fmt.Errorf("severity rules: %w", err)
	}
	e, err := compileRules(builtinFile, f)
	if err != nil {
		return nil, fmt.Errorf("severity rules: %w", err)
	}
	return e, nil
}

// compileRules builds an engine from the built-in file overlaid with f
// (f may be the built-in file itself).
func compileRules(base, f *ruleFile) (*Engine, error) {
	e := &Engine{window: 3}
	m, err := loadModel(builtinModelJSON)
	if err != nil {
		return nil, err
	}
	e.model = m
	neg := base
	if f.md.IsDefined("negation") {
		neg = f
	}
	if neg.Negation.Window != nil {
		if *neg.Negation.Window < 0 || *neg.Negation.Window > maxGap {
			return nil, fmt.Errorf("line %d: [negation] window: %d is outside 0..%d", lineOf(neg.src, `window\s*=`, 0), *neg.Negation.Window, maxGap)
		}
		e.window = *neg.Negation.Window
	}
	for i, c := range neg.Negation.Cues {
		w, err := compileSingleWord(c)
		if err != nil {
			return nil, fmt.Errorf("line %d: [negation] cues[%d]: %w", lineOf(neg.src, `cues\s*=`, 0), i, err)
		}
		e.negationCues = append(e.negationCues, w)
	}
	ex := base
	if f.md.IsDefined("explicit") {
		ex = f
	}
	if e.explicit, err = compileExplicit(ex); err != nil {
		return nil, fmt.Errorf("line %d: [explicit] %w", lineOf(ex.src, `\[explicit\]`, 0), err)
	}

	words := wordLists{}
	for _, src := range []*ruleFile{base, f} {
		for name, list := range src.Words {
			var alts [][]patWord
			for i, w := range list {
				alt, err := compileAlternative(strings.TrimSpace(w))
				if err != nil {
					return nil, fmt.Errorf("line %d: [words] %s[%d]: %w", lineOf(src.src, `"?`+regexp.QuoteMeta(name)+`"?\s*=`, 0), name, i, err)
				}
				alts = append(alts, alt)
			}
			words[name] = alts
		}
	}

	e.people = map[string]bool{}
	for _, alt := range words["people"] {
		if len(alt) == 1 {
			for _, v := range alt[0].variants {
				e.people[v] = true
			}
		}
	}

	lists := map[concept][]string{}
	for _, layer := range []struct {
		src    *ruleFile
		lists  map[string][]string
		append bool
	}{{base, base.Cues, false}, {f, f.Cues, false}, {f, f.ExtraCues, true}} {
		for name, list := range layer.lists {
			c, ok := conceptByName(name)
			if !ok {
				return nil, fmt.Errorf("line %d: [cues] %q: unknown cue list (want one of %s)",
					lineOf(layer.src.src, `"?`+regexp.QuoteMeta(name)+`"?\s*=`, 0), name, strings.Join(conceptNames[:], ", "))
			}
			if layer.append {
				lists[c] = append(append([]string(nil), lists[c]...), list...)
			} else {
				lists[c] = list
			}
		}
	}
	cueLine := func(c concept) int {
		re := `"?` + regexp.QuoteMeta(c.String()) + `"?\s*=`
		if n := lineOf(f.src, re, 0); n > 0 {
			return n
		}
		return lineOf(base.src, re, 0)
	}
	if e.cues, err = compileCues(lists, words, cueLine); err != nil {
		return nil, err
	}

	tableSrc := base
	if f.md.IsDefined("level") {
		tableSrc = f
	}
	// The model learned the built-in rows' levels; an admin's own table
	// decides alone.
	e.modelSetsLevel = tableSrc == base
	names := map[string]bool{}
	for i, raw := range tableSrc.Level {
		line := lineOf(tableSrc.src, `\[\[\s*level\s*\]\]`, i)
		r, err := compileRow(raw)
		if err != nil {
			return nil, fmt.Errorf("line %d: [[level]] #%d %s: %w", line, i+1, quoteName(raw), err)
		}
		if names[r.name] {
			return nil, fmt.Errorf("line %d: [[level]] %q: key \"name\": used by an earlier row too", line, r.name)
		}
		names[r.name] = true
		e.rows = append(e.rows, r)
	}
	if len(e.rows) == 0 {
		return nil, errors.New("no [[level]] rows: the level table is empty")
	}
	if last := e.rows[len(e.rows)-1]; len(last.conds) > 0 {
		return nil, fmt.Errorf("line %d: [[level]] %q: the last row must have no conditions, so that every mail gets a level",
			lineOf(tableSrc.src, `\[\[\s*level\s*\]\]`, len(e.rows)-1), last.name)
	}
	return e, nil
}

func quoteName(raw map[string]any) string {
	if s, ok := raw["name"].(string); ok && s != "" {
		return fmt.Sprintf("%q", s)
	}
	return "(no name)"
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

func compileExplicit(f *ruleFile) (explicitSpec, error) {
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
