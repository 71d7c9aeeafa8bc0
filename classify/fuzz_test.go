package classify

import (
	"strings"
	"testing"

	"ticketd/ticket"
)

// Native fuzzing of the parsers and tokenizers of severity classification,
// seeded from the labelled corpora.

func FuzzClassify(f *testing.F) {
	for _, m := range loadCorpus(f) {
		f.Add(m.input.Subject, m.input.Body, false)
	}
	f.Add("[P1]", "", false)
	f.Add("Re: Severity", "Prio", true)
	f.Add("Fwd: x", "---------- Forwarded message ---------\nProduction is down.", false)
	f.Fuzz(func(t *testing.T, subject, body string, followUp bool) {
		got := Default().Classify(Input{Subject: subject, Body: body, FollowUp: followUp,
			PlanLabels: map[ticket.Level]string{ticket.P0: "Severity 1 – Critical"}})
		if !got.Level.Valid() || !got.PageLevel.Valid() {
			t.Fatalf("invalid level %q / page level %q", got.Level, got.PageLevel)
		}
		if len(got.Reasons) == 0 || got.Reasons[0].Level != got.Level {
			t.Fatalf("first reason does not carry the level %s: %v", got.Level, got.Reasons)
		}
		for _, r := range got.Reasons[1:] {
			if r.Level != "" {
				t.Fatalf("only the first reason may carry a level: %v", r)
			}
		}
		if got.Confidence < 0 || got.Confidence > 1 {
			t.Fatalf("confidence %v outside 0..1", got.Confidence)
		}
		if err := got.Factors.Valid(); err != nil {
			t.Fatal(err)
		}
		if len(got.Candidates) == 0 || got.PageLevel.MoreSevere(got.Candidates[0]) || got.Level.MoreSevere(got.PageLevel) {
			t.Fatalf("page level %s outside %s..%v", got.PageLevel, got.Level, got.Candidates)
		}
		if got.Declared != "" && !got.Declared.Valid() {
			t.Fatalf("invalid declared level %q", got.Declared)
		}
	})
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

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"L'arrêt isn't planned. Next one?\n\nNew", "3,412 payments – all: (none)", "1'000 Fr.", "- a\n- b", "…?!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tt := tokenizeText(s)
		last, lastEnd := 0, 0
		for _, tok := range tt.tokens {
			if tok.start < lastEnd || tok.end > len(s) || tok.start >= tok.end {
				t.Fatalf("token %+v out of order or range in %q", tok, s)
			}
			if tok.sentence < last || tok.sentence >= len(tt.question) {
				t.Fatalf("sentence %d after %d (of %d) in %q", tok.sentence, last, len(tt.question), s)
			}
			last, lastEnd = tok.sentence, tok.end
		}
	})
}

func FuzzCompilePattern(f *testing.F) {
	for _, s := range []string{"production ~3 down", "(no one|nobody) ~3 can", "crash*", "*daten", "@people", "# of ~2 x", "(a|", "~1 x", "a ~99 b"} {
		f.Add(s, "production is down for no one")
	}
	words := wordLists{"people": {{{variants: []string{"users"}}}}}
	f.Fuzz(func(t *testing.T, src, text string) {
		p, err := compilePattern(src, words)
		if err != nil {
			return
		}
		tt := tokenizeText(text)
		for i := range tt.tokens {
			m := p.matchAt(tt, i)
			for k, j := range m {
				if j < i || j >= len(tt.tokens) || (k > 0 && j <= m[k-1]) || tt.tokens[j].sentence != tt.tokens[i].sentence {
					t.Fatalf("pattern %q at %d matched %v in %q", src, i, m, text)
				}
			}
		}
	})
}

func FuzzStripReplyAndQuotes(f *testing.F) {
	f.Add("Re: AW: x", "a\n> b\nOn Mon, 1 Jan 2024, A wrote:\n> c")
	f.Add("Fwd:", "x\n---------- Forwarded message ---------\ny")
	f.Fuzz(func(t *testing.T, subject, body string) {
		s, _ := stripReplyPrefixes(subject)
		if !strings.HasSuffix(subject, s) {
			t.Fatalf("stripReplyPrefixes(%q) = %q is not a suffix", subject, s)
		}
		newText, forwarded := stripQuotedText(body)
		if len(newText)+len(forwarded) > len(body) {
			t.Fatalf("stripQuotedText grew the text")
		}
	})
}

func FuzzLoadRules(f *testing.F) {
	f.Add(coarseTable)
	f.Add("[cues]\n\"state.stopped\" = [\"kaputt ~2 total\"]\n")
	f.Add("[[level]]\nname = \"x\"\nlevel = \"P1\"\nstate = \"!none\"\n")
	f.Fuzz(func(t *testing.T, data string) {
		e, err := LoadRules([]byte(data))
		if err != nil {
			return
		}
		if r := e.Classify(Input{Subject: "x", Body: "Production is down for all users."}); !r.Level.Valid() {
			t.Fatalf("invalid level %q", r.Level)
		}
	})
}

func FuzzParseFactors(f *testing.F) {
	f.Add(unknownFactors().String())
	f.Add("state=stopped scope=everyone")
	f.Fuzz(func(t *testing.T, s string) {
		fs, err := ParseFactors(s)
		if err != nil {
			return
		}
		back, err := ParseFactors(fs.String())
		if err != nil || back != fs {
			t.Fatalf("round trip of %q: %v %v", s, back, err)
		}
	})
}

func FuzzFindShares(f *testing.F) {
	for _, s := range []string{"412 of 415 branches", "40% of logins", "septante pour cent des clients", "3 orders out of ~9000",
		"350/600 staff", "EHR-APP-01/02", "zweiundvierzig von fünfzig", "quatre-vingt-dix pour cent", "1'000 von 2.000"} {
		f.Add(s)
	}
	people := Default().people
	f.Fuzz(func(t *testing.T, text string) {
		tt := tokenizeText(text)
		for _, s := range findShares(tt, people) {
			if s.ratio < 0 || s.ratio > 1 || s.ratio != s.ratio {
				t.Fatalf("share %v outside 0..1 in %q", s.ratio, text)
			}
			for _, i := range s.tokens {
				if i < 0 || i >= len(tt.tokens) {
					t.Fatalf("token %d out of range in %q", i, text)
				}
			}
			_ = shareHit(tt, s)
		}
	})
}
