package templates

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad_emptyDirIsTheBuiltinSet(t *testing.T) {
	s, problems, err := Load("")
	if err != nil || problems != nil || s != Builtin() {
		t.Fatalf("Load(\"\") = %p, %v, %v; want Builtin()", s, problems, err)
	}
}

func TestLoad_missingDirIsAnError(t *testing.T) {
	_, _, err := Load(filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
}

func TestLoad_overrideReplacesOnlyItsTwin(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "ack.de.txt.tmpl", "Moin {{.Contact.Name}}, Ticket {{.Ticket.Number}}.\n")
	s, problems, err := Load(dir)
	if err != nil || len(problems) > 0 {
		t.Fatalf("Load: %v %v", err, problems)
	}
	for _, e := range s.List() {
		want := SourceBuiltin
		if e.Kind == Ack && e.Lang == "de" && e.Part == PartText {
			want = filepath.Join(dir, "ack.de.txt.tmpl")
		}
		if e.Source != want {
			t.Errorf("%s.%s.%s from %q, want %q", e.Kind, e.Lang, e.Part, e.Source, want)
		}
	}
	de, err := s.Render(Ack, "de", Sample(Ack, "de"))
	if err != nil {
		t.Fatal(err)
	}
	builtinDE, _ := Builtin().Render(Ack, "de", Sample(Ack, "de"))
	if de.Text != "Moin Jonas Becker, Ticket 1042.\n" {
		t.Errorf("override not used: %q", de.Text)
	}
	if de.Subject != builtinDE.Subject || de.HTML != builtinDE.HTML {
		t.Error("subject or HTML of the overridden kind changed too")
	}
	en, _ := s.Render(Ack, "en", Sample(Ack, "en"))
	builtinEN, _ := Builtin().Render(Ack, "en", Sample(Ack, "en"))
	if en != builtinEN {
		t.Error("English ack changed by a German override")
	}
}

func TestLoad_listCoversEveryKindLanguageAndPart(t *testing.T) {
	list := Builtin().List()
	if len(list) != len(Kinds)*len(Languages)*len(Parts) {
		t.Fatalf("%d entries, want %d", len(list), len(Kinds)*len(Languages)*len(Parts))
	}
	if list[0] != (Entry{Kind: Ack, Lang: "en", Part: PartSubject, Source: SourceBuiltin}) {
		t.Errorf("first entry %+v", list[0])
	}
}

// loadProblems writes files into a fresh directory and returns Load's
// problems as strings, failing if the set was not rejected.
func loadProblems(t *testing.T, files map[string]string) []string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		writeFile(t, dir, name, content)
	}
	s, problems, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s != nil || len(problems) == 0 {
		t.Fatalf("set accepted; want it rejected")
	}
	if got := Check(dir); len(got) != len(problems) {
		t.Errorf("Check found %v, Load %v", got, problems)
	}
	out := make([]string, len(problems))
	for i, p := range problems {
		out[i] = p.String()
	}
	return out
}

func TestLoad_unknownFieldIsReportedWithFileLineAndKnownFields(t *testing.T) {
	got := loadProblems(t, map[string]string{
		"ack.de.txt.tmpl": "Guten Tag {{.Contact.Name}},\n\nwir haben Ihre Anfrage\nunter {{.Ticket.Numbr}} erfasst.\n",
	})
	want := "ack.de.txt.tmpl:4: unknown field .Ticket.Numbr (known: .Ticket.Number, .Ticket.Subject, .Ticket.Status, .Ticket.Tag)"
	if len(got) != 1 || got[0] != want {
		t.Fatalf("problems %q\nwant [%q]", got, want)
	}
}

func TestLoad_unknownFieldsAreFoundWhereverTheyHide(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"branch_the_sample_never_takes", "{{if not .Due.Set}}\n{{.Due.Txt}}{{end}}", ":2: unknown field .Due.Txt (known: .Due.Set, .Due.At, .Due.Target, .Due.Text, .Due.String)"},
		{"inside_with", "{{with .Ticket}}{{.Numbr}}{{end}}", ":1: unknown field .Ticket.Numbr"},
		{"inside_range_over_strings", "{{range .Level.Reasons}}\n\n{{.Text}}{{end}}", ":3: field .Text used on .Level.Reasons[…], which is a string"},
		{"root_variable", "{{with .Ticket}}{{$.Ticket.Numbr}}{{end}}", ":1: unknown field .Ticket.Numbr"},
		{"top_level", "{{.Tiket.Number}}", ":1: unknown field .Tiket (known: .Lang, .Zone, .Support, .Ticket,"},
		{"function_argument", `{{join .Level.Reason ", "}}`, ":1: unknown field .Level.Reason"},
		{"defined_template", "{{define \"x\"}}\n{{.Numbr}}{{end}}{{template \"x\" .Ticket}}", ":2: unknown field .Ticket.Numbr"},
		{"unexported_field", "{{.Ticket.number}}", ":1: unknown field .Ticket.number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := loadProblems(t, map[string]string{"alert.en.txt.tmpl": tt.src})
			if len(got) != 1 || !strings.HasPrefix(got[0], "alert.en.txt.tmpl"+tt.want) {
				t.Errorf("problems %q\nwant one starting with %q", got, "alert.en.txt.tmpl"+tt.want)
			}
		})
	}
}

func TestLoad_documentedFieldsMethodsAndBuiltinsPass(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "reminder.fr.txt.tmpl", `{{.Due}} {{.Due.String}} {{.Due.At.Year}} {{with .Ticket}}{{.Number}} {{$.Plan.Name}}{{end}}
{{range $i, $r := .Level.Reasons}}{{$i}}={{$r}} {{.}}{{end}} {{len .Message.Attachments}} {{printf "%d%%" .Reminder.Percent}}
{{define "row"}}{{.Name}} <{{.Email}}>{{end}}{{template "row" .Contact}} {{template "row" .Engineer}}
{{with $q := .Quarantine}}{{$q.ID}}{{end}} {{.Message.FollowUp}} {{.Notice.Title}} {{.Support.Address}} {{.Lang}} {{.Zone}}
`)
	writeFile(t, dir, "reminder.fr.html.tmpl", `<p title="{{.Ticket.Subject}}">{{.Customer.Name}}</p><a href="mailto:{{.Support.Address}}">{{.Engineer.Name}}</a>`)
	if _, problems, err := Load(dir); err != nil || len(problems) > 0 {
		t.Fatalf("Load: %v %v", err, problems)
	}
}

func TestLoad_parseErrorIsReportedWithItsLine(t *testing.T) {
	got := loadProblems(t, map[string]string{
		"breach.en.txt.tmpl": "one\ntwo\n{{if .Due.Set}}\nfour {{.Due}\n{{end}}\n",
	})
	if len(got) != 1 || !strings.HasPrefix(got[0], "breach.en.txt.tmpl:4: ") {
		t.Fatalf("problems %q, want one at line 4", got)
	}
}

func TestLoad_unknownFunctionIsReported(t *testing.T) {
	got := loadProblems(t, map[string]string{"relay.en.subject.tmpl": "{{upper .Ticket.Subject}}"})
	if len(got) != 1 || !strings.Contains(got[0], `relay.en.subject.tmpl:1: function "upper" not defined`) {
		t.Fatalf("problems %q", got)
	}
}

func TestLoad_HTMLContextErrorIsReported(t *testing.T) {
	got := loadProblems(t, map[string]string{
		"ack.fr.html.tmpl": "<p>\n{{if .Due.Set}}<a href=\"{{else}}<b>{{end}}</p>",
	})
	if len(got) != 1 || !strings.HasPrefix(got[0], "ack.fr.html.tmpl:2: ") || !strings.Contains(got[0], "context") {
		t.Fatalf("problems %q, want an escaping problem at line 2", got)
	}
}

func TestLoad_executionErrorAgainstSampleIsReported(t *testing.T) {
	got := loadProblems(t, map[string]string{"alert.en.txt.tmpl": "x\n{{index .Level.Reasons 5}}"})
	if len(got) != 1 || !strings.HasPrefix(got[0], "alert.en.txt.tmpl:2: ") || !strings.Contains(got[0], "out of range") {
		t.Fatalf("problems %q", got)
	}
}

func TestLoad_unexpectedFileNamesAreProblemsButHiddenFilesAreIgnored(t *testing.T) {
	got := loadProblems(t, map[string]string{
		"ack.it.txt.tmpl":           "x",
		"akc.en.txt.tmpl":           "x",
		"ack.en.body.tmpl":          "x",
		"ack.en.txt":                "x",
		"ack.txt.tmpl":              "x",
		".ack.en.txt.tmpl.swp":      "{{garbage",
		"holding-reply.de.txt.tmpl": "fine {{.Ticket.Tag}}",
	})
	want := []string{
		`ack.en.body.tmpl: unknown part "body"`,
		"ack.en.txt: unexpected file",
		`ack.it.txt.tmpl: unknown language "it"`,
		"ack.txt.tmpl: file name is not KIND.LANG.PART.tmpl",
		`akc.en.txt.tmpl: unknown kind "akc"`,
	}
	if len(got) != len(want) {
		t.Fatalf("problems %q\nwant %d", got, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d: %q, want prefix %q", i, got[i], want[i])
		}
	}
}

func TestCheck_unreadableDirIsOneProblem(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	got := Check(dir)
	if len(got) != 1 || got[0].File != dir {
		t.Fatalf("Check = %v", got)
	}
}

func TestExport_writesBuiltinsThatLoadAndRenderUnchanged(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "templates")
	if err := Export(dir); err != nil {
		t.Fatal(err)
	}
	s, problems, err := Load(dir)
	if err != nil || len(problems) > 0 {
		t.Fatalf("Load of exported files: %v %v", err, problems)
	}
	for _, e := range s.List() {
		if e.Source != filepath.Join(dir, FileName(e.Kind, e.Lang, e.Part)) {
			t.Fatalf("%+v not from the exported file", e)
		}
	}
	for _, kind := range Kinds {
		got, _ := s.Render(kind, "fr", Sample(kind, "fr"))
		want, _ := Builtin().Render(kind, "fr", Sample(kind, "fr"))
		if got != want {
			t.Errorf("%s renders differently from its exported copy", kind)
		}
	}
}

func TestExport_refusesToOverwriteUnlessTold(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "ack.en.txt.tmpl", "mine\n")
	err := Export(dir)
	if err == nil || !strings.Contains(err.Error(), "ack.en.txt.tmpl") {
		t.Fatalf("err = %v, want a refusal naming the existing file", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("refused export still wrote %d files", len(entries)-1)
	}
	if err := Export(dir, Overwrite()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "ack.en.txt.tmpl"))
	if string(b) == "mine\n" {
		t.Error("Overwrite() did not overwrite")
	}
}

func TestLoad_emptyOrHalfSavedFileIsAProblem(t *testing.T) {
	got := loadProblems(t, map[string]string{"ack.en.subject.tmpl": "  \n", "ack.en.txt.tmpl": "{{if .Due.Set}}{{end}}"})
	want := []string{"ack.en.subject.tmpl: renders nothing with the sample data", "ack.en.txt.tmpl: renders nothing with the sample data"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("problems %q\nwant %q", got, want)
	}
}
