package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ticketd/internal/testclock"
	"ticketd/store"
	"ticketd/ticket"
)

// run runs the CLI with args and returns stdout, stderr and the exit code.
func run(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }, Clock: testclock.Running()}
	code := m.Run(context.Background(), args)
	return out.String(), errOut.String(), code
}

// writeConfig writes a minimal valid config with its database in dir.
func writeConfig(t *testing.T, dir, extra string) string {
	t.Helper()
	cfg := `[store]
path = "` + filepath.Join(dir, "ticketd.db") + `"
[imap]
address = "127.0.0.1:1143"
security = "none"
username = "support@example.com"
password = "x"
[smtp]
address = "127.0.0.1:1025"
security = "none"
[support]
address = "support@example.com"
name = "Example Support"
[[routing]]
levels = ["P0", "P1", "P2", "P3", "P4"]
to = ["team@example.com"]
` + extra
	p := filepath.Join(dir, "ticketd.toml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckConfig_unknownKeyNamesFileAndKey(t *testing.T) {
	dir := t.TempDir()
	p := writeConfig(t, dir, "[imap2]\nfoo = 1\n")
	_, errOut, code := run(t, nil, "check-config", "--config", p)
	if code != 1 || !strings.Contains(errOut, p+": imap2") || !strings.Contains(errOut, "unknown key") {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
}

func TestCheckConfig_badValueNamesKeyAndReason(t *testing.T) {
	dir := t.TempDir()
	p := writeConfig(t, dir, "")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Replace(b, []byte(`security = "none"`), []byte(`security = "ssl"`), 1), 0o600)
	_, errOut, code := run(t, nil, "check-config", "--config", p)
	if code != 1 || !strings.Contains(errOut, `imap.security: "ssl" is not one of tls, starttls, none`) {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
}

func TestCheckConfig_exampleFileIsValidButForItsSecrets(t *testing.T) {
	_, errOut, code := run(t, nil, "check-config", "--config", "../../ticketd.example.toml")
	if code != 1 {
		t.Fatalf("want the example's missing secrets reported, got code %d", code)
	}
	for _, line := range strings.Split(strings.TrimSpace(errOut), "\n") {
		if !strings.Contains(line, "imap.password_file") && !strings.Contains(line, "smtp.password_env") {
			t.Errorf("unexpected problem in ticketd.example.toml: %s", line)
		}
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	p := writeConfig(t, t.TempDir(), "")
	out, errOut, code := run(t, map[string]string{"TICKETD_CONFIG": p}, "check-config")
	if code != 0 || !strings.Contains(out, p+": OK") {
		t.Fatalf("code %d out %q err %q", code, out, errOut)
	}
}

func TestSLADue_worksWithoutConfigAndNamesBadArguments(t *testing.T) {
	env := map[string]string{"TICKETD_CONFIG": filepath.Join(t.TempDir(), "none.toml")}
	out, errOut, code := run(t, env, "sla", "due", "--plan", "standard", "--level", "P2", "--received", "2026-11-20T15:00:00Z", "--tz", "Europe/Zurich", "--region", "CH-ZH", "--json")
	if code != 0 {
		t.Fatalf("code %d: %s", code, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	// Friday 16:00 Zurich + 4 business hours: 1.5h Friday, 2.5h Monday from 08:30.
	if got["due"] != "2026-11-23T10:00:00Z" || got["due_local"] != "2026-11-23T11:00:00+01:00" {
		t.Fatalf("due %v / %v", got["due"], got["due_local"])
	}
	for _, c := range []struct{ args, want string }{
		{"--plan gold --level P1", `unknown plan "gold"`},
		{"--plan standard --level P1 --tz Mars/Olympus", "Mars/Olympus"},
		{"--plan standard --level P1 --region XX-YY", "XX-YY"},
		{"--plan standard --level P9", "P9"},
	} {
		_, errOut, code := run(t, env, append([]string{"sla", "due"}, strings.Fields(c.args)...)...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: code %d stderr %q, want it to name %q", c.args, code, errOut, c.want)
		}
	}
}

func TestDirectory_contactLimitAndCSVImportErrors(t *testing.T) {
	dir := t.TempDir()
	p := writeConfig(t, dir, "")
	mustRun := func(args ...string) string {
		t.Helper()
		out, errOut, code := run(t, nil, append(args, "--config", p)...)
		if code != 0 {
			t.Fatalf("%v: code %d: %s", args, code, errOut)
		}
		return out
	}
	mustRun("customers", "add", "--name", "Acme", "--plan", "standard", "--region", "CH-ZH", "--language", "en")
	for i, e := range []string{"a@acme.example", "b@acme.example", "c@acme.example", "d@acme.example"} {
		out := mustRun("contacts", "add", "--customer", "Acme", "--email", e, "--tz", "Europe/Zurich")
		if i == 0 && !strings.Contains(out, "primary") {
			t.Errorf("first contact should become primary: %q", out)
		}
	}
	_, errOut, code := run(t, nil, "contacts", "add", "--customer", "Acme", "--email", "e@acme.example", "--config", p)
	if code != 1 || !strings.Contains(errOut, "allows 4 technical contacts") || !strings.Contains(errOut, "d@acme.example") {
		t.Fatalf("fifth contact: code %d, %q", code, errOut)
	}
	csv := filepath.Join(dir, "contacts.csv")
	os.WriteFile(csv, []byte("customer,email,name,tz,language,primary\nAcme,x@acme.example,X,Europe/Zurich,en,false\nNobody,y@n.example,Y,Mars/Base,en,false\n"), 0o600)
	_, errOut, code = run(t, nil, "contacts", "import", csv, "--config", p)
	if code != 1 || !strings.Contains(errOut, "line 2") || !strings.Contains(errOut, "line 3") {
		t.Fatalf("import: code %d, %q", code, errOut)
	}
	out := mustRun("contacts", "list", "--json")
	var contacts []map[string]any
	json.Unmarshal([]byte(out), &contacts)
	if len(contacts) != 4 {
		t.Fatalf("a failed import must write nothing: %d contacts", len(contacts))
	}
}

func TestTicketsList_jsonFieldsPresentOnEmptyAndUsage(t *testing.T) {
	p := writeConfig(t, t.TempDir(), "")
	out, errOut, code := run(t, nil, "tickets", "list", "--json", "--config", p)
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("code %d out %q err %q", code, out, errOut)
	}
	_, errOut, code = run(t, nil, "tickets", "show", "--config", p)
	if code != 2 || !strings.Contains(errOut, "usage:") {
		t.Fatalf("show without number: code %d, %q", code, errOut)
	}
	_, _, code = run(t, nil, "nonsense")
	if code != 2 {
		t.Fatalf("unknown command: code %d", code)
	}
}

func TestTemplatesCheck_typoNamedWithFileAndLine(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ack.de.txt.tmpl"), []byte("Guten Tag,\n\nTicket {{.Ticket.Numbr}}\n"), 0o600)
	out, _, code := run(t, map[string]string{"TICKETD_CONFIG": filepath.Join(dir, "none.toml")}, "templates", "check", dir)
	if code != 1 || !strings.Contains(out, "ack.de.txt.tmpl:3:") || !strings.Contains(out, ".Ticket.Numbr") {
		t.Fatalf("code %d, %q", code, out)
	}
	out, _, code = run(t, map[string]string{"TICKETD_CONFIG": filepath.Join(dir, "none.toml")}, "templates", "preview", "ack", "--lang", "fr")
	if code != 0 || !strings.Contains(out, "Subject: [Ticket#") || !strings.Contains(out, "Bonjour") {
		t.Fatalf("preview: code %d, %q", code, out)
	}
}

func TestClassify_jsonWithoutConfigReportsUncheckedSender(t *testing.T) {
	env := map[string]string{"TICKETD_CONFIG": filepath.Join(t.TempDir(), "none.toml")}
	bad := filepath.Join(t.TempDir(), "missing.eml")
	out, _, code := run(t, env, "classify", "--json", "../../testdata/demo/01-acme-checkout-down.eml", "../../testdata/demo/02-globex-api-key.eml", bad)
	if code != 1 {
		t.Fatalf("a missing file should make the exit code 1, got %d", code)
	}
	var got []struct {
		File   string `json:"file"`
		Level  string `json:"level"`
		Error  string `json:"error"`
		Sender struct {
			Outcome string `json:"outcome"`
		} `json:"sender"`
		Reasons []string `json:"reasons"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(got) != 3 || got[0].Level != "P0" || got[1].Level != "P4" || got[0].Sender.Outcome != "unchecked" || len(got[0].Reasons) == 0 {
		t.Fatalf("classify: %+v", got)
	}
	if got[2].Error == "" {
		t.Fatalf("missing file must yield an error entry: %+v", got[2])
	}
}

func TestFlagsMayFollowPositionalArguments(t *testing.T) {
	f := (&Main{Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }}).newFlags("x")
	j := f.Bool("json", false, "")
	pos, err := f.parse([]string{"show", "42", "--json", "--config", "a.toml", "--", "--literal"})
	if err != nil {
		t.Fatal(err)
	}
	if !*j || *f.config != "a.toml" || strings.Join(pos, " ") != "show 42 --literal" {
		t.Fatalf("json %v config %q pos %q", *j, *f.config, pos)
	}
}

// markNewer records a schema version this binary does not know.
func markNewer(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', '')`); err != nil {
		t.Fatal(err)
	}
}

func TestGlobalFlagsBeforeTheCommand(t *testing.T) {
	dir := t.TempDir()
	p := writeConfig(t, dir, "")
	for _, args := range [][]string{
		{"--config", p, "tickets", "list"},
		{"--config=" + p, "tickets", "list", "--json"},
		{"-config", p, "customers", "list"},
	} {
		out, errOut, code := run(t, nil, args...)
		if code != 0 {
			t.Errorf("ticketd %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	if got := globalFlagsAfterCommand([]string{"--config", "F", "classify", "x.eml", "--", "-odd.eml"}); strings.Join(got, " ") != "classify x.eml --config F -- -odd.eml" {
		t.Errorf("flags moved to %q", got)
	}
}

func TestHumanOutputNeutralisesTerminalControls(t *testing.T) {
	hostile := "Invoice\x1b[2J\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07\x1b]52;c;cm0gLXJmIH4=\x07 \u009b31m\u202egnp.exe\r\nnext\roverwrite"
	var out bytes.Buffer
	w := newTerminalWriter(&out)
	// Split in the middle of the two-byte C1 character, as a buffered
	// writer might.
	b := []byte(hostile)
	split := bytes.Index(b, []byte("\u009b")) + 1
	w.Write(b[:split])
	w.Write(b[split:])
	got := out.String()
	for _, bad := range []string{"\x1b", "\x07", "\u009b", "\u202e", "\roverwrite"} {
		if strings.Contains(got, bad) {
			t.Errorf("output still carries %q: %q", bad, got)
		}
	}
	for _, shown := range []string{"^[[2J", "^[]52;c;", "^G", "<U+009B>31m", "<U+202E>gnp.exe", "\nnext^Moverwrite"} {
		if !strings.Contains(got, shown) {
			t.Errorf("output lacks the visible form %q: %q", shown, got)
		}
	}
	var js bytes.Buffer
	writeJSON(&js, map[string]string{"subject": hostile})
	if strings.ContainsAny(js.String(), "\x1b\u009b\u202e") {
		t.Errorf("JSON carries raw controls: %q", js.String())
	}
	var back map[string]string
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back["subject"] != hostile {
		t.Errorf("JSON does not round-trip: %v %q", err, back["subject"])
	}
}

func TestTicketsShow_hostileBodyReachesTheTerminalNeutralised(t *testing.T) {
	dir := t.TempDir()
	p := writeConfig(t, dir, "")
	run(t, nil, "customers", "add", "--name", "Acme", "--plan", "standard", "--config", p) // creates the database
	db, err := store.Open(context.Background(), filepath.Join(dir, "ticketd.db"), testclock.Fake(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hostile := "Hello\x1b[2J\x1b]8;;https://evil.example/\x07click here\x1b]8;;\x07 and \x1b]52;c;cm0gLXJmIH4=\x07\u009b31m done"
	err = db.Update(context.Background(), func(tx *store.Tx) error {
		tk := ticket.Ticket{Subject: "Export\x1b[31m", Status: ticket.StatusNew, Requester: "ops@acme.example", Level: ticket.P3}
		if err := tx.CreateTicket(&tk); err != nil {
			return err
		}
		return tx.AddMessage(&store.Message{TicketID: tk.ID, Direction: store.Inbound, Kind: "customer", MessageID: "h@acme.example",
			FromAddr: "ops@acme.example", FromName: "Ops\x1b]0;pwned\x07", Subject: "Export", Body: hostile, NewText: hostile})
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"tickets", "show", "1"}, {"tickets", "list"}, {"tickets", "show", "1", "--json"}} {
		out, errOut, code := run(t, nil, append(args, "--config", p)...)
		if code != 0 {
			t.Fatalf("%v: exit %d %s", args, code, errOut)
		}
		if strings.ContainsAny(out, "\x1b\x07\u009b") {
			t.Errorf("%v printed terminal controls raw:\n%q", args, out)
		}
	}
	out, _, _ := run(t, nil, "tickets", "show", "1", "--config", p)
	if !strings.Contains(out, "^[]52;c;") {
		t.Errorf("tickets show does not show the neutralised sequence:\n%s", out)
	}
}

func TestClassify_hostileSubjectReachesTheTerminalNeutralised(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hostile.eml")
	os.WriteFile(p, []byte("From: a@b.example\r\nTo: support@example.com\r\nSubject: =?utf-8?q?Hi=1B]52;c;cm0gLXJmIH4=3D=07_there?=\r\nMessage-ID: <h@b.example>\r\n\r\nThe shop is down.\x1b[2J\r\n"), 0o600)
	out, errOut, code := run(t, nil, "classify", p)
	if code != 0 {
		t.Fatalf("classify: exit %d %s", code, errOut)
	}
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Fatalf("classify printed terminal controls raw:\n%q", out)
	}
}

func TestCheckConfig_warnsAsANewAdminNeedsIt(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		extra string
		setup func(t *testing.T)
		want  string
	}{
		{"trust_switches_on_dmarc", "[verify]\ntrusted_authserv_ids = [\"mx.example.com\"]\n", nil, "EVERY contact's and engineer's mail is quarantined"},
		{"http_on_all_interfaces", "[http]\nlisten = \"0.0.0.0:8025\"\n", nil, "have no authentication"},
		{"readable_database", "", func(t *testing.T) {
			os.WriteFile(filepath.Join(dir, "ticketd.db"), nil, 0o644)
			os.Chmod(filepath.Join(dir, "ticketd.db"), 0o644)
		}, "is readable by others (mode -rw-r--r--)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup(t)
			}
			p := writeConfig(t, dir, tc.extra)
			out, errOut, code := run(t, nil, "check-config", "--config", p)
			if code != 0 || !strings.Contains(out, "warning: ") || !strings.Contains(out, tc.want) {
				t.Fatalf("check-config (exit %d) does not warn %q:\n%s%s", code, tc.want, out, errOut)
			}
		})
	}
	// Plain IMAP with a password to another host.
	p := writeConfig(t, t.TempDir(), "")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(b), "127.0.0.1:1143", "imap.example.com:143", 1)), 0o600)
	out, _, _ := run(t, nil, "check-config", "--config", p)
	if !strings.Contains(out, `imap.security = "none" with a password`) {
		t.Errorf("no warning about a clear-text IMAP password:\n%s", out)
	}
}

func TestSubcommandVerbsTakeOnlyTheirOwnFlags(t *testing.T) {
	p := writeConfig(t, t.TempDir(), "")
	for _, args := range [][]string{
		{"customers", "list", "--plan", "premium"},
		{"customers", "rm", "Acme", "--json"},
		{"contacts", "export", "--customer", "Acme"},
		{"quarantine", "drop", "1", "--all"},
		{"templates", "export", t.TempDir(), "--ticket", "1"},
	} {
		_, errOut, code := run(t, nil, append(args, "--config", p)...)
		if code != 2 || !strings.Contains(errOut, "flag provided but not defined") {
			t.Errorf("ticketd %s: exit %d, want a usage error\n%s", strings.Join(args, " "), code, errOut)
		}
	}
	if out, errOut, code := run(t, nil, "customers", "list", "--json", "--config", p); code != 0 || !strings.Contains(out, "[]") {
		t.Errorf("customers list --json: exit %d %s %s", code, out, errOut)
	}
}
