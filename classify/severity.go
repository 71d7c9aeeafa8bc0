package classify

import (
	"fmt"
	"net/textproto"
	"slices"
	"sync"
	"unicode/utf8"

	"ticketd/ticket"
)

// Engine classifies the severity of mail with a compiled rule set. It is
// immutable and safe for concurrent use.
type Engine struct {
	rules        []*rule
	negationCues []patWord
	window       int
	explicit     explicitSpec
}

// Input is what severity classification looks at.
type Input struct {
	Subject string
	// Body is the text the author wrote in this mail, quoted history and
	// signature stripped by the caller. Lines quoted with ">" and history
	// below "On … wrote:" are ignored anyway.
	Body string
	// Header may be nil. X-Priority, Importance and the like are noted in
	// the reasons but never raise the level.
	Header textproto.MIMEHeader
	// PlanLabels are the customer's plan's own names for the levels, e.g.
	// P0: "Severity 1 – Critical". A customer writing one of them declares
	// that level; plan labels win over the built-in reading of "Sev 1".
	PlanLabels map[ticket.Level]string
}

// Reason explains one step of a classification. Reasons with a Level
// counted towards Result.Level; reasons without one (negated matches, caps,
// notes, cues outweighed by others) are explanation only.
type Reason struct {
	Rule  string       // rule name, "explicit-level", "plan-label", "header" or "default"
	Level ticket.Level // the level this reason stands for; "" if it did not count
	Match string       // the words of the mail that matched, as written
	Note  string       // e.g. why it was capped or ignored
}

// String renders r for engineers, e.g.
// `rule "production-down" matched "production is down" → P0`.
func (r Reason) String() string {
	s := fmt.Sprintf("rule %q", r.Rule)
	if r.Match != "" {
		s += fmt.Sprintf(" matched %q", r.Match)
	}
	if r.Level != "" {
		s += " → " + string(r.Level)
	} else {
		s += " (not counted)"
	}
	if r.Note != "" {
		s += ": " + r.Note
	}
	return s
}

// Result is the outcome of Classify.
type Result struct {
	// Level is the decided level, always one of P0..P4.
	Level ticket.Level
	// Declared is the level the customer wrote explicitly ("[P1]", "Sev 2",
	// a plan label), "" if none. Kept apart so the vendor may correct it.
	Declared ticket.Level
	// Reasons is never empty; the reason that decided comes first.
	Reasons []Reason
}

// maxClassifyBytes bounds the text looked at. Impact is described at the
// top of a mail; megabytes of pasted logs add nothing but time.
const maxClassifyBytes = 64 << 10

var defaultEngine = sync.OnceValue(func() *Engine {
	e, err := LoadRules(builtinRules)
	if err != nil {
		panic("classify: built-in severity rules are broken: " + err.Error())
	}
	return e
})

// Default returns the engine with the built-in rules (rules.toml), parsed
// once.
func Default() *Engine { return defaultEngine() }

// Raise returns the level a ticket should have after a follow-up proposing
// proposed: the more severe of the two. A follow-up never lowers a level
// automatically; only people do. An invalid proposal changes nothing; an
// invalid current level is replaced by the proposal (or DefaultLevel).
func Raise(current, proposed ticket.Level) ticket.Level {
	switch {
	case !current.Valid() && proposed.Valid():
		return proposed
	case !current.Valid():
		return ticket.DefaultLevel
	case proposed.Valid() && proposed.MoreSevere(current):
		return proposed
	}
	return current
}

// Classify decides the severity of one mail. Signals, strongest first: an
// explicit level written by the customer; the impact rules; the default P3.
func (e *Engine) Classify(in Input) Result {
	body := truncateUTF8(stripQuotedText(in.Body), maxClassifyBytes)
	subject := truncateUTF8(in.Subject, 4<<10)
	// The subject is a sentence of its own: the blank line ends it.
	tt := tokenizeText(subject + "\n\n" + body)
	bodyStart := len(subject) + 2

	var res Result
	explicit, hasExplicit := e.findExplicit(tt, bodyStart, in.PlanLabels)

	matches := e.collectMatches(tt)
	counted, others := e.decide(tt, matches)

	if hasExplicit {
		res.Level, res.Declared = explicit.level, explicit.level
		res.Reasons = append(res.Reasons, explicit.reason)
		for _, r := range counted {
			others = append(others, Reason{Rule: r.Rule, Match: r.Match,
				Note: fmt.Sprintf("would be %s; the level written by the customer takes precedence", r.Level)})
		}
	} else if len(counted) > 0 {
		res.Level = counted[0].Level
		res.Reasons = append(res.Reasons, counted...)
	} else {
		res.Level = ticket.DefaultLevel
		res.Reasons = append(res.Reasons, Reason{Rule: "default", Level: ticket.DefaultLevel,
			Note: "no rule matched: default " + string(ticket.DefaultLevel)})
	}
	res.Reasons = append(res.Reasons, others...)
	res.Reasons = append(res.Reasons, headerNotes(in.Header)...)
	return res
}

// collectMatches matches every rule and drops matches that are contained
// in a larger match or overridden by another rule.
func (e *Engine) collectMatches(tt *tokenizedText) []ruleMatch {
	var all []ruleMatch
	for _, r := range e.rules {
		all = append(all, e.matchRule(tt, r)...)
	}
	live := func(m ruleMatch) bool { return m.negation == "" }
	// "error" inside "documentation error", "workaround" inside "no workaround".
	// Index live matches by their words so that only matches sharing a
	// word are compared: linear, not quadratic, on long texts.
	byToken := map[int][]int{}
	for i, m := range all {
		if live(m) {
			for _, t := range m.tokens {
				byToken[t] = append(byToken[t], i)
			}
		}
	}
	drop := make([]bool, len(all))
	for i, m := range all {
		if !live(m) {
			continue
		}
		for _, j := range byToken[m.tokens[0]] {
			if i != j && isStrictSubset(m.tokens, all[j].tokens) {
				drop[i] = true
				break
			}
		}
	}
	overridden := map[string]bool{}
	for i, m := range all {
		if live(m) && !drop[i] {
			for _, o := range m.rule.overrides {
				overridden[o] = true
			}
		}
	}
	var out []ruleMatch
	for i, m := range all {
		if !drop[i] && !overridden[m.rule.name] {
			out = append(out, m)
		}
	}
	return out
}

// capEffect is one cap applied to a level match.
type capEffect struct {
	rule  *rule
	match ruleMatch
}

// decide turns matches into reasons: counted (with a level, most severe
// first) and the others (caps, notes, negated and outweighed matches).
func (e *Engine) decide(tt *tokenizedText, matches []ruleMatch) (counted, others []Reason) {
	// Caps: which sentences each one covers.
	type capRange struct {
		c         capEffect
		all       bool
		sentences map[int]bool
	}
	var caps []capRange
	for _, m := range matches {
		if m.negation != "" || m.rule.cap == "" {
			continue
		}
		cr := capRange{c: capEffect{rule: m.rule, match: m}, sentences: map[int]bool{m.sentence: true}}
		if !m.rule.sentenceScope {
			cr.all = true
			for _, u := range findAll(tt, m.rule.unless) {
				if e.negationCue(tt, u) != "" || e.overlapsCapWords(tt, m.rule, matches, u) {
					continue
				}
				// Production is mentioned: the cap keeps to sentences
				// that speak only of the non-production system.
				cr.all = false
				delete(cr.sentences, tt.tokens[u[0]].sentence)
			}
		}
		caps = append(caps, cr)
	}
	// Strong rules outweigh weak ones.
	strong := false
	for _, m := range matches {
		if m.negation == "" && m.rule.level != "" && !m.rule.weak {
			strong = true
		}
	}
	seen := map[string]bool{}
	type scored struct {
		reason Reason
		pos    int
	}
	var levelReasons []scored
	for _, m := range matches {
		r := m.rule
		if seen[r.name] {
			continue
		}
		switch {
		case m.negation != "":
			if !hasLive(matches, r) {
				seen[r.name] = true
				others = append(others, Reason{Rule: r.name, Match: m.text(tt),
					Note: fmt.Sprintf("ignored: negated by %q", m.negation)})
			}
			continue
		case r.level == "" && r.cap != "":
			seen[r.name] = true
			others = append(others, Reason{Rule: r.name, Match: m.text(tt),
				Note: "caps the level at " + string(r.cap)})
			continue
		case r.level == "":
			seen[r.name] = true
			others = append(others, Reason{Rule: r.name, Match: m.text(tt), Note: r.note})
			continue
		}
		// A level rule: take its most severe occurrence after caps.
		seen[r.name] = true
		best := Reason{Rule: r.name}
		bestPos := 0
		for _, o := range matches {
			if o.rule != r || o.negation != "" {
				continue
			}
			level, note := r.level, ""
			if !r.uncapped {
				for _, c := range caps {
					if c.c.rule == r || !(c.all || c.sentences[o.sentence]) {
						continue
					}
					if level.MoreSevere(c.c.rule.cap) {
						level = c.c.rule.cap
						note = fmt.Sprintf("capped from %s by rule %q (%q)", r.level, c.c.rule.name, c.c.match.text(tt))
					}
				}
			}
			if best.Level == "" || level.MoreSevere(best.Level) {
				best = Reason{Rule: r.name, Level: level, Match: o.text(tt), Note: note}
				bestPos = o.tokens[0]
			}
		}
		if r.weak && strong {
			others = append(others, Reason{Rule: r.name, Match: best.Match,
				Note: fmt.Sprintf("weak cue (would be %s), outweighed by more specific rules", best.Level)})
			continue
		}
		levelReasons = append(levelReasons, scored{best, bestPos})
	}
	slices.SortStableFunc(levelReasons, func(a, b scored) int {
		if d := a.reason.Level.Rank() - b.reason.Level.Rank(); d != 0 {
			return d
		}
		return a.pos - b.pos
	})
	for _, s := range levelReasons {
		counted = append(counted, s.reason)
	}
	return counted, others
}

// hasLive reports whether r has a match no cue negates.
func hasLive(matches []ruleMatch, r *rule) bool {
	for _, m := range matches {
		if m.rule == r && m.negation == "" {
			return true
		}
	}
	return false
}

// overlapsCapWords reports whether the unless-occurrence u shares words
// with a match of the cap rule itself ("production" in "pre-production").
func (e *Engine) overlapsCapWords(tt *tokenizedText, cap *rule, matches []ruleMatch, u []int) bool {
	for _, m := range matches {
		if m.rule == cap && overlaps(m.tokens, u) {
			return true
		}
	}
	return false
}

// truncateUTF8 cuts s to at most n bytes without splitting a rune.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
