package classify

import (
	"slices"
	"strings"
)

// ruleMatch is one place a rule matched.
type ruleMatch struct {
	rule     *rule
	tokens   []int    // indices of the matched words, ascending
	spans    [][2]int // byte ranges of the original text to show
	sentence int
	negation string // the cue that cancels it, "" if none
}

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
		for skip := 0; skip <= term.gap; skip++ {
			if skip > 0 && (j+skip-1 >= len(tt.tokens) || tt.tokens[j+skip-1].sentence != sentence) {
				break
			}
			if m := p.matchTerms(tt, k+1, j+skip, sentence, acc); m != nil {
				return m
			}
		}
		return nil
	}
	for _, alt := range term.alts {
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

// findAll returns every match of any of pats, in text order.
func findAll(tt *tokenizedText, pats []*pattern) [][]int {
	var out [][]int
	for i := range tt.tokens {
		for _, p := range pats {
			if m := p.matchAt(tt, i); m != nil {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// negationCue returns the cue word standing within the window before one
// of the matched words (in its clause, outside the match), or "".
func (e *Engine) negationCue(tt *tokenizedText, idx []int) string {
	for _, i := range idx {
		for back := 1; back <= e.window; back++ {
			j := i - back
			if j < 0 || tt.tokens[j].clause != tt.tokens[i].clause {
				break
			}
			if slices.Contains(idx, j) {
				continue
			}
			for _, cue := range e.negationCues {
				if cue.matches(tt.tokens[j].word) {
					return tt.src[tt.tokens[j].start:tt.tokens[j].end]
				}
			}
		}
	}
	return ""
}

// matchRule returns every match of r in tt.
func (e *Engine) matchRule(tt *tokenizedText, r *rule) []ruleMatch {
	var out []ruleMatch
	for _, idx := range findAll(tt, r.phrases) {
		out = append(out, e.newMatch(tt, r, idx, [][]int{idx}))
	}
	if len(r.together) > 0 {
		out = append(out, e.matchTogether(tt, r)...)
	}
	if r.statementsOnly {
		out = slices.DeleteFunc(out, func(m ruleMatch) bool { return tt.isQuestion(m.sentence) })
	}
	slices.SortStableFunc(out, func(a, b ruleMatch) int { return a.tokens[0] - b.tokens[0] })
	return out
}

// matchTogether finds sentences holding one alternative of every list of
// r.together; per sentence and list it prefers an occurrence no cue
// negates.
func (e *Engine) matchTogether(tt *tokenizedText, r *rule) []ruleMatch {
	perGroup := make([]map[int][][]int, len(r.together)) // group → sentence → occurrences
	for g, pats := range r.together {
		perGroup[g] = map[int][][]int{}
		for _, idx := range findAll(tt, pats) {
			s := tt.tokens[idx[0]].sentence
			perGroup[g][s] = append(perGroup[g][s], idx)
		}
	}
	sentences := make([]int, 0, len(perGroup[0]))
	for s := range perGroup[0] {
		sentences = append(sentences, s)
	}
	slices.Sort(sentences)
	var out []ruleMatch
	for _, s := range sentences {
		parts := make([][]int, 0, len(perGroup))
		for g := range perGroup {
			occ := perGroup[g][s]
			if len(occ) == 0 {
				parts = nil
				break
			}
			pick := occ[0]
			for _, o := range occ {
				if r.notNegatable || e.negationCue(tt, o) == "" {
					pick = o
					break
				}
			}
			parts = append(parts, pick)
		}
		if parts == nil {
			continue
		}
		var all []int
		for _, p := range parts {
			all = append(all, p...)
		}
		slices.Sort(all)
		all = slices.Compact(all)
		slices.SortFunc(parts, func(a, b []int) int { return a[0] - b[0] })
		out = append(out, e.newMatch(tt, r, all, parts))
	}
	return out
}

func (e *Engine) newMatch(tt *tokenizedText, r *rule, idx []int, parts [][]int) ruleMatch {
	m := ruleMatch{rule: r, tokens: idx, sentence: tt.tokens[idx[0]].sentence}
	for _, p := range parts {
		m.spans = append(m.spans, [2]int{tt.tokens[p[0]].start, tt.tokens[p[len(p)-1]].end})
	}
	if !r.notNegatable {
		m.negation = e.negationCue(tt, idx)
	}
	return m
}

// text returns the original words of m, parts of a together match joined
// by " … ", white space collapsed.
func (m ruleMatch) text(tt *tokenizedText) string {
	parts := make([]string, len(m.spans))
	for i, s := range m.spans {
		parts[i] = strings.Join(strings.Fields(tt.src[s[0]:s[1]]), " ")
	}
	return strings.Join(parts, " … ")
}

// isStrictSubset reports whether a's words are all in b and b has more.
func isStrictSubset(a, b []int) bool {
	if len(a) >= len(b) {
		return false
	}
	for _, x := range a {
		if _, found := slices.BinarySearch(b, x); !found {
			return false
		}
	}
	return true
}

// overlaps reports whether two ascending index lists share a word.
func overlaps(a, b []int) bool {
	for _, x := range a {
		if _, found := slices.BinarySearch(b, x); found {
			return true
		}
	}
	return false
}
