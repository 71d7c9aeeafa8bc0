package classify

import (
	"fmt"
	"net/textproto"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"ticketd/ticket"
)

// explicitFound is a level the customer wrote down.
type explicitFound struct {
	level  ticket.Level
	reason Reason
}

// findExplicit looks for a declared level from byte areaStart (0 for the
// subject, bodyStart to skip it) to the end of the first lines of the
// body: a plan label first (it wins), then the generic forms documented
// in rules.toml.
func (e *Engine) findExplicit(tt *tokenizedText, areaStart, bodyStart int, labels map[ticket.Level]string) (explicitFound, bool) {
	cutoff := markerAreaEnd(tt.src, bodyStart, e.explicit.lines)
	first, n := 0, 0
	for first < len(tt.tokens) && tt.tokens[first].start < areaStart {
		first++
	}
	n = first
	for n < len(tt.tokens) && tt.tokens[n].end <= cutoff {
		n++
	}
	area := tt.tokens[first:n]
	if f, ok := findPlanLabel(tt, area, labels); ok {
		return f, true
	}
	for i, tok := range area {
		if level, ok := levelToken(tok.word); ok {
			return explicitFound{level: level, reason: Reason{Rule: "explicit-level", Level: level,
				Match: tt.src[tok.start:tok.end], Note: "level written by the customer"}}, true
		}
		kind, number := e.explicit.keyword(tok.word)
		if kind == "" {
			continue
		}
		end := tok.end
		value := number
		if value == "" {
			// Skip fillers ("Priority level: 2", "Priorité est haute").
			j := i + 1
			for skipped := 0; j < len(area) && skipped < 2 && area[j].sentence == tok.sentence && e.explicit.isFiller(area[j].word); skipped++ {
				j++
			}
			if j >= len(area) || area[j].sentence != tok.sentence {
				continue
			}
			value, end = area[j].word, area[j].end
		}
		level, how := e.explicit.valueLevel(kind, value, labels)
		if level == "" {
			continue
		}
		rule, note := "explicit-level", "level written by the customer ("+how+")"
		if how == "plan label" {
			rule, note = "plan-label", "level written by the customer, as named by the plan"
		}
		return explicitFound{level: level, reason: Reason{Rule: rule, Level: level,
			Match: strings.Join(strings.Fields(tt.src[tok.start:end]), " "), Note: note}}, true
	}
	return explicitFound{}, false
}

// markerAreaEnd returns the byte offset where the first `lines` non-empty
// lines of the body end.
func markerAreaEnd(src string, bodyStart, lines int) int {
	pos, seen := bodyStart, 0
	for pos < len(src) && seen < lines {
		nl := strings.IndexByte(src[pos:], '\n')
		line := src[pos:]
		if nl >= 0 {
			line = src[pos : pos+nl]
		}
		if strings.TrimSpace(line) != "" {
			seen++
		}
		if nl < 0 {
			return len(src)
		}
		pos += nl + 1
	}
	return pos
}

var levelTokenRE = regexp.MustCompile(`^p([0-4])$`)

// levelToken reads "p0".."p4".
func levelToken(word string) (ticket.Level, bool) {
	if m := levelTokenRE.FindStringSubmatch(word); m != nil {
		return ticket.Level("P" + m[1]), true
	}
	return "", false
}

// keyword reports whether word is a priority or severity word, possibly
// with its number attached ("sev1", "prio2").
func (x explicitSpec) keyword(word string) (kind, number string) {
	stem := strings.TrimRightFunc(word, func(r rune) bool { return r >= '0' && r <= '9' })
	if stem != word {
		number = word[len(stem):]
	}
	for _, w := range x.priority {
		if w.matchesExactly(stem) {
			return "priority", number
		}
	}
	for _, w := range x.severity {
		if w.matchesExactly(stem) {
			return "severity", number
		}
	}
	return "", ""
}

func (x explicitSpec) isFiller(word string) bool {
	for _, f := range x.filler {
		if f.matches(word) {
			return true
		}
	}
	return false
}

// valueLevel maps the value after a keyword. Numbers: priority N → PN
// (0..4), severity N → P(N-1) (1..5; 0 → P0). Words: the plan's label
// words first, then [explicit.words].
func (x explicitSpec) valueLevel(kind, value string, labels map[ticket.Level]string) (ticket.Level, string) {
	if n, err := strconv.Atoi(value); err == nil {
		if kind == "priority" && n >= 0 && n <= 4 {
			return ticket.Level(fmt.Sprintf("P%d", n)), "priority N is PN"
		}
		if kind == "severity" && n >= 0 && n <= 5 {
			return ticket.Level(fmt.Sprintf("P%d", max(n-1, 0))), "severity N is P(N-1)"
		}
		return "", ""
	}
	for _, l := range ticket.Levels {
		toks := tokenizeText(labels[l]).tokens
		if len(toks) > 0 && toks[len(toks)-1].word == value {
			return l, "plan label"
		}
	}
	for _, w := range x.words {
		if w.word.matchesExactly(value) {
			return w.level, "label word"
		}
	}
	return "", ""
}

// findPlanLabel finds the earliest plan label in the area: the whole label
// when it has two words or more, or its part before a dash or colon when
// that part has a number ("Severity 1" of "Severity 1 – Critical").
func findPlanLabel(tt *tokenizedText, area []textToken, labels map[ticket.Level]string) (explicitFound, bool) {
	best, bestPos, bestLen := explicitFound{}, -1, 0
	for _, level := range ticket.Levels {
		label, ok := labels[level]
		if !ok {
			continue
		}
		for _, form := range planLabelForms(label) {
			pos := findWordSequence(area, form)
			if pos < 0 || (bestPos >= 0 && (pos > bestPos || (pos == bestPos && len(form) <= bestLen))) {
				continue
			}
			bestPos, bestLen = pos, len(form)
			last := area[pos+len(form)-1]
			best = explicitFound{level: level, reason: Reason{Rule: "plan-label", Level: level,
				Match: strings.Join(strings.Fields(tt.src[area[pos].start:last.end]), " "),
				Note:  fmt.Sprintf("the plan names %s %q", level, label)}}
		}
	}
	return best, bestPos >= 0
}

// planLabelForms returns the word sequences a label is recognised by.
func planLabelForms(label string) [][]string {
	var forms [][]string
	full := words(label)
	if len(full) >= 2 {
		forms = append(forms, full)
	}
	if cut := strings.IndexAny(label, "–—-:(/|"); cut > 0 {
		head := words(label[:cut])
		if len(head) >= 1 && len(head) < len(full) && slices.ContainsFunc(head, hasDigit) {
			forms = append(forms, head)
		}
	}
	return forms
}

func words(s string) []string {
	var out []string
	for _, t := range tokenizeText(s).tokens {
		out = append(out, t.word)
	}
	return out
}

func hasDigit(s string) bool { return strings.ContainsAny(s, "0123456789") }

// findWordSequence returns the index in area where seq starts, within one
// sentence, or -1.
func findWordSequence(area []textToken, seq []string) int {
	for i := 0; i+len(seq) <= len(area); i++ {
		ok := true
		for j, w := range seq {
			if area[i+j].word != w || area[i+j].sentence != area[i].sentence {
				ok = false
				break
			}
		}
		if ok {
			return i
		}
	}
	return -1
}

// headerNotes lists priority headers set by mail clients. They are noted
// for engineers and never raise a level: anyone can set them on any mail.
func headerNotes(h textproto.MIMEHeader) []Reason {
	var out []Reason
	for _, name := range []string{"X-Priority", "X-Msmail-Priority", "Importance", "Priority", "Urgency"} {
		v := strings.TrimSpace(h.Get(name))
		if v == "" || isNormalPriority(v) {
			continue
		}
		out = append(out, Reason{Rule: "header", Match: name + ": " + v,
			Note: "set by the mail client; headers never raise the level"})
	}
	return out
}

func isNormalPriority(v string) bool {
	v = strings.ToLower(v)
	return strings.HasPrefix(v, "3") || strings.HasPrefix(v, "normal")
}
