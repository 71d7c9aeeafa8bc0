package classify

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The pattern language of the [cues] lists (documented in rules.toml):
// words in order; "a|b" alternatives for one word; "crash*" a prefix,
// "*daten" a suffix (German compounds); "~N" up to N other words in
// between. A pattern matches within one sentence.

// maxGap bounds ~N in patterns; larger gaps would reach across clauses.
const maxGap = 12

// patWord matches one normalised token: exactly, or as a prefix or suffix.
type patWord struct {
	variants []string // spellings: "storung", "stoerung"
	prefix   bool     // "crash*": crashed, crashing
	suffix   bool     // "*daten": kundendaten (German compounds)
	number   bool     // "#": any number ("30 % of orders", "three hours")
	digits   bool     // "##": a number in digits ("order 4711"), not a number word
}

// isNumber reports whether tok is a number: digits, perhaps grouped or
// with a decimal separator ("2,000", "3.000", "1'000", "99.8").
func isNumber(tok string) bool {
	if tok == "" || tok[0] < '0' || tok[0] > '9' || tok[len(tok)-1] < '0' || tok[len(tok)-1] > '9' {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if (tok[i] < '0' || tok[i] > '9') && tok[i] != ',' && tok[i] != '.' && tok[i] != '\'' {
			return false
		}
	}
	return true
}

func (w patWord) matches(tok string) bool {
	if w.number {
		// numbers written as words from two up ("three to four hours a
		// day", "trois heures"); "one", "ein", "un" are mostly articles.
		return isNumber(tok) || !w.digits && numberWords[tok] >= 2
	}
	for _, v := range w.variants {
		if tok == v || (w.prefix && strings.HasPrefix(tok, v)) || (w.suffix && strings.HasSuffix(tok, v)) {
			return true
		}
	}
	return false
}

// matchesExactly is matches without the prefix reading: a keyword must be
// the whole word.
func (w patWord) matchesExactly(tok string) bool {
	for _, v := range w.variants {
		if v == tok {
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
	// single holds the spellings of alternatives that are one plain word,
	// looked up at once; rest are the other alternatives, tried in turn.
	// Word lists ("@people") make terms of a hundred alternatives.
	single map[string]bool
	rest   [][]patWord
}

// index fills single and rest from alts.
func (t *patTerm) index() {
	for _, alt := range t.alts {
		if len(alt) == 1 && !alt[0].prefix && !alt[0].suffix && !alt[0].number {
			if t.single == nil {
				t.single = map[string]bool{}
			}
			for _, v := range alt[0].variants {
				t.single[v] = true
			}
			continue
		}
		t.rest = append(t.rest, alt)
	}
}

// pattern is a compiled phrase pattern.
type pattern struct {
	src   string
	terms []patTerm
}

// wordLists are the named alternatives of [words], usable as "@name" for
// one word of a pattern.
type wordLists map[string][][]patWord

// compilePattern parses the pattern syntax; "@name" stands for the
// alternatives of words[name].
func compilePattern(src string, words wordLists) (*pattern, error) {
	fields, err := patternFields(src)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", src, err)
	}
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
		f = strings.TrimSuffix(strings.TrimPrefix(f, "("), ")")
		for _, alt := range strings.Split(f, "|") {
			alt = strings.TrimSpace(alt)
			if name, ok := strings.CutPrefix(alt, "@"); ok {
				list, found := words[name]
				if !found {
					return nil, fmt.Errorf("pattern %q: no [words] list named %q", src, name)
				}
				term.alts = append(term.alts, list...)
				continue
			}
			words, err := compileAlternative(alt)
			if err != nil {
				return nil, fmt.Errorf("pattern %q: %w", src, err)
			}
			term.alts = append(term.alts, words)
		}
		term.index()
		p.terms = append(p.terms, term)
	}
	return p, nil
}

// patternFields splits a pattern at spaces, keeping a parenthesised group
// of alternatives that contain spaces together: "(no one|nobody) ~3 can".
func patternFields(src string) ([]string, error) {
	var fields []string
	for rest := strings.TrimSpace(src); rest != ""; rest = strings.TrimSpace(rest) {
		if rest[0] == '(' {
			end := strings.IndexByte(rest, ')')
			if end < 0 {
				return nil, errors.New("( without )")
			}
			fields = append(fields, rest[:end+1])
			rest = rest[end+1:]
			continue
		}
		end := strings.IndexFunc(rest, func(r rune) bool { return r == ' ' || r == '\t' || r == '(' })
		if end < 0 {
			end = len(rest)
		}
		if end == 0 {
			return nil, errors.New("( inside a word")
		}
		fields = append(fields, rest[:end])
		rest = rest[end:]
	}
	return fields, nil
}

// compileAlternative compiles one alternative of a pattern word. A
// trailing * makes its last word a prefix, a leading * its first word a
// suffix. Words with umlauts also match the "ae/oe/ue" spelling and vice
// versa.
func compileAlternative(alt string) ([]patWord, error) {
	if strings.ContainsAny(alt, "~&()") {
		// "(reported ~1 to|alerted)": gaps and parts stand between terms,
		// not inside an alternative.
		return nil, fmt.Errorf("alternative %q: ~N, & and brackets cannot stand inside an alternative", alt)
	}
	if alt == "#" {
		return []patWord{{number: true}}, nil
	}
	if alt == "##" {
		return []patWord{{number: true, digits: true}}, nil
	}
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

// matchAt tries p at token i and returns the indices of the words it
// matched, or nil.
func (p *pattern) matchAt(tt *tokenizedText, i int) []int {
	if i >= len(tt.tokens) {
		return nil
	}
	return p.matchTerms(tt, 0, i, tt.tokens[i].sentence, nil)
}

func (p *pattern) matchTerms(tt *tokenizedText, k, j, sentence int, acc []int) []int {
	if k == len(p.terms) {
		return acc
	}
	term := p.terms[k]
	if term.gap > 0 {
		// Up to gap words in between; an aside in brackets does not
		// count ("none of our four warehouses (Leeds, Bristol, …) can").
		for pos, skipped := j, 0; ; pos++ {
			if m := p.matchTerms(tt, k+1, pos, sentence, acc); m != nil {
				return m
			}
			if pos >= len(tt.tokens) || tt.tokens[pos].sentence != sentence {
				return nil
			}
			if !tt.tokens[pos].aside {
				if skipped++; skipped > term.gap {
					return nil
				}
			}
		}
	}
	if j < len(tt.tokens) && tt.tokens[j].sentence == sentence && term.single[tt.tokens[j].word] {
		next := append(acc[:len(acc):len(acc)], j)
		if m := p.matchTerms(tt, k+1, j+1, sentence, next); m != nil {
			return m
		}
	}
	for _, alt := range term.rest {
		if j+len(alt) > len(tt.tokens) {
			continue
		}
		ok := true
		for n, w := range alt {
			tok := tt.tokens[j+n]
			if tok.sentence != sentence || !w.matches(tok.word) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		next := acc[:len(acc):len(acc)] // never share the backing array between branches
		for n := range alt {
			next = append(next, j+n)
		}
		if m := p.matchTerms(tt, k+1, j+len(alt), sentence, next); m != nil {
			return m
		}
	}
	return nil
}
