package classify

import (
	"fmt"
	"maps"
	"math"
	"slices"
)

// assessment is what the cues of one mail say about each factor, with the
// hits behind each reading and the readings the text also supports.
type assessment struct {
	f       Factors
	because map[string][]hit // factor name → the hits that decided it
	ignored []ignoredHit
	// alternatives are other readings of a factor the text supports just
	// as well (production and test both named as broken; "no workaround"
	// and "we can work around it"). They make a result uncertain.
	alternatives []alternative
	// restored are the statements that something is back ("the webshop
	// is back since 10:40").
	restored []hit
	// weakState: the state rests on a question ("why does the export
	// fail?") or on a generic fault word with nothing known about what
	// failed.
	weakState bool
	// prodSaidFine: the mail says production is not affected ("die
	// Produktion ist nicht betroffen"), not merely that a test system
	// was named.
	prodSaidFine bool
}

type alternative struct {
	factor, value string
}

type ignoredHit struct {
	h   hit
	why string
}

// sentenceFlags are markers that change how the other cues of a sentence
// are read.
type sentenceFlags struct {
	history, hypothetical, hedge, subset, wish, asks bool
	// pastEvent: the history read is more than a closed time window
	// ("zwischen 03:30 und 06:00"), which dates an outage that is over
	// but not a breach or a loss, whose harm stays.
	pastEvent bool
}

// windowWords start the closed time windows of marker.history.
var windowWords = map[string]bool{"between": true, "zwischen": true, "entre": true, "from": true, "von": true, "de": true}

// stateRank orders states, most severe first; none is last.
var stateRank = map[concept]int{cStateStopped: 0, cStateDegraded: 1, cStateFailing: 2, cStateWrong: 3, cStateCosmetic: 4}

func isStateRanked(c concept) bool { _, ok := stateRank[c]; return ok }

var stateOf = map[concept]State{cStateStopped: StateStopped, cStateDegraded: StateDegraded, cStateFailing: StateFailing,
	cStateWrong: StateWrong, cStateCosmetic: StateCosmetic}

// isImpactConcept reports concepts that describe the problem itself:
// ignored in quoted subjects, in history and (except intent) in
// hypotheticals.
func isImpactConcept(c concept) bool {
	switch c.family() {
	case "state", "data", "security", "impact", "workaround", "intent":
		return true
	}
	return false
}

func isProblemConcept(c concept) bool {
	if c == cStateNot {
		return false
	}
	switch c.family() {
	case "state", "data":
		return true
	}
	return c == cSecurityBreach || c == cSecuritySuspected
}

// assess finds the cues and the stated shares in tt and reads the factors
// from them.
func (e *Engine) assess(tt *tokenizedText, subjectSentences int, reply bool) *assessment {
	hits := slices.DeleteFunc(e.findHits(tt), func(h hit) bool {
		// "die Hälfte der Kunden geht wieder", "customers are back":
		// people coming back or leaving again, not a service restored.
		// "they all come back with GW-CERT-02": an answer, an error.
		if h.concept != cRestored {
			return false
		}
		if last := h.tokens[len(h.tokens)-1]; last+1 < len(tt.tokens) && backWith[tt.tokens[last+1].word] && tt.tokens[last+1].clause == clauseOf(tt, h) {
			return true
		}
		return h.tokens[0] > 0 && e.people[tt.tokens[h.tokens[0]-1].word] &&
			tt.tokens[h.tokens[0]-1].clause == clauseOf(tt, h)
	})
	return assess(tt, hits, findShares(tt, e.people), subjectSentences, reply)
}

// backWith are the words after "come back" that make it an answer
// ("they come back with an error"), not a service restored.
var backWith = map[string]bool{"with": true, "mit": true, "avec": true}

// assess reads the factors from the hits. Sentences below subjectSentences
// are the subject; in a reply the subject names the original topic and
// only gives context (environment, function, scope).
func assess(tt *tokenizedText, hits []hit, shares []share, subjectSentences int, reply bool) *assessment {
	a := &assessment{f: unknownFactors(), because: map[string][]hit{}}
	flags := make([]sentenceFlags, len(tt.question)+1)
	// "nach 1-2 Minuten geht es wieder" in a clause that says it comes
	// and goes, "Stornieren bringt nichts, … ist der zweite wieder da":
	// the problem coming back, not the service.
	comesBack := map[int]bool{}
	for _, h := range hits {
		if (h.concept == cIntermittent || h.concept == cWorkaroundNone) && h.negation == "" {
			comesBack[h.sentence] = true
		}
	}
	historyClause := map[int]bool{}
	hypotheticalClause := map[int]bool{}
	for _, h := range hits {
		if h.negation != "" {
			continue
		}
		if h.concept == cRestored && comesBack[h.sentence] {
			continue
		}
		fl := &flags[h.sentence]
		switch h.concept {
		case cHistory, cRestored:
			fl.history = true
			historyClause[clauseOf(tt, h)] = true
			if h.concept == cRestored || !windowWords[tt.tokens[h.tokens[0]].word] {
				fl.pastEvent = true
			}
		case cHypothetical:
			if w := tt.tokens[h.tokens[0]].word; w == "without" || w == "ohne" || w == "sans" {
				// "… reset without him asking", "ohne dass … unterbrochen
				// wird": only that clause is not happening.
				hypotheticalClause[clauseOf(tt, h)] = true
				break
			}
			fl.hypothetical = true
		case cIntentQuestion:
			fl.asks = true
		case cHedge:
			fl.hedge = true
		case cScopeSubset:
			fl.subset = true
		case cIntentWish:
			// "Wäre trotzdem schön, wenn das korrigiert wird": a wish
			// that something be fixed reports a fault, it asks for
			// nothing new.
			if !hasWord(tt, h.sentence, fixWords) {
				fl.wish = true
			}
		}
	}
	// "We need a written root cause analysis of Tuesday's outage":
	// a mail after an incident that is over (an RCA, an SLA credit, an
	// incident report) tells the incident as its reason; a problem counts
	// only where its clause says it is current ("it failed again today").
	afterAction := false
	afterActionClause := map[int]bool{} // "mais je vous demande … un compte rendu sur les causes de la panne"
	for _, h := range hits {
		if h.concept == cAfterAction && h.negation == "" && !flags[h.sentence].hypothetical {
			afterAction = true
			afterActionClause[clauseOf(tt, h)] = true
		}
	}
	isSubject := func(s int) bool { return s < subjectSentences }
	// "Von unserer Seite kann der Fall geschlossen werden. Leider habe
	// ich gleich etwas Neues: …": what follows a new matter announced is
	// current, whatever the mail said was over before it.
	newFrom := -1
	for _, h := range hits {
		if h.concept == cNewMatter && h.negation == "" && !flags[h.sentence].hypothetical && !isSubject(h.sentence) && (newFrom < 0 || h.tokens[0] < newFrom) {
			newFrom = h.tokens[0]
		}
	}
	isNew := func(h hit) bool { return newFrom >= 0 && h.tokens[0] > newFrom }
	// "Re: RCA for write failures — It's happening again, right now":
	// a mail that says the incident is back is a new report; the RCA
	// it mentions can wait.
	if afterAction {
		restoredIn := map[int]bool{} // "tout fonctionne de nouveau depuis" is back, not again
		for _, h := range hits {
			if h.concept == cRestored {
				restoredIn[h.sentence] = true
			}
		}
		for si := subjectSentences; si < len(tt.question); si++ {
			if hasWord(tt, si, recurWords) && hasWord(tt, si, nowWords) && !flags[si].hypothetical && !tt.isQuestion(si) && !restoredIn[si] {
				afterAction = false
				break
			}
		}
	}
	// "If our endpoint is down, do you retry?": a condition in a question.
	for si := range tt.question {
		if tt.isQuestion(si) && hasWord(tt, si, questionConditions) {
			flags[si].hypothetical = true
		}
	}

	// A status update ("the webshop is back since 10:40, but …") judges
	// what is wrong now: a problem counts when its sentence says it is
	// current (still, again, now, since …) or stands in a "but" clause;
	// the others tell the outage that is over.
	var restored []hit
	for _, h := range hits {
		// The subject of a reply names the original topic ("AW: Störung
		// behoben" over "it is down again"), not what is back now.
		if h.concept == cRestored && h.negation == "" && !comesBack[h.sentence] && !flags[h.sentence].hypothetical && !tt.isQuestion(h.sentence) && !restoreIsAsked(tt, h) &&
			!(reply && isSubject(h.sentence)) {
			restored = append(restored, h)
		}
	}
	lastRestored := -1 // the last paragraph that says something is back
	for _, r := range restored {
		lastRestored = max(lastRestored, paragraphOf(tt, r))
	}
	isCurrent := func(h hit) bool {
		// A paragraph after the update tells what is new ("We rolled out
		// at 01:00. \n\n Since then nothing works …").
		return saysOngoing(tt, h.sentence) || tt.startsWithContrast(clauseOf(tt, h)) ||
			paragraphOf(tt, h) > lastRestored || isNew(h)
	}

	var live []hit
	var prodFine []hit // "no production impact": production named as fine
	for _, h := range hits {
		fl := flags[h.sentence]
		switch {
		case len(restored) > 0 && h.negation == "" && isImpactConcept(h.concept) && h.concept.family() != "intent" &&
			!isCurrent(h) && !slices.ContainsFunc(restored, func(r hit) bool { return r.sentence == h.sentence }):
			a.ignored = append(a.ignored, ignoredHit{h, "the mail says the service is back; this tells the outage that is over"})
			continue
		case h.concept == cWorkaroundEasy && cannotBefore(tt, h):
			// "We can't produce the files another way", "on ne peut pas
			// le faire à la main": a way said to be impossible is none.
			a.ignored = append(a.ignored, ignoredHit{h, "said to be impossible: no workaround"})
			h.concept, h.negation = cWorkaroundNone, ""
		case h.negation != "" && h.concept == cEnvProduction:
			prodFine = append(prodFine, h)
			continue
		case h.negation != "" && h.concept == cScopeEveryone:
			// "not all users": some of them.
			h.concept, h.negation = cScopeTeam, ""
		case h.concept == cScopeEveryone && complement(tt, h):
			// "all other users", "alle anderen Aufträge", "tous les
			// autres": the ones not affected.
			h.concept = cScopeContinues
		case h.negation != "" && fl.wish && isStateRanked(h.concept) && conditional(tt, h.sentence):
			// "It would be nice if the export did not crash": it crashes.
			h.negation = ""
		case h.negation != "":
			a.ignored = append(a.ignored, ignoredHit{h, fmt.Sprintf("negated by %q", h.negation)})
			continue
		case fl.wish && (conditional(tt, h.sentence) || hasWord(tt, h.sentence, wouldLikeWords) || insteadWords[tt.tokens[h.tokens[0]].word]) && (h.concept == cStateWrong || h.concept == cStateCosmetic):
			// "Es wäre super, wenn man … Formeln statt fester Werte
			// exportieren könnte", "it would be great if the font could be
			// bigger": what the wish would change, not a fault.
			a.ignored = append(a.ignored, ignoredHit{h, "what a wish would change, not a fault"})
			continue
		case reply && isSubject(h.sentence) && isImpactConcept(h.concept):
			a.ignored = append(a.ignored, ignoredHit{h, "in the subject of a reply, which names the original topic"})
			continue
		case fl.history && !fl.pastEvent && !afterAction && (h.concept.family() == "security" || h.concept == cDataLost):
			// "140 failed logins between 02:50 and 03:05, then one
			// successful login", "all results between 12:00 and 18:10 are
			// missing": the window dates the event; its harm is current.
		case fl.history && isImpactConcept(h.concept) && h.concept.family() != "intent" &&
			(historyClause[clauseOf(tt, h)] || !tt.startsWithContrast(clauseOf(tt, h)) && !clauseHasWord(tt, clauseOf(tt, h), stillWords)):
			// A sentence about a past incident, unless a clause of its
			// own says what is wrong now ("but …", "it still fails").
			a.ignored = append(a.ignored, ignoredHit{h, "about a past or resolved incident"})
			continue
		case afterAction && isImpactConcept(h.concept) && h.concept.family() != "intent" && !isNew(h) &&
			(afterActionClause[clauseOf(tt, h)] || !clauseHasWord(tt, clauseOf(tt, h), currentWords) && !tt.startsWithContrast(clauseOf(tt, h))):
			a.ignored = append(a.ignored, ignoredHit{h, "a mail after an incident (root cause analysis, SLA credit): tells the incident that is over"})
			continue
		case (h.concept.family() == "data" || h.concept.family() == "security") && isSubject(h.sentence) && tt.isQuestion(h.sentence) &&
			!hasBodyHit(hits, h.concept, subjectSentences) && deniedInBody(hits, subjectSentences):
			// "Fuite de données ?" as the subject, the body denying it
			// ("personne d'autre n'a reçu ses données"): a question, not
			// a report. ("Logged into someone else's account??" over a
			// body that tells it stays a report.)
			a.ignored = append(a.ignored, ignoredHit{h, "asked in the subject; the body denies it"})
			continue
		case (h.concept.family() == "data" || h.concept.family() == "security") && askedWhether(tt, h):
			// "… ob personenbezogene Daten verloren gegangen … sind",
			// "whether any data was lost": asked about, not reported.
			a.ignored = append(a.ignored, ignoredHit{h, "asked whether"})
			continue
		case (fl.hypothetical || hypotheticalClause[clauseOf(tt, h)]) && isProblemConcept(h.concept):
			a.ignored = append(a.ignored, ignoredHit{h, "hypothetical"})
			continue
		}
		live = append(live, h)
	}

	a.restored = restored
	// A reply that opens a new matter ("Two things: … 2. Since the fix,
	// the confirmation e-mails are not being sent"): the subject names
	// the old incident, and its scope and function are not the new one's.
	if reply && newFrom >= 0 {
		live = slices.DeleteFunc(live, func(h hit) bool {
			return isSubject(h.sentence) && (h.concept.family() == "scope" || h.concept.family() == "function")
		})
	}
	// "root cause report", "Störungsbericht", "rapport d'incident": the
	// report on an incident names no function of the product.
	reportOf := map[int]bool{}
	for _, h := range hits {
		if (h.concept == cAfterAction || h.concept == cIntentAdmin) && h.negation == "" {
			for _, t := range h.tokens {
				reportOf[t] = true
			}
		}
	}
	live = slices.DeleteFunc(live, func(h hit) bool {
		if h.concept != cFuncPeripheral && h.concept != cFuncCritical && h.concept != cFuncSystem {
			return false
		}
		return !slices.ContainsFunc(h.tokens, func(t int) bool { return !reportOf[t] })
	})
	live = a.dropSubjectLabels(live, isSubject)
	live = a.dropWhenNoProblem(tt, live)
	live = a.dropMissingFeature(live)
	live = a.readWorkaround(live, isSubject)
	live = a.dropLocalMinor(tt, live, isSubject)
	a.readState(tt, live, flags)
	a.readEnvironment(tt, live, prodFine, isSubject)
	a.readScope(tt, live, shares, flags, isSubject)
	a.readFunction(tt, live, isSubject)
	a.readImpact(live)
	a.readLossAndSecurity(live, flags, isSubject)
	a.readIntent(tt, live, isSubject)
	return a
}

// dropSubjectLabels ignores generic fault words in the subject ("Error",
// "Fehler", "Problème") when the body describes the state itself: a label
// must not outrank the described impact.
func (a *assessment) dropSubjectLabels(live []hit, isSubject func(int) bool) []hit {
	bodyState := false
	for _, h := range live {
		if !isSubject(h.sentence) && h.concept.family() == "state" && h.concept != cStateNot && h.concept != cStateProblem {
			bodyState = true
		}
	}
	if !bodyState {
		return live
	}
	out := live[:0:0]
	for _, h := range live {
		if isSubject(h.sentence) && (h.concept == cStateFailing || h.concept == cStateProblem) {
			a.ignored = append(a.ignored, ignoredHit{h, "a generic word in the subject; the body says what is wrong"})
			continue
		}
		out = append(out, h)
	}
	return out
}

// diagnosisWords mark a part said to be fine as a diagnosis ("the
// terminals themselves are fine"), not as a function that still works;
// so does reported speech ("our payment provider says everything is in
// order on their side"): another party's view of its own system.
var diagnosisWords = map[string]bool{"itself": true, "themselves": true, "selbst": true,
	// the customer's own side: "our network and laptops are fine"
	"network": true, "laptops": true, "pcs": true, "computers": true, "internet": true, "wifi": true, "browser": true, "browsers": true,
	"netzwerk": true, "rechner": true, "laptop": true, "reseau": true, "ordinateurs": true, "postes": true,
	"internetverbindung": true, "netz": true, "wlan": true, "connection": true, "verbindung": true, "connexion": true,
	"meme": true, "memes": true, "healthy": true, "checked": true, "gepruft": true, "verifie": true,
	"says": true, "said": true, "claims": true, "according": true, "sagt": true, "sagen": true, "sagte": true, "meint": true,
	"laut": true, "behauptet": true, "dit": true, "disent": true, "affirme": true, "selon": true}

// barelyWords say that what still works hardly does.
var barelyWords = map[string]bool{"barely": true, "hardly": true, "kaum": true, "peine": true, "knapp": true}

// ownInfraWords name the customer's own infrastructure.
var ownInfraWords = map[string]bool{"internet": true, "internetverbindung": true, "network": true, "netzwerk": true, "netz": true,
	"wlan": true, "wifi": true, "box": true, "ordinateurs": true, "computers": true, "pcs": true, "laptops": true, "rechner": true,
	"browser": true, "browsers": true, "reseau": true}

// timingWords: a sentence about when to look ("if somebody can look
// tomorrow morning, that is also fine") says nothing about what works.
var timingWords = map[string]bool{"tomorrow": true, "hurry": true, "rush": true, "tonight": true, "later": true,
	"morgen": true, "eile": true, "spater": true, "demain": true, "presse": true, "presser": true}

// pastFine: "yesterday evening it was fine", "gestern lief noch alles",
// "hier tout marchait": how it was before the problem, not the part
// that still works.
var pastFine = map[string]bool{"was": true, "were": true, "worked": true, "yesterday": true, "before": true,
	"war": true, "waren": true, "lief": true, "liefen": true, "funktionierte": true, "gestern": true, "vorher": true, "zuvor": true,
	"etait": true, "etaient": true, "marchait": true, "fonctionnait": true, "allait": true, "hier": true, "avant": true}

// fixedWords ask for a finding to be fixed ("when these will be
// fixed"); a fix named as a noun ("document a fix or an accepted risk")
// does not.
var fixedWords = map[string]bool{"fixed": true, "remediated": true, "remediate": true, "beheben": true, "korrigieren": true, "corriger": true, "remedier": true, "corrected": true, "patched": true,
	"behoben": true, "korrigiert": true, "geschlossen": true, "corrige": true, "corrigee": true, "corriges": true, "corrigees": true}

// recurWords and nowWords: an incident back right now ("it's happening
// again, right now", "seit 15 Uhr wieder", "ça recommence depuis ce matin").
var (
	recurWords = map[string]bool{"again": true, "wieder": true, "erneut": true, "nouveau": true, "recommence": true, "recommencent": true}
	nowWords   = map[string]bool{"now": true, "currently": true, "jetzt": true, "gerade": true, "aktuell": true, "momentan": true,
		"maintenant": true, "actuellement": true, "since": true, "seit": true, "depuis": true}
)

// fixWords make a wish a request to fix a fault.
var fixWords = map[string]bool{"fixed": true, "fix": true, "corrected": true, "repaired": true, "resolved": true,
	"korrigiert": true, "behoben": true, "repariert": true, "gefixt": true, "korrigieren": true, "beheben": true,
	"corrige": true, "corrigee": true, "corriger": true, "repare": true, "reparer": true, "resolu": true}

// restoreAsked: a restoration asked for or wished ("whether the data
// can be restored", "please restore") reports none.
var restoreAsked = map[string]bool{"if": true, "whether": true, "can": true, "could": true, "please": true, "when": true, "until": true,
	"ob": true, "falls": true, "wenn": true, "konnen": true, "kann": true, "bitte": true, "wann": true, "bis": true,
	"si": true, "pouvez": true, "pourriez": true, "peut": true, "quand": true}

// reportingQuestion: a question with these words reports a problem
// ("why is the export still failing?", "warum geht seit gestern …?").
var reportingQuestion = map[string]bool{"why": true, "warum": true, "wieso": true, "weshalb": true, "pourquoi": true,
	"since": true, "seit": true, "depuis": true, "still": true, "noch": true, "toujours": true, "again": true, "wieder": true, "anymore": true}

// ongoingWords say that a problem is current.
var ongoingWords = map[string]bool{"still": true, "again": true, "now": true, "currently": true, "today": true, "since": true, "remains": true, "anymore": true,
	"noch": true, "wieder": true, "weiterhin": true, "jetzt": true, "aktuell": true, "derzeit": true, "momentan": true, "heute": true, "seit": true, "nach": true,
	"toujours": true, "encore": true, "nouveau": true, "maintenant": true, "actuellement": true, "aujourd": true, "depuis": true, "reste": true, "restent": true}

// currentWords say, in a clause of a mail about a past incident, that a
// problem is current: ongoingWords without "nach" (after).
var currentWords = func() map[string]bool {
	m := maps.Clone(ongoingWords)
	delete(m, "nach")
	return m
}()

// insteadWords open a "wrong" cue that, in a wish, names what the wish
// replaces ("der Wunsch, die Waschküche über das Portal zu reservieren,
// statt über den Papierplan").
var insteadWords = map[string]bool{"statt": true, "anstatt": true, "instead": true, "rather": true, "au": true, "plutot": true}

// otherWords make a quantifier the complement of what is affected.
var otherWords = map[string]bool{"other": true, "others": true, "else": true, "rest": true, "andere": true, "anderen": true,
	"anderer": true, "übrigen": true, "ubrigen": true, "restlichen": true, "autres": true, "autre": true, "reste": true}

// complement reports whether an "everyone" hit names the others: an
// "other" word among or right after its words.
func complement(tt *tokenizedText, h hit) bool {
	first, last := h.tokens[0], h.tokens[len(h.tokens)-1]
	for i := max(first-1, 0); i <= last+1 && i < len(tt.tokens); i++ { // "other all users" too
		if otherWords[tt.tokens[i].word] {
			return true
		}
	}
	return false
}

// askedWhether reports whether "whether"/"ob" (or "si" after a verb of
// asking) stands before h in its sentence, within eight words.
func askedWhether(tt *tokenizedText, h hit) bool {
	if askedOfVendor(tt, h.sentence) {
		return true
	}
	first := h.tokens[0]
	for i := first - 1; i >= 0 && i >= first-8 && tt.tokens[i].sentence == tt.tokens[first].sentence; i-- {
		switch w := tt.tokens[i].word; w {
		case "whether", "ob":
			return true
		case "si":
			if i > 0 && askVerbs[tt.tokens[i-1].word] {
				return true
			}
		}
	}
	return false
}

// deniedInBody reports whether the body takes back a data or security
// problem: a negated cue of those families ("no data was exposed"), a
// data-recovered one ("nothing was lost") or a no-problem marker
// ("personne d'autre n'a reçu ses données").
func deniedInBody(hits []hit, subjectSentences int) bool {
	return slices.ContainsFunc(hits, func(h hit) bool {
		return h.sentence >= subjectSentences && (h.concept == cDataRecovered || h.concept == cNoProblem ||
			h.negation != "" && (h.concept.family() == "data" || h.concept.family() == "security"))
	})
}

// hasBodyHit reports whether a hit of concept c, not negated, lies in the
// body (past the subject's sentences).
func hasBodyHit(hits []hit, c concept, subjectSentences int) bool {
	return slices.ContainsFunc(hits, func(h hit) bool { return h.concept == c && h.negation == "" && h.sentence >= subjectSentences })
}

// askedOfVendor: a question about the vendor's own record or practice
// ("Have you had a data breach in the last 24 months?", "What is your
// ransomware recovery time?", "Hatten Sie einen Sicherheitsvorfall?"),
// as in a questionnaire; "are you aware that …" still reports.
func askedOfVendor(tt *tokenizedText, sentence int) bool {
	if !tt.isQuestion(sentence) {
		return false
	}
	var words []string
	for _, t := range tt.tokens {
		if t.sentence == sentence {
			if reportWords[t.word] {
				return false
			}
			words = append(words, t.word)
		}
	}
	for i := 0; i+1 < len(words) && i < 3; i++ {
		if questionOpeners[words[i]] && (vendorWords[words[i+1]] || i+2 < len(words) && vendorWords[words[i+2]]) {
			return true
		}
	}
	return false
}

var (
	questionOpeners = map[string]bool{"have": true, "has": true, "had": true, "did": true, "do": true, "does": true, "is": true, "are": true, "was": true, "were": true,
		"what": true, "how": true, "where": true, "when": true, "which": true,
		"hatten": true, "haben": true, "hat": true, "gab": true, "gibt": true, "wie": true, "wo": true, "welche": true, "welches": true,
		"avez": true, "aviez": true, "quel": true, "quelle": true, "quels": true, "quelles": true, "comment": true, "ou": true}
	vendorWords = map[string]bool{"you": true, "your": true, "sie": true, "ihr": true, "ihre": true, "ihren": true, "vous": true, "votre": true, "vos": true}
	// reportWords turn a question into a report ("are you aware that …").
	reportWords = map[string]bool{"aware": true, "know": true, "bewusst": true, "bekannt": true, "savez": true, "saviez": true, "conscients": true}
)

// askVerbs make the French "si" ask ("savoir si", "vérifier si").
var askVerbs = map[string]bool{"savoir": true, "demander": true, "verifier": true, "confirmer": true, "indiquer": true, "preciser": true, "dire": true}

// wouldLikeWords make a wish without a condition ("hätte ich gern das
// Logo rechts statt links", "I'd like the logo on the right").
var wouldLikeWords = map[string]bool{"gern": true, "gerne": true, "like": true, "love": true, "aimerais": true, "aimerions": true,
	"voudrais": true, "voudrions": true, "souhaiterais": true, "souhaiterions": true}

// conditionalWords introduce the wished-for condition of a bug report
// phrased as a wish ("it would be nice if it did not crash").
var conditionalWords = map[string]bool{"if": true, "wenn": true, "falls": true, "si": true, "dass": true, "que": true}

// questionConditions make a question hypothetical ("if our endpoint is
// down, do you retry?"); the French "si" is left out, it is also "so".
var questionConditions = map[string]bool{"if": true, "whether": true, "wenn": true, "falls": true, "ob": true}

func conditional(tt *tokenizedText, sentence int) bool {
	return hasWord(tt, sentence, conditionalWords)
}

// stillWords say, in a clause of a sentence about the past, that the
// problem goes on ("the fix helped - it still fails for long reports");
// "immer" alone is "always" ("es kam immer 'Host nicht erreichbar'"):
// "immer noch" has its "noch".
var stillWords = map[string]bool{"still": true, "again": true, "noch": true, "weiterhin": true, "wieder": true,
	"toujours": true, "encore": true, "nouveau": true}

// clauseHasWord reports whether clause holds one of words.
func clauseHasWord(tt *tokenizedText, clause int, words map[string]bool) bool {
	for _, t := range tt.tokens {
		if t.clause == clause && words[t.word] {
			return true
		}
	}
	return false
}

// mailHasWord reports whether any sentence holds one of words.
func mailHasWord(tt *tokenizedText, words map[string]bool) bool {
	for _, t := range tt.tokens {
		if words[t.word] {
			return true
		}
	}
	return false
}

// saysOngoing: an ongoingWords word in the sentence; "heute früh",
// "heute Morgen" date a past outage ("Ausfall aller Filialen heute
// früh"), not a current one.
func saysOngoing(tt *tokenizedText, sentence int) bool {
	for i, t := range tt.tokens {
		if t.sentence != sentence || !ongoingWords[t.word] {
			continue
		}
		if t.word == "heute" && i+1 < len(tt.tokens) && pastPartOfDay[tt.tokens[i+1].word] {
			continue
		}
		return true
	}
	return false
}

var pastPartOfDay = map[string]bool{"fruh": true, "morgen": true, "vormittag": true, "nacht": true, "mittag": true}

// restoreIsAsked: a word asking for the service back ("can you bring
// it back", "please restore", "until it is back") before the restored
// words or in their clause; "it came back on its own, nothing lost that
// we can see" asks for nothing.
func restoreIsAsked(tt *tokenizedText, h hit) bool {
	for i, t := range tt.tokens {
		if t.sentence == h.sentence && restoreAsked[t.word] && (i < h.tokens[0] || t.clause == clauseOf(tt, h)) {
			return true
		}
	}
	return false
}

func hasWord(tt *tokenizedText, sentence int, words map[string]bool) bool {
	for _, t := range tt.tokens {
		if t.sentence == sentence && words[t.word] {
			return true
		}
	}
	return false
}

// dropWhenNoProblem: a mail that says nothing is broken ("just an idea,
// nothing's broken", "nothing is down, everything works") describes at
// most a misbehaviour (a wrong result), or, when it asks for something
// new, the motivation of a wish; only lost data or a breach still count.
func (a *assessment) dropWhenNoProblem(tt *tokenizedText, live []hit) []hit {
	// "Techniquement tout fonctionne, mais à cette vitesse …",
	// "everything works, but it takes minutes": conceded, then
	// contradicted in the same sentence; nothing is down, something is
	// slow or failing (as marker.not-down says), not nothing broken.
	live = slices.DeleteFunc(live, func(h hit) bool {
		if h.concept == cNoProblem && limitedRightAfter(tt, h) {
			a.ignored = append(a.ignored, ignoredHit{h, "limited right after (\"until\", \"except\"): says nothing about what fails"})
			return true
		}
		// "Sur les cinq autres lignes, tout fonctionne": everything
		// works on the others, not everywhere.
		if h.concept == cNoProblem && hasWord(tt, h.sentence, otherWords) {
			a.ignored = append(a.ignored, ignoredHit{h, "said of the others: the rest works"})
			return true
		}
		return false
	})
	for i, h := range live {
		if h.concept == cNoProblem && contradictedLater(tt, h) {
			a.ignored = append(a.ignored, ignoredHit{h, "conceded, then contradicted by a \"but\" clause: read as nothing down"})
			live[i].concept = cNotDown
		}
	}
	// "Our provider says everything works on their side": another
	// party's view, or a diagnosis, says nothing about this mail.
	if !slices.ContainsFunc(live, func(h hit) bool { return h.concept == cNoProblem && !hasWord(tt, h.sentence, diagnosisWords) }) {
		return live
	}
	wish := len(collect(live, cIntentWish)[cIntentWish]) > 0
	// "2. It would be great if …, just an idea. 3. Cow 1187 shows as
	// dry …": a wish said in a list item of its own speaks for that item.
	saidIn := map[int]bool{}
	for _, h := range live {
		if h.concept == cNoProblem {
			saidIn[paragraphOf(tt, h)] = true
		}
	}
	ownItem := func(h hit) bool {
		return !saidIn[paragraphOf(tt, h)] && slices.ContainsFunc(live, func(w hit) bool { return w.concept == cIntentWish && saidIn[paragraphOf(tt, w)] }) &&
			!slices.ContainsFunc(live, func(w hit) bool { return w.concept == cIntentWish && paragraphOf(tt, w) == paragraphOf(tt, h) })
	}
	regressed := sentencesOf(collect(live, cRegression)[cRegression])
	out := live[:0:0]
	for _, h := range live {
		switch h.concept {
		case cStateStopped, cStateDegraded, cStateFailing, cStateWrong:
			if wish && (ownItem(h) || regressed[h.sentence]) {
				// "… could load a bit faster. Since last Thursday it
				// takes 2 to 4 minutes, it used to open instantly": a
				// fault told as a wish is still a fault.
				out = append(out, h)
				continue
			}
			if wish {
				// "Nothing's broken, just an idea … fine but slow": the
				// motivation of a wish.
				a.ignored = append(a.ignored, ignoredHit{h, "the mail says nothing is broken and asks for something new"})
				continue
			}
			// "It's just that the checkbox has stopped doing anything":
			// something misbehaves, nothing is down.
			a.ignored = append(a.ignored, ignoredHit{h, "the mail says nothing is broken: read as a wrong behaviour"})
			h.concept = cStateWrong
		case cStateProblem, cImpactCritical, cImpactSignificant:
			a.ignored = append(a.ignored, ignoredHit{h, "the mail says nothing is broken"})
			continue
		}
		out = append(out, h)
	}
	return out
}

// dropMissingFeature: "your POS still cannot do a combined price … is
// this on your roadmap?" A mail that asks for something new
// (marker.roadmap) and says in so many words that the product lacks it
// (marker.missing-feature) describes no fault in the sentences that say
// so, unless they say it worked before (marker.regression): their
// stopped, failing or wrong states are the wish's motivation.
// Data lost and breaches are never a wish's motivation; a state in
// another sentence still counts.
func (a *assessment) dropMissingFeature(live []hit) []hit {
	by := collect(live, cRoadmap, cMissingFeature, cRegression, cDataLost, cSecurityBreach, cSecuritySuspected, cScopePerEvent)
	// "we export to CSV and convert it ourselves, and each time the notes
	// are lost": what a workaround loses every time is no stored data.
	perEvent := sentencesOf(by[cScopePerEvent])
	lostInWorkaround := func(h hit) bool { return h.concept == cDataLost && perEvent[h.sentence] }
	if len(by[cRoadmap]) == 0 || len(by[cMissingFeature]) == 0 || len(by[cSecurityBreach])+len(by[cSecuritySuspected]) > 0 ||
		slices.ContainsFunc(by[cDataLost], func(h hit) bool { return !lostInWorkaround(h) }) {
		return live
	}
	lacks := sentencesOf(by[cMissingFeature])
	for _, h := range by[cRegression] {
		delete(lacks, h.sentence) // "since the update it cannot …": it could before
	}
	return slices.DeleteFunc(live, func(h hit) bool {
		if lostInWorkaround(h) {
			a.ignored = append(a.ignored, ignoredHit{h, "lost each time by the workaround for a capability the product lacks"})
			return true
		}
		switch h.concept {
		case cStateStopped, cStateFailing, cStateWrong, cStateProblem, cImpactCritical, cImpactSignificant:
			if lacks[h.sentence] {
				a.ignored = append(a.ignored, ignoredHit{h, "a capability the product lacks, asked for: the motivation of a wish"})
				return true
			}
		}
		return false
	})
}

// contradictedLater reports whether a later clause of h's sentence starts
// with a contrast word ("but", "aber", "mais").
func contradictedLater(tt *tokenizedText, h hit) bool {
	c := clauseOf(tt, h)
	for _, k := range tt.contrast {
		if k > c && tt.tokens[h.tokens[len(h.tokens)-1]].sentence == sentenceOfClause(tt, k) {
			return true
		}
	}
	return false
}

// limitedRightAfter reports whether a limit follows h within three words
// of its sentence: "everything works until you click Pay now", "alles
// geht, ausser …" concede nothing about the step that fails.
func limitedRightAfter(tt *tokenizedText, h hit) bool {
	last := h.tokens[len(h.tokens)-1]
	for i := last + 1; i < len(tt.tokens) && i <= last+3 && tt.tokens[i].sentence == tt.tokens[last].sentence; i++ {
		if limitWords[tt.tokens[i].word] {
			return true
		}
	}
	return false
}

// limitWords bound what a concession says works ("everything works
// until …", "alles geht ausser …", "tout fonctionne sauf …").
var limitWords = map[string]bool{"until": true, "till": true, "except": true, "bis": true, "ausser": true,
	"jusqu": true, "sauf": true, "excepte": true}

// sentenceOfClause returns the sentence clause c belongs to (-1 if none).
// clauseOrNextHasWord reports whether clause c, or the clause after it in
// the same sentence ("People can still work, barely"), has one of words.
func clauseOrNextHasWord(tt *tokenizedText, c int, words map[string]bool) bool {
	return clauseHasWord(tt, c, words) || sentenceOfClause(tt, c+1) == sentenceOfClause(tt, c) && clauseHasWord(tt, c+1, words)
}

func sentenceOfClause(tt *tokenizedText, c int) int {
	for _, t := range tt.tokens {
		if t.clause == c {
			return t.sentence
		}
	}
	return -1
}

// modalWords and modalNegations: "can't", "cannot", "kann … nicht", "ne
// peut pas" before a workaround in its clause say it is impossible.
var (
	modalWords     = map[string]bool{"can": true, "cannot": true, "could": true, "couldn": true, "kann": true, "konnen": true, "konnten": true, "konnte": true, "peut": true, "peuvent": true, "pouvons": true, "pouvez": true, "peux": true}
	modalNegations = map[string]bool{"not": true, "cannot": true, "nicht": true, "keine": true, "keinen": true, "kein": true, "pas": true, "ne": true, "n": true}
)

// cannotBefore reports whether h's clause holds a negated modal before
// h ("we can't … another way").
func cannotBefore(tt *tokenizedText, h hit) bool {
	c := clauseOf(tt, h)
	modal, neg := false, false
	for i := h.tokens[0] - 1; i >= 0 && tt.tokens[i].clause == c; i-- {
		w := tt.tokens[i].word
		modal = modal || modalWords[w]
		neg = neg || modalNegations[w]
	}
	return modal && neg
}

// clauseOf returns the clause of a hit's first word.
func clauseOf(tt *tokenizedText, h hit) int { return tt.tokens[h.tokens[0]].clause }

// paragraphOf is the paragraph (or list item) h starts in.
func paragraphOf(tt *tokenizedText, h hit) int { return tt.tokens[h.tokens[0]].paragraph }

// readState takes the most severe state described. Within a clause a
// cosmetic cue outranks generic fault words ("Darstellungsfehler"), and a
// failure that hits everyone is a stop ("fails for every order").
func (a *assessment) readState(tt *tokenizedText, live []hit, flags []sentenceFlags) {
	everyone := map[int]bool{}
	cosmeticClause := map[int]bool{}
	intermittentClause := map[int]bool{}
	intermittentSentence := map[int]bool{}
	for _, h := range live {
		switch h.concept {
		case cScopeEveryone:
			if !flags[h.sentence].subset {
				everyone[h.sentence] = true
			}
		case cStateCosmetic:
			cosmeticClause[clauseOf(tt, h)] = true
		case cIntermittent, cAlmost:
			intermittentClause[clauseOf(tt, h)] = true
			intermittentSentence[h.sentence] = true
		}
	}
	// "So slow it's close to unusable … it does eventually work, nothing
	// is down": the mail says nothing is stopped.
	notDown := slices.ContainsFunc(live, func(h hit) bool { return h.concept == cNotDown })
	best, bestRank := []hit(nil), len(stateRank)
	problem := false
	for _, h := range live {
		rank, ok := stateRank[h.concept]
		if !ok {
			// "a feed for incidents?": a problem word in a question is no
			// incident.
			problem = problem || (h.concept == cStateProblem && !tt.isQuestion(h.sentence))
			continue
		}
		if (h.concept == cStateFailing || h.concept == cStateWrong) && cosmeticClause[clauseOf(tt, h)] {
			continue
		}
		// A stop or a failure that comes and goes is a degradation, even
		// when it hits everyone ("one in three card payments fails at all
		// tills"); so is the error message quoted with it ("bricht jede
		// dritte Zahlung ab (\"Terminal antwortet nicht\")").
		comesAndGoes := intermittentClause[clauseOf(tt, h)] || tt.tokens[h.tokens[0]].aside && intermittentSentence[h.sentence]
		if h.concept == cStateFailing && everyone[h.sentence] && !notDown {
			rank = stateRank[cStateStopped]
			if comesAndGoes {
				rank = stateRank[cStateDegraded]
			}
		}
		if h.concept == cStateStopped && (comesAndGoes || notDown) {
			// "etwa jedes dritte Mal bricht der Vorgang ab", "quasiment à
			// l'arrêt": it comes and goes, or nearly stops; degraded, not
			// down.
			rank = stateRank[cStateDegraded]
		}
		switch {
		case rank < bestRank:
			best, bestRank = []hit{h}, rank
		case rank == bestRank:
			best = append(best, h)
		}
	}
	allQuestions := len(best) > 0
	reports := false
	for _, h := range best {
		allQuestions = allQuestions && tt.isQuestion(h.sentence)
		reports = reports || hasWord(tt, h.sentence, reportingQuestion)
	}
	if allQuestions && !reports {
		// "Is the portal offline during the whole window?", "Is there a
		// bulk endpoint we should use instead?": asked, not reported.
		for _, h := range best {
			a.ignored = append(a.ignored, ignoredHit{h, "only asked about"})
		}
		best = nil
	}
	if len(best) == 0 {
		// "Wir haben ihm den Lohnzettel vorerst händisch korrigiert", "we
		// type them in by hand, three hours a day": a workaround in use
		// says something does not work, however the fault was put.
		if used := workaroundsInUse(tt, a, flags); len(used) > 0 {
			a.f.State, a.because["state"], a.f.Intent = StateFailing, used, IntentIncident
			return
		}
		// "Juste un détail …, ce n'est pas bloquant": a minor impact
		// stated is a minor fault, unless the mail wishes for something.
		// A pentest finding "rated medium" that the mail only asks
		// about ("can TLS 1.1 be disabled, and how?") rates the
		// finding; asked to be fixed, it is a fault.
		if minor := minorImpactStated(tt, live, flags); len(minor) > 0 && (len(collect(live, cSecurityVulnerability)[cSecurityVulnerability]) == 0 || mailHasWord(tt, fixedWords)) {
			a.f.State, a.because["state"], a.f.Intent = StateFailing, minor, IntentIncident
			return
		}
		if problem {
			a.f.Intent = IntentIncident
		}
		return
	}
	for c, r := range stateRank {
		if r == bestRank {
			a.f.State = stateOf[c]
		}
	}
	a.because["state"] = best
	a.f.Intent = IntentIncident
	if allQuestions {
		a.weakState = true
		a.alternatives = append(a.alternatives, alternative{"state", string(StateNone)})
	}
}

// workaroundsInUse returns the hits of an easy or costly workaround the
// mail says is used (not asked about, not hypothetical). A mail that
// wishes for something new has none: the manual way it describes ("we
// assign roles by hand") is the wish's motivation, not a fault.
func workaroundsInUse(tt *tokenizedText, a *assessment, flags []sentenceFlags) []hit {
	if a.f.Workaround != WorkaroundEasy && a.f.Workaround != WorkaroundCostly {
		return nil
	}
	for _, fl := range flags {
		if fl.wish {
			return nil
		}
	}
	var used []hit
	for _, h := range a.because["workaround"] {
		fl := flags[h.sentence]
		if tt.isQuestion(h.sentence) || fl.hypothetical {
			continue
		}
		used = append(used, h)
	}
	return used
}

// minorImpactStated returns the statements of a minor impact in a mail
// that wishes for nothing (not asked about, not hypothetical).
func minorImpactStated(tt *tokenizedText, live []hit, flags []sentenceFlags) []hit {
	for _, fl := range flags {
		if fl.wish {
			return nil
		}
	}
	var out []hit
	for _, h := range live {
		if h.concept == cImpactMinor && !tt.isQuestion(h.sentence) && !flags[h.sentence].hypothetical {
			out = append(out, h)
		}
	}
	return out
}

// nearestEnv returns the environment hit nearest to h in the same clause,
// else in the same sentence, skipping hits in skip.
func nearestEnv(tt *tokenizedText, h hit, envs []hit, skip map[int]bool) (hit, bool) {
	best, bestDist, found := hit{}, 1<<30, false
	for _, level := range []bool{true, false} { // clause first, then sentence
		for _, e := range envs {
			if skip[e.tokens[0]] || e.sentence != h.sentence || (level && clauseOf(tt, e) != clauseOf(tt, h)) {
				continue
			}
			d := abs(e.tokens[0] - h.tokens[0])
			if d < bestDist {
				best, bestDist, found = e, d, true
			}
		}
		if found {
			return best, true
		}
	}
	return hit{}, false
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// readEnvironment binds each described problem to the environment named
// nearest to it. A problem bound to production makes the mail production;
// else one bound to a test system makes it non-production, as does
// production named as fine; else the environments merely mentioned.
func (a *assessment) readEnvironment(tt *tokenizedText, live, prodFine []hit, isSubject func(int) bool) {
	var envs, fines, problems []hit
	for _, h := range live {
		switch {
		case h.concept == cEnvProduction || h.concept == cEnvNonProduction:
			envs = append(envs, h)
		case h.concept == cEnvFine:
			fines = append(fines, h)
		case isProblemConcept(h.concept):
			problems = append(problems, h)
		}
	}
	// A described state outranks a bare "problem" or "incident".
	if specific := slices.DeleteFunc(slices.Clone(problems), func(h hit) bool { return h.concept == cStateProblem }); len(specific) > 0 {
		problems = specific
	}
	// Environments said to be fine are not where the problem is.
	fineEnv := map[int]bool{}
	negatedProd := len(prodFine) // "no production impact"
	plantWordsOnly := true
	for _, f := range fines {
		if e, ok := nearestEnv(tt, f, envs, nil); ok {
			fineEnv[e.tokens[0]] = true
			if e.concept == cEnvProduction {
				prodFine = append(prodFine, f)
				plantWordsOnly = plantWordsOnly && len(e.tokens) == 1 && manufacturingProduction[tt.tokens[e.tokens[0]].word]
			}
		}
	}
	// "Production itself is running normally" in a plant: the
	// manufacturing runs, which says nothing about a test system.
	plantFine := negatedProd == 0 && len(prodFine) > 0 && plantWordsOnly && mailHasWord(tt, shopFloorWords)
	a.prodSaidFine = len(prodFine) > 0 && !plantFine
	var onProd, onTest, free []hit
	for _, p := range problems {
		e, ok := nearestEnv(tt, p, envs, fineEnv)
		if !ok {
			// A problem told before any environment is named is a matter
			// of its own ("3) the app closes itself for all of T2 … 5) FYI
			// the training system was slow yesterday").
			// (The subject is the mail's title, not a matter told first.)
			if !isSubject(p.sentence) && !slices.ContainsFunc(envs, func(e hit) bool { return e.tokens[0] < p.tokens[0] }) {
				free = append(free, p)
			}
			continue
		}
		if e.concept == cEnvProduction && len(prodFine) > 0 {
			// Production is said to be fine: a test system named with the
			// problem is where it is ("the staging refresh from
			// production stopped; production is untouched"), and so is
			// one named elsewhere when production is only in the
			// problem's sentence, not its clause ("the load test was
			// aborted, and the go-live on Monday is at risk").
			sameClause := clauseOf(tt, e) == clauseOf(tt, p)
			for _, o := range envs {
				if o.concept == cEnvNonProduction && !fineEnv[o.tokens[0]] && (o.sentence == p.sentence || !sameClause) {
					e = o
					break
				}
			}
		}
		if e.concept == cEnvProduction {
			onProd = append(onProd, e)
		} else {
			onTest = append(onTest, e)
		}
	}
	var mentionedProd, mentionedTest []hit
	for _, e := range envs {
		if fineEnv[e.tokens[0]] {
			continue
		}
		if e.concept == cEnvProduction {
			mentionedProd = append(mentionedProd, e)
		} else {
			mentionedTest = append(mentionedTest, e)
		}
	}
	switch {
	case len(onProd) > 0:
		a.f.Environment, a.because["environment"] = EnvProduction, onProd
		if len(onTest) > 0 {
			a.alternatives = append(a.alternatives, alternative{"environment", string(EnvNonProduction)})
		}
	case len(onTest) > 0 && len(free) > 0 && len(prodFine) == 0 && !slices.ContainsFunc(onTest, func(e hit) bool { return paragraphOf(tt, e) <= paragraphOf(tt, free[0])+1 }):
		// The test system is named only later, with a matter of its own
		// between, and production is not said to be fine: the problem
		// told first is another matter, its environment unknown. (A
		// "Précision : il s'agit de l'environnement de recette" right
		// after the problem, or "la production tourne normalement",
		// makes the whole mail one on a test system.)
		a.alternatives = append(a.alternatives, alternative{"environment", string(EnvNonProduction)})
	case len(onTest) > 0:
		a.f.Environment, a.because["environment"] = EnvNonProduction, onTest
	case len(prodFine) > 0 && !plantFine:
		a.f.Environment, a.because["environment"] = EnvNonProduction, prodFine
	case len(mentionedTest) > 0 && len(mentionedProd) == 0:
		a.f.Environment, a.because["environment"] = EnvNonProduction, mentionedTest
	case len(mentionedProd) > 0 && len(mentionedTest) == 0:
		a.f.Environment, a.because["environment"] = EnvProduction, mentionedProd
	case len(mentionedProd) > 0:
		// Both named, neither bound to the problem: the first one named.
		if mentionedProd[0].tokens[0] < mentionedTest[0].tokens[0] {
			a.f.Environment, a.because["environment"] = EnvProduction, mentionedProd[:1]
			a.alternatives = append(a.alternatives, alternative{"environment", string(EnvNonProduction)})
		} else {
			a.f.Environment, a.because["environment"] = EnvNonProduction, mentionedTest[:1]
			a.alternatives = append(a.alternatives, alternative{"environment", string(EnvProduction)})
		}
	}
}

// manufacturingProduction are the words for production that, in a mail
// from the shop floor (shopFloorWords), name the manufacturing: when it
// "runs normally", the software's production is not said to be fine.
var manufacturingProduction = map[string]bool{"production": true, "produktion": true, "fertigung": true}

// shopFloorWords make a mail one from the shop floor.
var shopFloorWords = map[string]bool{"line": true, "lines": true, "linie": true, "linien": true, "lignes": true, "shift": true, "shifts": true,
	"schicht": true, "schichten": true, "plant": true, "werk": true, "usine": true, "atelier": true, "halle": true, "machines": true,
	"maschinen": true, "maschine": true, "pallet": true, "pallets": true, "palette": true, "paletten": true, "moulding": true, "molding": true}

// scopeRank orders scopes, widest first.
var scopeRank = map[concept]Scope{cScopeEveryone: ScopeEveryone, cScopeTeam: ScopeTeam, cScopeOneUser: ScopeOneUser, cScopeOneRecord: ScopeOneRecord}

// readScope takes the widest scope named where a problem is described
// (else anywhere). "All … above 50 MB" is a part, not everyone; "operation
// continues" means not everyone.
func (a *assessment) readScope(tt *tokenizedText, live []hit, shares []share, flags []sentenceFlags, isSubject func(int) bool) {
	problemSentence := map[int]bool{}
	var continues, subsets []hit
	for _, h := range live {
		switch {
		case isProblemConcept(h.concept):
			problemSentence[h.sentence] = true
		case h.concept == cScopeContinues:
			continues = append(continues, h)
		case h.concept == cScopeSubset:
			subsets = append(subsets, h)
		}
	}
	// Something is still wrong: what came back in the same environment is
	// the part that works ("the webshop is back, but the store API …").
	if len(problemSentence) > 0 {
		for _, r := range a.restored {
			if !slices.ContainsFunc(live, func(e hit) bool {
				return e.sentence == r.sentence && (e.concept == cEnvProduction && a.f.Environment == EnvNonProduction ||
					e.concept == cEnvNonProduction && a.f.Environment != EnvNonProduction)
			}) {
				r.concept = cScopeContinues
				continues = append(continues, r)
			}
		}
	}
	// "Le reste d'internet fonctionne normalement", "our network is
	// fine": the customer's own infrastructure working says nothing
	// about how much of the product does.
	continues = slices.DeleteFunc(continues, func(h hit) bool { return clauseHasWord(tt, clauseOf(tt, h), ownInfraWords) })
	// "People can still work, barely": hardly working is no part that works.
	continues = slices.DeleteFunc(continues, func(h hit) bool { return clauseOrNextHasWord(tt, clauseOf(tt, h), barelyWords) })
	// "Visa and PayPal work normally": a sentence that says something
	// works, naming no environment and no problem, says the rest works.
	envSentence := map[int]bool{}
	for _, h := range live {
		if h.concept == cEnvProduction || h.concept == cEnvNonProduction {
			envSentence[h.sentence] = true
		}
	}
	if len(problemSentence) > 0 {
		for _, h := range live {
			if h.concept == cEnvFine && !problemSentence[h.sentence] && !envSentence[h.sentence] && !isSubject(h.sentence) && !flags[h.sentence].history &&
				!hasWord(tt, h.sentence, diagnosisWords) && !hasWord(tt, h.sentence, pastFine) && !hasWord(tt, h.sentence, timingWords) {
				continues = append(continues, h)
			}
		}
	}
	// A share stated in a sentence that describes a problem decides: the
	// widest one. A share elsewhere ("85 % of our customers pay by card")
	// tells how many depend on something, not how much of it fails.
	var widest *share
	for i := range shares {
		sh := &shares[i]
		fl := flags[sh.sentence]
		if fl.history || fl.hypothetical || !problemSentence[sh.sentence] {
			continue
		}
		if widest == nil || sh.ratio > widest.ratio {
			widest = sh
		}
	}
	if widest != nil {
		a.f.Scope, a.because["scope"] = scopeOfShare(*widest), []hit{shareHit(tt, *widest)}
		// "none of the 120 users at our Rotterdam hub … the other two
		// sites are unaffected": all of one part.
		// (A share short of all, "412 of 415", names its remainder itself.)
		if a.f.Scope == ScopeEveryone && widest.ratio >= 1 && len(continues) > 0 {
			a.f.Scope, a.because["scope"] = ScopeTeam, append(a.because["scope"], continues...)
		}
		return
	}
	// "Copy-pasting the link works for everyone": who something works for
	// is not who is affected; nor is the scope of a way around ("to
	// update 7 extranets by hand after every booking is not possible").
	worksClause := map[int]bool{}
	for _, h := range live {
		// (An effort, "every morning", "all day", is no way around: "my
		// laptop crashes every morning" is still one user's.)
		if h.concept == cEnvFine || h.concept == cScopeContinues || h.concept.family() == "workaround" && h.concept != cWorkaroundNone && h.concept != cWorkaroundEffort {
			worksClause[clauseOf(tt, h)] = true
		}
	}
	pick := func(near bool) (Scope, []hit) {
		order := []concept{cScopeEveryone, cScopeTeam, cScopeOneUser, cScopeOneRecord}
		for _, c := range order {
			var found []hit
			for _, h := range live {
				if h.concept != c || (near && !problemSentence[h.sentence] && !isSubject(h.sentence)) || worksClause[clauseOf(tt, h)] {
					continue
				}
				found = append(found, h)
			}
			if len(found) == 0 {
				continue
			}
			if c == cScopeEveryone {
				var whole []hit
				for _, h := range found {
					if !flags[h.sentence].subset {
						whole = append(whole, h)
					}
				}
				if len(whole) == 0 {
					return ScopeTeam, found
				}
				found = whole
			}
			return scopeRank[c], found
		}
		return ScopeUnknown, nil
	}
	scope, why := pick(true)
	// "This is for all 230 agents": a wider scope stated in a sentence of
	// its own counts over a narrower one next to the problem.
	if wide, wideWhy := pick(false); wide == ScopeEveryone && scope != ScopeEveryone || scope == ScopeUnknown {
		scope, why = wide, wideWhy
	}
	if scope == ScopeUnknown {
		// "invoices above 10,000 EUR no longer …": a part of them.
		for _, s := range subsets {
			if problemSentence[s.sentence] {
				scope, why = ScopeTeam, []hit{s}
				break
			}
		}
	}
	if len(continues) > 0 && (scope == ScopeEveryone || scope == ScopeUnknown) {
		scope, why = ScopeTeam, continues
	}
	if scope != ScopeUnknown {
		a.f.Scope, a.because["scope"] = scope, why
	}
}

// specificFirst is the precedence of function readings named in one
// clause: the more specific wins ("invoice export" is an export).
// severeFirst is the precedence across the problems of a mail: the worst
// affected function decides.
var (
	specificFirst = []concept{cFuncAdministrative, cFuncDocumentation, cFuncPeripheral, cFuncCritical, cFuncSystem}
	severeFirst   = []concept{cFuncSystem, cFuncCritical, cFuncPeripheral, cFuncDocumentation, cFuncAdministrative}
)

var funcOf = map[concept]Function{cFuncDocumentation: FuncDocumentation, cFuncPeripheral: FuncPeripheral,
	cFuncCritical: FuncCritical, cFuncSystem: FuncSystem, cFuncAdministrative: FuncAdmin}

// pickFunction returns the hits of the first concept in order that occurs
// in hs.
// nearestHits returns the hits of hs whose words lie nearest to p's.
func nearestHits(p hit, hs []hit) []hit {
	dist := func(h hit) int {
		d := math.MaxInt
		for _, i := range p.tokens {
			for _, j := range h.tokens {
				d = min(d, max(i-j, j-i))
			}
		}
		return d
	}
	best := math.MaxInt
	for _, h := range hs {
		best = min(best, dist(h))
	}
	var out []hit
	for _, h := range hs {
		if dist(h) == best {
			out = append(out, h)
		}
	}
	return out
}

func pickFunction(hs []hit, order []concept) (concept, []hit) {
	for _, c := range order {
		var found []hit
		for _, h := range hs {
			if h.concept == c {
				found = append(found, h)
			}
		}
		if len(found) > 0 {
			return c, found
		}
	}
	return 0, nil
}

// readFunction reads, for each described problem, the function named in
// its clause (else its sentence), the most specific one; the worst of
// those decides. With no function next to a problem, the subject's or
// any named function is taken.
func (a *assessment) readFunction(tt *tokenizedText, live []hit, isSubject func(int) bool) {
	problems := a.because["state"]
	if len(problems) == 0 {
		for _, h := range live {
			if isProblemConcept(h.concept) {
				problems = append(problems, h)
			}
		}
	}
	// "Our running services are fine, but …": a function said to work is
	// not the one affected; nor is the one a workaround uses ("we print
	// the list instead", "there is no printout we could use").
	fineClause := map[int]bool{}
	for _, h := range live {
		switch h.concept {
		case cEnvFine, cScopeContinues, cWorkaroundEasy, cWorkaroundCostly, cWorkaroundNone, cWorkaroundUnacceptable:
			fineClause[clauseOf(tt, h)] = true
		}
	}
	var funcs []hit
	for _, h := range live {
		if _, ok := funcOf[h.concept]; ok && !fineClause[clauseOf(tt, h)] {
			funcs = append(funcs, h)
		}
	}
	// Each problem takes the function named nearest to it: in its clause,
	// else in its sentence ("unser Redaktionssystem (…) ist nicht mehr
	// erreichbar, … der PDF-Export geht nicht": the system and the
	// export); the worst of those decides.
	near := []func(p, f hit) bool{
		func(p, f hit) bool {
			// any clause the problem's words touch: "X (… aside) ist nicht
			// mehr erreichbar" starts in the aside.
			fc := clauseOf(tt, f)
			return slices.ContainsFunc(p.tokens, func(i int) bool { return tt.tokens[i].clause == fc })
		},
		func(p, f hit) bool { return p.sentence == f.sentence },
	}
	var chosen []hit
	for _, p := range problems {
		for k, same := range near {
			var in []hit
			for _, f := range funcs {
				if same(p, f) {
					in = append(in, f)
				}
			}
			if k == 1 {
				// In the sentence, the nearest function names what stopped.
				in = nearestHits(p, in)
			}
			if _, found := pickFunction(in, specificFirst); found != nil {
				chosen = append(chosen, found...)
				break
			}
		}
	}
	if c, found := pickFunction(chosen, severeFirst); found != nil {
		a.f.Function, a.because["function"] = funcOf[c], found
		return
	}
	for _, keep := range []func(hit) bool{func(h hit) bool { return isSubject(h.sentence) }, func(hit) bool { return true }} {
		var in []hit
		for _, f := range funcs {
			if keep(f) {
				in = append(in, f)
			}
		}
		if c, found := pickFunction(in, specificFirst); found != nil {
			a.f.Function, a.because["function"] = funcOf[c], found
			return
		}
	}
}

// readWorkaround: a workaround said to be unacceptable ("does not
// scale") is none; a costly workaround outranks "no workaround" (the text
// then says the only way around is costly); "no workaround" and an easy
// one together are contradictory. Effort stated with a workaround, or in
// the two sentences after it ("Our workaround: … It takes two people
// most of the day"), makes it costly; that effort is then no slowness,
// and a minor impact stated with a limit ("we can live with it, but not
// for the month end") no minor impact. It returns live without those.
func (a *assessment) readWorkaround(live []hit, isSubject func(int) bool) []hit {
	// "Mit Android-Geräten funktioniert es", "iPhones work": the part
	// that works, which the users affected cannot switch to.
	live = slices.DeleteFunc(live, func(h hit) bool {
		if h.concept != cWorkaroundEasy {
			return false
		}
		for _, c := range live {
			if c.concept == cScopeContinues && overlaps(h.tokens, c.tokens) {
				a.ignored = append(a.ignored, ignoredHit{h, "the part that works, which the users affected cannot switch to"})
				return true
			}
		}
		return false
	})
	by := collect(live, cWorkaroundCostly, cWorkaroundNone, cWorkaroundEasy, cWorkaroundUnacceptable, cWorkaroundEffort)
	for _, eff := range by[cWorkaroundEffort] {
		for _, c := range []concept{cWorkaroundEasy, cWorkaroundCostly} {
			// A workaround named in the subject ("… – fixing it by
			// hand") is the mail's topic: its effort may come anywhere.
			if slices.ContainsFunc(by[c], func(w hit) bool {
				return isSubject(w.sentence) || eff.sentence >= w.sentence && eff.sentence <= w.sentence+3
			}) {
				by[cWorkaroundCostly] = append(by[cWorkaroundCostly], eff)
				break
			}
		}
	}
	// "von Hand, das ist auf Dauer nicht zu schaffen": a limit in time
	// on a way around that works now makes it costly, not impossible.
	by[cWorkaroundUnacceptable] = slices.DeleteFunc(by[cWorkaroundUnacceptable], func(u hit) bool {
		return slices.ContainsFunc(by[cWorkaroundCostly], func(c hit) bool { return overlaps(c.tokens, u.tokens) })
	})
	costly := append(slices.Clone(by[cWorkaroundCostly]), by[cWorkaroundUnacceptable]...)
	live = slices.DeleteFunc(live, func(h hit) bool {
		if h.concept != cStateDegraded && h.concept != cImpactMinor {
			return false
		}
		for _, c := range costly {
			if overlaps(h.tokens, c.tokens) || (h.concept == cImpactMinor && c.concept == cWorkaroundCostly && c.sentence == h.sentence && len(c.spans) > 1) {
				a.ignored = append(a.ignored, ignoredHit{h, fmt.Sprintf("part of a costly workaround (%q)", c.src)})
				return true
			}
		}
		return false
	})
	switch {
	case len(by[cWorkaroundUnacceptable]) > 0:
		a.f.Workaround, a.because["workaround"] = WorkaroundNone, by[cWorkaroundUnacceptable]
	case len(by[cWorkaroundCostly]) > 0:
		a.f.Workaround, a.because["workaround"] = WorkaroundCostly, by[cWorkaroundCostly]
	case len(by[cWorkaroundNone]) > 0:
		a.f.Workaround, a.because["workaround"] = WorkaroundNone, by[cWorkaroundNone]
		if len(by[cWorkaroundEasy]) > 0 {
			a.alternatives = append(a.alternatives, alternative{"workaround", string(WorkaroundEasy)})
		}
	case len(by[cWorkaroundEasy]) > 0:
		a.f.Workaround, a.because["workaround"] = WorkaroundEasy, by[cWorkaroundEasy]
	}
	return live
}

// dropLocalMinor: a minor impact said in a paragraph that describes a
// problem of its own speaks for that matter only, not for a stop or a
// failure in another paragraph ("2) The logo looks stretched. Not
// urgent, it just looks odd. 3) Clubs can't transfer players at the
// moment."). A paragraph that only says "no rush" speaks for the mail.
func (a *assessment) dropLocalMinor(tt *tokenizedText, live []hit, isSubject func(int) bool) []hit {
	return slices.DeleteFunc(live, func(m hit) bool {
		if m.concept != cImpactMinor || isSubject(m.sentence) {
			return false
		}
		ownProblem := slices.ContainsFunc(live, func(h hit) bool {
			return isProblemConcept(h.concept) && !isSubject(h.sentence) && paragraphOf(tt, h) == paragraphOf(tt, m) && !overlaps(h.tokens, m.tokens)
		})
		if !ownProblem {
			return false
		}
		for _, h := range live {
			if _, fault := stateOf[h.concept]; fault && h.concept != cStateCosmetic && !isSubject(h.sentence) && paragraphOf(tt, h) != paragraphOf(tt, m) &&
				!slices.ContainsFunc(live, func(o hit) bool { return o.concept == cImpactMinor && paragraphOf(tt, o) == paragraphOf(tt, h) }) {
				a.ignored = append(a.ignored, ignoredHit{m, fmt.Sprintf("said of its own matter, not of %q in another paragraph", h.text(tt))})
				return true
			}
		}
		return false
	})
}

// readImpact takes the strongest impact stated; a minor one stated too
// makes the reading contested.
func (a *assessment) readImpact(live []hit) {
	by := collect(live, cImpactCritical, cImpactSignificant, cImpactMinor)
	switch {
	case len(by[cImpactCritical]) > 0:
		a.f.Impact, a.because["impact"] = ImpactCritical, by[cImpactCritical]
	case len(by[cImpactSignificant]) > 0:
		a.f.Impact, a.because["impact"] = ImpactSignificant, by[cImpactSignificant]
	case len(by[cImpactMinor]) > 0:
		a.f.Impact, a.because["impact"] = ImpactMinor, by[cImpactMinor]
		return
	default:
		return
	}
	if len(by[cImpactMinor]) > 0 {
		a.alternatives = append(a.alternatives, alternative{"impact", string(ImpactMinor)})
	}
}

// readLossAndSecurity: data lost or a breach, unless hedged in the same
// sentence or the subject ("we believe", "Verdacht auf"), which makes it a
// risk or a suspicion. Exposed demo data only is a vulnerability; a story
// that ends in "nothing leaked" was a scare (the intent stays an incident).
func (a *assessment) readLossAndSecurity(live []hit, flags []sentenceFlags, isSubject func(int) bool) {
	subjectHedged := false
	for s := range flags {
		if isSubject(s) && flags[s].hedge {
			subjectHedged = true
		}
	}
	hedged := func(h hit) bool { return flags[h.sentence].hedge || subjectHedged }
	by := collect(live, cDataLost, cDataAtRisk, cSecurityBreach, cSecuritySuspected, cSecurityVulnerability, cDemoData, cNoLeak)
	var lost, risk []hit
	for _, h := range by[cDataLost] {
		if hedged(h) {
			risk = append(risk, h)
		} else {
			lost = append(lost, h)
		}
	}
	risk = append(risk, by[cDataAtRisk]...)
	if recovered := collect(live, cDataRecovered)[cDataRecovered]; len(recovered) > 0 && len(lost)+len(risk) > 0 {
		// "… deleted a record. We restored it from the recycle bin."
		for _, h := range append(lost, risk...) {
			a.ignored = append(a.ignored, ignoredHit{h, "the mail says the data was recovered"})
		}
		lost, risk = nil, nil
	}
	switch {
	case len(lost) > 0:
		a.f.DataLoss, a.because["data_loss"] = DataLossConfirmed, lost
	case len(risk) > 0:
		a.f.DataLoss, a.because["data_loss"] = DataLossAtRisk, risk
	}
	var breach, suspected []hit
	for _, h := range by[cSecurityBreach] {
		if hedged(h) {
			suspected = append(suspected, h)
		} else {
			breach = append(breach, h)
		}
	}
	suspected = append(suspected, by[cSecuritySuspected]...)
	switch {
	case len(breach) > 0:
		a.f.Security, a.because["security"] = SecurityBreach, breach
	case len(suspected) > 0:
		a.f.Security, a.because["security"] = SecuritySuspected, suspected
	case len(by[cSecurityVulnerability]) > 0:
		a.f.Security, a.because["security"] = SecurityVulnerability, by[cSecurityVulnerability]
	}
	if a.f.DataLoss != DataLossNone || a.f.Security == SecurityBreach || a.f.Security == SecuritySuspected {
		a.f.Intent = IntentIncident
	}
	if demo := by[cDemoData]; len(demo) > 0 && a.f.Security == SecurityBreach {
		// "lets anybody open the matter list without logging in … only
		// your demo data, no real client data has ever been loaded": an
		// open door, no one's data through it.
		a.alternatives = append(a.alternatives, alternative{"security", string(SecurityBreach)})
		a.f.Security, a.because["security"] = SecurityVulnerability, append(a.because["security"], demo...)
	}
	if denial := by[cNoLeak]; len(denial) > 0 && (a.f.Security == SecurityBreach || a.f.Security == SecuritySuspected) &&
		!slices.ContainsFunc(a.because["security"], func(h hit) bool { return h.tokens[0] > denial[len(denial)-1].tokens[0] }) {
		// "… laptop stolen … it turns out nothing is lost and nothing
		// leaked": the story ends in a denial; what it told was a scare.
		a.alternatives = append(a.alternatives, alternative{"security", string(a.f.Security)})
		a.f.Security, a.because["security"] = SecurityNone, denial
	}
}

// intentOrder is the precedence of intents when no problem is described.
var intentOrder = []struct {
	c concept
	i Intent
}{{cIntentThanks, IntentThanks}, {cIntentAdmin, IntentAdmin}, {cIntentWish, IntentWish}, {cIntentRequest, IntentRequest}, {cIntentQuestion, IntentQuestion}}

// readIntent: a described problem makes an incident (set by the readers
// above); otherwise the strongest intent named, or a question when a
// sentence of the new text asks one.
func (a *assessment) readIntent(tt *tokenizedText, live []hit, isSubject func(int) bool) {
	if a.f.Intent == IntentIncident {
		return
	}
	for _, io := range intentOrder {
		if found := collect(live, io.c)[io.c]; len(found) > 0 {
			a.f.Intent, a.because["intent"] = io.i, found
			return
		}
	}
	for s := range tt.question {
		if tt.isQuestion(s) {
			a.f.Intent = IntentQuestion
			return
		}
	}
	if len(a.restored) > 0 {
		// "The till has been fine since the reboot": a status update
		// that nothing is wrong any more closes the matter.
		a.f.Intent, a.because["intent"] = IntentThanks, a.restored
	}
}

// sentencesOf returns the sentences the hits stand in.
func sentencesOf(hs []hit) map[int]bool {
	out := make(map[int]bool, len(hs))
	for _, h := range hs {
		out[h.sentence] = true
	}
	return out
}

// collect groups the live hits of the given concepts.
func collect(live []hit, cs ...concept) map[concept][]hit {
	out := make(map[concept][]hit, len(cs))
	for _, h := range live {
		if slices.Contains(cs, h.concept) {
			out[h.concept] = append(out[h.concept], h)
		}
	}
	return out
}
