package templates

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"ticketd/ticket"
	"time"
	_ "time/tzdata" // the tests name zones; do not depend on the host's zoneinfo
)

func TestBuiltin_everyKindAndLanguageRendersSampleData(t *testing.T) {
	for _, kind := range Kinds {
		for _, lang := range Languages {
			t.Run(string(kind)+"."+lang, func(t *testing.T) {
				r, err := Builtin().Render(kind, lang, Sample(kind, lang))
				if err != nil {
					t.Fatal(err)
				}
				if r.Subject == "" || strings.ContainsAny(r.Subject, "\r\n") {
					t.Errorf("subject %q: want one non-empty line", r.Subject)
				}
				if strings.TrimSpace(r.Text) == "" || !strings.HasSuffix(r.Text, "\n") {
					t.Errorf("text body %q: want non-empty, ending in a newline", r.Text)
				}
				if !strings.Contains(r.HTML, `<html lang="`+lang+`">`) || !strings.Contains(r.HTML, "</body>") {
					t.Errorf("HTML body is not a %s document:\n%s", lang, r.HTML)
				}
				if strings.Contains(r.Text+r.HTML+r.Subject, "<no value>") {
					t.Errorf("rendered <no value>:\n%s", r.Text)
				}
			})
		}
	}
}

func TestBuiltin_isParsedOnce(t *testing.T) {
	if first, again := Builtin(), Builtin(); first != again {
		t.Fatal("Builtin() returned two different sets")
	}
}

func TestBuiltin_brokenBuildPanicsNamingTheFile(t *testing.T) {
	fsys := fstest.MapFS{"builtin/ack.en.txt.tmpl": {Data: []byte("Hello {{.Ticket.Numbr}}\n")}}
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, "ack.en.txt.tmpl:1: unknown field .Ticket.Numbr") || !strings.Contains(msg, "ack.de.txt.tmpl: missing") {
			t.Fatalf("panic %q: want the typo and the missing files named", msg)
		}
	}()
	mustCompileBuiltin(fsys)
	t.Fatal("no panic")
}

func TestRender_HTMLEscapesCustomerSuppliedStrings(t *testing.T) {
	d := Sample(Ack, "en")
	d.Ticket.Subject = `<script>alert("x")</script>`
	d.Contact.Name = `Eve <img src=x onerror=alert(1)>`
	r, err := Builtin().Render(Ack, "en", d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.HTML, "<script>") || strings.Contains(r.HTML, "<img") {
		t.Errorf("HTML carries customer markup unescaped:\n%s", r.HTML)
	}
	if !strings.Contains(r.HTML, "&lt;script&gt;") {
		t.Errorf("HTML does not show the escaped subject:\n%s", r.HTML)
	}
	if !strings.Contains(r.Text, `<script>alert("x")</script>`) {
		t.Errorf("text body should carry the subject verbatim:\n%s", r.Text)
	}
}

func TestRender_subjectHasNoControlCharactersAndCollapsedSpace(t *testing.T) {
	d := Sample(Ack, "en")
	d.Ticket.Subject = "Down\r\nBcc: victim@example.com\t\x00 now   please\u2028x"
	r, err := Builtin().Render(Ack, "en", d)
	if err != nil {
		t.Fatal(err)
	}
	want := "[Ticket#1042] Down Bcc: victim@example.com now please x"
	if r.Subject != want {
		t.Errorf("subject %q, want %q", r.Subject, want)
	}
}

func TestCleanSubject_keepsNoBreakSpacesOfFrenchTypography(t *testing.T) {
	in := "  Demande reçue\u00a0: test \n\n "
	if got, want := ticket.HeaderText(in), "Demande reçue\u00a0: test"; got != want {
		t.Errorf("HeaderText(%q) = %q, want %q", in, got, want)
	}
}

func TestRender_languageFallsBackToEnglishAndMatchesSubtags(t *testing.T) {
	for lang, want := range map[string]string{"it": "We have received", "": "We have received", "de-CH": "Wir haben Ihre Anfrage erhalten", "FR": "bien été enregistrée"} {
		r, err := Builtin().Render(Ack, lang, Sample(Ack, "en"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Text, want) {
			t.Errorf("lang %q: text %q, want it to contain %q", lang, r.Text, want)
		}
	}
}

func TestRender_unknownKindIsAnError(t *testing.T) {
	if _, err := Builtin().Render("ackk", "en", Data{}); err == nil || !strings.Contains(err.Error(), `"ackk"`) {
		t.Fatalf("err = %v, want one naming the kind", err)
	}
}

func TestRender_ackStatesNumberLevelDueTimeAndTag(t *testing.T) {
	due := map[string]string{
		"en": "Monday 23 November 2026, 09:30 CET",
		"de": "Montag, 23. November 2026, 09:30 CET",
		"fr": "lundi 23 novembre 2026, 09:30 CET",
	}
	for _, lang := range Languages {
		d := Sample(Ack, lang)
		r, err := Builtin().Render(Ack, lang, d)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"1042", d.Level.Label, due[lang], "[Ticket#1042]"} {
			if !strings.Contains(r.Text, want) || !strings.Contains(r.HTML, want) {
				t.Errorf("%s ack does not state %q:\n%s", lang, want, r.Text)
			}
		}
	}
}

func TestRender_ackWithoutTargetSaysThereIsNoContractualTime(t *testing.T) {
	honest := map[string]string{
		"en": "no contractual response time",
		"de": "keine vertragliche Reaktionszeit",
		"fr": "ne prévoit pas de délai de réponse",
	}
	for _, lang := range Languages {
		d := Sample(Ack, lang)
		d.Due = Due{}
		r, err := Builtin().Render(Ack, lang, d)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Text, honest[lang]) || strings.Contains(r.Text, "2026") {
			t.Errorf("%s ack without a target:\n%s", lang, r.Text)
		}
	}
}

func TestRender_timesInRecipientZone(t *testing.T) {
	d := Sample(Ack, "en")
	d.Zone = "America/New_York"
	r, err := Builtin().Render(Ack, "en", d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "by Monday 23 November 2026, 03:30 EST at the latest") {
		t.Errorf("due time not in New York time:\n%s", r.Text)
	}
}

func TestRender_unknownZoneShowsUTCAndLogs(t *testing.T) {
	var logs bytes.Buffer
	s := Builtin().WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	d := Sample(Ack, "en")
	d.Zone = "Mars/Olympus_Mons"
	r, err := s.Render(Ack, "en", d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "08:30 UTC") || !strings.Contains(logs.String(), "Mars/Olympus_Mons") {
		t.Errorf("text:\n%s\nlogs: %s", r.Text, logs.String())
	}
}

func TestRender_presetDerivedFieldsAreKept(t *testing.T) {
	d := Sample(Ack, "en")
	d.Ticket.Tag = "[Case#7]"
	d.Due.Text = "tomorrow morning"
	r, err := Builtin().Render(Ack, "en", d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "keep [Case#7] in the subject") || !strings.Contains(r.Text, "by tomorrow morning at the latest") {
		t.Errorf("preset Tag or Due.Text ignored:\n%s", r.Text)
	}
}

func TestRender_failingOverrideFallsBackToBuiltinTwinAndLogsWhy(t *testing.T) {
	dir := t.TempDir()
	// Passes the check (the sample has two reasons) but fails on a ticket with none.
	writeFile(t, dir, "ack.en.txt.tmpl", "Second reason: {{index .Level.Reasons 1}}\n")
	s, problems, err := Load(dir)
	if err != nil || len(problems) > 0 {
		t.Fatalf("Load: %v %v", err, problems)
	}
	var logs bytes.Buffer
	s = s.WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	d := Sample(Ack, "en")
	d.Level.Reasons = nil
	r, err := s.Render(Ack, "en", d)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Builtin().Render(Ack, "en", d)
	if r.Text != want.Text {
		t.Errorf("text is not the built-in twin:\n%s", r.Text)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), filepath.Join(dir, "ack.en.txt.tmpl")) || !strings.Contains(logs.String(), "index out of range") {
		t.Errorf("log does not say which override failed and why: %s", logs.String())
	}
}

func TestFormatDateTime(t *testing.T) {
	zurich, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	nov := time.Date(2026, 11, 23, 8, 30, 0, 0, time.UTC)
	first := time.Date(2026, 7, 1, 15, 5, 0, 0, time.UTC)
	tests := []struct {
		name string
		t    time.Time
		loc  *time.Location
		lang string
		want string
	}{
		{"english", nov, zurich, "en", "Monday 23 November 2026, 09:30 CET"},
		{"german", nov, zurich, "de", "Montag, 23. November 2026, 09:30 CET"},
		{"french", nov, zurich, "fr", "lundi 23 novembre 2026, 09:30 CET"},
		{"french_first_of_month_is_1er", first, zurich, "fr", "mercredi 1er juillet 2026, 17:05 CEST"},
		{"german_umlaut_month", time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC), zurich, "de", "Montag, 2. März 2026, 13:00 CET"},
		{"nil_location_is_UTC", nov, nil, "en", "Monday 23 November 2026, 08:30 UTC"},
		{"unknown_language_is_English", nov, zurich, "it", "Monday 23 November 2026, 09:30 CET"},
		{"regional_tag", nov, zurich, "fr-CH", "lundi 23 novembre 2026, 09:30 CET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatDateTime(tt.t, tt.loc, tt.lang); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFuncMap_datetimeAndJoin(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "admin-notice.en.txt.tmpl", `{{datetime .Due.At "de" "Europe/Berlin"}} | {{join .Level.Reasons " + "}}`+"\n")
	s, problems, err := Load(dir)
	if err != nil || len(problems) > 0 {
		t.Fatalf("Load: %v %v", err, problems)
	}
	d := Sample(AdminNotice, "en")
	d.Level.Reasons = []string{"a", "b"}
	r, err := s.Render(AdminNotice, "en", d)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Montag, 23. November 2026, 09:30 CET | a + b\n"; r.Text != want {
		t.Errorf("got %q, want %q", r.Text, want)
	}
}

func TestCleanText_foldsBlankLinesLeftByConditionals(t *testing.T) {
	in := "\n\nHello\n\n  \n\n\nWorld\r\n"
	if got, want := cleanText(in), "Hello\n\nWorld\n"; got != want {
		t.Errorf("cleanText(%q) = %q, want %q", in, got, want)
	}
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
