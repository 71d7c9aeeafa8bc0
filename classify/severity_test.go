package classify

import (
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"ticketd/intake"
	"ticketd/ticket"
)

func classifyText(subject, body string) Result {
	return Default().Classify(Input{Subject: subject, Body: body})
}

// levelCase is a mail and the level the seed definitions give it.
type levelCase struct {
	name, subject, body string
	want                ticket.Level
}

// tableOnly is the built-in engine without the learned model: the level
// cases below test what the cues and the table read. The model's
// override (Result.ByModel) is judged on whole corpora, author by
// author (TestLeaveOneAuthorOut), and its mechanics in
// TestClassifyModelOverridesUnlikelyTableLevels.
var tableOnly = func() *Engine {
	e := *Default()
	e.model = nil
	return &e
}()

func runLevelCases(t *testing.T, cases []levelCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got := tableOnly.Classify(Input{Subject: tt.subject, Body: tt.body})
			if got.Level != tt.want {
				t.Fatalf("Level = %s, want %s\nfactors: %s\n%s", got.Level, tt.want, got.Factors, strings.Join(reasonStrings(got.Reasons), "\n"))
			}
		})
	}
}

// The failure patterns of issue 12, each as a general concept in the
// three languages.
func TestClassifyDataLossInPlainWords(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"en_records_deleted", "", "About 3,000 customer records were deleted in production overnight and are gone.", ticket.P0},
		{"en_history_gone", "", "Since the upgrade all order history in our live system has vanished.", ticket.P0},
		{"de_rechnungen_geloescht", "", "Im Produktivsystem wurden heute Nacht rund 5.000 Rechnungen gelöscht.", ticket.P0},
		{"fr_factures_supprimees", "", "Toutes nos factures de mars ont été supprimées de la base de production.", ticket.P0},
		{"lost_deals_are_not_data", "", "We lost two deals because the quote PDF shows the wrong logo.", ticket.P3},
		{"test_system_data_lost", "", "On our staging system the test data was wiped by the update.", ticket.P2},
		{"hedged_loss_is_a_risk", "", "We think some orders might have been deleted in production, we are checking.", ticket.P1},
		{"no_data_lost", "", "The import failed but no data was lost.", ticket.P3},
	})
}

func TestClassifyPaymentsAndCheckout(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"en_all_payments_refused", "", "Since 9:00 100 % of card payments are refused by the gateway in our shop.", ticket.P0},
		{"de_alle_lastschriften", "", "Alle SEPA-Lastschriften werden seit heute Morgen von der Bank zurückgewiesen.", ticket.P0},
		{"fr_tous_les_paiements", "", "Tous les paiements sont refusés depuis ce matin sur notre boutique.", ticket.P0},
		{"part_of_payments_fail", "", "About 30 % of orders fail at payment with error 502. The shop is up but we are losing sales.", ticket.P1},
		{"visa_declined", "", "Visa cards are declined at checkout since the update, other cards work.", ticket.P1},
	})
}

func TestClassifyWeakWordsDoNotOutrankImpact(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"en_error_on_cosmetic", "Error", "The footer shows the copyright year 2023 instead of 2025.", ticket.P3},
		{"de_fehler_in_vorschau", "Fehler", "In der Druckvorschau ist das Logo abgeschnitten. Der Ausdruck selbst ist korrekt.", ticket.P3},
		{"fr_erreur_de_libelle", "Erreur", "Le libellé du bouton déborde du cadre sur mobile, le bouton fonctionne normalement.", ticket.P3},
		{"export_aborts", "Export bricht ab", "Der Export der Monatsberichte bricht seit gestern jedes Mal ab.", ticket.P2},
		{"notifications_not_sent", "", "Since the update the e-mail notifications are not sent anymore.", ticket.P2},
	})
}

func TestClassifyNegationScopeAndDistance(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"nothing_is_completely_down", "", "Nothing is completely down, but the reports module shows errors for some users.", ticket.P2},
		{"one_module_unavailable", "", "In production the reporting module is unavailable for everyone in finance. There is no workaround.", ticket.P1},
		{"de_testsystem_nicht_erreichbar", "", "Unser Testsystem ist seit heute nicht erreichbar. Die Produktion läuft normal.", ticket.P2},
		{"fr_preprod_indisponible", "", "L'environnement de préproduction est indisponible depuis ce matin.", ticket.P2},
		{"production_fine_staging_down", "", "Production is running fine, but the staging server is down since the upgrade.", ticket.P2},
		{"production_down_staging_mentioned", "", "Production is down. We also use a staging server.", ticket.P0},
		{"server_not_down", "", "The server isn't down, the page is just slow.", ticket.P3},
		{"no_production_impact_question", "", "No production impact, just a question about the API limits?", ticket.P4},
		{"not_all_users", "", "Not all users can log in since this morning; the others work normally.", ticket.P1},
	})
}

func TestClassifyRepliesAreJudgedOnTheirNewText(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"rca_request", "Re: [P0] URGENT: checkout down", "Thanks for restoring the service. Could you please send us a root cause analysis by Friday?", ticket.P4},
		{"sla_credit", "AW: Totalausfall Webshop", "Nach dem Ausfall vom Montag bitten wir um eine Gutschrift gemäss SLA.", ticket.P4},
		{"thanks_close", "RE: production down", "Thanks, the patch fixed it. You can close the ticket.", ticket.P4},
		{"still_down", "Re: Checkout down", "It is still down, every customer gets an error page.", ticket.P0},
		{"new_text_decides", "Re: Console login slow", "It got worse: none of our 400 agents can log into the console any more.", ticket.P0},
		{"quoted_history_ignored", "Question", "> Production is down!\nHow do I close the ticket?", ticket.P4},
		{"french_tr", "TR: panne totale", "Merci pour votre aide, tout est rentré dans l'ordre.", ticket.P4},
	})
}

func TestClassifyFollowUpWithoutNewImpactKeepsTheLevel(t *testing.T) {
	got := Default().Classify(Input{Subject: "Nightly export", Body: "Attached are the logs you asked for.", FollowUp: true})
	if got.Level != ticket.P4 {
		t.Fatalf("Level = %s, want P4 so that Raise keeps the ticket's level; reasons: %v", got.Level, got.Reasons)
	}
	if Raise(ticket.P1, got.Level) != ticket.P1 {
		t.Fatal("Raise lowered the level")
	}
}

func TestClassifyForwardedMessage(t *testing.T) {
	body := "FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Ann <ann@shop.example>\n\nOur web shop is down, no customer can order.\n"
	got := classifyText("Fwd: shop down", body)
	if got.Level != ticket.P0 || !got.Uncertain {
		t.Fatalf("a forward whose new text says nothing is judged on the forwarded text, uncertain: got %s uncertain=%v\n%s",
			got.Level, got.Uncertain, strings.Join(reasonStrings(got.Reasons), "\n"))
	}
	followUp := Default().Classify(Input{Subject: "Fwd: shop down", Body: body, FollowUp: true})
	if followUp.Level != ticket.P4 {
		t.Fatalf("a follow-up never takes its level from forwarded history: got %s", followUp.Level)
	}
}

func TestClassifyDeclaredLevelStaysApart(t *testing.T) {
	tests := []struct {
		name, subject, body string
		want, declared      ticket.Level
	}{
		{"high_on_a_design_question", "Priority: High", "Which colour palette do you recommend for the dashboard?", ticket.P4, ticket.P1},
		{"prio1_on_total_outage", "Prio 1: API down", "Total outage of the API since 10:00, all requests fail.", ticket.P0, ticket.P1},
		{"no_rush_on_outage", "No rush", "Our whole API is down since this morning for all customers. No rush though.", ticket.P0, ""},
		{"declared_decides_without_impact", "[P1] ticket 4711", "See attached.", ticket.P1, ticket.P1},
		{"reply_subject_tag_is_not_declared", "Re: [Ticket#12][P0] Checkout down", "Attached the logs.", ticket.P4, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classifyText(tt.subject, tt.body)
			if got.Level != tt.want || got.Declared != tt.declared {
				t.Fatalf("Level, Declared = %s, %q; want %s, %q\n%s", got.Level, got.Declared, tt.want, tt.declared, strings.Join(reasonStrings(got.Reasons), "\n"))
			}
		})
	}
}

func TestClassifyExplicitMarkersAreRead(t *testing.T) {
	tests := []struct {
		name, subject, body string
		want                ticket.Level
	}{
		{"bracketed_P1_in_subject", "[P1] something", "", ticket.P1},
		{"priority_colon_number", "Printer driver", "Priority: 2\nSee attached.", ticket.P2},
		{"prio_attached_number", "prio1: see attached", "", ticket.P1},
		{"sev_1_is_P0", "Sev 1: see attached", "", ticket.P0},
		{"severity_4_is_P3", "Severity: 4", "", ticket.P3},
		{"severity_critical_is_P1", "Severity: critical", "", ticket.P1},
		{"german_prioritaet_ae_spelling", "Prioritaet: hoch", "", ticket.P1},
		{"french_gravite_majeure", "Gravité : majeure", "", ticket.P2},
		{"marker_deep_in_body_is_ignored", "Export", "a\nb\nc\nd\ne\nf\nPriority: 1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classifyText(tt.subject, tt.body); got.Declared != tt.want {
				t.Fatalf("Declared = %q, want %q; reasons: %v", got.Declared, tt.want, got.Reasons)
			}
		})
	}
}

func TestClassifyPlanLabels(t *testing.T) {
	labels := map[ticket.Level]string{ticket.P0: "Severity 0 – Emergency", ticket.P1: "Severity 1 – Critical", ticket.P2: "Severity 2 – Major"}
	for _, tt := range []struct {
		subject string
		want    ticket.Level
	}{{"Severity 1 – Critical: see attached", ticket.P1}, {"Severity 1: see attached", ticket.P1}, {"Severity: Emergency", ticket.P0}, {"Severity 4: typo", ticket.P3}} {
		got := Default().Classify(Input{Subject: tt.subject, PlanLabels: labels})
		if got.Declared != tt.want {
			t.Errorf("%q: Declared = %s, want %s", tt.subject, got.Declared, tt.want)
		}
	}
}

func TestClassifyIntents(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"en_howto", "", "How do I add a second technical contact?", ticket.P4},
		{"de_wie_kann_ich", "", "Wie kann ich das Passwort eines Benutzers zurücksetzen?", ticket.P4},
		{"fr_comment", "", "Comment puis-je modifier le fuseau horaire d'un contact ?", ticket.P4},
		{"feature_wish", "", "It would be great if the dashboard had a dark mode.", ticket.P4},
		{"de_wunsch", "", "Verbesserungsvorschlag: Export der Tickets als PDF wäre praktisch.", ticket.P4},
		{"fr_evolution", "", "Demande d'évolution : pourriez-vous ajouter un filtre par client ?", ticket.P4},
		{"documentation_error", "", "The admin guide has a wrong example in section 4.", ticket.P4},
		{"invoice_question", "", "Could you explain the amount on our last invoice?", ticket.P4},
		{"training_dates", "", "When are the next training dates for administrators?", ticket.P4},
		{"questionnaire", "", "Bitte füllen Sie den beigefügten Fragebogen zur Informationssicherheit aus.", ticket.P4},
		{"thanks", "", "Merci, le correctif fonctionne. Vous pouvez clôturer le ticket.", ticket.P4},
		{"bug_phrased_as_wish", "", "It would be nice if the export did not crash every time a file is larger than 10 MB.", ticket.P2},
		{"shouting_question", "URGENT!!!", "URGENT!!! How do I reset my password???", ticket.P4},
	})
}

func TestClassifyStatesAndFunctions(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"en_production_down", "", "Our production system is down since 9am.", ticket.P0},
		{"de_produktion_steht", "", "Die Produktion steht seit heute früh.", ticket.P0},
		{"de_gar_nix", "", "Seit dem Update geht bei uns gar nix mehr.", ticket.P0},
		{"at_kassa", "", "In allen Filialen funktioniert die Kassa nimmer.", ticket.P0},
		{"ch_unterbruch", "", "Seit 8 Uhr haben wir einen Unterbruch im Webshop, niemand kann bestellen.", ticket.P0},
		{"fr_production_a_l_arret", "", "La production est à l’arrêt depuis ce matin.", ticket.P0},
		{"severely_degraded", "", "In production the application is extremely slow for all users, no workaround.", ticket.P1},
		{"costly_workaround", "", "The import fails every night; we re-enter the data by hand, which takes two hours a day.", ticket.P2},
		{"easy_workaround", "", "The export is broken but we have a workaround.", ticket.P3},
		{"cosmetic", "", "Minor issue: the button colour is off.", ticket.P3},
		{"one_user", "", "One user cannot log in since yesterday, everybody else works.", ticket.P3},
		{"security_suspected", "", "We see suspicious logins on an admin account from an unknown country.", ticket.P1},
		{"security_breach", "", "Attackers downloaded our customer database; the data was published online.", ticket.P0},
		{"nothing_to_go_on", "", "Hello, see attached.", ticket.P3},
	})
}

func TestClassifyConfidence(t *testing.T) {
	plain := classifyText("", "Our production system is down for all users since 9am, no workaround.")
	if plain.Confidence < 0.75 || plain.Uncertain || ConfidenceLabel(plain.Confidence) != "high" {
		t.Errorf("plain outage: confidence %.2f uncertain %v", plain.Confidence, plain.Uncertain)
	}
	thin := classifyText("", "Hello, see attached.")
	if !thin.Uncertain || thin.Confidence >= 0.5 {
		t.Errorf("no evidence: confidence %.2f uncertain %v", thin.Confidence, thin.Uncertain)
	}
	contradictory := classifyText("", "There is no workaround. We can work around it by exporting to CSV. The export fails in production.")
	if contradictory.Confidence >= plain.Confidence {
		t.Errorf("contradictory workaround: confidence %.2f not below %.2f", contradictory.Confidence, plain.Confidence)
	}
	for _, r := range []Result{plain, thin, contradictory} {
		if r.PageLevel.MoreSevere(r.Candidates[0]) || !r.Candidates[0].Valid() {
			t.Errorf("page level %s outside candidates %v", r.PageLevel, r.Candidates)
		}
	}
}

func TestClassifyPagesTheUrgentCandidateOnlyForIncidents(t *testing.T) {
	r := classifyText("", "Production: checkout is down. Production is fine, only the staging checkout is down.")
	if len(r.Candidates) < 2 {
		t.Skipf("not contested: %v", r.Candidates)
	}
	if r.PageLevel != r.Candidates[0] {
		t.Errorf("page level %s, want the most urgent candidate %s", r.PageLevel, r.Candidates[0])
	}
	q := classifyText("", "How do I configure the checkout? Is the checkout down on staging when the production is down?")
	if q.PageLevel != q.Level {
		t.Errorf("a question must not page: level %s page %s", q.Level, q.PageLevel)
	}
}

func TestClassifyHeadersNeverRaise(t *testing.T) {
	h := textproto.MIMEHeader{}
	h.Set("X-Priority", "1 (Highest)")
	h.Set("Importance", "high")
	got := Default().Classify(Input{Subject: "Colours", Body: "Which key sets the accent colour?", Header: h})
	if got.Level != ticket.P4 {
		t.Fatalf("Level = %s, want P4", got.Level)
	}
	notes := 0
	for _, r := range got.Reasons {
		if r.Rule == "header" {
			notes++
			if r.Level != "" {
				t.Errorf("header reason counted: %v", r)
			}
		}
	}
	if notes != 2 {
		t.Errorf("got %d header notes, want 2", notes)
	}
}

func TestClassifyReasonsExplainFactors(t *testing.T) {
	got := classifyText("", "Our production system is down since 9am.")
	first := got.Reasons[0]
	if first.Level != ticket.P0 || !strings.HasPrefix(first.Rule, "table:") {
		t.Fatalf("first reason = %+v, want the table row with P0", first)
	}
	if s := first.String(); !strings.Contains(s, "level P0 by table row") || !strings.Contains(s, "state=stopped") {
		t.Errorf("String() = %q", s)
	}
	var state bool
	for _, r := range got.Reasons {
		if r.Rule == "factor:state" && r.Match == "system is down" && r.Note == "state=stopped" {
			state = true
			if s := r.String(); s != `state=stopped ← "system is down"` {
				t.Errorf("factor reason String() = %q", s)
			}
		}
	}
	if !state {
		t.Errorf("no factor reason for the state: %v", reasonStrings(got.Reasons))
	}
}

func TestRaiseNeverLowers(t *testing.T) {
	tests := []struct {
		name                    string
		current, proposed, want ticket.Level
	}{
		{"more_severe_raises", ticket.P3, ticket.P1, ticket.P1},
		{"less_severe_keeps", ticket.P1, ticket.P3, ticket.P1},
		{"equal_keeps", ticket.P2, ticket.P2, ticket.P2},
		{"invalid_proposal_keeps", ticket.P2, "P9", ticket.P2},
		{"no_current_takes_proposal", "", ticket.P4, ticket.P4},
		{"both_invalid_gives_default", "", "", ticket.DefaultLevel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Raise(tt.current, tt.proposed); got != tt.want {
				t.Fatalf("Raise(%q, %q) = %q, want %q", tt.current, tt.proposed, got, tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"case_and_accents", "Priorité Élevée", "priorite elevee"},
		{"umlauts", "Störung Prüfung ÄRGER", "storung prufung arger"},
		{"sharp_s", "Straße", "strasse"},
		{"ligatures", "Œuvre ﬁle", "oeuvre file"},
		{"typographic_apostrophe", "l’arrêt", "l'arret"},
		{"decomposed_input", "e\u0301te\u0301", "ete"},
		{"invalid_utf8", "a\xffb", "a\ufffdb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Fatalf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTokenizeSplitsElisionsAndSentences(t *testing.T) {
	tt := tokenizeText("L'arrêt isn't planned. Next one?\n\nNew paragraph")
	var words []string
	for _, tok := range tt.tokens {
		words = append(words, tok.word)
	}
	if got, want := strings.Join(words, " "), "l arret isn not planned next one new paragraph"; got != want {
		t.Fatalf("words = %q, want %q", got, want)
	}
	if s := tt.tokens[len(tt.tokens)-1].sentence; s != 2 {
		t.Errorf("last sentence = %d, want 2", s)
	}
	if !tt.isQuestion(1) || tt.isQuestion(0) {
		t.Errorf("question flags = %v, want sentence 1 only", tt.question)
	}
}

func TestStripReplyPrefixes(t *testing.T) {
	for in, want := range map[string]string{
		"Re: AW: WG: Fwd: Export": "Export", "RE[2]: x": "x", "TR : panne": "panne", "Réf. x": "Réf. x",
		"Antw: Frage": "Frage", "SV: Vs: sak": "sak", "Reset password": "Reset password", "Fw:": "",
		"Automatic reply: [Ticket#1] down": "[Ticket#1] down", "Réponse automatique : absent": "absent",
	} {
		if got, _ := stripReplyPrefixes(in); got != want {
			t.Errorf("stripReplyPrefixes(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoadRulesErrorsNameLineAndKey(t *testing.T) {
	tests := []struct {
		name, data string
		wantInErr  []string
	}{
		{"bad_level", "[[level]]\nname = \"x\"\nlevel = \"P7\"\n", []string{"line 1", `"x"`, `"level"`, "P7"}},
		{"missing_name", "\n[[level]]\nlevel = \"P1\"\n", []string{"line 2", `"name"`}},
		{"unknown_factor", "[[level]]\nname = \"x\"\nlevel = \"P1\"\nmood = \"grumpy\"\n", []string{"line 1", `"mood"`, "not a factor"}},
		{"unknown_value", "[[level]]\nname = \"x\"\nlevel = \"P1\"\nstate = \"exploded\"\n", []string{`"state"`, "exploded", "stopped"}},
		{"mixed_negation", "[[level]]\nname = \"x\"\nlevel = \"P1\"\nstate = [\"!none\", \"stopped\"]\n", []string{`"state"`, "!"}},
		{"last_row_has_conditions", "[[level]]\nname = \"a\"\nlevel = \"P1\"\n\n[[level]]\nname = \"b\"\nlevel = \"P3\"\nstate = \"stopped\"\n", []string{"line 5", `"b"`, "last row"}},
		{"duplicate_name", "[[level]]\nname = \"x\"\nlevel = \"P1\"\n[[level]]\nname = \"x\"\nlevel = \"P2\"\n", []string{"line 4", `"x"`, `"name"`}},
		{"unknown_cue_list", "[cues]\n\"state.exploded\" = [\"boom\"]\n", []string{"line 2", "state.exploded"}},
		{"bad_pattern", "[cues]\n\"state.stopped\" = [\"a ~99 b\"]\n", []string{"line 2", "state.stopped", "~99"}},
		{"unknown_word_list", "[cues]\n\"state.stopped\" = [\"@nope ~1 down\"]\n", []string{"state.stopped", "nope"}},
		{"unknown_key", "[classify]\nrulez = 1\n", []string{"line 2", "rulez"}},
		{"old_format", "\n\n[[rule]]\nname = \"x\"\nlevel = \"P1\"\nphrases = [\"a\"]\n", []string{"line 3", "[[rule]]", "[[level]]"}},
		{"toml_syntax", "[[level]\n", []string{"severity rules"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadRules([]byte(tt.data))
			if err == nil {
				t.Fatal("LoadRules succeeded, want an error")
			}
			for _, w := range tt.wantInErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadRulesOverridesSections(t *testing.T) {
	e, err := LoadRules([]byte(`
[extra_cues]
"function.critical" = ["label printer*"]

[[level]]
name = "test-systems-matter-here"
level = "P1"
environment = "non-production"
state = "stopped"

[[level]]
name = "critical-stopped"
level = "P0"
function = "critical"
state = "stopped"

[[level]]
name = "rest"
level = "P3"
`))
	if err != nil {
		t.Fatalf("LoadRules: %v", err)
	}
	if got := e.Classify(Input{Body: "Our staging server is down."}); got.Level != ticket.P1 || got.Row != "test-systems-matter-here" {
		t.Errorf("admin table: %s by %q", got.Level, got.Row)
	}
	if got := e.Classify(Input{Body: "The label printers do not work any more."}); got.Level != ticket.P0 {
		t.Errorf("extra cue: %s by %q, factors %s", got.Level, got.Row, got.Factors)
	}
	if got := e.Classify(Input{Body: "How do I add a user?"}); got.Level != ticket.P3 {
		t.Errorf("the admin's table replaces the built-in one: %s", got.Level)
	}
	if len(e.Table()) != 3 {
		t.Errorf("table has %d rows", len(e.Table()))
	}
}

func TestClassifyScopeFromSharesAndSiblings(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"nearly_all_branches", "", "It is now 412 of 415 branches which cannot open the teller application.", ticket.P0},
		{"share_beats_all", "", "Roughly 40% of logins to the portal fail. It affects all 58 branches.", ticket.P1},
		{"negligible_share", "", "About 3 orders out of 9000 per hour fail on submit; clicking submit again works.", ticket.P3},
		{"fr_number_words", "", "Environ septante pour cent des paiements sont refusés depuis ce matin.", ticket.P1},
		{"sibling_works", "", "Seit 9 Uhr werden alle Mastercard-Zahlungen abgelehnt. Visa und PayPal funktionieren normal.", ticket.P1},
		{"fr_sibling_works", "", "Tous les paiements Bancontact sont refusés. Visa et Mastercard passent sans problème.", ticket.P1},
		{"diagnosis_is_no_sibling", "", "All card payments are declined at every till. The terminals themselves are fine.", ticket.P0},
		{"all_others_are_the_complement", "", "Bei einem Kollegen bricht der Export ab. Bei allen anderen Kollegen funktioniert es.", ticket.P3},
	})
}

func TestClassifyStatusUpdates(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"restored_but_one_function_still_down", "Re: shop and ordering down", "Update: the webshop is back since 10:40. But the store ordering API is still returning 502 for all 120 stores.", ticket.P1},
		{"rca_after_the_outage", "Outage 14 May", "On 14 May the platform was completely unavailable for all depots and caused significant disruption. The service has been stable since the fix. Please send the RCA and the SLA credit.", ticket.P4},
		{"new_problem_today", "", "Yesterday's VPN problem is resolved, thanks. Today the ERP is down for everyone.", ticket.P0},
		{"de_restored_but_data_gone", "", "Die Kasse läuft wieder, aber alle Bons von heute früh sind verschwunden.", ticket.P0},
		{"restoration_asked_for", "", "Alle Lieferscheine 2024 sind verschwunden. Bitte melden Sie sich, ob die Daten wiederhergestellt werden können.", ticket.P0},
		{"fr_retabli_rapport", "", "Le 12 mars la plateforme a été totalement indisponible pour l'ensemble de nos cliniques. Le service est rétabli depuis. Nous demandons un rapport d'incident.", ticket.P4},
	})
}

func TestClassifyWorkaroundEffort(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"effort_in_the_next_sentence", "", "Since Friday generating PDF invoices in production fails. Our workaround: we export the data and do a mail merge. It works, but it takes two people most of the day.", ticket.P2},
		{"fr_effort_next_sentence", "", "L'envoi automatique des bons de commande échoue en production. En attendant, nous les envoyons à la main. Ça nous prend environ 3 heures par jour.", ticket.P2},
		{"de_effort", "", "Der Abgleich der Kontoauszüge bricht seit Montag ab. Wir buchen die Zahlungen derzeit manuell. Das kostet uns täglich 4 Stunden.", ticket.P2},
		{"limited_acceptance_is_no_minor_impact", "", "The bank reconciliation rejects our statements. We match them manually, which costs 4 hours a day. We can live with it for a few days, but not into the month end.", ticket.P2},
		{"slowness_without_workaround_stays_slowness", "", "In production saving an order takes 3 minutes for all users since the update.", ticket.P1},
	})
}

func TestClassifySecurityEventsAndTopics(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"outsiders_downloaded_documents", "", "Our forensic partner confirmed that unauthorised third parties downloaded client documents from our extranet.", ticket.P0},
		{"hedged_download_is_suspected", "", "We suspect that unknown parties may have downloaded some files from the extranet.", ticket.P1},
		{"fr_dossiers_telecharges", "", "Des adresses IP externes ont téléchargé les dossiers de 3 480 étudiants.", ticket.P0},
		{"de_unbefugte_heruntergeladen", "", "Unbefugte haben über den Freigabelink Kundendaten heruntergeladen.", ticket.P0},
		{"data_publicly_accessible", "", "Since the update the student records are publicly accessible without login.", ticket.P0},
		{"questionnaire_topics_are_no_events", "Annual security questionnaire", "Please complete the questionnaire. It covers incident response and breach notification procedures and vulnerability management. Failure to respond may affect your rating.", ticket.P4},
	})
}

func TestClassifyProductionSaidFine(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"de_go_live_date_is_no_production", "AW: Preprod - Datenbank läuft voll", "Die Preprod-Datenbank steht seit 14:50 wieder. Unser Lasttest wurde dadurch abgebrochen, und der Termin für die Produktivsetzung am Montag wackelt. In Produktion ist alles unauffällig.", ticket.P2},
		{"de_system_available", "", "Das neue System steht Ihnen ab Montag zur Verfügung. Wie melden wir uns an?", ticket.P4},
		{"de_database_down", "", "Seit 9 Uhr steht die Datenbank, niemand kann arbeiten.", ticket.P0},
	})
}

func TestClassifySingleRecordsAndRequirements(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"de_record_by_number", "", "Der Kundenauftrag 4711-2291 lässt sich weder ändern noch stornieren (Datensatz gesperrt). Alle anderen Aufträge lassen sich normal bearbeiten.", ticket.P3},
		{"only_this_one_supplier", "", "The supplier master refuses to save a Maltese IBAN. It's only this one supplier for now; we pay the first invoice manually.", ticket.P3},
		{"fr_une_seule_commande", "", "La commande 88123 est bloquée au statut « en cours ». Seulement cette commande, les autres passent.", ticket.P3},
		{"requirement_is_no_failure", "Invoice INV-2024-11873 - PO number missing", "Your invoice INV-2024-11873 does not show our purchase order number, and our system cannot process invoices without one. Please re-issue the invoice.", ticket.P4},
		{"de_requirement", "", "Ihre Rechnung 2024-118 enthält keine Bestellnummer. Ohne Bestellnummer können wir Rechnungen nicht verbuchen. Bitte senden Sie eine korrigierte Rechnung.", ticket.P4},
		{"ticket_number_says_nothing_about_scope", "", "Regarding ticket 48812: the shop is still down for all customers.", ticket.P0},
	})
}

func TestClassifyStructureOfTheText(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"forward_subject_is_the_report", "WG: Erinnerungsmails kommen doppelt", "Zur Info, siehe unten. Bei einer Leserin kommen die Erinnerungen doppelt an. Schaden entsteht keiner.", ticket.P3},
		{"without_marks_its_clause", "", "L'export de 14 000 dossiers clients a été téléchargé depuis une adresse IP inconnue, avec un compte dont le mot de passe avait été réinitialisé sans qu'il en fasse la demande.", ticket.P0},
		{"state_only_asked_about", "Wartungsfenster 22. November", "Ist das Kundenportal während der ganzen Zeit offline oder nur zeitweise? Können wir das Fenster verschieben?", ticket.P4},
		{"question_that_reports", "", "Why is the portal still offline since 9:00?", ticket.P0},
		{"nothing_is_down_but_misbehaves", "", "Nothing is down and no data is lost, everything works. It's just that the keep-me-signed-in checkbox has stopped doing anything since October.", ticket.P3},
		{"nothing_broken_just_an_idea", "", "Nothing's broken, just an idea: it would be handy to bulk-edit tags. Right now we open each project, which is fine but slow.", ticket.P4},
		{"news_after_the_update", "Re: staging sync errors", "Our change board approved the rollout on the basis that the staging issue was fixed in 8.4.1. We rolled out at 01:00.\n\nSince then nothing works in production. All 120 stores can't sync and the tills show backend unreachable.", ticket.P0},
		{"nothing_works_in_production", "", "Since the rollout nothing works in production.", ticket.P0},
	})
}

func TestClassifySecurityVocabulary(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"de_key_on_github", "", "Ein Entwickler hat einen API-Schlüssel mit Vollzugriff in ein öffentliches GitHub-Repository gepusht. Ob er benutzt wurde, wissen wir nicht.", ticket.P1},
		{"mfa_prompts_not_triggered", "", "Seven of our staff received MFA push prompts they did not trigger. One approved one at 02:13.", ticket.P1},
		{"de_darknet", "", "Der im Darknet angebotene Datensatz stammt nachweislich aus Ihrem Suchindex.", ticket.P0},
		{"regulator_notified", "", "An attacker used a stolen session cookie to download the participant register. We notified the ICO this morning.", ticket.P0},
		{"fr_no_proof_yet", "", "Des appels provenaient d'adresses IP inconnues. Rien ne permet d'affirmer à ce stade que des données aient été extraites.", ticket.P1},
		{"we_suspect_is_a_hedge", "Our QA data is gone", "Something wiped the database of our QA environment. We suspect the reset job ran against QA by mistake. Production is not affected.", ticket.P2},
		{"breach_process_is_no_breach", "", "Please send a description of your breach notification process, in particular the time within which you notify customers after becoming aware of a personal data breach.", ticket.P4},
		{"cannot_get_into_the_system", "", "Since this morning none of us can get into the system at all.", ticket.P0},
	})
}

func TestClassifyScopeAndFunctionVocabulary(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"de_hospital_wide", "", "Seit 03:20 lässt sich im gesamten Klinikum keine elektronische Patientenakte mehr öffnen. Wir haben auf den Papier-Notbetrieb umgestellt.", ticket.P0},
		{"fr_aucune_caisse", "", "Depuis 11h45, aucune caisse de nos 38 restaurants ne peut encaisser.", ticket.P0},
		{"de_module_down_others_work", "", "Seit 6 Uhr lässt sich das Modul Wareneingang nicht mehr aufrufen. Warenausgang und Kommissionierung funktionieren. Auf Papier erfassen geht bei den Mengen nicht.", ticket.P1},
		{"de_compound_function", "", "Seit heute früh funktioniert die Online-Terminbuchung bei rund 70 % unserer Praxen nicht mehr.", ticket.P1},
		{"relative_clause_narrows", "", "The payroll calculation stopped with an error for every employee who has overtime recorded. Calculating it manually is not feasible in the time available.", ticket.P1},
		{"other_all_users", "", "My colleague is not able to see the Reports menu since last week. Other all users can see it normal.", ticket.P3},
	})
}

func TestClassifyEnglishPhrasingsOfTheFactors(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"so_slow_that_we_cannot_work", "", "Your system is crawling since Tuesday. It takes two minutes to open an order. It's just so slow that we can't do our jobs. Nobody from your side has called me back.", ticket.P1},
		{"telegraphic_prod_down", "prod", "prod down. all users. 502 on every page + api. since 02:40 UTC.", ticket.P0},
		{"orders_not_executed", "", "Since market open no client orders are being executed. All 22,000 active clients are affected. We have no manual route for this volume.", ticket.P0},
		{"insufficient_fallback", "", "Since 05:00 the ordering portal shows a maintenance page to every pharmacy. Our phone line can take maybe 40 orders an hour, so realistically nothing gets ordered today.", ticket.P0},
		{"rather_than", "", "Since your update the shift report PDF shows all times in UTC rather than UK time. The app itself is correct.", ticket.P3},
		{"recurring_manual_work", "", "The scheduled reports are no longer emailed from the live system. Someone runs all the reports by hand every morning, which takes her until 11:00.", ticket.P2},
		{"revenue_down", "", "Since your deploy product search on our live store returns 0 results for every query. About 60% of our revenue comes through search and conversion today is down 45%.", ticket.P1},
		{"copy_paste_works", "", "Some of our students report that the link in the reset email doesn't work in Outlook. Copy-pasting the whole link works for everyone.", ticket.P3},
		{"messages_gone_out_is_no_loss", "", "Since Thursday no reminder messages have gone out to patients from our production system. The missed-appointment rate has doubled since Friday. There is no bulk manual send option.", ticket.P1},
		{"status_code_after_what_fails", "uat 503", "UAT: all requests 503 since 14:00. prod ok. 6 testers idle.", ticket.P2},
	})
}

func TestClassifyWorkaroundsInUse(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"de_corrected_by_hand", "", "Auf dem Jahreslohnzettel eines Mitarbeiters steht noch die alte Adresse. Wir haben ihn vorerst händisch korrigiert.", ticket.P3},
		{"en_typed_in_by_hand", "", "The carrier interface returns no tracking numbers since Monday. We type them in by hand, about three hours a day for two people.", ticket.P2},
		{"fr_a_la_main", "", "Depuis la mise à jour, l'interface avec le transporteur ne renvoie plus les numéros de suivi. Nous les saisissons à la main, ce qui prend deux heures par jour.", ticket.P2},
		{"wish_motivated_by_manual_work", "", "It would be great if SSO groups could be mapped to roles. Today we assign roles by hand.", ticket.P4},
	})
}

func TestClassifyFailedAttemptsAreNoWorkaround(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"de_error_remains", "", "Im Produktivsystem schlägt die Lohnabrechnung für 3 von 11 Mandanten fehl. Wir haben die Sätze manuell nachgepflegt und neu gestartet, der Fehler bleibt.", ticket.P1},
		{"en_problem_persists", "", "Invoice posting fails in production for the Lyon entity. We re-entered the tax codes manually, but the problem persists.", ticket.P1},
		{"fr_le_probleme_persiste", "", "En production, la facturation échoue pour deux de nos sociétés. Nous avons corrigé les taux à la main, le problème persiste.", ticket.P1},
		{"empty_for_everyone_nothing_to_fall_back_on", "", "Since 07:00 the appointment calendars of all our clinics show up completely empty in production. We have no way of seeing who is booked. There is no printout we could use.", ticket.P0},
	})
}

func TestClassifyWordOrderReportedSpeechAndIntermittentStops(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"de_verb_second_nobody_can_log_in", "", "Seit 6 Uhr kann sich bei uns niemand mehr an der Produktivumgebung anmelden.", ticket.P0},
		{"de_enumeration_of_negatives", "", "Im Produktivsystem können die Bediener keine Aufträge zurückmelden und keine neuen Aufträge abrufen.", ticket.P1},
		{"de_provider_says_fine", "", "Seit 10 Uhr kann in unserem Webshop niemand mehr bezahlen. Unser Zahlungsanbieter sagt, bei ihnen sei alles in Ordnung.", ticket.P0},
		{"en_provider_says_fine", "", "Since 10:00 nobody can pay in our live shop. Our payment provider says everything is fine on their side.", ticket.P0},
		{"fr_prestataire_dit", "", "Depuis 10h, plus personne ne peut payer sur notre boutique en ligne. Notre prestataire dit que tout fonctionne normalement chez eux.", ticket.P0},
		{"de_every_third_time", "", "Seit Montag ist unser Produktivsystem extrem langsam, etwa jedes dritte Mal bricht die Buchung mit einer Zeitüberschreitung ab. Das betrifft alle 45 Sachbearbeiter.", ticket.P1},
		{"en_sometimes_aborts", "", "Since Monday our production system is very slow for all 45 clerks, and every third time the booking aborts and is not saved.", ticket.P1},
	})
}

func TestClassifyForwardOfAResolvedReport(t *testing.T) {
	fwd := func(top string) string {
		return top + "\n\n---------- Forwarded message ---------\nFrom: Store 12 <store12@shop.example>\n\nTill 3 is frozen on the payment screen, we cannot take card payments on it.\n"
	}
	runLevelCases(t, []levelCase{
		{"en_fine_since", "Fwd: till frozen", fwd("Forwarding this for your records: the store rebooted the till and it has been fine since."), ticket.P4},
		{"de_kein_handlungsbedarf", "WG: Kasse eingefroren", fwd("Zur Info, die Filiale hat die Kasse neu gestartet, kein Handlungsbedarf."), ticket.P4},
		{"fr_rentre_dans_l_ordre", "TR: caisse figée", fwd("Pour info, la caisse a été redémarrée et fonctionne depuis sans problème."), ticket.P4},
		{"still_judged_when_the_top_says_nothing", "Fwd: till frozen", fwd("FYI, see below."), ticket.P1},
		{"status_update_alone_closes", "Re: staging down", "Staging has been stable since this morning, the testers are back at work.", ticket.P4},
	})
}

func TestClassifyMinorImpactStatedIsAMinorFault(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"fr_pas_bloquant", "Re: Staging indisponible", "Merci, le staging refonctionne depuis ce matin.\n\nJuste un détail : le compteur de notifications ne se remet pas à zéro, il faut recharger la page. Ce n'est pas bloquant.", ticket.P3},
		{"en_not_a_big_deal", "", "The unread counter in the header does not reset when I read my messages. Not a big deal, just an inconvenience.", ticket.P3},
		{"wish_stays_a_wish", "", "It would be nice to have a dark mode. Not a big deal, just an idea.", ticket.P4},
	})
}

func TestClassifyAsidesFixWishesAndTemporaryWorkarounds(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"aside_in_brackets", "", "Since 6 this morning none of our warehouses (Leeds, Bristol, Glasgow, Coventry) can print shipping labels. We have no other way to create them.", ticket.P1},
		{"de_online_help", "Fehler in der Online-Hilfe", "In der Online-Hilfe zum Thema Kostenstellen steht ein veralteter Menüpfad.", ticket.P4},
		{"manual_adjustment_is_no_manual", "", "One employee shows 31 days of leave instead of 21. We have corrected it with a manual adjustment for now.", ticket.P3},
		{"de_wish_for_a_fix", "", "In der Auftragsliste wird beim Filter von/bis das Bis-Datum ignoriert. Wir sortieren die Liste einfach nach Datum, das geht. Wäre trotzdem schön, wenn das korrigiert wird.", ticket.P3},
		{"en_wish_for_a_fix", "", "The date filter of the order list ignores the end date. We sort the list by date instead. It would be nice if this could be fixed.", ticket.P3},
		{"de_vorerst", "", "Einer der vier Versandarbeitsplätze druckt seit dem Update keine Etiketten mehr. Die Mitarbeiterin druckt vorerst am Nachbarplatz.", ticket.P3},
		{"fr_pour_l_instant", "", "Depuis la mise à jour, un des quatre postes d'expédition n'imprime plus d'étiquettes. Pour l'instant, la collègue imprime depuis le poste voisin.", ticket.P3},
	})
}

func TestClassifyGoLiveThanksAndPhishing(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"fr_mise_en_production_prevue", "", "En recette, tous les soldes clients sont faux depuis la reprise de données. Nos utilisateurs ne peuvent pas valider la reprise et la mise en production est prévue le 1er décembre. Rien n'est impacté côté exploitation.", ticket.P2},
		{"en_go_live_scheduled", "", "Since the data migration all customer balances in UAT are wrong, so our key users cannot sign off. The go-live is scheduled for 1 December.", ticket.P2},
		{"fr_remercier", "", "Je tenais à vous remercier pour l'accompagnement lors de notre migration. Tout s'est très bien passé.", ticket.P4},
		{"de_danke_fuer_die_begleitung", "", "Vielen Dank für die Begleitung bei der Umstellung am Wochenende, alle drei Filialen haben am Montag normal geöffnet.", ticket.P4},
		{"phishing_seen_nobody_clicked", "Phishing mail pretending to be from you", "Just a heads-up: several of our staff received a phishing mail with a link to a fake login page. Nobody clicked as far as we know, and we have blocked the domain. No action needed.", ticket.P4},
		{"phishing_clicked_and_credentials_entered", "", "One of our accountants clicked a phishing link and entered her credentials on the fake page. We reset the password.", ticket.P1},
		{"de_phishing_geklickt", "", "Eine Mitarbeiterin hat auf eine Phishing-Mail geklickt und ihre Zugangsdaten eingegeben.", ticket.P1},
		{"we_are_blocked_stays_a_state", "", "Since this morning we are blocked: nobody can post invoices in production.", ticket.P0},
	})
}

func TestClassifyAppearanceAndRatedFindings(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"looks_broken_is_appearance", "URGENT - invoice layout broken", "Our invoices look broken since your update. The column header VAT has moved one column to the right. All the figures themselves are correct. No customer has complained yet but it looks sloppy.", ticket.P3},
		{"update_leaves_a_cosmetic_fault", "Re: card payments failing", "The fix works, card payments have been fine in all stores since last night.\n\nThe only thing left: in one store the receipt printer now cuts off the top of our logo. Receipts are otherwise complete.", ticket.P3},
		{"pentest_low_medium", "Pentest findings", "Our annual penetration test of the portal in production reported three findings rated medium or low: a missing Content-Security-Policy header and a session cookie without SameSite. When will these be fixed?", ticket.P3},
		{"de_pentest_niedrig", "", "Der Penetrationstest unseres Kundenportals hat zwei Befunde mit niedrigem Risiko ergeben: ein fehlender HSTS-Header und ein Versionsbanner. Bis wann können Sie das beheben?", ticket.P3},
	})
}

// TestClassifyModelDecidesExceptFlipsDown: where a built-in row set the
// level, the model's likeliest level is the Level, with the row's kept as
// a candidate; it takes a P0/P1 row down to P3/P4 only when it gives that
// level at least flipShare (more for a breach or lost data), and then the result is uncertain and the
// pager keeps the row's level for an incident.
func TestClassifyModelDecidesExceptFlipsDown(t *testing.T) {
	e := Default()
	var byModel, agreed, flipsKept, lowersKept, hedged int
	for _, m := range loadCorpus(t) {
		r := e.Classify(m.input)
		table := tableOnly.Classify(m.input)
		likeliest := table.Level
		for _, l := range ticket.Levels {
			if r.Probabilities[l] > r.Probabilities[likeliest] {
				likeliest = l
			}
		}
		switch {
		case r.HedgedFrom != "":
			hedged++
			if !r.Level.MoreSevere(r.HedgedFrom) || r.Reasons[0].Rule != "hedge" || !r.Uncertain || !slices.Contains(r.Candidates, r.HedgedFrom) {
				t.Errorf("%s/%s: hedged from %s to %s: reasons %v, uncertain %v, candidates %v", m.corpus, m.file, r.HedgedFrom, r.Level, r.Reasons[0], r.Uncertain, r.Candidates)
			}
		case r.ByModel:
			byModel++
			if r.Level != likeliest || r.Level == table.Level || r.Reasons[0].Rule != "model" || !slices.Contains(r.Candidates, table.Level) ||
				isFlipDown(table.Level.Rank(), r.Level.Rank()) && (r.Probabilities[r.Level] < flipShare(table.Row) || !r.Uncertain || r.PageLevel != table.Level && supportsIncident(r.Factors)) {
				t.Errorf("%s/%s: model level %s over the table's %s: reasons %v, candidates %v", m.corpus, m.file, r.Level, table.Level, r.Reasons[0], r.Candidates)
			}
		case !tableDecided(table):
			// the declared level, or a follow-up keeping its level: no row decided
		case r.Level != table.Level && strings.HasPrefix(r.Reasons[0].Rule, "table:"):
			t.Errorf("%s/%s: level %s differs from the table's %s without ByModel", m.corpus, m.file, r.Level, table.Level)
		case r.Level != table.Level:
			// the declared level among uncertain candidates, as before
		case likeliest == table.Level:
			agreed++
		case isFlipDown(table.Level.Rank(), likeliest.Rank()) && r.Probabilities[likeliest] < flipShare(table.Row):
			flipsKept++ // the model doubts a P0/P1 row it gives P3/P4 less than flipShare
		case likeliest.Rank() > table.Level.Rank() && r.Probabilities[likeliest] < lowerShare,
			r.Probabilities[likeliest]-r.Probabilities[table.Level] < tieMargin+0.002: // (Probabilities are rounded to 0.001)
			lowersKept++ // a less urgent level below lowerShare, or a tie
		case r.Probabilities[likeliest] < rowMoveShare(table.Row):
			lowersKept++ // a row the model moves only with rowMoveShare (documentation)
		case r.Factors.Environment == EnvNonProduction && likeliest.Rank() < ticket.P2.Rank():
			// a test system's mail whose production is said unaffected: at most P2 (aboveTestCap)
		default:
			t.Errorf("%s/%s: the model finds %s likeliest, the table's %s stayed", m.corpus, m.file, likeliest, table.Level)
		}
	}
	if byModel == 0 || agreed == 0 {
		t.Errorf("model levels %d, agreed %d: want both", byModel, agreed)
	}
	t.Logf("%d set by the model, %d where model and row agree, %d P0/P1 rows the model doubted but did not take down, %d rows kept against a weak lower level or a tie, %d hedged", byModel, agreed, flipsKept, lowersKept, hedged)
	if flipsKept == 0 {
		t.Error("no P0/P1 row kept against a model below flipShare: the guard is untested")
	}
	if hedged == 0 {
		t.Error("no level hedged in the corpora: the hedge's reasons, candidates and uncertainty are untested")
	}
	// An admin's own table decides alone.
	admin, err := LoadRules([]byte(coarseTable))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range loadCorpus(t)[:50] {
		if r := admin.Classify(m.input); r.ByModel {
			t.Fatalf("%s: the model overrode an admin table's level", m.file)
		}
	}
}

func TestClassifyExposureEffortAndThePast(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"de_visible_to_another_tenant", "", "Seit heute früh werden im Zugang einer fremden Praxis die Termine unserer Patienten mit Name und Geburtsdatum angezeigt.", ticket.P0},
		{"en_disclosed_to_third_parties", "", "Our exports could be opened without authentication; the access log shows 2,314 downloads from unknown addresses. Client data has been disclosed to unauthorised third parties.", ticket.P0},
		{"de_two_working_days_a_week", "", "Seit dem Update lehnt BMD den Export ab. Die Buchhaltung erfasst die Rechnungen händisch nach, das sind rund zwei volle Arbeitstage pro Woche. Das halten wir nicht dauerhaft durch.", ticket.P2},
		{"de_application_shows_it_right", "", "Seit der Zeitumstellung erscheinen die abonnierten Termine in Outlook eine Stunde zu früh. In Ihrer Anwendung selbst stehen die Zeiten richtig.", ticket.P3},
		{"our_ceo_cannot_log_in", "", "Our CEO gets 'account locked' when he tries to log in. Everyone else in the company can log in without problems.", ticket.P3},
		{"fine_yesterday_is_the_past", "", "Since this morning nobody in the office can use the system, we just get a white page. Yesterday evening it was fine.", ticket.P0},
		{"works_late_is_no_delay", "", "Two things we'd love to see: a dark mode, as half my team works late, and keyboard shortcuts.", ticket.P4},
	})
}

func TestClassifyDashesMinutesAndUnnoticedFaults(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"spaced_hyphen_is_a_dash", "Re: PDF reports", "Thanks for the workaround. It does work, but it takes my team 10-15 minutes per report instead of one click, and two surveyors now spend their afternoons doing this.\n\nSo it's not as urgent as last week, but we need the Download PDF fixed - it still fails for everyone on reports longer than 3 pages.", ticket.P2},
		{"prod_latency_is_normal", "FW: preprod latency", "FYI see below. All calls to your API from our pre-prod have been taking 10-25s since last night and most performance test runs time out. Prod latency is normal.", ticket.P2},
		{"users_have_not_noticed", "FW: login page slow", "FYI - our synthetic monitor flagged your login page as slow again, for one or two runs around 03:00, and it recovers on the next run. Users haven't noticed anything.", ticket.P3},
		{"lines_do_not_add_up", "", "Invoice TJ-2024-0419 shows VAT of 341.67 but the lines add up to 341.66. It's the only one we've found, all the others are fine.", ticket.P3},
	})
}

func TestClassifyPartsNearStopsAndPlannedOutages(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"module_is_a_part_not_the_rest_working", "Re: Re: AW: invoice 2024-1187", "Forget the invoice for now.\n\nSince 10:15 nobody here can log in to the warehouse module or the web app. The entire warehouse is standing still, 3 trucks waiting at the ramp.", ticket.P0},
		{"nothing_is_down_but_crawling", "Production extremely slow", "Since 08:00 our production helpdesk is so slow it's close to unusable: opening a ticket takes 40 seconds. It does eventually work, nothing is down. Our network and laptops are fine.", ticket.P1},
		{"fr_quasiment_a_l_arret", "", "Depuis ce matin, l'application en production est d'une lenteur extrême. Nos 150 gestionnaires sont quasiment à l'arrêt.", ticket.P1},
		{"fr_will_be_unavailable", "Fenêtre de maintenance du 23/11", "Nous avons bien reçu l'annonce de maintenance. Pourriez-vous nous confirmer si l'API sera également indisponible, ou seulement l'interface web ?", ticket.P4},
		{"fr_ne_voit_plus", "", "Depuis que nous avons changé son rôle, notre collègue ne voit plus le menu Dons. En attendant, c'est moi qui encode ses dons. Pas urgent, mais si vous avez une idée...", ticket.P3},
		{"fr_your_invoice_twice", "Re: facture", "Nous avons reçu deux fois la facture FA-2024-03-1187. Le prélèvement a été effectué deux fois sur notre compte. Pourriez-vous nous faire un avoir ?", ticket.P4},
	})
}

func TestClassifyNounsThatLookLikeImpact(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"fr_notification_d_echeance", "Feedback", "Depuis la semaine dernière je reçois chaque notification d'échéance en double. Mes collègues ne sont pas concernés, seulement moi. Ce n'est pas grave, je supprime le doublon.", ticket.P3},
		{"missing_heading_is_no_lost_data", "", "Since the update the header of the stock CSV export is missing Location, so every heading sits one column too far left. The data itself is correct. We can live with it.", ticket.P3},
		{"empty_recycle_bin_is_a_check", "", "After your upgrade all shipments created since 1 January are gone from our production workspace. The audit log shows no deletions and the recycle bin is empty.", ticket.P0},
	})
}

// Round 4 (author E): structure that E's mail showed the reading lacked;
// the sentences here are written for the tests, not taken from E's set.
func TestClassifyConcededThenContradicted(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"en_works_but_slow", "", "Technically everything works in production, but every screen takes two minutes for the whole back office.", ticket.P1},
		{"de_geht_alles_aber_langsam", "", "Im Produktivsystem funktioniert alles, aber jede Maske braucht drei Minuten, für alle Mitarbeiter.", ticket.P1},
		{"fr_tout_fonctionne_mais_lent", "", "En production tout fonctionne, mais l'application est extrêmement lente pour tous les utilisateurs.", ticket.P1},
		{"everything_works_just_docs", "", "Everything works, just the documentation should say delivery_address.", ticket.P4},
	})
}

func TestClassifyNothingWentThroughIsNoNegligibleShare(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"en_0_of_n_created", "", "In production the invoice run failed: 0 of 1,200 invoices were created.", ticket.P1},
		{"de_0_von_n", "", "Im Produktivsystem wurden 0 von 900 Lastschriften übertragen, die Übertragung schlägt fehl.", ticket.P1},
		{"en_3_of_9000_still_one_record", "", "In production 3 of 9000 orders failed to sync.", ticket.P3},
	})
}

func TestClassifyAWaySaidImpossibleIsNoWorkaround(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"en_cannot_another_way", "", "Since 06:00 payment file generation fails in production for every payment. We can't produce the files another way.", ticket.P0},
		{"de_koennen_nicht_von_hand", "", "Seit heute früh schlägt im Produktivsystem die Erstellung aller Zahlungsdateien fehl. Wir können die Dateien nicht von Hand erzeugen.", ticket.P0},
		{"en_by_hand_works", "", "In production the payment file export fails for every batch; we create the files by hand meanwhile.", ticket.P3},
	})
}

func TestClassifyMailsAfterAnIncident(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"en_rca_request", "Request: root cause analysis", "On Monday the platform was completely unavailable for all sites for three hours; 200 pickers were idle and trucks left late. We need a written root cause analysis by Friday.", ticket.P4},
		{"de_sla_gutschrift", "SLA-Gutschrift März", "Am 3. März stand das Portal bei uns vier Stunden komplett still, alle Filialen konnten nicht kassieren. Wir beantragen dafür eine Gutschrift gemäss SLA.", ticket.P4},
		{"fr_rapport_incident", "", "Le 12 mars la plateforme était indisponible pour tous nos utilisateurs pendant deux heures. Merci de nous transmettre le rapport d'incident.", ticket.P4},
		{"en_rca_but_down_again", "", "We still wait for the RCA of last week's outage, and the platform is down again now for all users.", ticket.P0},
	})
}

func TestClassifyPeopleComingBackAreNoRestoredService(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"de_kunden_gehen_wieder", "", "Seit heute Morgen geht in keiner Filiale eine Kartenzahlung durch, alle Zahlungen werden abgelehnt. Viele Kunden gehen wieder.", ticket.P0},
		{"fr_clients_sont_revenus", "", "Depuis ce matin les paiements par carte sont refusés dans tous nos magasins. Les clients sont revenus avec du liquide.", ticket.P0},
		{"de_kasse_geht_wieder", "", "Gestern waren alle Kassen ausgefallen. Seit 10 Uhr geht die Kasse wieder.", ticket.P4},
	})
}

func TestClassifyLateAsAnAttributeIsNoDelay(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"late_arrivals_in_a_question", "Maintenance window on Saturday", "Will the dispatch module be affected during the maintenance window? We have three late arrivals planned that night.", ticket.P4},
		{"messages_arrive_late", "", "In production all dispatch messages arrive late, by 20 minutes, for every driver.", ticket.P1},
	})
}

func TestTokenizeKeepsPathsOneWord(t *testing.T) {
	tt := tokenizeText("POST /v1/orders returns 422, and/or GET /v2/customers?page=3")
	var words []string
	for _, tok := range tt.tokens {
		words = append(words, tok.word)
	}
	if got, want := strings.Join(words, " "), "post v1/orders returns 422 and or get v2/customers page 3"; got != want {
		t.Fatalf("words = %q, want %q", got, want)
	}
	runLevelCases(t, []levelCase{
		{"docs_example_names_a_path", "API docs: example for /v1/orders has a wrong field name", "The example request in the API documentation says delivery_adress; the API expects delivery_address. Everything works, only the docs need fixing.", ticket.P4},
	})
}

func TestClassifyAStopForManyOutranksNotABigDeal(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"en_no_big_deal_but_team_stopped", "no rush", "Not a big deal. The rostering module shows 'engine unavailable' since 7am; everything else in the portal works fine. The 300 drivers can't see their shifts.", ticket.P1},
		{"en_no_big_deal_one_user", "", "Not a big deal: my colleague can't open the statistics page, everything else works.", ticket.P3},
	})
}

func TestClassifyProceduresAskedAboutAreHypothetical(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"en_questionnaire", "Vendor security questionnaire", "Please complete the attached questionnaire. It asks within which time you would notify us of a confirmed breach affecting our data.", ticket.P4},
		{"de_fragebogen", "Fragebogen Informationssicherheit", "Bitte füllen Sie den Fragebogen aus: wie schnell würden Sie uns über einen bestätigten Datenabfluss informieren?", ticket.P4},
		{"en_breach_confirmed", "", "We confirmed a breach: customer data was exfiltrated from the production database.", ticket.P0},
	})
}

// Round 5's mechanisms (testdata/classify/ROUND5.md), each in the
// languages it was built for; the sentences are new, not the corpus's.
func TestClassifyRound5Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// Contractions typed without the apostrophe.
		{"en_cant_without_apostrophe", "", "since the update last night everybody at all 9 branches cant log in, we cant open contracts, basically nothing works.", ticket.P0},
		{"en_doesnt_without_apostrophe", "", "The invoice run in production doesnt start anymore for any of our entities and there is no way to bill by hand.", ticket.P1},
		// The subject of a reply names the original topic, not what is back.
		{"en_reply_subject_resolved", "Re: [Ticket #4411] outage resolved", "Sorry, too early: since 14:00 the system is completely down again at all our sites, nobody can log in.", ticket.P0},
		{"de_reply_subject_behoben", "AW: [Ticket #4411] Störung behoben", "Leider zu früh gefreut: seit 13 Uhr ist das System an allen Standorten wieder komplett weg, niemand kommt rein.", ticket.P0},
		// What a wish would change is no fault.
		{"en_wish_instead", "", "It would be great if the PDF export used our own colours instead of the grey default.", ticket.P4},
		{"de_wish_statt", "", "Es wäre super, wenn man in den Berichten eigene Spalten anlegen und mit Formeln statt fester Werte exportieren könnte.", ticket.P4},
		// A stop that happens often is a degradation.
		{"en_often_aborts", "", "Since this morning our production system is extremely slow for all 30 clerks, and saving often aborts with a timeout.", ticket.P1},
		{"de_oefter_bricht_ab", "", "Seit 8 Uhr ist unser Produktivsystem extrem langsam, Speichern bricht öfter mit Timeout ab. Alle 30 Sachbearbeiter sind betroffen.", ticket.P1},
		{"fr_souvent", "", "Depuis ce matin la production est extrêmement lente pour tous nos agents, et l'enregistrement est souvent interrompu.", ticket.P1},
		// A recurring time cost makes the workaround costly.
		{"en_calls_a_day", "", "Since Thursday the SMS reminders are no longer sent in production. We now phone every client by hand, about 60 calls a day.", ticket.P2},
		{"de_anrufe_am_tag", "", "Die SMS-Erinnerungen werden im Produktivsystem nicht mehr versendet. Wir rufen jetzt jeden Kunden von Hand an, etwa 60 Anrufe am Tag.", ticket.P2},
		{"fr_appels_par_jour", "", "Les SMS de rappel ne partent plus en production. Nous appelons chaque client à la main, environ 60 appels par jour.", ticket.P2},
		{"de_kostet_stunde_am_tag", "", "Seit dem Update funktioniert der Offline-Modus der App nicht mehr, online läuft alles normal. Die Techniker notieren alles auf Papier. Das kostet pro Techniker eine Stunde am Tag.", ticket.P2},
		// Lost sales are no lost data; a card scheme refused while the others work is partial.
		{"fr_ventes_perdues", "", "Depuis ce matin, sur notre boutique en ligne, tous les paiements Bancontact sont refusés. Visa et Mastercard passent encore. Bancontact c'est 70 % des commandes, donc on a perdu la plupart des ventes de la matinée.", ticket.P1},
		{"en_lost_sales", "", "Since 9:00 all Visa payments in our live shop are declined, Mastercard still works. Visa is 70 % of our orders, so we have lost most of the morning's sales.", ticket.P1},
		// A confirmed privacy incident is a breach.
		{"de_bestaetigter_datenschutzvorfall", "", "Wir melden einen bestätigten Datenschutzvorfall: Über das Bürgerportal waren die Meldungen anderer Bürger mit Name und Anschrift für jeden abrufbar.", ticket.P0},
		// Something that does nothing when clicked has stopped.
		{"en_nothing_happens", "", "In production, when our dispatchers click Assign on the planning board nothing happens, for all 12 of them. There is no other way to assign jobs.", ticket.P1},
	})
}

// Round 6's mechanisms (testdata/classify/ROUND6.md), in new sentences.
func TestClassifyRound6Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// Each problem takes the function named nearest to it.
		{"de_system_and_export", "", "Unser Redaktionssystem (läuft bei Ihnen in der Cloud) ist seit 23 Uhr nicht mehr erreichbar, alle Redakteure sind rausgeflogen, und der PDF-Export an die Druckerei geht nicht.", ticket.P0},
		// One user of a system, the others fine.
		{"de_one_user_of_a_portal", "", "Unser neuer Mitarbeiter kann sein VPN-Profil im Self-Service-Portal nicht herunterladen. Die anderen 14 Mitarbeitenden haben kein Problem.", ticket.P3},
		// "Everything works until …" concedes nothing about what fails.
		{"en_everything_works_until", "", "In our live shop everything works until you click Pay now: then the page ends with a 504 for every customer, with card and PayPal alike.", ticket.P0},
		// An incident back now is a new report, not an RCA request.
		{"en_happening_again_now", "Re: RCA for the write failures on 10 Nov", "It's happening again, right now: about 30% of writes to our production database fail, so one in three bookings fails for our users.", ticket.P1},
		// A pentest finding only asked about; asked to be fixed it is a fault.
		{"en_pentest_how_to", "", "Our penetration test flagged a medium finding: the load balancer still accepts TLS 1.1. For the report we must document a fix or an accepted risk. Can you tell us how to disable TLS 1.1?", ticket.P4},
		{"en_pentest_to_be_fixed", "", "Our penetration test flagged a medium finding: the portal sends no HSTS header. When will this be fixed?", ticket.P3},
		// Swiss German and Bavarian.
		{"gsw_am_bode", "", "Grüezi, sit em Upgrade isch üsen ganze Prod-Cluster am Bode, für alli Chunde gaht nüt meh.", ticket.P0},
		{"bar_koaner_kimmt", "", "Bei uns geht seit heit fruah überhaupt nix mehr, koaner kimmt ins Programm nei, weder im Büro no draußen.", ticket.P0},
		// "Minor" naming a version is no impact.
		{"de_minor_upgrade", "", "Seit dem Minor-Upgrade unserer Produktivdatenbank ist der Shop für alle Kunden extrem langsam, ein Drittel der Seitenaufrufe läuft in den Timeout.", ticket.P1},
		// Every fourth request is a part.
		{"de_jeder_vierte", "", "Seit 10 Uhr liefert im Produktivsystem ca. jeder vierte Request einen 502, der Login scheitert für viele Kunden.", ticket.P1},
		// Orders lost as business are no lost data.
		{"en_lost_orders_business", "", "Since yesterday around 3% of card payments in our live shop fail at the CDN; we count about 60 lost orders so far.", ticket.P1},
		// A suspicion told as an unknown address and a fear.
		{"fr_ip_inconnue_craint", "", "Dans le journal d'audit on voit des appels API faits avec notre jeton depuis une adresse IP qu'on ne connaît pas. On craint un accès à nos clusters de production.", ticket.P1},
		// A dev cluster down while production runs well.
		{"fr_dev_a_terre_prod_roule", "", "Notre cluster de dev est à terre depuis 13h et toute l'équipe est bloquée. C'est juste le dev, la prod roule bien.", ticket.P2},
		// No customer impact stated.
		{"en_flapping_no_impact", "", "One of the 12 nodes in our production pool has been flapping since yesterday; we don't see any customer impact.", ticket.P3},
		// Not a single order is nothing coming in.
		{"en_not_a_single_order", "", "We haven't received a single order in our live shop since 9:00, nobody can complete checkout.", ticket.P0},
	})
}

// Round 7's mechanisms (testdata/classify/ROUND7.md), in new sentences.
func TestClassifyRound7Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// Other people's data shown or sent to someone is a breach, however politely told.
		{"en_sees_someone_elses_results", "", "Sorry to bother you, it's probably nothing. Since this morning two patients told us that in the portal they see lab results that are not theirs.", ticket.P0},
		{"de_fremde_noten", "", "Wenn Sie mal Zeit haben: seit gestern sehen mehrere Eltern im Elternportal die Zeugnisse eines anderen Kindes statt der eigenen.", ticket.P0},
		{"fr_pas_les_leurs", "", "Depuis hier, des parents voient dans le portail des bulletins qui ne sont pas les leurs, avec nom et notes d'un autre élève.", ticket.P0},
		// A formal complaint about a past outage is after-action.
		{"en_formal_complaint", "", "I am writing to make a formal complaint about last week's outage of your booking service. The service has been stable since then, but the outage caused us serious problems. Please confirm the service credit.", ticket.P4},
		// Phoning every patient for hours a day is a costly workaround.
		{"en_phoning_patients", "", "None of our appointment reminder texts have gone out since Monday. Our receptionists are phoning every patient the day before instead, which takes two of them most of the afternoon.", ticket.P2},
		// Numbers written as words count.
		{"en_three_hours_a_day", "", "Since Wednesday the report PDF export fails for every class. We are copying the grades into a Word template by hand, which takes us three hours a day.", ticket.P2},
		// The customer's own network working says nothing about the product.
		{"fr_reste_d_internet", "", "Depuis 7h30 plus personne au cabinet ne peut ouvrir l'agenda, la page reste blanche. Le reste d'internet fonctionne normalement.", ticket.P0},
		// A salutation names no single user.
		{"fr_madame_monsieur", "", "Madame, Monsieur, depuis ce matin aucun enseignant ne peut accéder au module Notes, pour tous les comptes. Le reste de l'ENT fonctionne.", ticket.P1},
		// "Ne peut ni … ni" and "weder … noch" are stops.
		{"fr_ni_ni", "", "Depuis ce matin, sur notre site de production, on ne peut ni voir ni prendre de rendez-vous, pour aucun praticien.", ticket.P0},
		// One branch of several.
		{"de_zweigstelle", "", "In der Zweigstelle Nord schlägt seit 10 Uhr jede Ausleihe fehl, an allen drei Theken. Die Leser müssen wir wegschicken.", ticket.P1},
		// Saying a late look is fine is no statement about what works.
		{"en_tomorrow_is_fine", "", "We cannot start the payroll run for all 2,300 employees, there is no other way to pay them. No need to hurry, if somebody looks tomorrow morning that is fine.", ticket.P0},
	})
}

// Round 9's mechanisms (testdata/classify/ROUND6.md), in new sentences.
func TestClassifyRound9Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// Another customer's data served to us is a breach.
		{"en_other_company_documents", "", "Since this morning our supplier portal is showing another company's orders and invoices to our buyers when they log in.", ticket.P0},
		{"de_fremde_mandanten", "", "Der Lohnexport für unseren Mandanten enthielt heute zusätzlich die Lohnjournale von zwei Firmen, die nicht zu unserer Kanzlei gehören.", ticket.P0},
		{"fr_transmises_a_des_tiers", "", "Des données bancaires de nos clients ont été transmises à des tiers par votre plateforme hier soir.", ticket.P0},
		// Records overwritten in production are lost.
		{"de_bestand_ueberschrieben", "", "Beim Import heute wurde im Produktivmandanten der Buchungsbestand vom Oktober überschrieben, eine eigene Sicherung haben wir nicht.", ticket.P0},
		// A demo or test company is not production.
		{"en_demo_company_gone", "", "All the data in our demo company is gone, the customers and invoices we built for our training course. Our real company is fine.", ticket.P2},
		{"de_testmandant_weg", "", "Im Testmandanten sind seit heute alle Belege verschwunden, der Produktivmandant ist nicht betroffen.", ticket.P2},
		// "Offline mode" names a feature.
		{"en_offline_mode_question", "", "During your maintenance on Saturday, will the tills keep taking payments in offline mode?", ticket.P4},
		// One payment method refused while cards work is a part.
		{"de_twint_karten_gehen", "", "Seit heute Morgen schlagen im Onlineshop alle TWINT-Zahlungen fehl. Karten und Bargeld gehen normal.", ticket.P1},
		// A complaint asking for a commercial gesture after an outage.
		{"fr_geste_commercial", "", "Le 24 novembre votre service a été inaccessible toute la matinée. Tout fonctionne de nouveau depuis, mais je vous demande un geste commercial et un compte rendu sur les causes de la panne.", ticket.P4},
		// A wish without a condition changes nothing that is broken.
		{"de_haette_gern", "", "Wie kann ich die Reihenfolge der Zeilen ändern? Außerdem hätte ich gern das Logo rechts statt links.", ticket.P4},
	})
}

// Round 10's mechanisms (testdata/classify/ROUND6.md), in new sentences.
func TestClassifyRound10Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// A production order names manufacturing, not the environment.
		{"en_production_orders", "", "Since 22:00 all machine terminals in our plant lose the connection to the server, the night shift can not confirm production orders and the shift leader has stopped all lines.", ticket.P0},
		// Links that open without a login, and the data is out there.
		{"en_links_without_login", "", "The photo links in your delivery e-mails open without any login, and our IT has opened thousands of other customers' delivery photos. The data is out there.", ticket.P0},
		// Every payment of the only online channel failing.
		{"en_every_payment_online", "", "Since 19:00 every single payment on our online checkout fails, zero successful orders. The tills in the stores are not affected, but this is 100% of our online revenue.", ticket.P0},
		// All users of one site of several.
		{"en_none_of_one_site", "", "Since 06:00 none of the 90 users at our Leeds depot can log in. The other two depots are unaffected.", ticket.P1},
		// One device, the others fine, a spare in use.
		{"en_one_scanner", "", "Scanner 2-07 in hall 1 won't connect since start of shift. All the other scanners are fine and the picker uses a spare.", ticket.P3},
		// A credit asked under the maintenance contract after an outage.
		{"de_gutschrift_vertrag", "", "Am Samstag war das Kassensystem in 12 Filialen vier Stunden nicht nutzbar. Das System läuft seither stabil. Wir ersuchen um eine Gutschrift gemäß Wartungsvertrag.", ticket.P4},
		// Keeping up a costly workaround, "but not for long".
		{"en_not_for_long", "", "Since the update the bulky-item labels won't generate. We hand-write them, about 400 labels a day, which takes two of my team most of the morning. We can keep this up for a few days but not for long.", ticket.P2},
	})
}

// Round 11's mechanisms (testdata/classify/ROUND6.md), in new sentences.
func TestClassifyRound11Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// A closed time range tells an interval that is over.
		{"de_zwischen_und", "Kartenzahlung – läuft wieder", "Heute Nacht zwischen 02:10 und 04:30 ging an der Rezeption keine Kartenzahlung, es kam immer „Host nicht erreichbar“. Seit 04:35 läuft es wieder normal, nur zur Info.", ticket.P4},
		// One hotel of four.
		{"de_eines_von_vier", "", "In unserem Haus in Linz (eines von vier Hotels) kann seit heute früh bei keinem Check-out eine Rechnung erstellt werden. Die anderen Häuser laufen normal.", ticket.P1},
		// Training and demo properties are not production.
		{"en_training_property", "", "Our training property cannot be opened since Friday, every login gives 'Property not found'. The live hotels are all working fine.", ticket.P2},
		{"fr_hotel_de_demo", "", "Notre hôtel de démonstration ne s'ouvre plus depuis ce midi, message « Base introuvable ».", ticket.P2},
		// "N'envoie plus" is a stop; thanks in advance closes nothing.
		{"fr_n_envoie_plus", "", "Depuis 9 h le gestionnaire de canaux n'envoie plus aucune disponibilité vers nos canaux de vente, nous avons déjà deux surbookings. Le reste fonctionne. Merci de votre aide rapide.", ticket.P1},
		// Screens that take a minute are slow, not stopped.
		{"fr_met_une_minute", "", "Depuis ce matin chaque écran met une minute à s'afficher sur tous les postes de la réception, un check-out prend 5 minutes.", ticket.P1},
	})
}

// Round 12's mechanisms (testdata/classify/ROUND6.md), in new sentences.
func TestClassifyRound12Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// A login the user never made, an unknown device: a suspicion.
		{"de_unbekanntes_geraet", "", "Unsere Sekretärin hat heute eine Meldung erhalten: Neue Anmeldung von einem unbekannten Gerät in Lagos. Sie hat sich zu dieser Zeit nicht angemeldet.", ticket.P1},
		{"fr_accepte_par_erreur", "", "Notre juriste a reçu une dizaine de demandes de validation de connexion alors qu'elle n'essayait pas de se connecter, et en a accepté une par erreur.", ticket.P1},
		// Asked whether data was lost is no data lost.
		{"de_ob_daten_verloren", "", "Die Plattform war am Montag drei Stunden nicht erreichbar und läuft seither wieder. Bitte teilen Sie uns in einem Vorfallsbericht mit, ob Daten verloren gegangen sind.", ticket.P4},
		{"en_whether_data_lost", "", "Following Tuesday's outage, which is resolved, please tell us in your incident report whether any client data was lost or exposed.", ticket.P4},
		// Entries that cannot be reconstructed are lost.
		{"en_cannot_reconstruct", "", "Every time entry of our tax team from last week now shows zero hours in the live system. We cannot reconstruct them, nobody kept a separate record.", ticket.P0},
		// Every one of N is all of them.
		{"en_every_one_of", "", "Since 08:00 every one of our 80 users gets an error on the login page, nobody can open a matter.", ticket.P0},
		// Documents no longer there.
		{"en_documents_no_longer_there", "", "After last night's archive job the documents of 40 active matters in our live system are no longer there, and they are not in the recycle bin.", ticket.P0},
		// One office of three, the others work normally.
		{"fr_bureau_de_liege", "", "Depuis 9h personne au bureau de Mons ne peut se connecter au logiciel. Les bureaux de Bruxelles et de Namur travaillent normalement.", ticket.P1},
	})
}

// Round 13's mechanisms (testdata/classify/ROUND6.md), in new sentences.
func TestClassifyRound13Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// A lost connection is no lost data.
		{"de_verbindung_verloren", "", "Der Import der Messdaten ist heute Nacht mit „Verbindung zum Server verloren“ abgebrochen, wir haben ihn von Hand neu gestartet und jetzt ist alles da.", ticket.P3},
		// Who did it is not who is affected.
		{"fr_un_collegue_a_importe", "", "Un collègue a importé par erreur dans la production un fichier de test : l'index de 2'000 compteurs a été remplacé. La perte est confirmée.", ticket.P0},
		// Exported to an outside address.
		{"en_exported_outside", "", "Confirmed by forensics: customer data including bank account numbers was exported from your admin console to an outside IP.", ticket.P0},
		// Nothing shown any more.
		{"de_zeigt_keine_mehr", "", "Seit 03:30 zeigt die Dienstplan-App keine Dienste mehr an, betroffen sind alle 80 Fahrer.", ticket.P0},
		// None of the machines, and "fine" as a verb.
		{"en_none_of_the_machines", "", "Since 06:10 none of our 150 ticket machines sells anything, anywhere in the network. We told the inspectors not to fine anybody today.", ticket.P0},
	})
}

// Round 14's mechanisms (testdata/classify/ROUND6.md), in new sentences.
func TestClassifyRound14Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// Records that are not ours, shown in our account.
		{"en_contacts_not_ours", "", "Since this morning our contact list shows about 3,000 contacts that are not ours, with e-mails and phone numbers of another company's customers.", ticket.P0},
		{"fr_pas_a_nous", "", "Depuis ce matin nous voyons dans notre compte environ 5 000 fiches qui ne sont pas à nous, avec nom et téléphone.", ticket.P0},
		// Every recipient sees all other recipients' addresses.
		{"fr_adresses_visibles", "", "La campagne est partie ce matin vers 8 000 destinataires et ils voient dans le champ À les adresses de tous les autres destinataires.", ticket.P0},
		// Pages that return a 404 for everyone.
		{"en_pages_return_404", "", "Since 08:00 all landing pages on our website return a 404 page and everyone who clicks the invitation lands on a 404. Editor and sending work.", ticket.P1},
		// "Konto drei Listen" is no record number.
		{"de_konto_drei_listen", "", "Seit gestern Abend sind in unserem Live-Konto drei Kontaktlisten mit 40'000 Kontakten weg, im Papierkorb sind sie nicht.", ticket.P0},
	})
}

// Round 15's mechanisms (testdata/classify/ROUND6.md), in new sentences.
func TestClassifyRound15Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// A "Datenpanne" reported, and the notification being prepared.
		{"de_datenpanne", "Datenpanne: Notenliste an alle versendet", "Heute hat das System die Notenliste eines Kurses an alle 900 Studierenden verschickt. Ich bereite die Meldung an die Aufsichtsbehörde vor.", ticket.P0},
		// Available under a link without a login, and the data has left.
		{"en_available_without_login", "", "The export of all exam answers was available under a link without any login and was downloaded from outside addresses. So the data has left.", ticket.P0},
		// Grades that belong to other students.
		{"en_belong_to_other_students", "", "Since the update the grades screen in the app shows grades that belong to other students.", ticket.P0},
		// Successful logins the owners say they did not make, from abroad.
		{"fr_connexions_etranger", "", "Cette nuit, des connexions ont réussi sur 12 comptes depuis des adresses IP à l'étranger, et les titulaires affirment ne pas s'être connectés.", ticket.P1},
	})
}

// TestClassifyRound16Mechanisms checks, with sentences written for this
// test, the mechanisms round 16 added (author P as development data,
// testdata/classify/ROUND6.md).
func TestClassifyRound16Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// "Stück" is no "stuck", "Kassel" no till.
		{"de_stueck_is_pieces", "", "Bei der Inventur wurden für einen Artikel 40 Stück statt 4 Stück gezählt, alle anderen Artikel stimmen.", ticket.P3},
		{"de_kassel_is_a_town", "", "Seit heute früh startet bei den Kollegen in Kassel der Export der Monatsberichte nicht mehr.", ticket.P2},
		// One person, named with a word between "one of our" and the person.
		{"en_one_of_our_night_technicians", "", "One of our night-shift lab technicians cannot log in on the analyser PC; everyone else can.", ticket.P3},
		{"en_at_every_login_one_cashier", "", "Since Monday, at every login one of our cashiers is asked to change her password again and cannot work.", ticket.P3},
		{"fr_a_chaque_connexion_une_vendeuse", "", "Une de nos vendeuses est renvoyée vers l'écran du mot de passe à chaque connexion et ne peut pas travailler.", ticket.P3},
		{"fr_loop_one_colleague", "", "Un de nos collaborateurs est renvoyé en boucle vers la page de connexion. Les autres n'ont aucun souci.", ticket.P3},
		// A share of transactions failing at every till comes and goes.
		{"de_jede_fuenfte_zahlung", "", "Seit heute Morgen wird an allen Kassen jede fünfte Kartenzahlung abgelehnt.", ticket.P1},
		{"en_one_in_four_payments", "", "Since noon about one in four online payments fails for all customers.", ticket.P1},
		{"fr_un_paiement_sur_trois", "", "Depuis ce matin, un paiement sur trois est refusé dans tous nos magasins.", ticket.P1},
		// "scheitert" fails; a stop since a time; nothing runs; an endless spinner.
		{"de_scheitert_fuer_alle", "", "Seit dem Update scheitert die Anmeldung am Kassensystem für alle Mitarbeiter.", ticket.P0},
		{"de_steht_seit", "", "Der Wareneingang steht seit einer Stunde an allen Scannern.", ticket.P0},
		{"de_laeuft_gar_nichts", "", "Im Versand läuft seit dem Update gar nichts, an keinem Packtisch.", ticket.P0},
		{"en_spins_forever", "", "Since 9:00 the order screen spins forever for every agent when they press save.", ticket.P0},
		{"de_keine_mehr_uebertragen", "", "Seit gestern Abend werden keine Lieferscheine mehr an die Spedition übertragen.", ticket.P2},
		// A test account ("Testkonto") is no production.
		{"de_testkonto_gesperrt", "", "Unser Testkonto ist seit heute Morgen gesperrt, niemand kommt mehr hinein. Das Live-Konto läuft normal.", ticket.P2},
		// Data that no longer exists, a training database emptied.
		{"de_existieren_nicht_mehr", "", "Die Messwerte der Nachtschicht existieren in der Produktivdatenbank nicht mehr.", ticket.P0},
		{"fr_n_existent_plus", "", "Les relevés de la semaine dernière n'existent plus dans la base de production.", ticket.P0},
		{"en_training_database_emptied", "", "Our training database was emptied during last night's update; live data is fine.", ticket.P2},
		// Exposure: people who are not ours, data that appears to belong to someone else, results of other doctors received.
		{"en_customers_who_are_not_ours", "", "The customer list in our account shows customers who are not ours.", ticket.P0},
		{"en_appear_to_belong", "", "The 12 delivery notes in our inbox appear to belong to a dealer in Leeds.", ticket.P0},
		{"fr_recois_resultats_autres_medecins", "", "Depuis ce matin je reçois dans mon espace les résultats d'autres médecins.", ticket.P0},
		{"de_sehen_daten_unserer_patienten", "", "Kollegen einer anderen Praxis sehen im Portal Daten unserer Patienten.", ticket.P0},
		{"fr_envoyes_personnes_non_autorisees", "", "Des bulletins de salaire ont été envoyés à des personnes non autorisées.", ticket.P0},
		{"de_nicht_eigene_sondern_andere", "", "In der Bestellbestätigung sehen die Kunden nicht ihre eigenen Adressen, sondern die von anderen Kunden.", ticket.P0},
		// Failed logins, a successful login from another country, an attack dated by a window.
		{"en_failed_logins", "", "Our log shows 300 failed logins on the admin account overnight.", ticket.P1},
		{"de_fehlgeschlagene_anmeldeversuche", "", "Im Protokoll stehen 85 fehlgeschlagene Anmeldeversuche auf das Konto der Filialleitung.", ticket.P1},
		{"en_successful_signin_abroad", "", "A successful sign-in to the finance account came from an IP address in Brazil, and none of us was travelling.", ticket.P1},
		{"en_window_dates_the_attack", "", "Between 01:10 and 01:40 someone logged into the payroll account from an unknown IP address.", ticket.P1},
		// Paper, fax and "it works, but" as costly ways around.
		{"en_paper_three_hours", "", "Since Tuesday the driver app does not sync, so the drivers write the deliveries on paper and someone keys them in later. That is three hours every evening.", ticket.P2},
		{"de_per_fax_bestellen", "", "Die Schnittstelle zum Großhandel geht nicht, wir bestellen per Fax; das kostet uns täglich drei Stunden.", ticket.P2},
		{"de_das_geht_aber", "", "Die Prüfung im Kassensystem scheitert bei allen Artikeln, wir prüfen jetzt einzeln im Portal. Das geht, aber eine Kollegin sitzt drei Stunden am Tag daran.", ticket.P2},
		// Extra hours every day are a costly way around.
		{"en_extra_hours_every_day", "", "Since the update the route map no longer shows in the planner, so our dispatchers look up each address in another tool. That adds three extra hours of work every day.", ticket.P2},
		// A way around that cannot cope with the volume.
		{"en_cannot_do_hundreds", "", "The supplier portal is unavailable since 8:00; our own ERP works normally. Suppliers phone us and we confirm a few orders by phone, but we cannot do hundreds a day.", ticket.P1},
		// Our invoice charging a licence twice is billing.
		{"en_module_charged_twice", "", "Your November invoice charged the reporting module twice.", ticket.P4},
		{"de_lizenz_doppelt", "", "Auf der Rechnung für Oktober ist die Lizenz für das Lagermodul doppelt berechnet.", ticket.P4},
	})
}

// TestClassifyRound17Mechanisms checks, with sentences written for this
// test, the mechanisms round 17 added (author Q as development data,
// testdata/classify/ROUND6.md).
func TestClassifyRound17Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// "sonst": a consequence that would follow, not a fault.
		{"de_sonst_kann_nicht", "", "Bitte geben Sie auf jeder Rechnung künftig unsere Kostenstelle an, sonst kann die Buchhaltung sie nicht verbuchen.", ticket.P4},
		{"en_two_invoices_same_amount", "", "We received two invoices with different numbers but the same amount for the support renewal. Is one of them a mistake?", ticket.P4},
		// No indication of an incident: a routine question.
		{"en_no_indication_routine", "", "As part of our annual audit we send every supplier this security questionnaire about access control, patching and incident notification. We have no indication of any incident; this is a routine review.", ticket.P4},
		{"de_kein_hinweis_auf_angriff", "", "Ist Ihr Produkt von der in der Presse gemeldeten Sicherheitslücke betroffen? Wir haben keinerlei Hinweise auf einen Angriff.", ticket.P4},
		{"de_stoerungserfassung_ist_funktion", "", "Welche personenbezogenen Daten speichert die Störungserfassung, und wie lange? Es gibt keinen konkreten Vorfall.", ticket.P4},
		// Back: "everything came back", "running normally since".
		{"en_came_back_running_since", "", "Yesterday evening the label server stopped and every printer in the warehouse went offline. We restarted it at 21:30, everything came back and it has been running normally since. Is there a known memory leak in 4.2?", ticket.P4},
		// Stops told in new words.
		{"en_never_appear", "", "Since this morning the orders we send from the shop never appear in the warehouse system, for every customer.", ticket.P0},
		{"en_plant_standing", "", "Since the update the conveyor controller dispatches nothing, nothing moves and the whole plant has been standing since six.", ticket.P0},
		{"fr_ne_recoivent_plus", "", "Depuis hier, la moitié de nos terminaux de quai ne reçoivent plus aucune commande ; les autres fonctionnent.", ticket.P1},
		{"en_by_hand_not_an_option", "", "The warehouse control system hands no orders to the shuttles any more, and the whole plant has been standing since 6:30. Bringing goods out by hand is not really an option.", ticket.P0},
		{"de_alle_linien_stehen_still", "", "Seit 6 Uhr kommen keine Aufträge mehr an die Terminals, alle Linien stehen still.", ticket.P0},
		{"en_nothing_leaves", "", "Since the certificate change the dock scanners cannot print shipping labels, so nothing leaves the building.", ticket.P0},
		// Freezing every few minutes comes and goes; "geht es wieder" there is no status update.
		{"de_frieren_alle_paar_minuten", "", "Seit heute Morgen frieren die Kassen in allen Filialen alle paar Minuten ein, nach einer Minute geht es wieder.", ticket.P1},
		// "bringt nichts … wieder da": the fault comes back.
		{"de_bringt_nichts_wieder_da", "", "Der doppelte Eintrag im Schichtplan lässt sich löschen, aber das bringt nichts, am nächsten Morgen ist er wieder da. Sonst läuft alles.", ticket.P3},
		// "tout fonctionne" said of the others.
		{"fr_tout_fonctionne_sur_les_autres", "", "Depuis ce matin les préparateurs du quai 2 ne peuvent plus se connecter aux scanners. Sur les autres quais, tout fonctionne.", ticket.P1},
		// In a plant, production running is the manufacturing, not a test system.
		{"en_production_itself_runs", "", "Since this morning nobody can save inspection results in the quality module, on all twelve stations. Production itself is running normally, but no pallet can be released to the warehouse.", ticket.P1},
		{"en_validation_system_down", "", "Our validation system has been unreachable since yesterday; production is not affected.", ticket.P2},
		// The rest goes on.
		{"de_laufen_weiter", "", "Seit gestern können wir keine Fertigungsaufträge mehr freigeben, das betrifft alle Planer. Die freigegebenen Aufträge laufen in der Fertigung normal weiter.", ticket.P1},
		{"en_production_going_on", "", "Since yesterday evening the supplier portal gives error 502 to everybody. The production is going on with the stock we have.", ticket.P1},
		{"en_lines_fine_for_now", "", "No production orders reach the MES since 7:30 and we cannot release anything to any line. The lines are fine for the moment with yesterday's orders.", ticket.P1},
		{"fr_se_calculent_normalement", "", "Le calcul des factures de gaz échoue pour tous nos clients depuis hier. L'électricité et l'eau se calculent normalement.", ticket.P1},
		// Terminals in hall 3 are no single record; "only this one" is.
		{"de_terminals_in_halle_3", "", "Seit dem Umzug funktionieren die Rückmeldungen an den Terminals in Halle 3 nicht mehr; die Werker schreiben alles auf den Laufzettel und der Meister trägt es nach, das sind pro Schicht gut zwei Stunden.", ticket.P2},
		{"en_only_this_one", "", "I cannot cancel the confirmation in order 5512; with other orders cancelling works, only this one.", ticket.P3},
		// An extra person on each line is a costly way around.
		{"en_extra_person_each_line", "", "The scale interface no longer sends weights, so the operators type every weight into the terminal. It works, but we need an extra person on each line.", ticket.P2},
		// Exposure: competitors' prices, offers seen by each other, a file transferred out.
		{"en_competitors_see_prices", "", "One of our suppliers called: in the portal he can see the prices of his competitors for the same tender.", ticket.P0},
		{"de_angebote_gegenseitig", "", "Im Lieferantenportal sehen die Lieferanten gegenseitig ihre Angebote.", ticket.P0},
		{"en_transferred_out_of_network", "", "Our SOC confirmed that a file with the home addresses of all employees was transferred out of our network last night.", ticket.P0},
		// Deliveries on hold are a significant impact.
		{"en_deliveries_on_hold", "", "Since Monday the certificate generation fails for every lot, so deliveries to our retail customers are on hold. Everything else is shipping.", ticket.P1},
		// People counted against files are no share; "must … instead of" motivates a wish.
		{"fr_personnes_sur_dossiers", "", "Depuis ce matin plus personne ne peut se connecter ; nous sommes 25 personnes sur 200 dossiers.", ticket.P0},
		{"en_must_instead_of_wish", "Suggestion: bulk edit", "It would help to edit several items at once. Right now our planners must open 40 screens instead of one.", ticket.P4},
		// An old logo, a date column sorted as text, production lost (not data).
		{"fr_ancien_logo", "", "Le bon de livraison du lot 4471 sort avec notre ancien logo ; tous les autres sont corrects.", ticket.P3},
		{"de_sortiert_als_ob_text", "", "Die Spalte Liefertermin wird sortiert, als ob es Text wäre: der 10.11. steht vor dem 2.11.", ticket.P3},
		{"fr_perdu_production", "", "Depuis la mise à jour, la moitié des chariots automatiques ne reçoivent plus de missions ; les lignes roulent, mais on a perdu 30 % de production sur la journée.", ticket.P1},
	})
}

// TestClassifyRound19Mechanisms checks, with sentences written for this
// test, the mechanisms round 19 added (authors R and S as development
// data, testdata/classify/ROUND6.md).
func TestClassifyRound19Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// Editions, none of the pages out; an emergency programme on air.
		{"de_alle_lokalausgaben", "", "Seit acht Uhr übergibt die Seitenausgabe für alle Lokalausgaben nichts mehr an die Druckerei, null von 48 Seiten sind raus. Neu starten hat nichts gebracht.", ticket.P0},
		{"fr_boucle_d_urgence", "", "Depuis 5 h le logiciel de diffusion ne charge plus la grille : on diffuse la boucle d'urgence.", ticket.P0},
		{"de_notprogramm", "", "Seit sechs Uhr läuft auf dem Hauptkanal nur das Notprogramm, die Playlist ist komplett leer.", ticket.P0},
		// "nobody's work is lost" negates the loss.
		{"en_nobodys_work_lost", "", "Small typo on the save button since the update. It works fine, nobody's work is lost, but the whole team laughs at it.", ticket.P3},
		// None of my agents is able to; we can view, but that's all.
		{"fr_aucun_de_mes_agents", "", "Depuis ce matin aucun de mes agents n'est capable d'enregistrer une commande.", ticket.P0},
		{"en_view_but_thats_all", "", "Since the update nobody in customer service can save changes to a subscription. We can view the records, but that's all.", ticket.P1},
		// The rest goes on: orders without a discount go through.
		{"de_ohne_rabatt_gehen", "", "Seit gestern lassen sich Aufträge mit Rabatt nicht mehr speichern, alle Verkäufer sind betroffen. Aufträge ohne Rabatt gehen.", ticket.P1},
		// No incident, breach or concern; our payment held for a duplicate invoice.
		{"en_no_incident_breach_or_concern", "", "This is a routine exercise: we have no incident, breach or concern about your services. Please complete the attached security questionnaire.", ticket.P4},
		{"fr_notre_paiement_bloque", "", "Nous avons reçu la facture de décembre deux fois. Notre paiement est bloqué en attendant votre réponse.", ticket.P4},
		// One photographer; a French sandbox; members.
		{"en_one_of_our_photographers", "", "One of our freelance photographers cannot log into the upload portal; everyone else is fine.", ticket.P3},
		{"fr_bac_a_sable", "", "Le bac à sable de formation est inaccessible depuis mercredi pour tous les comptes ; le portail en production fonctionne bien.", ticket.P2},
		{"fr_aucun_membre", "", "Depuis samedi, aucun membre ne peut se connecter au portail client ni à l'application.", ticket.P0},
		// FYI: the run went through after all.
		{"en_fyi_all_gone_through", "payment run - FYI", "FYI only. The payment run failed at 7:00 because of a firewall change on our side. We re-ran it at 9:30 and all 800 payments have gone through. Nothing needed from you.", ticket.P4},
		// Wrong for all, and by hand not feasible: no workaround.
		{"de_falsch_nicht_machbar", "", "Seit dem Release berechnet das System alle Teilrenten falsch. Von Hand ist das in vernünftiger Zeit nicht machbar.", ticket.P1},
	})
}

// TestClassifyRound20Mechanisms checks, with sentences written for this
// test, the mechanisms round 20 added (author T as development data,
// testdata/classify/ROUND6.md).
func TestClassifyRound20Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		{"de_leere_auftragsliste", "", "Seit sechs Uhr zeigt die App bei allen 80 Monteuren eine leere Auftragsliste; die Aufträge sind nirgends mehr zu sehen.", ticket.P0},
		{"de_lag_bei_uns", "Störung Webshop heute früh – erledigt", "Kurze Info: der Webshop war von 6 bis 7 Uhr nicht erreichbar, die Ursache lag bei uns. Seitdem läuft alles wieder normal, das Ticket können Sie schließen.", ticket.P4},
		{"fr_ni_ne_peuvent_vendre", "", "Depuis ce matin, ni les agences ni le site ne peuvent vendre les départs de Genève ; les autres départs fonctionnent normalement.", ticket.P1},
		{"de_von_hand_nicht_moeglich", "", "Seit gestern werden für die Region Nord keine freien Termine mehr angeboten; einen Termin von Hand anzulegen ist nicht möglich. Die anderen Regionen laufen normal.", ticket.P1},
		// The scope of a way around is not who is affected.
		{"en_workaround_scope_not_affected", "", "Since 2 pm the channel manager sends no rates to any of our channels. The PMS and the booking engine work normally, only the channel link is down. Updating every extranet by hand after every booking is not possible.", ticket.P1},
		{"en_not_a_single_order_nothing_sold", "", "Since the hotfix the order system doesn't take a single order, every product fails. Nothing sold since 6:00.", ticket.P0},
		{"en_four_dispatchers_overtime", "", "The field app stopped syncing job updates. Workaround for now: our four dispatchers key everything in from phone calls, about 250 jobs a day, and we're paying overtime.", ticket.P2},
		// "les unes après les autres" is one after another, not the others.
		{"fr_les_unes_apres_les_autres", "", "Le site de réservation est inaccessible pour tout le monde depuis 9 h et nos agences nous appellent les unes après les autres.", ticket.P0},
		// "No workaround" in the clause of the scope hides nothing; locked out is a stop.
		{"en_all_users_locked_out_no_workaround", "", "Since 8:00 all 300 users are locked out of the portal and there is no workaround.", ticket.P0},
		// "this morning order" is no single order.
		{"en_this_morning_orders", "", "Since this morning orders fail for every customer in the web shop.", ticket.P0},
	})
}

// TestClassifyRound21Mechanisms checks, with sentences written for this
// test, the mechanisms round 21 added (author U as development data,
// testdata/classify/ROUND6.md).
func TestClassifyRound21Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// An idle fee, an alarm wished for "when" something goes offline, a breach-notification process asked about.
		{"en_idle_fee_wish", "Feature request: idle fee", "We'd like to charge an idle fee when a car stays plugged in after charging. Is that on your roadmap?", ticket.P4},
		{"de_alarm_wenn_offline", "", "Kann man im Portal einen Alarm einrichten, wenn die Kameras offline gehen?", ticket.P4},
		{"en_notifying_of_breach_questionnaire", "", "Please describe your process for notifying us of a personal data breach. We are not aware of any incident; these are standard questions.", ticket.P4},
		// Safety alarms not arriving, a round that cannot be kept up or does not cover the risk.
		{"en_alarms_not_reaching_console", "", "Since 22:00 nothing from the building automation reaches our alarm console, not one alarm, across the whole hospital. We can keep staff walking the plant rooms tonight, but not much longer.", ticket.P0},
		{"fr_alarmes_temperature_n_arrivent_plus", "", "Depuis hier, les alarmes de température des congélateurs n'arrivent plus chez le service de piquet ; les rondes ne couvrent pas le risque. Les autres alarmes passent.", ticket.P1},
		// "statt" in a wish names what the wish replaces; "lag bei uns" is no lag.
		{"de_statt_im_wunsch", "Anregung", "Aus der Belegschaft kommt der Wunsch, Besprechungsräume über die App zu buchen, statt über die Liste am Empfang.", ticket.P4},
		{"de_lag_bei_uns_not_lag", "", "Der Ausfall gestern lag bei uns, ein Switch war nicht hochgefahren. Seitdem läuft alles normal.", ticket.P4},
		// A table emptied on pre-production; "einen Weg" is no "weg".
		{"fr_table_videe_preprod", "", "Le script passé hier sur la préproduction a vidé la table des équipements ; la production n'est pas touchée.", ticket.P2},
		{"de_einen_weg_daten", "", "Seit Montag werden neue Badges nicht mehr an die Leser übertragen. Einen Weg, die Daten von Hand zu übertragen, gibt es nicht.", ticket.P1},
	})
}

// TestClassifyRound22Mechanisms checks, with sentences written for this
// test, the mechanisms round 22 added (author V as development data,
// testdata/classify/ROUND6.md).
func TestClassifyRound22Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// A breach process asked about, in a routine check with no incident.
		{"de_vorgehen_bei_datenpanne", "", "Im Rahmen der jährlichen Prüfung bitten wir um eine Beschreibung Ihres Vorgehens bei einer Datenpanne. Ein Vorfall liegt nicht vor.", ticket.P4},
		// Records that are not ours.
		{"en_vehicles_arent_ours", "", "Since lunch our fleet list shows about 300 extra vehicles. These vehicles aren't ours; we can open them and see the drivers' names and home postcodes.", ticket.P0},
		// Invoices not going through to a portal that takes nothing else.
		{"en_invoices_not_going_through", "", "Since the 11th our invoices to the insurers haven't been going through; their portal has none of them, and they won't take PDFs or paper. Everything else runs fine.", ticket.P1},
		// A training sandbox emptied.
		{"fr_bac_a_sable_vide", "", "Notre environnement de formation a été vidé : plus de clients fictifs ni de véhicules de démo. La production n'est pas touchée.", ticket.P2},
		// Unusable results and no one can rebook them at this volume.
		{"de_unbrauchbar_volumen", "", "Seit dem Update landen die Stempelzeiten auf falschen Aufträgen, die Abrechnung für heute ist unbrauchbar. Nachbuchen kann das bei dem Volumen keiner.", ticket.P1},
	})
}

func TestClassifyRound23Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// An error message is a failure; two thirds affected; a way
		// around that is not workable.
		{"en_went_wrong_two_thirds", "", "Since this morning the timesheet screen says \"Something went wrong\" when staff submit their hours. It's two thirds of our nurses, and collecting paper timesheets from every ward really isn't workable.", ticket.P1},
		// A breach ruled out in so many words.
		{"en_not_a_data_breach", "", "An employee's payslip shows her maiden name instead of her married name. It went only to her, so this is not a personal data breach; could you check why her record shows the old name?", ticket.P3},
		// A test account used in production is no test system.
		{"de_testkonto_in_produktion", "", "Seit heute früh können die Filialen keine Schichtpläne mehr veröffentlichen, es kommt nur eine leere Seite. Wir haben es mit einem Testkonto in der Produktion nachgestellt. Die Zeiterfassung selbst läuft weiter.", ticket.P1},
		// A sandbox asked for.
		{"en_sandbox_key_asked_for", "", "Our consultant starts on the payroll interface next week. Could we get a sandbox API key for her, and where is the field list for the export documented?", ticket.P4},
		// What works on other phones is the part that works, not a way around.
		{"fr_iphone_part_that_works", "", "Depuis la mise à jour, les employés ne peuvent plus pointer avec l'application sur Android. Ça marche avec les iPhone. Plus de la moitié du personnel a un téléphone Android et il n'y a plus de pointeuse murale.", ticket.P1},
		// A workaround named in the subject, its effort further down.
		{"en_subject_workaround_effort", "Holiday accrual wrong – correcting it by hand", "Since the update, part-timers accrue holiday at the full rate. The holiday module shows 30 days for them. We have 120 part-timers in four stores.\n\nI went through each of them with last year's figures. Our auditor wants it right before December.\n\nIt took me most of a Sunday, and I will have to do it again next month.", ticket.P2},
		// A German workaround with its days of effort.
		{"de_behelfen_arbeitstage", "", "Im Lohnjournal fehlen seit November die Kostenstellen. Wir behelfen uns derzeit so, dass die Kollegin sie in Excel nachträgt. Dafür braucht sie jeden Monat zwei volle Arbeitstage.", ticket.P2},
		// Not sustainable in the long run: costly, not absent.
		{"de_auf_dauer_nicht", "", "Die Zuschläge für Nachtarbeit werden nicht mehr berechnet. Ich korrigiere jede Abrechnung von Hand, das ist auf Dauer nicht zu schaffen.", ticket.P2},
		// Another organisation's data visible.
		{"de_daten_einer_anderen_firma", "Wir sehen die Daten einer anderen Firma", "In unserer Mitarbeiterliste tauchen seit heute Personen auf, die nicht zu unserem Unternehmen gehören, mit Adressen und Gehältern.", ticket.P0},
		// A list with personal data sent instead of the attachment meant.
		{"en_wrong_attachment_personal_data", "", "This morning's staff bulletin went to all 800 employees. Instead of the canteen menu, the attachment was the payroll list with home addresses and bank details.", ticket.P0},
		// A plan described with "instead of" is no fault.
		{"de_plan_statt", "Frage: Jahresarbeitszeit", "Wir möchten ab Januar ein Jahresarbeitszeitkonto einführen, statt wie bisher monatlich abzurechnen. Wie richte ich das ein?", ticket.P4},
	})
}

// TestClassifyMinorSaidOfOneMatter: "a minor thing" said in a paragraph
// with a problem of its own speaks for that matter only; said alone in a
// paragraph ("no rush") it speaks for the whole mail.
func TestClassifyMinorSaidOfOneMatter(t *testing.T) {
	stop := "Since Monday, the staff of 23 stores cannot swap shifts: approving a swap fails with \"Period locked\". The other stores can."
	for _, c := range []struct {
		name, body string
		want       Impact
	}{
		{"own matter", "Two things:\n\n1) The company logo on the payslip looks a little blurry. A minor thing, just cosmetic.\n\n2) " + stop, ImpactUnknown},
		{"own list item", "A few points:\n- The column is narrower since the update. A minor thing, just cosmetic.\n- " + stop, ImpactUnknown},
		{"for the mail", stop + "\n\nA minor thing, no rush.", ImpactMinor},
	} {
		r := Default().Classify(Input{Body: c.body})
		if r.Factors.Impact != c.want {
			t.Errorf("%s: impact = %s, want %s\n%s", c.name, r.Factors.Impact, c.want, strings.Join(reasonStrings(r.Reasons), "\n"))
		}
	}
}

// TestClassifyPartThatWorksIsNoWorkaround: what works on other phones is
// the part that works, which the users affected cannot switch to; another
// browser is a way around.
func TestClassifyPartThatWorksIsNoWorkaround(t *testing.T) {
	for _, c := range []struct {
		body string
		want Workaround
	}{
		{"Depuis la mise à jour, les employés ne peuvent plus pointer avec l'application sur Android. Ça marche avec les iPhone.", WorkaroundUnknown},
		{"Seit dem Update können die Mitarbeiter auf Android-Handys nicht mehr stempeln. Mit iPhones funktioniert es.", WorkaroundUnknown},
		{"Since the update the expense form will not submit in Edge. It works in Chrome.", WorkaroundEasy},
	} {
		r := Default().Classify(Input{Body: c.body})
		if r.Factors.Workaround != c.want {
			t.Errorf("%q: workaround = %s, want %s\n%s", c.body, r.Factors.Workaround, c.want, strings.Join(reasonStrings(r.Reasons), "\n"))
		}
	}
}

func TestClassifyRound24Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// Back by itself: a status note, nothing to do.
		{"en_came_back_by_themselves", "Badge readers – for the record", "The badge readers at our head office dropped out at 07:40 and came back by themselves ten minutes later. Everything is working now; nothing needed from you.", ticket.P4},
		// Another person's documents seen.
		{"fr_voyait_bulletins_autres", "", "Un salarié nous signale que dans son espace personnel, il voyait les bulletins de paie d'autres salariés, avec leurs salaires et leurs IBAN.", ticket.P0},
		// "aucun de nos établissements" is everyone.
		{"fr_aucun_de_nos_etablissements", "", "Depuis ce matin, le calcul de la paie ne se lance plus pour aucun de nos 9 établissements.", ticket.P0},
		// A rework by hand that is not conceivable.
		{"fr_pas_envisageable", "", "Depuis la mise à jour, l'export des notes de frais vers la comptabilité est vide pour toutes nos filiales. Ressaisir les 400 notes à la main n'est pas envisageable.", ticket.P1},
		// Production planned, not yet used: the test tenant is what is hit.
		{"en_planned_for_production", "", "The user sync to our UAT tenant deactivated 200 of 230 test users overnight, so UAT is unusable for our regression tests. We planned to switch on the sync for production next week. Production still uses the manual import and is not affected.", ticket.P2},
		// The best part of a day, one at a time.
		{"en_best_part_of_a_day", "", "The overtime report times out for the whole company since the upgrade. It does run if we pick one department at a time, but with 60 departments that took one of my team the best part of a day in October.", ticket.P2},
		// A flickering display on one device.
		{"de_display_flackert", "", "Das Display unseres Zeiterfassungsterminals am Lagereingang flackert, man kann den Namen kaum lesen. Das Stempeln selbst funktioniert, es ist nur dieses eine Gerät.", ticket.P3},
		// Words left untranslated.
		{"fr_pas_traduit", "", "Dans l'appli en français, l'écran des absences affiche encore « Submit » en anglais. Tout le reste est traduit.", ticket.P3},
		// "trage … ein" is no "träge".
		{"de_trage_ein_wish", "Vorschlag: Urlaubsanträge in der App", "Es wäre schön, wenn Mitarbeitende Urlaub in der App beantragen könnten. Im Moment trage ich die Anträge von Hand ein.", ticket.P4},
		// No plan can be published at any warehouse, and no other way.
		{"de_in_keinem_lager", "", "Seit gestern kann in keinem unserer vier Lager ein Dienstplan veröffentlicht werden. Eine andere Möglichkeit, die Pläne an die Mitarbeitenden zu bringen, haben wir nicht. Die Zeiterfassung läuft normal.", ticket.P1},
	})
}

func TestClassifyRound25Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// Back on its own; "that we can see" asks for nothing.
		{"en_back_on_its_own_can_see", "Scanner app went down this morning", "The scanner app went down for all our pickers at 5:10. It came back on its own at 5:40 and everything has shipped, nothing missing that we can see. Just log it please.", ticket.P4},
		// A questionnaire's questions about the vendor's own record.
		{"en_questionnaire_asks_vendor", "Supplier questionnaire – breach and ransomware section", "Our auditor sent the yearly supplier questionnaire.\n- Have you had a data breach in the last 12 months?\n- What is your ransomware recovery time?\nNothing has happened here, it is only the questionnaire.", ticket.P4},
		// Intake stopped at the site.
		{"en_intake_stopped", "", "Since the update the weighbridge software at our Thame site won't start on either PC. The site manager stopped intake at 07:30 and lorries are queuing on the road; we have no paper process the inspectors accept. Our other sites are fine.", ticket.P0},
		// Nothing works for any driver.
		{"de_bei_keinem_fahrer", "Tour-App", "Die Tour-App geht seit 5 Uhr bei keinem Fahrer. Die Auslieferung steht komplett.", ticket.P0},
		// A customer's own order found on Google, opened without logging in.
		{"en_found_by_googling", "", "A customer told us she found her own order by googling her name. The file sits on our shop's domain and I opened it without logging in; it lists every order this month.", ticket.P0},
		// Someone else's statement.
		{"en_statement_not_mine", "", "When I open my November statement on the portal it's not mine: another farm's name, their volumes and their bank details. After logging in again I get someone else again.", ticket.P0},
		// A second user who tried is not the scope; no way to key 900 payments.
		{"en_second_user_tried", "", "The supplier payment file won't generate: it stops with an error and no file is written. The payment run itself calculates fine. A second user tried too, same result. The bank can't take 900 payments keyed manually.", ticket.P1},
		// Hand-labelled samples not accepted, no spare labels.
		{"de_von_hand_nicht_angenommen", "", "Seit heute Nacht druckt auf keinem unserer Fahrzeuge der Etikettendrucker. Ersatzetiketten haben wir keine, und von Hand beschriftete Proben werden vom Labor nicht angenommen. Die Abholung selbst läuft normal.", ticket.P1},
		// A service credit after an outage: the workaround then is over too.
		{"en_service_credit_workaround_over", "Re: Monitoring outage", "Thanks for the incident report; everything has been stable since the fix.\n\nHowever, I must complain formally. We were without alarms for 12 hours and staff had to check the freezers manually for hours overnight. Under our agreement we are entitled to a service credit; please confirm the amount.", ticket.P4},
	})
}

// TestClassifyWishInItsOwnItem: "just an idea" in a list item of its own
// does not make another item's fault the motivation of a wish.
func TestClassifyWishInItsOwnItem(t *testing.T) {
	r := Default().Classify(Input{Body: "Two things:\n\n1. It would be great if the report could show totals per group. Just an idea.\n2. Invoice 5512 shows the wrong customer, only that one."})
	if r.Factors.State != StateWrong {
		t.Errorf("state = %s, want wrong\n%s", r.Factors.State, strings.Join(reasonStrings(r.Reasons), "\n"))
	}
}

func TestClassifyRound26Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// Every customer who tries is everyone, not a subset.
		{"en_every_customer_who_tries", "", "Since 10:00 the ticket shop is down: every customer who tries to pay gets \"Error 503\", online and at the box office.", ticket.P0},
		// Nobody in any of our branches, nothing anywhere.
		{"en_any_of_our_branches", "", "No staff in any of our 9 branches can log in since opening. Nothing issued or returned anywhere.", ticket.P0},
		// A past outage, back to normal: information only.
		{"de_heute_frueh_wieder_normal", "Ausfall aller Standorte heute früh", "Heute früh hatten alle Standorte von 7 bis 8 Uhr keine Verbindung. Ursache war unsere eigene Firewall, seit 8 Uhr läuft alles wieder normal. Von Ihrer Seite ist nichts zu tun.", ticket.P4},
		{"en_reconnected_since_then_normal", "Outage this morning", "For your records: between 8:10 and 8:40 none of our sites could connect. Our network team rolled back a firewall change and everything reconnected straight away; since then all is normal. Nothing needed from you.", ticket.P4},
		// Single tickets sell normally: the rest works.
		{"fr_se_vendent_normalement", "", "Depuis ce matin, le renouvellement des abonnements échoue pour tous les abonnés qui essaient : le paiement est refusé. Les billets simples se vendent normalement.", ticket.P1},
	})
}

// TestClassifyDoubleBookingsAreWrong: seats sold twice are a wrong result.
func TestClassifyDoubleBookingsAreWrong(t *testing.T) {
	for _, body := range []string{"We've had 14 double bookings today.", "Seit heute Morgen gibt es Doppelbuchungen.", "Nous avons eu plusieurs doubles réservations ce soir."} {
		if r := Default().Classify(Input{Body: body}); r.Factors.State != StateWrong {
			t.Errorf("%q: state = %s, want wrong", body, r.Factors.State)
		}
	}
}

// TestClassifyNoGroupInGreetingOrTime: "Sehr geehrtes Support-Team" and
// "depuis environ 17 h" name no group of users.
func TestClassifyNoGroupInGreetingOrTime(t *testing.T) {
	for _, body := range []string{"Sehr geehrtes Support-Team,\n\nseit heute bricht der Export ab.", "Depuis environ 17 h, l'export ne fonctionne plus."} {
		if r := Default().Classify(Input{Body: body}); r.Factors.Scope != ScopeUnknown {
			t.Errorf("%q: scope = %s, want unknown\n%s", body, r.Factors.Scope, strings.Join(reasonStrings(r.Reasons), "\n"))
		}
	}
}

func TestClassifyRound27Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// Someone signed in with another person's account and exported data.
		{"de_jemand_mit_konto_angemeldet", "Nur zur Info", "Laut Protokoll war seit Freitag jemand mit dem Konto unserer Buchhalterin angemeldet, von IP-Adressen aus dem Ausland, und hat die Adressen aller Mitglieder als CSV exportiert.", ticket.P0},
		{"fr_compte_desactive_exporte", "", "Le compte d'un ancien employé, désactivé depuis octobre, s'est connecté hier soir depuis une adresse IP externe et a exporté la liste de nos clients.", ticket.P0},
		// A training session someone cannot attend is no stop.
		{"en_cannot_attend_session", "Training dates", "Could you send the January dates for the basics course? One of our new nurses works Saturdays only and can't do a weekday session.", ticket.P4},
		// Back to normal since, for information.
		{"fr_fonctionne_normalement_depuis", "Coupure ce matin – pour information", "Ce matin, entre 7 h et 8 h, aucun poste n'arrivait à se connecter. Notre prestataire a redémarré le serveur et tout fonctionne normalement depuis. Pas besoin d'intervention de votre part.", ticket.P4},
		// Two full days of invoicing by hand.
		{"en_best_part_of_two_days", "", "The monthly batch invoice run stops after 20 accounts with an error. The only way round it is to invoice each account individually; last month that took me the best part of two full days.", ticket.P2},
		// What someone asks for "rather than" something else is no fault.
		{"en_asked_for_rather_than", "How to export treatment history", "Our partner rescue has asked for the animals' treatment history in a spreadsheet rather than on paper. Is there an export for several animals at once?", ticket.P4},
	})
}

func TestClassifyRound28Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// Where the servers "stehen" is no stop; how a leak is prevented is no leak.
		{"de_wo_server_stehen", "Fragebogen Datenschutz", "Für unsere jährliche Prüfung bitten wir Sie um Auskunft, wie verhindert wird, dass Kundendaten für andere Mandanten sichtbar werden, und wo Ihre Server stehen. Einen konkreten Anlass gibt es nicht.", ticket.P4},
		{"en_how_you_prevent_exposure", "Supplier review", "Our annual supplier review asks how you prevent one customer's data being exposed to another customer and where your servers are located. Nothing has happened, this is routine.", ticket.P4},
		// Nothing sold anywhere since the night.
		{"en_not_sold_anything_anywhere", "", "Overnight the stock sync sent zero for every product to all our channels. Everything shows as out of stock and we haven't sold anything anywhere since 3 a.m.", ticket.P0},
		// Someone got into the account and took our data.
		{"fr_quelqu_un_est_entre", "", "Nous avons trouvé un administrateur que personne chez nous n'a créé. Quelqu'un est entré dans le compte et a sorti nos données clients.", ticket.P0},
	})
}

func TestClassifyRound29Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// Patients of another practice in our file.
		{"de_patienten_einer_anderen_praxis", "Kurze Rückfrage", "In der Abrechnungsdatei stehen rund 200 Patienten, die nicht bei uns in Behandlung sind, mit Namen und Versichertennummer. Laut Kopfdaten gehören sie zu einer Praxis in Leipzig.", ticket.P0},
		// Reminders to the wrong people, names and numbers mixed.
		{"en_texts_to_the_wrong_people", "", "Since yesterday our appointment texts are going to the wrong people: patients read out texts with another patient's name and treatment. In the log the names and mobile numbers don't belong together for about 200 messages.", ticket.P0},
		// Invoices of people I don't know, in the customer app.
		{"fr_vois_factures_inconnus", "", "Avec mon propre compte client dans l'application, je vois aussi des factures de personnes que je ne connais pas, avec nom et adresse. Merci de couper l'accès aux factures.", ticket.P0},
		// "Petit souci": the only till, nothing can be sold.
		{"fr_petit_souci_seul_poste", "petit souci", "Petit souci : la caisse ne démarre plus depuis l'ouverture. Nous n'avons qu'un poste dans le magasin, donc on ne peut rien vendre.", ticket.P0},
		// Back since, stable: information with a question.
		{"de_lief_alles_wieder_stabil", "Ausfall gestern", "Gestern von 8 bis 9 Uhr ging in der Praxis gar nichts. Nach einem Neustart des Servers lief alles wieder, seitdem stabil. Können Sie mir sagen, wie ich das künftig vermeide?", ticket.P4},
	})
}

// TestClassifyRound31Mechanisms: round 31 with authors AD (taxi and
// patient-transport dispatch) and AE (security companies and
// alarm-receiving centres) as development data (testdata/classify/ROUND8.md).
func TestClassifyRound31Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// Another company's records shown to us.
		{"de_berichte_einer_anderen_firma", "Merkwürdige Einträge", "Seit heute Morgen sehen wir im Portal auch Einsatzberichte einer anderen Firma, mit Namen und Adressen ihrer Kunden.", ticket.P0},
		{"en_reports_of_another_company", "", "Our site managers can see incident reports of another company in their portal, with keyholder names and phone numbers.", ticket.P0},
		// A breach stated plainly.
		{"de_das_ist_eine_datenpanne", "", "Wir haben es geprüft: Das ist eine Datenpanne, die Adressen unserer Mieter waren für alle Nutzer abrufbar.", ticket.P0},
		// A complaint that feels like a breach, nothing wrong found: questions.
		{"en_feels_a_breach_of_privacy", "Question about the carer app", "A resident feels the visit was a breach of his privacy. We don't think anything went wrong in the software. Which fields does the carer app show?", ticket.P4},
		// A centre that sees no alarms, or premises no longer monitored.
		{"en_centre_cannot_see_a_single_alarm", "", "Our Bristol centre cannot see a single alarm since 6 am; Cardiff runs fine but cannot take over Bristol's accounts.", ticket.P0},
		{"fr_sites_plus_surveilles", "", "Depuis 4 h, les 600 sites raccordés à la centrale de Sion ne sont plus surveillés, la centrale de Genève fonctionne normalement.", ticket.P0},
		// Intrusion and fire are kinds of alarm, not an attack on us.
		{"de_einbruch_und_brand_sind_alarmarten", "", "Einbruch- und Brandalarme kommen korrekt an, nur das Symbol in der Liste hat die falsche Farbe.", ticket.P3},
	})
}

// TestClassifyRound33Mechanisms: what rounds 33–46 added, each on a mail
// written for the test (authors AF–AZ showed the patterns).
func TestClassifyRound33Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// A reply that closes the matter is not judged on its old subject.
		{"en_reply_happy_to_close", "Re: [P0] All tills offline in Leeds", "Confirmed, every till has been taking payments since 08:10 and the queue has cleared. Happy for you to close it.", ticket.P4},
		{"fr_reply_paiements_passent_de_nouveau_detail", "Re: Paiements refusés au comptoir", "Merci : les paiements passent de nouveau depuis hier 16 h. Un petit détail : sur le reçu, notre nom apparaît en majuscules sans les accents. C'est juste une question de présentation.", ticket.P3},
		// An error that comes back is no service restored (else: thanks, P4).
		{"en_all_come_back_with_an_error", "", "Since 01:00 every declaration we submit fails, they all come back with GW-CERT-02.", ticket.P3},
		// A new matter after an incident report: what follows is current.
		{"de_etwas_neues_nach_stoerungsbericht", "AW: Störungsbericht Druckausfall", "Danke für den Störungsbericht, der Fall kann geschlossen werden.\n\nLeider habe ich gleich etwas Neues: Jede einzelne Erstattung schlägt fehl, betroffen sind 1.200 Kunden, und eine manuelle Rücküberweisung ist keine realistische Lösung.", ticket.P1},
		// Production said to be unaffected: a test system, however loud.
		{"de_totalausfall_schulungsumgebung", "DRINGEND!!! Totalausfall", "Seit heute früh geht GAR NICHTS mehr. Es handelt sich um die Schulungsumgebung, die Produktion ist nicht betroffen.", ticket.P2},
		// One named colleague locked out while everyone else works.
		{"de_unsere_kollegin_gesperrt", "Benutzer gesperrt", "Unsere Kollegin Frau Lorenz ist nach dem Urlaub gesperrt, beim Anmelden kommt „Konto deaktiviert“. Alle anderen kommen normal rein.", ticket.P3},
		// "HS-014" names a scanner, it is not "hors service".
		{"de_hs_is_a_device_name", "", "Bei drei unserer Handscanner (HS-014, HS-022) zeigt die App einen falschen Akkustand an. Ausser der Anzeige funktioniert alles normal.", ticket.P3},
		// Data told as no longer found.
		{"de_zaehlerstaende_nicht_mehr_gefunden", "Kurze Frage", "Seit dem Update finden wir die Zählerstände vom Februar nicht mehr, am Freitag waren die Werte noch da. Rund 9.800 Zählerstände betroffen.", ticket.P0},
		// A subject that asks, a body that says nothing leaked.
		{"fr_fuite_de_donnees_question", "Fuite de données ?", "Un client a reçu deux fois la confirmation de sa commande. Nous avons vérifié : personne d'autre n'a reçu ses données. Pourquoi la confirmation est-elle partie deux fois ?", ticket.P3},
		// Personal data reached through a public link.
		{"en_public_link_downloaded", "Question about shared documents", "A coordinator put the full attendee export (names, e-mails, birth dates) in shared documents as a public link. The link works without login and the counter shows 212 downloads since Monday.", ticket.P0},
		// Another patient's details on a label.
		{"en_label_with_someone_elses_name", "labels on the bags", "Since this morning the labels on the collection bags show the wrong patient: whoever opens the locker sees another person's details and what they take.", ticket.P0},
		// A password given to a phishing page.
		{"fr_lien_clique_mot_de_passe", "TR: Action requise", "Notre assistante a cliqué sur le lien et entré son nom d'utilisateur et son mot de passe sur la page qui s'est ouverte. L'adresse n'était pas la vôtre.", ticket.P1},
		// Tickets sold on a resale market are commerce, not stolen data.
		// Shouting "EMERGENCY" is no impact; one encoder of four, a short walk.
		{"en_emergency_one_encoder", "EMERGENCY - encoder failure!!!", "The key card encoder at the spa desk shows a red light, we cannot make any cards there. Guests now have to walk over to main reception for a new card; the three encoders there work fine, it's only ours.", ticket.P3},
		// A hotel room "out of order" is a room's status, not the system.
		{"en_rooms_out_of_order", "Rooms 214 and 317", "Rooms 214 and 317 show out of order on the housekeeping board after every night audit. I set them back to in service each morning, then they flip back. The other 58 rooms behave normally.", ticket.P3},
		// Someone else's breach in the news, nothing happened here.
		{"en_breach_in_the_news", "Worried about guest data", "I read in the paper about a hotel software company that was hacked and leaked passport scans. Nothing has happened to us. Where are our guests' scans stored, and are they encrypted?", ticket.P4},
		// Our notification to the supervisory authority: a breach.
		{"de_meldung_an_die_aufsichtsbehoerde", "Gästelisten an eine Agentur", "Seit Februar erhält unsere frühere Agentur täglich die Gästeliste mit Ausweisdaten aus Ihrem System. Bitte senden Sie uns eine Stellungnahme für unsere Meldung an die Aufsichtsbehörde.", ticket.P0},
		// "Without X they can't": a condition, not a negation (before,
		// no state at all: P3 by default; no function is named, so the
		// table says a function stopped for a part).
		{"en_without_documents_cannot_work", "", "Since 9:00 the 27 users of the second floor get 'checked out by another process' on every document. Without their documents they can't do anything; the first floor works normally.", ticket.P2},
		// An open door onto demo data only: a vulnerability.
		{"en_open_training_demo_data_only", "Data protection concern", "Your training environment lets anybody on the internet open the matter list without logging in. It holds only your demo data, no real client data has ever been loaded.", ticket.P2},
		// After an RCA request: "it has started again" makes what follows current.
		{"en_started_again_after_rca", "RE: Outage 3 March - root cause report", "Before we get to the RCA: it looks like it has started again. Since 9:00 nobody can open documents from the DMS, all 60 users.", ticket.P0},
		// Logins from abroad that got past MFA: suspected.
		{"en_logins_from_abroad_past_mfa", "Question about the sign-in report", "The report shows three successful logins to partner accounts last night from an IP that geolocates to a country none of us have been to. We don't know how they got past MFA.", ticket.P1},
		// A widget that disappeared is no data lost.
		{"en_widget_disappeared_for_two", "Timer widget", "The timer widget disappeared for all our lawyers, then it turned out it is only 2 of 45. They can still record time in the time sheet.", ticket.P3},
		// "Hat sich erledigt … heute früh läuft alles einwandfrei": over.
		{"de_laeuft_alles_einwandfrei", "Re: Keine Verbindung zum Server - alle Arbeitsplätze", "Hat sich erledigt, bitte schließen. Es lag an unserer Firewall, die den Port blockiert hat. Gestern Abend konnten sich alle wieder verbinden, heute früh läuft alles einwandfrei.", ticket.P4},
		// Everyone on a list got everyone's details: a breach told plainly.
		{"en_newsletter_with_subscriber_export", "small oops with the newsletter", "I attached the wrong file: every subscriber got a spreadsheet with every subscriber's name, email and season ticket number.", ticket.P0},
		// "It has happened again" after an RCA request: current.
		{"en_happened_again_after_rca", "RE: INC-40512 outage 28 Jan", "We still haven't received the written RCA. Also: it has happened again. Since 06:40 every station display shows the fallback screen and the journey planner API returns 502 for everything.", ticket.P0},
		// "I'm not reporting a fault": a wish, however it is worded.
		{"en_not_reporting_a_fault", "Feature request: next-stop audio", "Many of our members are blind or partially sighted. Could the app announce the next stop? I'm not reporting a fault, just hoping this could go on the roadmap.", ticket.P4},
		// A German separable verb: "lehnen … ab".
		{"de_entwerter_lehnen_ab", "Entwerter", "Seit dem Tarifwechsel lehnen unsere Entwerter rund 30 % aller Handytickets ab. Eine Umgehung sehen wir nicht.", ticket.P1},
		// A device that dies every afternoon: a fault of one device.
		{"en_handheld_dies", "", "My handheld says 100% battery all day and then just dies around 3pm. Colleagues' devices are fine, I borrow the spare.", ticket.P3},
		// Another resident's care plan on a family portal: a breach, told as a story.
		{"fr_portail_famille_autre_dame", "Portail famille", "En haut il y a bien le nom de ma maman, mais en dessous j'ai vu le plan de soins et la liste des médicaments d'une autre dame, chambre 12.", ticket.P0},
		// "Autre chose :" after thanks for an incident report: a new matter.
		{"fr_autre_chose_apres_rapport", "Re: Indisponibilité du 3 février - rapport d'incident", "Merci pour le rapport d'incident. Par contre, autre chose : depuis lundi, l'unité protégée (24 résidents) n'affiche plus aucun traitement si besoin, les infirmières notent sur papier. Les deux autres unités ne sont pas concernées.", ticket.P1},
		// The ones that were stuck have been sent: over.
		{"fr_ceux_qui_etaient_bloques", "Re: Billet 81177 – bons manquants", "Tout est rentré dans l'ordre : les bons arrivent de nouveau chez tous les chauffeurs et ceux qui étaient bloqués ont été transmis. Vous pouvez fermer le billet.", ticket.P4},
		// A look back with lessons learned: no incident now.
		{"en_lessons_learned_after_outage", "Looking back at last Tuesday", "Now that the dust has settled: when the system went down at 07:50 we switched to paper. Everything from before the outage was still there and it's all working normally now. Could we have a lessons learned call?", ticket.P4},
		// An idea, explained by what is hard today: a wish.
		{"en_idea_offline_mode", "Idea for the caretaker app", "A suggestion from our caretakers: in basements without signal the app can't load the job, so they walk back up. Would it be possible to have an offline mode?", ticket.P4},
		// "False alarm … all debits are going through": over.
		{"en_false_alarm_debits_go_through", "RE: ALL direct debits rejected", "False alarm, my apologies. Our bank had moved the cut-off time. All debits are going through. You can close the ticket.", ticket.P4},
		// Everyone got everyone's bank details: a breach.
		{"en_everyone_got_everyones_bank_details", "newsletter from this morning", "The newsletter had our whole member list attached, about 3,900 rows. Two members asked why they got everyone's bank details.", ticket.P0},
		// Other clubs' members' health forms: "these are not my clients".
		{"en_not_my_clients_health_forms", "health questionnaires in trainer view", "When I search a client in the trainer app I can open profiles from other clubs with their health forms. These are not my clients and not even our club.", ticket.P0},
		// One member's card, everyone else fine.
		{"en_card_for_one_member", "card not working for one member", "Member no. 40877's card is refused at the turnstile every morning this week: card unknown. Everyone else is fine.", ticket.P3},
		// Records shifted by one row: data corrupted.
		{"de_halter_um_eine_zeile_verschoben", "Kleine Frage zur Hundekontrolle", "Nach dem Update sind die Halter durcheinander, es scheint alles um eine Zeile verschoben zu sein. Ich habe dreissig Einträge angeschaut, alle sind falsch zugeordnet.", ticket.P0},
		// Confidential minutes there for anyone to read, and indexed.
		{"en_minutes_for_anyone_to_read", "minutes on the website", "The confidential minutes with the names and addresses of four families are there for anyone to read without logging in. Google also has it already.", ticket.P0},
		// "Printing them one by one is not possible in the time": no way around.
		{"en_one_by_one_not_possible", "", "The print batch for the 4,100 reminder letters stops every time after about 200 and the whole batch is marked failed. Printing them one by one is not possible in the time; by law they must be posted by Friday.", ticket.P1},
		// "Two things:" then a new problem after an RCA request: judged
		// without the old subject's "all services" (before: P0). The
		// table alone says P1 (the author's P2 needs the cost of the
		// phoning, which the model weighs on the corpus mail).
		{"en_two_things_rca_then_new_problem", "RE: Portal completely down - all services", "Two things: 1. Could you send the root cause analysis for Tuesday's outage? 2. Since the fix, the confirmation e-mails for bookings are not being sent. The bookings themselves arrive correctly. Our reception now phones each citizen who booked, which is eating most of their day.", ticket.P1},
		// "Nur eine Kleinigkeit": 17 of 44 teachers with an empty timetable, no way around.
		{"de_kleinigkeit_stundenplan_leer", "Kleinigkeit Stundenplan", "Nur eine Kleinigkeit: bei 17 von 44 Lehrkräften ist der Stundenplan leer, sie können keine Anwesenheit erfassen. Wie wir das ohne System lösen sollen, wissen wir nicht.", ticket.P1},
		// One dad, everyone else fine.
		{"fr_un_papa_ne_peut_plus_se_connecter", "Un parent ne peut plus se connecter", "Un papa n'arrive plus à se connecter à l'application depuis qu'il a changé de téléphone. Sur ordinateur, ça marche. Les autres parents n'ont pas de souci.", ticket.P3},
		// A subject that asks, a body that tells it: a report, not a question.
		{"en_logged_into_someone_elses_account", "Fwd: Logged into someone else's account??", "The page said Welcome back, Richard and showed orders that are not mine: deliveries to an address in Harrogate and a phone number.", ticket.P0},
		// Our invoice sent to another restaurant: a breach.
		{"fr_facture_envoyee_a_un_autre_restaurant", "TR: Facture reçue au nom d'un autre client", "La pièce jointe n'est pas notre facture mais celle d'un autre restaurant, avec leur IBAN. Notre propre facture a été envoyée à un autre restaurant.", ticket.P0},
		// All customers visible in copy, the full list attached: a breach.
		{"fr_destinataires_en_copie_visible", "TR: rappel d'entretien", "Le rappel parti cette nuit a été envoyé avec tous les destinataires en copie visible, et la liste complète est dedans avec nom, adresse et téléphone de chaque client.", ticket.P0},
		// Receipts gone from the archive and from the backup: data lost.
		{"de_belege_fehlen_auch_in_der_sicherung", "Fragen zum Jahresabschluss", "Im Archiv fehlen seit der Umstellung sämtliche Belege von Oktober bis Dezember. Laut Ihrem Support sind sie auch in der Sicherung nicht mehr vorhanden.", ticket.P0},
		// A go-live date is not the production environment.
		{"de_produktivstart_ist_keine_produktion", "NOTFALL", "Die Datenbank ist komplett leer, alle Testfälle sind weg. Es betrifft unseren Testmandanten. Unser Testteam steht still und der Produktivstart am 1. März wackelt.", ticket.P2},
		// "Instead of ringing round" is no wrong result.
		{"en_instead_of_ringing_round", "What happened yesterday afternoon?", "Yesterday between 14:00 and 16:00 none of us could log in. Then it came back by itself and everything has been normal since. Is there a status page I can check next time instead of ringing round?", ticket.P4},
		// A stolen laptop, then "nothing leaked": a scare, not a breach.
		{"en_stolen_laptop_nothing_leaked", "Stolen laptop last week", "Last Tuesday a manager had his laptop stolen. It turns out nothing is lost and nothing leaked: the disk was encrypted, and our DPO concluded no customer data left the company. Do you need a form from us?", ticket.P4},
		// "If I can see theirs, someone else can see mine": a breach.
		{"en_someone_else_can_see_mine", "Odd thing with my proof link", "Instead of my leaflet I got another company's proof with a full list of their clients. I suppose if I can see theirs, someone else can see mine.", ticket.P0},
		// Fields emptied by a migration, no copy anywhere: data lost.
		{"en_fields_emptied_no_copy", "", "Every job ticket created before 9 January now has the substrate and quantity fields blank, 4,312 tickets, emptied last night by the migration. We have no copy of those fields anywhere else.", ticket.P0},
		// Results of unknown patients received by a practice: a breach.
		{"fr_comptes_rendus_patients_inconnus", "TR: résultats envoyés à l'extérieur", "Un cabinet nous a appelés : depuis lundi, il reçoit par courriel des comptes rendus de patients qu'il ne connaît pas, avec nom, date de naissance et résultats.", ticket.P0},
		// "Le correctif … fonctionne : plus aucun rejet": over.
		{"fr_plus_aucun_rejet", "RE: Transmission des résultats", "Le correctif installé hier soir fonctionne : plus aucun rejet depuis. Merci, vous pouvez clôturer le ticket.", ticket.P4},
		{"en_tickets_sold_on_resale", "Your resale", "It does exactly what it's built to do, but within the hour tickets were sold on your resale marketplace at 3x face value. Could you add a price cap per event?", ticket.P4},
	})
}

// TestForwardJudgedOnWhatItPassesOn: intake cuts a forwarded message off
// the new text at its header block; a forward whose new text says nothing
// ("FYI, see below", "Zur Info") is judged on the message it passes on,
// as the caller hands it over in Input.Forwarded. Real mails, parsed as
// the daemon parses them.
func TestForwardJudgedOnWhatItPassesOn(t *testing.T) {
	for _, name := range []string{"gmail-forward-fyi.eml", "outlook-forward-de.eml"} {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("..", "testdata", "intake", name))
			if err != nil {
				t.Fatal(err)
			}
			msg := intake.Parse(raw)
			in := Input{Subject: msg.Subject, Body: msg.NewText, Forwarded: msg.Forwarded, Header: msg.Header}
			r := Default().Classify(in)
			if r.Level != ticket.P0 {
				t.Errorf("Level = %s, want P0\n%s", r.Level, strings.Join(reasonStrings(r.Reasons), "\n"))
			}
			if !slices.ContainsFunc(r.Reasons, func(x Reason) bool { return x.Rule == "forwarded" }) {
				t.Errorf("no reason says the forwarded message was judged: %v", reasonStrings(r.Reasons))
			}
			// Without what intake cut off, the same mail says nothing.
			in.Forwarded = ""
			if r := Default().Classify(in); r.Level == ticket.P0 {
				t.Errorf("without Input.Forwarded still P0: the test no longer tests the hand-over")
			}
		})
	}
}

// TestClassifyRound47Mechanisms: one mail per mechanism of round 47
// (testdata/classify/ROUND10.md), written for the test, read by the
// table alone.
func TestClassifyRound47Mechanisms(t *testing.T) {
	runLevelCases(t, []levelCase{
		// A capability the product lacks, asked for on the roadmap: a wish.
		{"en_missing_feature_roadmap", "Rota export", "Your scheduler still cannot export a rota to Excel, which frankly is embarrassing in 2026. Please put it on the roadmap.", ticket.P4},
		{"de_keine_kombination_roadmap", "Kombi-Preise", "Die Kasse unterstützt keine Kombination aus Ticket und Getränk. Ist das für die nächste Version geplant?", ticket.P4},
		// … unless it worked before: a fault told as a wish (the table's
		// row for a peripheral function slow for many, not "nothing wrong").
		{"en_used_to_work_wish", "Suggestion: faster reports", "It would be great if the sales report could load faster. Since the update it takes five minutes for all 30 area managers, it used to open instantly.", ticket.P3},
		// The problem is back: not a restore, a new matter.
		{"de_problem_wieder_da", "AW: Kassen sehr langsam – gelöst", "Leider ist das Problem wieder da: an drei von vier Standorten brauchen die Kassen seit Mittag eine Minute pro Buchung.", ticket.P1},
		// "No more rejections": the fix holds, the matter is closed.
		{"fr_plus_aucun_refus", "RE: Paiements refusés", "C'est réglé de notre côté : plus aucun paiement refusé depuis votre correctif. Vous pouvez fermer le ticket.", ticket.P4},
		// One of many: a single device.
		{"en_one_of_forty_scanners", "Scanner", "One of our 40 handheld scanners has stopped connecting to the Wi-Fi since yesterday; the others are fine.", ticket.P3},
		// "kann … für keine einzige … kaufen": nothing can be bought.
		{"de_keine_einzige_kaufen", "Online-Verkauf", "Seit dem Einspielen der neuen Woche kann man online für keine einzige Vorstellung ein Ticket kaufen. Für die laufende Woche funktioniert alles.", ticket.P1},
		// A separate issue after an RCA: current.
		{"en_separate_issue_after_rca", "Re: RCA for last week's outage", "Thanks for the RCA, all clear. Separate issue though: since this morning no invoices can be created at all, for any customer.", ticket.P0},
		// "Leider ist es wieder da", a fix said to be permanent: current.
		{"de_es_ist_wieder_da", "AW: Ticket 4411 – Rechnungslauf", "Leider ist es wieder da. Seit 7 Uhr lädt der Rechnungslauf wieder nicht, obwohl Sie geschrieben hatten, das Problem sei dauerhaft behoben.", ticket.P1},
		// A list of every child, other weeks by changing the link: exposed.
		{"en_full_list_of_every_child", "Link in the confirmation", "When I click the link in my confirmation I see the full list of every child in the group with their parents' phone numbers, and if I change the number at the end of the link I get other weeks' groups.", ticket.P0},
		// A customer file downloaded without logging in, an outsider has it.
		{"fr_telecharge_sans_connexion", "Lien sur la page de réservation", "Sans être connectée, ça télécharge le fichier complet de nos clients avec noms et adresses. Au moins une personne extérieure a le fichier.", ticket.P0},
		// One comment lost on one appointment, the others intact: one
		// record (the table's single-record-lost row; not P0).
		{"de_kommentar_bei_einem_termin", "Datenverlust!!!", "Bei einem Termin war mein Kommentar nach dem Speichern einfach weg. Bei den anderen Terminen sind alle Kommentare vorhanden.", ticket.P2},
		// Two bookings in one slot, clashes every day: a wrong result
		// (the table's "fault" row; before, nothing was described: P4 with
		// the invoice question beside it).
		{"en_double_booked_slots", "Calendar", "Since Tuesday the calendar is letting two dogs into the same groomer's slot; we have had four clashes every day. Also, our invoice says 11 users.", ticket.P3},
		// A password that will expire is a notice, not a fault.
		{"en_password_will_expire", "Question", "The system keeps telling me my password will expire in 10 days. Is that normal? I only changed it in October.", ticket.P4},
		// Someone else's people's data received: a breach.
		{"de_liste_nicht_fuer_uns", "Falsche Datei im Portal", "Heute haben wir über das Portal eine Datei erhalten, die nicht für uns bestimmt ist: Namen und Geburtsdaten von rund 300 Patienten einer anderen Praxis.", ticket.P0},
	})
	// A forward whose own text only asks for speed and signs with a title
	// ("Contracts Director") is judged on the report it passes on.
	r := tableOnly.Classify(Input{Subject: "FW: Upload problem - North team",
		Body:      "Forwarding Liam's note below, can you look at this today please.\n\nSandra Okafor\nContracts Director",
		Forwarded: "Since yesterday none of the North team can upload photo proofs, the app rejects every upload. South and West are fine."})
	if r.Level.Rank() > ticket.P2.Rank() {
		t.Errorf("forward with a title in the signature: %s, want the forwarded report's level (P1/P2)\n%s", r.Level, strings.Join(reasonStrings(r.Reasons), "\n"))
	}
}
