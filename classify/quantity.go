package classify

import (
	"fmt"
	"strconv"
	"strings"
)

// Impact is often given as numbers: "412 of 415 branches", "40 % of
// logins", "septante pour cent des clients", "3 orders out of ~9000". A
// share says more about the scope than the words around it ("all 58
// branches … 40 % of logins fail"), so a share stated where a problem is
// described decides the scope: nearly all is everyone, a negligible share
// is a single record or user, anything between is a part.

// shareEveryone and shareNegligible bound the shares read as everyone and
// as a single record or user.
const (
	shareEveryone   = 0.95
	shareNegligible = 0.01
)

// share is one stated proportion in a text.
type share struct {
	ratio    float64
	tokens   []int // the words that state it
	sentence int
	people   bool // it counts people ("one of our 400 users")
	none     bool // "0 of 1,860": nothing went through (ratio 1: all failed)
}

// numberWords are the number words up to a hundred in English, German and
// French, normalised (no accents, ß → ss). Compounds are read by
// readNumber: "nonante-deux", "soixante-dix", "zweiundvierzig".
var numberWords = map[string]float64{
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
	"eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
	"eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
	"seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
	"ein": 1, "eine": 1, "einer": 1, "eins": 1, "zwei": 2, "drei": 3, "vier": 4, "funf": 5, "sechs": 6, "sieben": 7,
	"acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwolf": 12, "dreizehn": 13, "vierzehn": 14, "funfzehn": 15,
	"sechzehn": 16, "siebzehn": 17, "achtzehn": 18, "neunzehn": 19, "zwanzig": 20, "dreissig": 30, "vierzig": 40,
	"funfzig": 50, "sechzig": 60, "siebzig": 70, "achtzig": 80, "neunzig": 90, "hundert": 100,
	"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9, "dix": 10,
	"onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16, "vingt": 20, "vingts": 20,
	"trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60, "septante": 70, "huitante": 80, "octante": 80,
	"nonante": 90, "cent": 100,
}

// noneWords are no noun between a number and "of" ("10 none of 150").
var noneWords = map[string]bool{"none": true, "no": true, "nobody": true, "keiner": true, "keine": true, "aucun": true, "aucune": true}

// eachWords before "one of N" make it every one of them.
var eachWords = map[string]bool{"every": true, "each": true, "jeder": true, "jede": true, "jedes": true, "chaque": true}

// parseNumeral reads a number token: digits with thousands separators
// ("3.000", "3,412", "1'000") or a decimal ("99.8", "0,5").
func parseNumeral(w string) (float64, bool) {
	if w == "" || w[0] < '0' || w[0] > '9' {
		return 0, false
	}
	clean := strings.Map(func(r rune) rune {
		if r == '\'' || r == '\u00a0' || r == '\u202f' {
			return -1
		}
		return r
	}, w)
	// A separator followed by exactly three digits groups thousands.
	if i := strings.LastIndexAny(clean, ".,"); i >= 0 {
		if len(clean)-i-1 == 3 {
			clean = strings.NewReplacer(".", "", ",", "").Replace(clean)
		} else {
			clean = strings.NewReplacer(".", "", ",", "").Replace(clean[:i]) + "." + clean[i+1:]
		}
	}
	v, err := strconv.ParseFloat(clean, 64)
	return v, err == nil
}

// germanCompound reads "zweiundvierzig" (2 + 40).
func germanCompound(w string) (float64, bool) {
	unit, tens, ok := strings.Cut(w, "und")
	if !ok {
		return 0, false
	}
	u, ok1 := numberWords[unit]
	t, ok2 := numberWords[tens]
	if !ok1 || !ok2 || u >= 10 || t < 20 || t >= 100 {
		return 0, false
	}
	return u + t, true
}

// readNumber reads the number starting at token i and returns its value
// and the index after it: a numeral, or a run of number words
// ("nonante deux", "quatre vingt dix", "soixante dix"). The "cent" of
// "pour cent" is the percent sign, not a hundred.
func readNumber(tt *tokenizedText, i int) (float64, int, bool) {
	if i >= len(tt.tokens) {
		return 0, i, false
	}
	if v, ok := parseNumeral(tt.tokens[i].word); ok {
		return v, i + 1, true
	}
	value, j := 0.0, i
	for ; j < len(tt.tokens) && tt.tokens[j].sentence == tt.tokens[i].sentence; j++ {
		w := tt.tokens[j].word
		if w == "cent" && j > 0 && tt.tokens[j-1].word == "pour" {
			break
		}
		n, ok := numberWords[w]
		if !ok {
			n, ok = germanCompound(w)
		}
		if !ok {
			break
		}
		switch {
		case n == 100:
			value = max(value, 1) * 100
		case n == 20 && value == 4: // quatre-vingt(s)
			value = 80
		default:
			value += n
		}
	}
	return value, j, j > i
}

// Words between the two numbers of a share ("3 of our 12 stores", "412
// von 415", "12 sur 40 magasins", "3 orders out of 9000"), and after the
// percent ("40 % of logins", "35 % des Umsatzes").
var (
	shareOf      = map[string]bool{"of": true, "von": true, "sur": true, "aus": true}
	shareFiller  = map[string]bool{"our": true, "the": true, "all": true, "unseren": true, "unserer": true, "den": true, "allen": true, "nos": true, "les": true, "ses": true, "ihren": true, "their": true, "about": true, "around": true, "approx": true, "ca": true, "rund": true, "environ": true, "some": true, "etwa": true}
	percentWords = map[string]bool{"percent": true, "prozent": true, "pourcent": true}
	percentOf    = map[string]bool{"of": true, "der": true, "des": true, "de": true, "du": true, "d": true, "von": true, "aller": true, "unserer": true, "unseres": true, "all": true}
)

// findShares finds the proportions stated in tt.
func findShares(tt *tokenizedText, people map[string]bool) []share {
	var out []share
	for i := 0; i < len(tt.tokens); i++ {
		n, j, ok := readNumber(tt, i)
		if !ok {
			continue
		}
		if st := tt.tokens[i].start; st > 0 && (tt.src[st-1] == ':' || tt.src[st-1] == 'h') && st > 1 && tt.src[st-2] >= '0' && tt.src[st-2] <= '9' {
			continue // the minutes of a time ("since 06:10 none of …", "9h30")
		}
		sentence := tt.tokens[i].sentence
		inSentence := func(k int) bool { return k < len(tt.tokens) && tt.tokens[k].sentence == sentence }
		// "40 %", "40 percent", "septante pour cent", then "of …".
		pct := j
		switch {
		case j > 0 && strings.HasPrefix(strings.TrimLeft(tt.src[tt.tokens[j-1].end:min(len(tt.src), tt.tokens[j-1].end+3)], " \u00a0\u202f"), "%"):
		case inSentence(j) && percentWords[tt.tokens[j].word]:
			pct = j + 1
		case inSentence(j+1) && tt.tokens[j].word == "per" && tt.tokens[j+1].word == "cent",
			inSentence(j+1) && tt.tokens[j].word == "pour" && tt.tokens[j+1].word == "cent":
			pct = j + 2
		default:
			pct = -1
		}
		if pct >= 0 && inSentence(pct) && percentOf[tt.tokens[pct].word] && n <= 100 {
			out = append(out, share{ratio: n / 100, tokens: []int{i, pct}, sentence: sentence, people: nextIsPeople(tt, pct+1, people)})
			i = pct
			continue
		}
		// "N of M", "N out of M", "N orders out of M", "412/415".
		k, nounBetween := j, false
		if inSentence(k) && !shareOf[tt.tokens[k].word] && !noneWords[tt.tokens[k].word] && tt.tokens[k].word != "out" && inSentence(k+1) && (tt.tokens[k+1].word == "out" || shareOf[tt.tokens[k+1].word]) {
			k++ // a noun between: "3 orders out of 9000"
			nounBetween = true
		}
		// "412/415 branches": a slash between two plain numbers, not a
		// date ("12/03") or part of a code ("APP-01/02").
		slash := j == i+1 && inSentence(j) && tt.src[tt.tokens[i].end:tt.tokens[j].start] == "/" && plainNumber(tt, i, false) && plainNumber(tt, j, true)
		if !slash {
			if !inSentence(k) {
				continue
			}
			switch {
			case tt.tokens[k].word == "out" && inSentence(k+1) && tt.tokens[k+1].word == "of":
				k += 2
			case shareOf[tt.tokens[k].word]:
				k++
			default:
				continue
			}
			for f := 0; f < 2 && inSentence(k) && shareFiller[tt.tokens[k].word]; f++ {
				k++
			}
		}
		m, after, ok := readNumber(tt, k)
		if !ok || !inSentence(k) || m <= 0 || n > m || m == 1 || (slash && m < 32) {
			continue
		}
		if nounBetween && inSentence(after) && countsOtherThings(tt.tokens[j].word, tt.tokens[after].word, people) {
			continue // "18 personnes sur 140 mandats": people and mandates, no share
		}
		sh := share{ratio: n / m, tokens: []int{i, k}, sentence: sentence, people: nextIsPeople(tt, after, people) || nextIsPeople(tt, j, people)}
		switch {
		case n == 1 && i > 0 && eachWords[tt.tokens[i-1].word]:
			// "every one of our 120 users", "jeder einzelne von 40",
			// "chacun des 30": all of them.
			sh.ratio = 1
		case n == 1 && m >= 10:
			// "1 of the 64 bait stations", "one of our 24 drivers": a
			// single one, however many there are ("one of our 3
			// stores" is a third of the business).
			sh.ratio = min(sh.ratio, shareNegligible)
		}
		if n == 0 {
			// "0 of 1,860 invoices created": none went through, so it
			// failed for all of them — not a negligible share affected.
			sh.ratio, sh.none = 1, true
		}
		out = append(out, sh)
		i = after - 1
	}
	return out
}

// countsOtherThings reports whether the nouns after the two numbers of
// "N a of M b" count different things, one people and one not ("18
// personnes sur 140 mandats"): a plural noun ("mandats", "Mandaten",
// "clients"), not a word such as "today".
func countsOtherThings(a, b string, people map[string]bool) bool {
	plural := len(b) >= 4 && (strings.HasSuffix(b, "s") || strings.HasSuffix(b, "en"))
	return plural && a != b && people[a] != people[b]
}

// plainNumber reports whether token i is a number standing on its own:
// no leading zero, no hyphen or dot joined before it, and (last) nothing
// joined after it ("12/03/2025" is a date).
func plainNumber(tt *tokenizedText, i int, last bool) bool {
	t := tt.tokens[i]
	if len(t.word) > 1 && t.word[0] == '0' {
		return false
	}
	if t.start > 0 && strings.ContainsAny(tt.src[t.start-1:t.start], "-_.") {
		return false
	}
	return !last || t.end >= len(tt.src) || !strings.ContainsAny(tt.src[t.end:t.end+1], "/-_")
}

// nextIsPeople reports whether one of the two words from i counts people.
func nextIsPeople(tt *tokenizedText, i int, people map[string]bool) bool {
	for k := i; k < len(tt.tokens) && k < i+2; k++ {
		if people[tt.tokens[k].word] {
			return true
		}
	}
	return false
}

// scopeOfShare maps a share to a scope.
func scopeOfShare(s share) Scope {
	switch {
	case s.ratio >= shareEveryone:
		return ScopeEveryone
	case s.ratio <= shareNegligible && s.people:
		return ScopeOneUser
	case s.ratio <= shareNegligible:
		return ScopeOneRecord
	}
	return ScopeTeam
}

// shareHit turns a share into a hit for the reasons shown to engineers.
func shareHit(tt *tokenizedText, s share) hit {
	first, last := tt.tokens[s.tokens[0]], tt.tokens[s.tokens[len(s.tokens)-1]]
	return hit{concept: cScopeTeam, tokens: s.tokens, spans: [][2]int{{first.start, last.end}}, sentence: s.sentence,
		src: shareText(s)}
}

func shareText(s share) string {
	if s.none {
		return "none of them went through"
	}
	return fmt.Sprintf("a share of %.3g %%", 100*s.ratio)
}
