package classify

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"ticketd/ticket"
)

// Classify decides the severity of one mail: the cues of rules.toml read
// the impact factors from the new text, the level table maps them to a
// level, and the evidence behind them gives the confidence. The
// customer's declared level is kept apart and decides only when the mail
// describes no impact (or breaks a tie among the candidates of an
// uncertain result).
func (e *Engine) Classify(in Input) Result {
	fullSubject := truncateUTF8(in.Subject, 4<<10)
	subject, reply := stripReplyPrefixes(fullSubject)
	// A forward ("WG: Erinnerungsmails kommen doppelt") passes a report on:
	// its subject is the report's, and it is no follow-up of ours.
	forward := reply && forwardPrefixRE.MatchString(fullSubject[:len(fullSubject)-len(subject)])
	reply = reply && !forward
	followUp := reply || in.FollowUp
	newText, forwarded := stripQuotedText(in.Body)
	if forward && strings.TrimSpace(forwarded) == "" {
		// The caller cut the forwarded message off the body (intake cuts
		// at its header block): the one it passes on.
		forwarded = in.Forwarded
	}
	body := truncateUTF8(newText, maxClassifyBytes)

	tt, bodyStart := tokenizeMail(subject, body)
	subjectSentences := sentencesBefore(tt, bodyStart)
	a := e.assess(tt, subjectSentences, followUp)

	// A mail with a reply prefix that opens a new ticket (the daemon did
	// not find one to join) and says nothing in its text is judged on
	// its subject, with low confidence: the subject is all there is.
	// A new text that closes the matter ("confirmed, every device is
	// scanning again, happy for you to close it") is not silent: its
	// subject is the incident that is over.
	fromSubject := false
	if reply && !in.FollowUp && !describesAnything(a) && len(a.restored) == 0 && a.f.Intent != IntentThanks {
		if sa := e.assess(tt, subjectSentences, false); describesAnything(sa) {
			a, fromSubject = sa, true
		}
	}

	// A forward whose new text describes nothing ("FYI, see below") is
	// judged on the forwarded text, with low confidence. A follow-up of
	// an existing ticket never is: what it quotes is history.
	fromForward := false
	bodySaysNothing := !describesAnything(a)
	if forward && !bodySaysNothing {
		// The subject of a forward is the forwarded mail's: it alone does
		// not make the new text say something. A new text that says the
		// problem is over or asks for nothing ("for your records: it has
		// been fine since", "kein Handlungsbedarf") makes the subject
		// history, as in a reply.
		// An intent alone ("Contracts Director" in the forwarder's
		// signature reads as administrative) is no report of its own:
		// the forwarded one says what the matter is.
		ba := e.assess(tt, subjectSentences, true)
		bodySaysNothing = !describesAnything(ba) || !describesImpact(ba) && !describesImpact(a) && ba.f.Intent != IntentThanks
		if len(ba.restored) > 0 || ba.f.Intent == IntentThanks {
			a = ba
		}
	}
	if forwarded != "" && !in.FollowUp && !fromSubject && bodySaysNothing {
		ftt, fStart := tokenizeMail(subject, truncateUTF8(forwarded, maxClassifyBytes))
		if fa := e.assess(ftt, sentencesBefore(ftt, fStart), followUp); describesAnything(fa) {
			a, tt, fromForward = fa, ftt, true
		}
	}

	areaStart := 0
	if followUp {
		areaStart = bodyStart // a level in a reply's subject is the thread's (often our own tag)
	}
	declared, hasDeclared := e.findExplicit(tt, areaStart, bodyStart, in.PlanLabels)
	if fromForward {
		hasDeclared = false
	}

	res := Result{Factors: a.f}
	rowIdx := decide(e.rows, &a.f)
	row := &e.rows[rowIdx]
	var p [5]float64 // the learned model's view (model.go), when there is a model
	res.features = modelFeatures(res.Factors, row.name, tt, subjectSentences)
	if e.model != nil {
		p = e.model.probabilities(res.features)
	}
	res.Level, res.Row = row.level, row.name
	res.Candidates = e.candidates(a, row.level)
	res.Confidence = confidence(a, row, res.Candidates, subjectSentences, tt)
	if fromForward || fromSubject {
		res.Confidence = min(res.Confidence, 0.45)
	}

	impactUnknown := len(row.conds) == 0
	var first Reason
	var notes []Reason
	switch {
	case impactUnknown && hasDeclared:
		res.Level = declared.level
		res.Confidence = 0.5
		first = declared.reason
		first.Note = "the mail describes no impact: the level written by the customer decides"
	case impactUnknown && in.FollowUp, impactUnknown && followUp && !hasDeclared:
		res.Level = ticket.P4
		res.Confidence = 0.6
		first = Reason{Rule: "table:" + row.name, Level: ticket.P4,
			Note: "a follow-up that adds no impact: the ticket keeps its level"}
	default:
		uncertain := res.Confidence < 0.5 || span(res.Candidates) >= 2
		if hasDeclared && uncertain && slices.Contains(res.Candidates, declared.level) && declared.level != res.Level {
			notes = append(notes, Reason{Rule: "table:" + row.name, Note: fmt.Sprintf("would be %s; the evidence also supports the customer's %s", row.level, declared.level)})
			res.Level = declared.level
			first = declared.reason
			first.Note = "the evidence is ambiguous and supports this level too"
			break
		}
		first = Reason{Rule: "table:" + row.name, Level: row.level, Note: rowNote(row, &a.f)}
		if likely := ticket.Levels[argmaxLevel(p)]; e.model != nil && e.modelSetsLevel && !row.learned && likely != row.level &&
			(!isFlipDown(row.level.Rank(), likely.Rank()) || p[likely.Rank()] >= flipShare(row.name)) && !aboveTestCap(a, likely) &&
			(likely.Rank() < row.level.Rank() || p[likely.Rank()] >= lowerShare) && p[likely.Rank()]-p[row.level.Rank()] >= tieMargin && p[likely.Rank()] >= rowMoveShare(row.name) {
			// The learned model reads the factors, the row and the words
			// of the mail; on authors nobody here had read, its likeliest
			// level was right more often than the row's (model.go,
			// isFlipDown, flipShare). The row's level stays a
			// candidate: taken from P0/P1 to P3/P4 the result is
			// uncertain, and the pager keeps the row's level for an
			// incident.
			notes = append(notes, Reason{Rule: "table:" + row.name, Note: rowNote(row, &a.f) + fmt.Sprintf(" — would be %s (the model gives it %.2f)", row.level, p[row.level.Rank()])})
			res.Level, res.ByModel = likely, true
			first = Reason{Rule: "model", Note: fmt.Sprintf("the learned model finds %s likeliest (%.2f); the table's row says %s", likely, p[likely.Rank()], row.level)}
			res.Confidence = min(res.Confidence, p[likely.Rank()])
			res.Candidates = withCandidate(res.Candidates, row.level)
		}
		if e.model != nil && e.modelSetsLevel && !row.learned {
			if h := ticket.Levels[hedge(res.Level.Rank(), p)]; h != res.Level && !aboveTestCap(a, h) {
				// The model finds an incident not unlikely where the level
				// says there is none: the more urgent level that costs
				// least, a dangerous miss counting three times, is the
				// promise to make (model.go, hedge). The first choice
				// stays a candidate.
				was := first
				was.Level = ""
				was.Note += fmt.Sprintf(" — hedged to %s", h)
				notes = append([]Reason{was}, notes...)
				first = Reason{Rule: "hedge", Note: fmt.Sprintf("%s would be a risky promise: the learned model gives P0/P1 %.2f, P2 %.2f, P3/P4 %.2f; %s costs least when a dangerous miss counts three times",
					res.Level, p[0]+p[1], p[2], p[3]+p[4], h)}
				res.HedgedFrom, res.Level = res.Level, h
				res.Confidence = min(res.Confidence, 0.45)
				res.Candidates = withCandidate(res.Candidates, res.HedgedFrom)
			}
		}
		if hasDeclared {
			r := declared.reason
			r.Level = ""
			if declared.level == res.Level {
				r.Note = "the customer declared the same level"
			} else {
				r.Note = fmt.Sprintf("the customer declared %s; the assessed impact decides", declared.level)
			}
			notes = append(notes, r)
		}
	}
	first.Level = res.Level
	if hasDeclared {
		res.Declared = declared.level
	}
	res.Candidates = withCandidate(res.Candidates, res.Level)
	res.Uncertain = res.Confidence < 0.5 || span(res.Candidates) >= 2
	res.PageLevel = res.Level
	if res.Uncertain && supportsIncident(a.f) && res.Candidates[0].MoreSevere(res.Level) {
		res.PageLevel = res.Candidates[0]
	}
	// The learned model (model.go) never sets Level; where it finds the
	// next more urgent level likely for an incident, the pager gets that
	// one (measured author by author: fewer missed urgent pages).
	var modelNote []Reason
	if e.model != nil {
		res.Probabilities = map[ticket.Level]float64{}
		for k, l := range ticket.Levels {
			res.Probabilities[l] = math.Round(p[k]*1000) / 1000
		}
		modelNote = append(modelNote, modelReason(p))
		if k := res.PageLevel.Rank() - 1; k >= 0 && p[k] >= pageUrgentShare && supportsIncident(a.f) {
			res.PageLevel = ticket.Levels[k]
			modelNote[0].Note += fmt.Sprintf("; pages %s (%.2f ≥ %.2f)", res.PageLevel, p[k], pageUrgentShare)
			if !slices.Contains(res.Candidates, res.PageLevel) {
				res.Candidates = append([]ticket.Level{res.PageLevel}, res.Candidates...)
			}
		}
		// Where the model finds the table's level unlikely, ask engineers
		// to confirm: on authors it had not seen, this found two to four
		// times as many wrong levels as the table's own doubts.
		if lv := res.Level.Rank(); p[lv] < doubtShare {
			res.Confidence = min(res.Confidence, 0.45)
			res.Uncertain = true
			if likely := ticket.Levels[argmaxLevel(p)]; likely != res.Level {
				modelNote[0].Note += fmt.Sprintf("; finds %s unlikely (%.2f < %.2f), %s likelier: confirm", res.Level, p[lv], doubtShare, likely)
				res.Candidates = withCandidate(res.Candidates, likely)
			} else {
				// The model set this level itself, with no level it
				// finds likely: a guess among several.
				modelNote[0].Note += fmt.Sprintf("; no level likely (%.2f at most): confirm", p[lv])
			}
		}
	}

	res.Reasons = append(res.Reasons, first)
	res.Reasons = append(res.Reasons, notes...)
	if fromForward {
		res.Reasons = append(res.Reasons, Reason{Rule: "forwarded", Note: "the new text describes nothing: judged on the forwarded message"})
	}
	if fromSubject {
		res.Reasons = append(res.Reasons, Reason{Rule: "subject", Note: "the new text of this reply describes nothing: judged on its subject"})
	}
	res.Reasons = append(res.Reasons, factorReasons(tt, a)...)
	res.Reasons = append(res.Reasons, confidenceReason(res))
	res.Reasons = append(res.Reasons, modelNote...)
	res.Reasons = append(res.Reasons, ignoredReasons(tt, a)...)
	res.Reasons = append(res.Reasons, headerNotes(in.Header)...)
	return res
}

// withCandidate adds l to the candidates cands, kept most severe first,
// unless it is there.
func withCandidate(cands []ticket.Level, l ticket.Level) []ticket.Level {
	if slices.Contains(cands, l) {
		return cands
	}
	cands = append(cands, l)
	slices.SortFunc(cands, func(x, y ticket.Level) int { return x.Rank() - y.Rank() })
	return cands
}

// tokenizeMail tokenizes subject and body as one text; the blank line
// ends the subject's sentence. It returns where the body starts.
func tokenizeMail(subject, body string) (*tokenizedText, int) {
	return tokenizeText(subject + "\n\n" + body), len(subject) + 2
}

// sentencesBefore counts the sentences that start before byte offset off.
func sentencesBefore(tt *tokenizedText, off int) int {
	n := 0
	for _, t := range tt.tokens {
		if t.start >= off {
			break
		}
		n = t.sentence + 1
	}
	return n
}

// describesAnything reports whether the assessment found a problem, an
// intent or a statement that something is back ("the store rebooted the
// till and it has been fine since": a forwarded report is then history).
func describesAnything(a *assessment) bool {
	return describesImpact(a) || (a.f.Intent != IntentUnknown && a.f.Intent != IntentRequest && a.f.Intent != IntentQuestion)
}

// describesImpact reports whether a describes something wrong, over or
// at risk: more than an intent.
func describesImpact(a *assessment) bool {
	return a.f.State != StateNone || a.f.DataLoss != DataLossNone || a.f.Security != SecurityNone || len(a.restored) > 0
}

// supportsIncident reports whether the factors describe an incident
// serious enough to page for: something stopped or degraded, data lost
// or at risk, a breach or suspected one.
func supportsIncident(f Factors) bool {
	return f.Intent == IntentIncident && (f.State == StateStopped || f.State == StateDegraded ||
		f.DataLoss != DataLossNone || f.Security == SecurityBreach || f.Security == SecuritySuspected)
}

// candidates evaluates the table for every alternative reading.
func (e *Engine) candidates(a *assessment, level ticket.Level) []ticket.Level {
	out := []ticket.Level{level}
	for _, alt := range a.alternatives {
		f := a.f
		d, _ := factorByName(alt.factor)
		d.set(&f, alt.value)
		if l := e.rows[decide(e.rows, &f)].level; !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(x, y ticket.Level) int { return x.Rank() - y.Rank() })
	return out
}

func span(levels []ticket.Level) int {
	if len(levels) == 0 {
		return 0
	}
	return levels[len(levels)-1].Rank() - levels[0].Rank()
}

// confidence starts high for a row that rests on stated factors and is
// lowered for each doubt: a catch-all row, contested factors, a state
// only asked about or read from a generic fault word, evidence only in
// the subject, candidates far apart.
func confidence(a *assessment, row *tableRow, cands []ticket.Level, subjectSentences int, tt *tokenizedText) float64 {
	if len(row.conds) == 0 {
		return 0.3
	}
	c := 0.9
	c -= 0.2 * float64(len(a.alternatives))
	if a.weakState {
		c -= 0.1
	}
	if a.f.State == StateFailing && a.f.Function == FuncUnknown && a.f.Impact == ImpactUnknown && a.f.Workaround == WorkaroundUnknown {
		c -= 0.15
	}
	if a.f.Intent == IntentIncident && a.f.Environment == EnvUnknown && (a.f.State == StateStopped || a.f.State == StateDegraded) && a.f.Function == FuncUnknown {
		c -= 0.1
	}
	onlySubject := true
	for _, hs := range a.because {
		for _, h := range hs {
			onlySubject = onlySubject && h.sentence < subjectSentences
		}
	}
	if onlySubject && len(a.because) > 0 {
		c -= 0.15
	}
	if span(cands) >= 2 {
		c -= 0.1
	}
	return min(max(c, 0.05), 0.95)
}

// rowNote explains the row: its reason, then the factors it read.
func rowNote(row *tableRow, f *Factors) string {
	var parts []string
	for _, c := range row.conds {
		d := factorDefs[c.factor]
		parts = append(parts, d.name+"="+d.get(f))
	}
	s := row.why
	if len(parts) > 0 {
		if s != "" {
			s += " "
		}
		s += "(" + strings.Join(parts, ", ") + ")"
	}
	if row.learned {
		s += fmt.Sprintf(" [learned from %d engineer corrections]", row.corrections)
	}
	return s
}

// factorReasons lists the evidence for each factor, in factor order.
func factorReasons(tt *tokenizedText, a *assessment) []Reason {
	var out []Reason
	for _, d := range factorDefs {
		hs := a.because[d.name]
		if len(hs) == 0 {
			continue
		}
		var matches []string
		for _, h := range hs {
			if t := h.text(tt); !slices.Contains(matches, t) {
				matches = append(matches, t)
			}
			if len(matches) == 3 {
				break
			}
		}
		out = append(out, Reason{Rule: "factor:" + d.name, Match: strings.Join(matches, "; "), Note: d.name + "=" + d.get(&a.f)})
	}
	return out
}

func confidenceReason(r Result) Reason {
	levels := make([]string, len(r.Candidates))
	for i, l := range r.Candidates {
		levels[i] = string(l)
	}
	note := fmt.Sprintf("%.2f (%s); the evidence supports %s", r.Confidence, ConfidenceLabel(r.Confidence), strings.Join(levels, ", "))
	if r.Uncertain {
		note += " — level uncertain: engineers, reply #level Pn"
	}
	return Reason{Rule: "confidence", Note: note}
}

// maxIgnoredReasons bounds the ignored cues listed: enough to explain.
const maxIgnoredReasons = 6

func ignoredReasons(tt *tokenizedText, a *assessment) []Reason {
	var out []Reason
	for _, ig := range a.ignored {
		if len(out) == maxIgnoredReasons {
			break
		}
		out = append(out, Reason{Rule: "ignored:" + ig.h.concept.String(), Match: ig.h.text(tt), Note: ig.why})
	}
	return out
}

// aboveTestCap reports whether l is more urgent than a problem on a test
// system can be, in a mail that says production is not affected: the
// seeds rate non-production at most P2 (Scalr P2: "a non-production
// system severely impacted"), so the learned model does not take such a
// mail to P0/P1 ("DRINGEND!!! Totalausfall" of the training environment,
// "die Produktion ist nicht betroffen"). Where a test system is only
// named ("nos journalistes avec leur compte de test") the model may. A
// table row still may: data stolen from a test system is a breach.
func aboveTestCap(a *assessment, l ticket.Level) bool {
	return a.f.Environment == EnvNonProduction && a.prodSaidFine && l.Rank() < ticket.P2.Rank()
}
