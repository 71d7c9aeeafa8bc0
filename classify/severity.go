package classify

import (
	"fmt"
	"net/textproto"
	"sync"
	"unicode/utf8"

	"ticketd/ticket"
)

// Engine classifies the severity of mail: cues find the impact factors,
// the level table maps them to a level. It is immutable and safe for
// concurrent use.
type Engine struct {
	cues         *cueSet
	negationCues []patWord
	window       int
	explicit     explicitSpec
	rows         []tableRow
	people       map[string]bool // the one-word spellings of [words] people, for shares of people
	model        *levelModel     // the learned check beside the table (model.json); nil: none
	// modelSetsLevel: the table is the built-in one, whose levels the
	// model may override (Result.ByModel).
	modelSetsLevel bool
}

// Input is what severity classification looks at.
type Input struct {
	Subject string
	// Body is the text the author wrote in this mail, quoted history and
	// signature stripped by the caller. Lines quoted with ">", history
	// below "On … wrote:" and forwarded parts are ignored anyway.
	Body string
	// Header may be nil. X-Priority, Importance and the like are noted in
	// the reasons but never raise the level.
	Header textproto.MIMEHeader
	// PlanLabels are the customer's plan's own names for the levels, e.g.
	// P0: "Severity 1 – Critical". A customer writing one of them declares
	// that level; plan labels win over the built-in reading of "Sev 1".
	PlanLabels map[ticket.Level]string
	// FollowUp is set when the mail joins an existing ticket. Like a mail
	// whose subject starts with Re:/AW:/TR:/Fwd:…, it is judged on its new
	// text only: the subject names the original topic and gives context
	// (environment, function) but no impact, and a follow-up that adds no
	// impact is P4, so that Raise keeps the ticket's level.
	FollowUp bool
	// Forwarded is the message a forward passes on, as the caller cut it
	// from the body (intake.ForwardedText): a forward (Fwd:, WG:, TR:)
	// whose new text says nothing ("FYI, see below") is judged on it.
	Forwarded string
}

// Reason explains one step of a classification. Only the first reason
// (the table row that decided, or the declared level) carries a Level.
type Reason struct {
	// Rule says what kind of reason this is: "table:<row>" (the level
	// table row that decided), "factor:<name>" (evidence for a factor),
	// "ignored:<cue list>" (a cue that did not count, and why),
	// "explicit-level" or "plan-label" (the customer's declared level),
	// "header" (client priority headers, never counted).
	Rule  string
	Level ticket.Level // the level this reason decided; "" if it did not decide
	Match string       // the words of the mail, as written
	Note  string       // e.g. "state=stopped", or why it was ignored
}

// String renders r for engineers, e.g.
// `level P0 by table row "stopped-everyone": …` or
// `state=stopped ← "is down"`.
func (r Reason) String() string {
	kind, name := r.Rule, ""
	if i := indexByte(r.Rule, ':'); i >= 0 {
		kind, name = r.Rule[:i], r.Rule[i+1:]
	}
	switch kind {
	case "table":
		s := fmt.Sprintf("table row %q", name)
		if r.Level != "" {
			s = fmt.Sprintf("level %s by table row %q", r.Level, name)
		}
		if r.Note != "" {
			s += ": " + r.Note
		}
		return s
	case "factor":
		if r.Match == "" {
			return r.Note
		}
		return fmt.Sprintf("%s ← %q", r.Note, r.Match)
	case "ignored":
		return fmt.Sprintf("ignored %q (%s): %s", r.Match, name, r.Note)
	}
	s := r.Rule
	if r.Match != "" {
		s += fmt.Sprintf(" %q", r.Match)
	}
	if r.Level != "" {
		s += " → " + string(r.Level)
	}
	if r.Note != "" {
		s += ": " + r.Note
	}
	return s
}

func indexByte(s string, b byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return i
		}
	}
	return -1
}

// Result is the outcome of Classify.
type Result struct {
	// Level is the decided level, always one of P0..P4.
	Level ticket.Level
	// Declared is the level the customer wrote explicitly ("[P1]", "Sev 2",
	// a plan label), "" if none. It decides only when the mail describes
	// no impact; otherwise the assessed impact does and a disagreement is
	// shown in the reasons.
	Declared ticket.Level
	// Factors is the assessed impact the level table read.
	Factors Factors
	// Confidence is how well the text supports Level, from 0 (a guess) to
	// 1: high when the factors that decided were stated plainly, lower for
	// missing, contradictory or merely asked-about evidence. See
	// ConfidenceLabel.
	Confidence float64
	// Uncertain is set when Confidence is below 0.5 or the evidence also
	// supports a level two or more steps away: route to triage and ask
	// engineers to confirm ("#level Pn"). Confidence is capped at 0.45
	// when the learned model gives Level less than 0.3 (its likelier
	// level is then a candidate).
	Uncertain bool
	// Candidates are the levels the evidence supports, most severe first;
	// Level is one of them.
	Candidates []ticket.Level
	// PageLevel is the level to route (page) with: the most severe
	// candidate when the result is uncertain and the evidence describes a
	// real incident (something stopped or degraded, data lost, a breach),
	// else Level; one level more urgent still when the learned model gives
	// that level at least 0.3 for an incident (it is then a candidate
	// too). It never replaces Level for the SLA.
	PageLevel ticket.Level
	// Row is the name of the level table row that read the factors.
	Row string
	// ByModel is set when the learned model set Level: its likeliest
	// level for these factors, this row and these words differs from
	// Row's; it takes a P0/P1 row down to P3/P4 only with at least 0.5
	// (the first reason says so; the row's level is a candidate, and
	// PageLevel keeps it for an incident). Rows learned from engineers'
	// corrections are never overridden.
	ByModel bool
	// HedgedFrom is the level the row or the model chose when the model
	// found an incident likely enough to make it a risky promise, and
	// Level was moved to the more urgent level that costs least across
	// the model's probabilities, a dangerous miss counting three times
	// (hedge, model.go); "" when not hedged. Such a result is uncertain
	// and HedgedFrom is a candidate.
	HedgedFrom ticket.Level
	// Probabilities is the learned model's view (model.go): the
	// probability of each level given the factors, the row and the words
	// of the text, from the labelled corpora. It sets Level only as ByModel says; it can move
	// PageLevel one step more urgent.
	Probabilities map[ticket.Level]float64
	// Reasons is never empty; the reason that decided comes first.
	Reasons []Reason

	// features are what the learned model read (modelFeatures), kept so
	// that training reads exactly what classifying reads.
	features []string
}

// ConfidenceLabel names a confidence: "high" (≥ 0.75), "medium" (≥ 0.5)
// or "low".
func ConfidenceLabel(c float64) string {
	switch {
	case c >= 0.75:
		return "high"
	case c >= 0.5:
		return "medium"
	}
	return "low"
}

// maxClassifyBytes bounds the text looked at. Impact is described at the
// top of a mail; megabytes of pasted logs add nothing but time.
const maxClassifyBytes = 64 << 10

var defaultEngine = sync.OnceValue(func() *Engine {
	e, err := compileRules(builtinFile, builtinFile)
	if err != nil {
		panic("classify: built-in severity rules are broken: " + err.Error())
	}
	return e
})

// Default returns the engine with the built-in cues and level table
// (rules.toml), compiled once.
func Default() *Engine { return defaultEngine() }

// Raise is ticket.Raise: a follow-up raises a level, never lowers it.
func Raise(current, proposed ticket.Level) ticket.Level { return ticket.Raise(current, proposed) }

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
