package classify

import (
	"fmt"
	"slices"
	"strings"
)

// concept is one kind of evidence the [cues] lists of rules.toml find in
// a mail: "production is mentioned", "something is down", "no
// workaround". The assessment (assess.go) turns concepts into Factors.
type concept uint8

// The concepts. Their rules.toml names are in conceptNames.
const (
	cEnvProduction concept = iota
	cEnvNonProduction
	cEnvFine // "runs fine", "not affected": bound to an environment
	cScopeEveryone
	cScopeTeam
	cScopeOneUser
	cScopeOneRecord
	cScopeSubset    // "above 50 MB", "only", "some": narrows "every"/"all"
	cScopeContinues // "operation continues", "users can still": not everyone
	cScopePerEvent  // "at every login", "à chaque connexion": how often, not how many
	cFuncSystem
	cFuncCritical
	cFuncPeripheral
	cFuncDocumentation
	cFuncAdministrative // the vendor's invoice, contract, licence: not the product
	cStateStopped
	cStateDegraded
	cStateFailing
	cStateWrong
	cStateCosmetic
	cStateProblem // "problem", "issue": an incident, nothing about how bad
	cStateNot     // "broken down by team", "failover": fault words that describe none
	cWorkaroundNone
	cWorkaroundCostly
	cWorkaroundEasy
	cWorkaroundUnacceptable // "the workaround does not scale": as good as none
	cWorkaroundEffort       // "it takes two people most of the day": a workaround's cost, when one is described
	cImpactCritical
	cImpactSignificant
	cImpactMinor
	cDataLost
	cDataAtRisk
	cDataRecovered // "we restored it from the recycle bin, nothing was lost"
	cSecurityBreach
	cSecuritySuspected
	cSecurityVulnerability
	cHedge          // "we believe", "Verdacht", "probablement"
	cHistory        // "root cause analysis", "last week's outage", "was down for two hours"
	cRestored       // "is back since 10:40", "wiederhergestellt", "rétabli": a status update
	cAfterAction    // "root cause analysis", "SLA credit", "Störungsbericht": a mail about an incident that is over
	cHypothetical   // "what happens if", "falls", "au cas où"
	cIntermittent   // "every third time", "manchmal", "par moments": a stop that comes and goes
	cAlmost         // "quasiment à l'arrêt", "close to unusable": a stop that is not complete
	cNotDown        // "nothing is down, it does eventually work": slow or failing, not stopped
	cNoProblem      // "nothing's broken", "kein Fehler", "pas un bug": a wish or question
	cNewMatter      // "leider habe ich gleich etwas Neues", "a different issue": what follows is current
	cDemoData       // "only your demo data", "no real client data": what is exposed is no one's
	cNoLeak         // "nothing leaked", "no customer data left the company": a scare, no breach
	cMissingFeature // "still cannot do", "unterstützt keine", "ne permet pas": a capability the product lacks
	cRoadmap        // "on your roadmap", "feature request", "nächste Version": asks for something new
	cRegression     // "it used to open instantly", "seit dem Update", "avant ça marchait": it worked before
	cIntentQuestion
	cIntentRequest
	cIntentWish
	cIntentThanks
	cIntentAdmin
	numConcepts
)

// conceptNames are the keys of the [cues] table.
var conceptNames = [numConcepts]string{
	"environment.production", "environment.non-production", "environment.fine",
	"scope.everyone", "scope.team", "scope.one-user", "scope.one-record", "scope.subset", "scope.continues", "scope.per-event",
	"function.system", "function.critical", "function.peripheral", "function.documentation", "function.administrative",
	"state.stopped", "state.degraded", "state.failing", "state.wrong", "state.cosmetic", "state.problem", "state.not",
	"workaround.none", "workaround.costly", "workaround.easy", "workaround.unacceptable", "workaround.effort",
	"impact.critical", "impact.significant", "impact.minor",
	"data.lost", "data.at-risk", "data.recovered",
	"security.breach", "security.suspected", "security.vulnerability",
	"marker.hedge", "marker.history", "marker.restored", "marker.after-action", "marker.hypothetical", "marker.intermittent", "marker.almost", "marker.not-down", "marker.no-problem", "marker.new-matter", "marker.demo-data", "marker.no-leak", "marker.missing-feature", "marker.roadmap", "marker.regression",
	"intent.question", "intent.request", "intent.wish", "intent.thanks", "intent.admin",
}

func (c concept) String() string { return conceptNames[c] }

// family is the part of the name before the dot: matches of one family
// compete for the same words.
func (c concept) family() string {
	name, _, _ := strings.Cut(conceptNames[c], ".")
	return name
}

// negatable reports whether a negation cue before a match cancels it.
// Function words are never negated ("nobody can log in" still names the
// login); negated production is read as "production is fine".
func (c concept) negatable() bool {
	switch c {
	case cFuncSystem, cFuncCritical, cFuncPeripheral, cFuncDocumentation, cFuncAdministrative, cEnvNonProduction, cEnvFine, cStateNot, cImpactMinor,
		cScopeTeam, cScopeSubset, cScopeOneUser, cHedge, cWorkaroundNone, cWorkaroundUnacceptable, cWorkaroundEffort, cMissingFeature:
		return false
	}
	return true
}

func conceptByName(name string) (concept, bool) {
	for i, n := range conceptNames {
		if n == name {
			return concept(i), true
		}
	}
	return 0, false
}

// cue is one entry of a [cues] list: a pattern, or patterns joined by
// " & " that must all occur in one sentence ("@records & deleted|gone").
type cue struct {
	concept concept
	src     string
	parts   []*pattern
}

// patRef points from the index to one pattern of one cue part.
type patRef struct {
	cue  int32
	part int32
	p    *pattern
}

// cueIndex finds the patterns that can start at a word without trying
// them all: by exact first word, by the first bytes of a prefix word, by
// the last bytes of a suffix word ("*daten" at words ending in "ten"),
// numbers only at numbers, and (few) short suffixes tried everywhere.
type cueIndex struct {
	exact  map[string][]patRef
	prefix map[string][]patRef
	ending map[string][]patRef // suffix words by their last suffixKey bytes
	number []patRef            // "#" first: tried at numbers and number words
	suffix []patRef            // suffixes shorter than suffixKey: tried everywhere
}

const (
	prefixKey = 3
	suffixKey = 3
)

func (ix *cueIndex) add(ref patRef) {
	has := func(list []patRef) bool {
		return slices.ContainsFunc(list, func(r patRef) bool { return r.p == ref.p })
	}
	for _, alt := range ref.p.terms[0].alts {
		w := alt[0]
		switch {
		case w.number:
			if !has(ix.number) {
				ix.number = append(ix.number, ref)
			}
		case w.suffix:
			for _, v := range w.variants {
				if len(v) < suffixKey {
					if !has(ix.suffix) {
						ix.suffix = append(ix.suffix, ref)
					}
					continue
				}
				k := v[len(v)-suffixKey:]
				if !has(ix.ending[k]) {
					ix.ending[k] = append(ix.ending[k], ref)
				}
			}
		case w.prefix:
			for _, v := range w.variants {
				k := v[:min(len(v), prefixKey)]
				if !has(ix.prefix[k]) {
					ix.prefix[k] = append(ix.prefix[k], ref)
				}
			}
		default:
			for _, v := range w.variants {
				if !has(ix.exact[v]) {
					ix.exact[v] = append(ix.exact[v], ref)
				}
			}
		}
	}
}

// each calls fn for every pattern that may start at word (a pattern may
// be offered more than once; matching twice finds the same hit).
func (ix *cueIndex) each(word string, fn func(patRef)) {
	for _, r := range ix.exact[word] {
		fn(r)
	}
	for n := 1; n <= prefixKey && n <= len(word); n++ {
		for _, r := range ix.prefix[word[:n]] {
			fn(r)
		}
	}
	if len(word) >= suffixKey {
		for _, r := range ix.ending[word[len(word)-suffixKey:]] {
			fn(r)
		}
	}
	if isNumber(word) || numberWords[word] >= 2 {
		for _, r := range ix.number {
			fn(r)
		}
	}
	for _, r := range ix.suffix {
		fn(r)
	}
}

// cueSet is the compiled [cues] table.
type cueSet struct {
	cues  []cue
	index cueIndex
}

// compileCues compiles the lists; words are the "@name" lists.
func compileCues(lists map[concept][]string, words wordLists, lineOf func(concept) int) (*cueSet, error) {
	cs := &cueSet{index: cueIndex{exact: map[string][]patRef{}, prefix: map[string][]patRef{}, ending: map[string][]patRef{}}}
	for c := concept(0); c < numConcepts; c++ {
		for i, src := range lists[c] {
			cu := cue{concept: c, src: src}
			for _, part := range strings.Split(src, " & ") {
				p, err := compilePattern(part, words)
				if err != nil {
					return nil, fmt.Errorf("line %d: [cues] %s[%d]: %w", lineOf(c), c, i, err)
				}
				cu.parts = append(cu.parts, p)
			}
			id := int32(len(cs.cues))
			cs.cues = append(cs.cues, cu)
			for pi, p := range cu.parts {
				cs.index.add(patRef{cue: id, part: int32(pi), p: p})
			}
		}
	}
	return cs, nil
}

// hit is one place a cue matched.
type hit struct {
	concept  concept
	tokens   []int    // matched words, ascending
	spans    [][2]int // byte ranges to show
	sentence int
	negation string // the cue word that cancels it, "" if none
	negIdx   int    // the token of that word
	src      string // the cue as written in rules.toml
}

// text returns the words of the mail h matched, parts joined by " … ".
func (h hit) text(tt *tokenizedText) string {
	parts := make([]string, len(h.spans))
	for i, s := range h.spans {
		parts[i] = strings.Join(strings.Fields(tt.src[s[0]:s[1]]), " ")
	}
	return strings.Join(parts, " … ")
}

// atom is one match of one part of a cue.
type atom struct {
	cue, part int32
	tokens    []int
}

// findHits matches every cue against tt and returns the hits, in text
// order, with negation decided and hits that lie inside a longer hit of
// the same family dropped ("workaround" inside "no workaround").
func (e *Engine) findHits(tt *tokenizedText) []hit {
	var atoms []atom
	for i := range tt.tokens {
		e.cues.index.each(tt.tokens[i].word, func(r patRef) {
			m := r.p.matchAt(tt, i)
			if m == nil {
				return
			}
			// Keep the longest match per cue part and start.
			for k := len(atoms) - 1; k >= 0 && atoms[k].tokens[0] == i; k-- {
				if atoms[k].cue == r.cue && atoms[k].part == r.part {
					if len(m) > len(atoms[k].tokens) {
						atoms[k].tokens = m
					}
					return
				}
			}
			atoms = append(atoms, atom{cue: r.cue, part: r.part, tokens: m})
		})
	}
	var hits []hit
	var multi map[int32][]atom
	for _, a := range atoms {
		cu := &e.cues.cues[a.cue]
		if len(cu.parts) == 1 {
			hits = append(hits, e.newHit(tt, cu, [][]int{a.tokens}))
			continue
		}
		if multi == nil {
			multi = map[int32][]atom{}
		}
		multi[a.cue] = append(multi[a.cue], a)
	}
	for id, as := range multi {
		hits = append(hits, e.joinParts(tt, &e.cues.cues[id], as)...)
	}
	hits = dropContained(hits)
	keepNegationsInTheirPhrase(tt, hits)
	slices.SortStableFunc(hits, func(a, b hit) int { return a.tokens[0] - b.tokens[0] })
	return hits
}

// joinParts turns atoms of a multi-part cue into hits: one per sentence
// holding every part, each part taken where no cue negates it if it can.
func (e *Engine) joinParts(tt *tokenizedText, cu *cue, as []atom) []hit {
	bySentence := map[int][][][]int{} // sentence → part → occurrences
	for _, a := range as {
		s := tt.tokens[a.tokens[0]].sentence
		if bySentence[s] == nil {
			bySentence[s] = make([][][]int, len(cu.parts))
		}
		bySentence[s][a.part] = append(bySentence[s][a.part], a.tokens)
	}
	var out []hit
	for _, parts := range bySentence {
		picked := make([][]int, 0, len(parts))
		for _, occ := range parts {
			if len(occ) == 0 {
				picked = nil
				break
			}
			pick := occ[0]
			for _, o := range occ {
				if neg, _ := e.negationCue(tt, o, e.window, true); neg == "" {
					pick = o
					break
				}
			}
			picked = append(picked, pick)
		}
		if picked == nil {
			continue
		}
		slices.SortFunc(picked, func(a, b []int) int { return a[0] - b[0] })
		out = append(out, e.newHit(tt, cu, picked))
	}
	return out
}

func (e *Engine) newHit(tt *tokenizedText, cu *cue, parts [][]int) hit {
	h := hit{concept: cu.concept, src: cu.src, sentence: tt.tokens[parts[0][0]].sentence}
	for _, p := range parts {
		h.tokens = append(h.tokens, p...)
		h.spans = append(h.spans, [2]int{tt.tokens[p[0]].start, tt.tokens[p[len(p)-1]].end})
	}
	if len(parts) > 1 {
		slices.Sort(h.tokens)
		h.tokens = slices.Compact(h.tokens)
	}
	if cu.concept.negatable() {
		window, clitic := e.window, true
		switch cu.concept {
		case cScopeEveryone:
			window = 1 // "not all users"; "nicht mehr bezahlen, jede Zahlung" is not "not every"
		case cEnvProduction:
			// "no production impact", "nicht in der Produktion"; but the
			// French "ne" negates the verb: "ne répond plus en production".
			window, clitic = 2, false
		}
		h.negation, h.negIdx = e.negationCue(tt, h.tokens, window, clitic)
	}
	return h
}

// dropContained drops hits whose words all lie inside a longer hit of the
// same family, and repeats of one concept on overlapping words (a negated
// one never hides one that is not: "n'existent plus dans la base" is a
// loss although "plus dans la base" alone is negated by its "n").
func dropContained(hits []hit) []hit {
	byToken := map[int][]int{}
	for i, h := range hits {
		for _, t := range h.tokens {
			byToken[t] = append(byToken[t], i)
		}
	}
	drop := make([]bool, len(hits))
	for i, h := range hits {
		fam := h.concept.family()
		for _, t := range h.tokens {
			for _, j := range byToken[t] {
				if i == j || drop[j] {
					continue
				}
				o := hits[j]
				if h.concept == cEnvFine && (o.concept == cStateStopped || o.concept == cStateFailing) && o.negation == "" {
					// "… and cannot work": the word that would say it
					// works is the problem's own.
					drop[i] = true
					break
				}
				if o.concept.family() != fam && !(o.concept == cStateNot && describesProblem(h.concept)) {
					continue
				}
				if h.concept == cStateNot && o.concept != cStateNot {
					continue // a phrase that takes back is never taken back itself
				}
				inside := isStrictSubset(h.tokens, o.tokens)
				takenBack := o.concept == cStateNot && (h.concept != cStateNot && isSubset(h.tokens, o.tokens) || // "Störungserfassung" names a function
					len(h.spans) > 1 && overlaps(h.tokens, o.tokens)) // "… have gone out" takes back "@data & gone"
				repeated := o.concept == h.concept && j < i && overlaps(h.tokens, o.tokens) && (o.negation == "" || h.negation != "")
				if inside || takenBack || repeated {
					drop[i] = true
					break
				}
			}
			if drop[i] {
				break
			}
		}
	}
	out := hits[:0]
	for i, h := range hits {
		if !drop[i] {
			out = append(out, h)
		}
	}
	return out
}

// describesProblem reports the concepts a "state.not" phrase takes back:
// "breach notification procedures", "incident response", "failure to
// respond" name no breach, incident or failure.
func describesProblem(c concept) bool {
	switch c.family() {
	case "state", "data", "security", "impact":
		return c != cStateNot
	}
	// "Nobody from your side has called me back": no scope; "students
	// report that": no report function.
	// "can not confirm production orders": a production order is no
	// statement about the production environment.
	// "un collègue a importé par erreur …": who did it, not who is affected.
	// "told the inspectors not to fine anybody": no environment said fine.
	// "Sehr geehrtes Support-Team", "depuis environ 17 h": no group
	// affected.
	// "can we get a sandbox key", "a test account in production": no
	// test system affected.
	return c == cScopeEveryone || c == cScopeTeam || c == cScopeOneUser || c == cFuncPeripheral || c == cEnvProduction || c == cEnvFine || c == cEnvNonProduction
}

// negationCue returns the cue word standing within the window before one
// of the matched words (in its clause, outside the match), or "", and
// the index of its token.
func (e *Engine) negationCue(tt *tokenizedText, idx []int, window int, clitic bool) (string, int) {
	// A match that is negative itself ("können keine Aufträge
	// zurückmelden und keine neuen abrufen") is not taken back by the
	// negations of its own enumeration, in its gaps.
	negative := slices.ContainsFunc(idx, func(i int) bool { return e.isNegation(tt.tokens[i].word) })
	for _, i := range idx {
		for back := 1; back <= window; back++ {
			j := i - back
			if j < 0 || tt.tokens[j].clause != tt.tokens[i].clause {
				break
			}
			if slices.Contains(idx, j) || (negative && j > idx[0]) {
				continue
			}
			if w := tt.tokens[j].word; !clitic && (w == "ne" || w == "n") {
				continue
			}
			// "without documents they can't do anything", "ohne die
			// Februarwerte geht das nicht": a condition the negative
			// match needs, not a negation of it.
			if negative && withoutWords[tt.tokens[j].word] {
				continue
			}
			// "Member no. 40877": a number, not a negation.
			if tt.tokens[j].word == "no" && j+1 < len(tt.tokens) && isNumber(tt.tokens[j+1].word) {
				continue
			}
			for _, cue := range e.negationCues {
				if cue.matches(tt.tokens[j].word) {
					return tt.src[tt.tokens[j].start:tt.tokens[j].end], j
				}
			}
		}
	}
	return "", -1
}

// withoutWords name what is missing: before a match that is negative
// itself they state a condition, they do not take the match back.
var withoutWords = map[string]bool{"without": true, "ohne": true, "sans": true}

// isNegation reports whether word is one of the negation cues.
func (e *Engine) isNegation(word string) bool {
	return slices.ContainsFunc(e.negationCues, func(c patWord) bool { return c.matches(word) })
}

// negativePronouns are negation words that are the subject or object of
// a phrase of their own ("nothing works", "nobody can"), unlike "not".
var negativePronouns = map[string]bool{"nothing": true, "nobody": true, "none": true, "noone": true, "niemand": true, "nichts": true,
	"keiner": true, "personne": true, "rien": true, "aucun": true, "aucune": true}

// keepNegationsInTheirPhrase: a negation word that belongs to a phrase
// matched for another concept negates nothing outside it: the "nothing"
// of "nothing works in production" makes a stop, not a production said
// to be fine; the "nobody" of "nobody can log in to production" a scope.
func keepNegationsInTheirPhrase(tt *tokenizedText, hits []hit) {
	owner := map[int]concept{}
	for _, h := range hits {
		if h.negation != "" {
			continue
		}
		switch h.concept.family() {
		case "state", "scope", "workaround":
			for _, t := range h.tokens {
				owner[t] = h.concept
			}
		}
	}
	for i := range hits {
		h := &hits[i]
		// "nobody's work is lost": a possessive negates what it owns.
		possessive := h.negIdx >= 0 && h.negIdx+1 < len(tt.tokens) && tt.tokens[h.negIdx+1].word == "s"
		if c, ok := owner[h.negIdx]; ok && h.negation != "" && negativePronouns[Normalize(h.negation)] && h.concept.family() != c.family() && !possessive {
			h.negation = ""
		}
	}
}

// isStrictSubset reports whether a's words are all in b and b has more.
func isStrictSubset(a, b []int) bool {
	return len(a) < len(b) && isSubset(a, b)
}

// isSubset reports whether a's words are all in b (b ascending).
func isSubset(a, b []int) bool {
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
