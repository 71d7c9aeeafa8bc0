package classify

import (
	"strings"
	"testing"
)

func TestTokenizeKeepsIdentifiersWhole(t *testing.T) {
	for in, want := range map[string]string{
		`The parameter "session.idle-timeout" is ignored.`: "the parameter session.idle-timeout is ignored",
		"violates constraint order_ref_uk, z.B. heute":     "violates constraint order_ref_uk z b heute",
		"Version 5.2 is down.":                             "version 5.2 is down",
		"Preprod-Datenbank e.g. staging":                   "preprod datenbank e g staging",
	} {
		var words []string
		for _, tok := range tokenizeText(in).tokens {
			words = append(words, tok.word)
		}
		if got := strings.Join(words, " "); got != want {
			t.Errorf("tokenize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStripQuotedTextDropsLogsAndFooters(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"timestamped log lines", "We see this:\n2025-02-26 15:12:09.331 ERROR [exec-41] o.h.SqlHelper - ERROR: duplicate key\n  Detail: Key already exists.\n12:00:01 FATAL cannot start\nOnly 3 orders fail.",
			"We see this:\nOnly 3 orders fail."},
		{"level words in a log's shape", "Log:\nERROR [main] Scheduler - job not found\nWARN | pool exhausted\nNothing is broken.", "Log:\nNothing is broken."},
		{"stack trace", "It crashes:\njava.lang.IllegalStateException: boom\n\tat com.x.Foo.bar(Foo.java:12)\nCaused by: x\nPlease help.", "It crashes:\nPlease help."},
		{"shouting is no log", "CRITICAL: the shop is down for everyone.", "CRITICAL: the shop is down for everyone."},
		{"english footer", "The export fails.\n\nThis email and any attachments may be confidential. If you are not the intended recipient, delete it.",
			"The export fails.\n"},
		{"french footer", "Tout est en panne.\n\nCe message et toutes les pièces jointes sont confidentiels. Toute diffusion non autorisée est interdite.", "Tout est en panne.\n"},
		{"german footer", "Die Kasse steht.\n\nDiese E-Mail enthält vertrauliche Informationen.", "Die Kasse steht.\n"},
		{"labelled footer", "Down.\n\nCONFIDENTIALITY: This e-mail is for the addressee only.", "Down.\n"},
		{"confidential data in prose is no footer", "This message is to report a leak.\nConfidential data was exposed.", "This message is to report a leak.\nConfidential data was exposed."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := stripQuotedText(tc.in); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFindShares(t *testing.T) {
	people := Default().people
	for _, tc := range []struct {
		text  string
		want  []float64
		scope Scope
	}{
		{"It is now 412 of 415 branches which cannot open the app.", []float64{412.0 / 415}, ScopeEveryone},
		{"Roughly 40% of logins to the portal fail.", []float64{0.4}, ScopeTeam},
		{"We see about 3 orders out of ~9000 per hour fail.", []float64{3.0 / 9000}, ScopeOneRecord},
		{"Environ septante pour cent des clients paient avec Bancontact.", []float64{0.7}, ScopeTeam},
		{"Rund 85 % unserer Kundschaft zahlt mit Karte.", []float64{0.85}, ScopeTeam},
		{"Nonante-deux pour cent des paniers sont abandonnés.", []float64{0.92}, ScopeTeam},
		{"Zweiundvierzig von fünfzig Filialen sind betroffen.", []float64{42.0 / 50}, ScopeTeam},
		{"Only one of our 400 users cannot log in.", []float64{1.0 / 400}, ScopeOneUser},
		{"350/600 remote staff cannot connect.", []float64{350.0 / 600}, ScopeTeam},
		{"Since 12/03 the server EHR-APP-01/02 is down.", nil, ""},
		{"Availability fell below the 99.8% commitment; the disk is 100% full.", nil, ""},
		{"Since 9:00 100 % of card payments are refused.", []float64{1}, ScopeEveryone},
	} {
		tt := tokenizeText(tc.text)
		got := findShares(tt, people)
		if len(got) != len(tc.want) {
			t.Errorf("%q: %d shares %v, want %v", tc.text, len(got), got, tc.want)
			continue
		}
		for i, s := range got {
			if d := s.ratio - tc.want[i]; d > 1e-9 || d < -1e-9 {
				t.Errorf("%q: share %v, want %v", tc.text, s.ratio, tc.want[i])
			}
			if sc := scopeOfShare(s); sc != tc.scope {
				t.Errorf("%q: scope %s, want %s", tc.text, sc, tc.scope)
			}
		}
	}
}
