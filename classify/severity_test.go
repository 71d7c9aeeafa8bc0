package classify

import (
	"net/textproto"
	"strings"
	"testing"

	"ticketd/ticket"
)

func classifyText(subject, body string) Result {
	return Default().Classify(Input{Subject: subject, Body: body})
}

func TestClassifyExplicitMarkers(t *testing.T) {
	tests := []struct {
		name, subject, body string
		want                ticket.Level
	}{
		{"bracketed_P1_in_subject", "[P1] login slow", "Hi, login is slow.", ticket.P1},
		{"bare_P0_in_subject", "P0 - nothing works", "", ticket.P0},
		{"priority_colon_number", "Printer driver", "Priority: 2\nThe driver is missing.", ticket.P2},
		{"prio_number", "Prio 1 export", "", ticket.P1},
		{"prio_attached_number", "prio1: export", "", ticket.P1},
		{"sev_1_is_P0", "Sev 1: servers", "", ticket.P0},
		{"severity_2_is_P1", "Severity 2 reports", "", ticket.P1},
		{"severity_4_is_P3", "Severity: 4", "", ticket.P3},
		{"severity_critical_is_P1", "Severity: critical", "", ticket.P1},
		{"severity_blocker_is_P0", "", "Severity: blocker\nDetails below.", ticket.P0},
		{"german_prioritaet_hoch", "Priorität: hoch", "", ticket.P1},
		{"german_prioritaet_ae_spelling", "Prioritaet: hoch", "", ticket.P1},
		{"french_priorite_space_colon", "Priorité : 1 - stocks", "", ticket.P1},
		{"french_gravite_majeure", "Gravité : majeure", "", ticket.P2},
		{"explicit_wins_over_content", "[P3] production is down", "", ticket.P3},
		{"marker_deep_in_body_is_ignored", "Export", "a\nb\nc\nd\ne\nf\nPriority: 1", ticket.P3},
		{"priority_without_value_is_no_marker", "The priority of this", "", ticket.P3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classifyText(tt.subject, tt.body)
			if got.Level != tt.want {
				t.Fatalf("Level = %s, want %s; reasons: %v", got.Level, tt.want, got.Reasons)
			}
			isExplicit := strings.HasPrefix(got.Reasons[0].Rule, "explicit") || got.Reasons[0].Rule == "plan-label"
			if isExplicit != (got.Declared != "") {
				t.Errorf("Declared = %q but first reason is %v", got.Declared, got.Reasons[0])
			}
		})
	}
}

func TestClassifyPlanLabelsWin(t *testing.T) {
	// A plan whose "Severity 1" is P1: the plan's reading wins over the
	// default Severity N → P(N-1).
	labels := map[ticket.Level]string{
		ticket.P0: "Severity 0 – Emergency",
		ticket.P1: "Severity 1 – Critical",
		ticket.P2: "Severity 2 – Major",
	}
	tests := []struct {
		name, subject string
		want          ticket.Level
	}{
		{"full_label", "Severity 1 – Critical: invoices stuck", ticket.P1},
		{"label_head", "Severity 1: invoices stuck", ticket.P1},
		{"label_word_after_keyword", "Severity: Emergency", ticket.P0},
		{"default_mapping_when_no_label_matches", "Severity 4: typo", ticket.P3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Default().Classify(Input{Subject: tt.subject, PlanLabels: labels})
			if got.Level != tt.want || got.Declared != tt.want {
				t.Fatalf("Level, Declared = %s, %s; want %s; reasons: %v", got.Level, got.Declared, tt.want, got.Reasons)
			}
		})
	}
}

func TestClassifyImpactRules(t *testing.T) {
	tests := []struct {
		name, body string
		want       ticket.Level
	}{
		{"english_production_down", "Our production system is down since 9am.", ticket.P0},
		{"german_produktion_steht", "Die Produktion steht seit heute früh.", ticket.P0},
		{"german_stoerung_without_umlaut", "Stoerung im Produktivsystem, keine Umgehung moeglich.", ticket.P1},
		{"german_totalausfall", "Totalausfall unseres ERP seit 8 Uhr.", ticket.P0},
		{"french_production_a_l_arret", "La production est à l’arrêt depuis ce matin.", ticket.P0},
		{"french_panne", "Panne générale du serveur depuis 10h.", ticket.P0},
		{"data_loss", "After the update we have data loss in the customer table.", ticket.P0},
		{"security_incident", "We suspect a security breach: unknown admin logins.", ticket.P1},
		{"no_workaround", "Reports fail for all managers and there is no workaround.", ticket.P1},
		{"costly_workaround", "We have a workaround but it is very time-consuming.", ticket.P2},
		{"workaround_exists", "The export is broken but we have a workaround.", ticket.P3},
		{"minor_issue", "Minor issue: the button colour is off.", ticket.P3},
		{"question", "How do I add a second contact?", ticket.P4},
		{"german_question", "Wie kann ich das Passwort ändern?", ticket.P4},
		{"french_question", "Comment puis-je changer le mot de passe ?", ticket.P4},
		{"german_feature_request", "Verbesserungsvorschlag: ein Dark Mode.", ticket.P4},
		{"french_feature_request", "Demande d'évolution : export CSV.", ticket.P4},
		{"documentation_error", "There is a typo in the documentation.", ticket.P4},
		{"nothing_matches_default_P3", "Hello, see attached.", ticket.P3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classifyText("", tt.body); got.Level != tt.want {
				t.Fatalf("Level = %s, want %s; reasons: %v", got.Level, tt.want, got.Reasons)
			}
		})
	}
}

func TestClassifyNegationLowersOrCancels(t *testing.T) {
	tests := []struct {
		name, body string
		want       ticket.Level
	}{
		{"no_production_impact_just_a_question", "No production impact, just a question about the API.", ticket.P4},
		{"not_urgent_caps", "Not urgent: the staging server is down.", ticket.P2},
		{"german_produktion_nicht_betroffen", "Die Produktion ist nicht betroffen, aber das Testsystem ist ausgefallen.", ticket.P2},
		{"french_production_pas_impactee", "La production n'est pas impactée, la recette est en panne.", ticket.P2},
		{"no_outage", "There is no outage, but the report is slow.", ticket.P3},
		{"server_not_down", "The server isn't down, the page is just slow.", ticket.P3},
		{"not_a_question", "This is not a question, the export crashes.", ticket.P3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classifyText("", tt.body); got.Level != tt.want {
				t.Fatalf("Level = %s, want %s; reasons: %v", got.Level, tt.want, got.Reasons)
			}
		})
	}
}

func TestClassifyScopeCapsNonProduction(t *testing.T) {
	tests := []struct {
		name, subject, body string
		want                ticket.Level
	}{
		{"staging_down", "", "Our staging server is down.", ticket.P2},
		{"staging_in_subject_down_in_body", "Staging", "The server has been down since this morning.", ticket.P2},
		{"totalausfall_der_testumgebung", "", "Totalausfall der Testumgebung.", ticket.P2},
		{"recette_en_panne", "", "Le serveur de recette est en panne.", ticket.P2},
		{"production_down_and_staging_mentioned_elsewhere", "", "Production is down. We also use a staging server.", ticket.P0},
		{"pre_production_is_not_production", "", "The pre-production system is down.", ticket.P2},
		{"security_incident_is_not_capped", "", "Our test system was hacked.", ticket.P1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classifyText(tt.subject, tt.body); got.Level != tt.want {
				t.Fatalf("Level = %s, want %s; reasons: %v", got.Level, tt.want, got.Reasons)
			}
		})
	}
}

func TestClassifyShoutingAndHeadersNeverRaise(t *testing.T) {
	h := textproto.MIMEHeader{}
	h.Set("X-Priority", "1 (Highest)")
	h.Set("Importance", "high")
	got := Default().Classify(Input{Subject: "URGENT!!! URGENT!!!", Body: "URGENT!!! How do I reset my password???", Header: h})
	if got.Level != ticket.P4 {
		t.Fatalf("Level = %s, want P4; reasons: %v", got.Level, got.Reasons)
	}
	var headerNotes int
	for _, r := range got.Reasons {
		if r.Rule == "header" {
			headerNotes++
			if r.Level != "" {
				t.Errorf("header reason counted: %v", r)
			}
		}
	}
	if headerNotes != 2 {
		t.Errorf("got %d header notes, want 2: %v", headerNotes, got.Reasons)
	}
}

func TestClassifyStems(t *testing.T) {
	tests := []struct {
		name, body string
		want       ticket.Level
	}{
		{"crashed", "In production the service crashed.", ticket.P0},
		{"crashing", "The production app keeps crashing.", ticket.P0},
		{"ausgefallen", "Das Produktivsystem ist ausgefallen.", ticket.P0},
		{"bloquee", "La production est bloquée.", ticket.P0},
		{"bloques", "Les serveurs de production sont bloqués.", ticket.P0},
		{"compound_kundendaten", "Alle Kundendaten sind verloren.", ticket.P0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classifyText("", tt.body); got.Level != tt.want {
				t.Fatalf("Level = %s, want %s; reasons: %v", got.Level, tt.want, got.Reasons)
			}
		})
	}
}

func TestClassifyIgnoresQuotedHistory(t *testing.T) {
	body := "Thanks, how do I close the ticket?\n\nOn Mon, 3 Mar 2025 at 10:00, Ann <ann@example.com>\nwrote:\n> Production is down!\n"
	if got := classifyText("Re: outage", body); got.Level == ticket.P0 {
		// The subject says "outage"; only the quoted text would add
		// more. Make sure the quote itself is not what decided.
		for _, r := range got.Reasons {
			if strings.Contains(r.Match, "Production is down") {
				t.Fatalf("quoted text matched: %v", r)
			}
		}
	}
	got := classifyText("Question", "> Production is down!\nHow do I close the ticket?")
	if got.Level != ticket.P4 {
		t.Fatalf("Level = %s, want P4; reasons: %v", got.Level, got.Reasons)
	}
}

func TestClassifyReasons(t *testing.T) {
	got := classifyText("", "Our production is down since 9am.")
	first := got.Reasons[0]
	if first.Level != ticket.P0 || first.Rule == "" || first.Match == "" {
		t.Fatalf("first reason = %+v, want a P0 rule with its match", first)
	}
	if s := first.String(); !strings.HasPrefix(s, `rule "`) || !strings.Contains(s, "→ P0") {
		t.Errorf("String() = %q", s)
	}
	def := classifyText("", "Hello.")
	if len(def.Reasons) != 1 || def.Reasons[0].Note != "no rule matched: default P3" || def.Reasons[0].Level != ticket.P3 {
		t.Errorf("default reasons = %v", def.Reasons)
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

func TestLoadRulesErrorsNameRuleAndField(t *testing.T) {
	tests := []struct {
		name, data string
		wantInErr  []string
	}{
		{"bad_level", "[[rule]]\nname = \"x\"\nlevel = \"P7\"\nphrases = [\"a\"]\n", []string{`rule "x"`, `"level"`, "P7"}},
		{"missing_name", "[[rule]]\nlevel = \"P1\"\nphrases = [\"a\"]\n", []string{"rule #1", `"name"`}},
		{"no_pattern", "[[rule]]\nname = \"x\"\nlevel = \"P1\"\n", []string{`rule "x"`, "no pattern"}},
		{"unknown_term", "[[rule]]\nname = \"x\"\nlevel = \"P1\"\nphrases = [\"@nope\"]\n", []string{`rule "x"`, `"phrases"`, "nope"}},
		{"bad_gap", "[[rule]]\nname = \"x\"\nlevel = \"P1\"\nphrases = [\"a ~99 b\"]\n", []string{`rule "x"`, `"phrases"`, "~99"}},
		{"together_single_list", "[[rule]]\nname = \"x\"\nlevel = \"P1\"\ntogether = [[\"a\"]]\n", []string{`rule "x"`, `"together"`}},
		{"unknown_override", "[[rule]]\nname = \"x\"\nlevel = \"P1\"\nphrases = [\"a\"]\noverrides = [\"y\"]\n", []string{`rule "x"`, `"overrides"`, `"y"`}},
		{"duplicate_name", "[[rule]]\nname = \"x\"\nlevel = \"P1\"\nphrases = [\"a\"]\n[[rule]]\nname = \"x\"\nlevel = \"P2\"\nphrases = [\"b\"]\n", []string{`rule "x"`, `"name"`}},
		{"unknown_field", "[[rule]]\nname = \"x\"\nlevle = \"P1\"\nphrases = [\"a\"]\n", []string{"levle"}},
		{"bad_scope", "[[rule]]\nname = \"x\"\ncap = \"P2\"\nscope = \"page\"\nphrases = [\"a\"]\n", []string{`rule "x"`, `"scope"`}},
		{"toml_syntax", "[[rule]\n", []string{"severity rules"}},
		{"no_rules", "", []string{"no [[rule]]"}},
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

func TestLoadRulesCustomRuleSet(t *testing.T) {
	e, err := LoadRules([]byte(`
[terms]
printer = ["printer", "drucker"]
[[rule]]
name = "printer-on-fire"
level = "P0"
together = [["@printer"], ["fire*", "brennt"]]
`))
	if err != nil {
		t.Fatalf("LoadRules: %v", err)
	}
	if got := e.Classify(Input{Body: "Der Drucker brennt!"}); got.Level != ticket.P0 {
		t.Fatalf("Level = %s, want P0; reasons: %v", got.Level, got.Reasons)
	}
	if got := e.Classify(Input{Body: "Production is down."}); got.Level != ticket.P3 {
		t.Fatalf("custom rules must replace the built-in ones: Level = %s", got.Level)
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

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Störung", "l’arrêt", "Straße", "e\u0301", "\xff", "İstanbul", "ǅ", "ﬃ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if Normalize(n) != n {
			t.Fatalf("Normalize is not idempotent on %q: %q then %q", s, n, Normalize(n))
		}
	})
}

func FuzzClassify(f *testing.F) {
	for _, m := range loadCorpus(f) {
		f.Add(m.input.Subject, m.input.Body)
	}
	f.Add("[P1]", "")
	f.Add("Severity", "Prio")
	f.Fuzz(func(t *testing.T, subject, body string) {
		got := Default().Classify(Input{Subject: subject, Body: body,
			PlanLabels: map[ticket.Level]string{ticket.P0: "Severity 1 – Critical"}})
		if !got.Level.Valid() {
			t.Fatalf("invalid level %q", got.Level)
		}
		if len(got.Reasons) == 0 {
			t.Fatal("no reasons")
		}
		if got.Declared != "" && got.Declared != got.Level {
			t.Fatalf("Declared %s differs from Level %s", got.Declared, got.Level)
		}
		if r := got.Reasons[0]; r.Level != got.Level {
			t.Fatalf("first reason %v does not carry the level %s", r, got.Level)
		}
		for _, r := range got.Reasons {
			if r.Level != "" && r.Level.MoreSevere(got.Level) {
				t.Fatalf("reason %v is more severe than the result %s", r, got.Level)
			}
		}
	})
}
