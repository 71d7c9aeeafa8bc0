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
