package config

import (
	"strings"
	"testing"
	"time"
)

const minimalConfig = `
[imap]
address = "imap.example.com:993"
username = "support@example.com"
password = "x"
[smtp]
address = "smtp.example.com:587"
[support]
address = "support@example.com"
`

func TestConfig_requireAuthDefaultsToDMARCOnlyWithATrustedServer(t *testing.T) {
	c, err := Parse("t.toml", []byte(minimalConfig))
	if err != nil {
		t.Fatal(err)
	}
	mustf(t, c.Verify.RequireAuth == "off", "no trusted server: require_auth %q, want off", c.Verify.RequireAuth)
	warned := strings.Join(c.Warnings, "\n")
	mustf(t, strings.Contains(warned, "trusted_authserv_ids is empty"), "check-config should warn: %s", warned)
	c, err = Parse("t.toml", []byte(minimalConfig+"[verify]\ntrusted_authserv_ids = [\"mx.example.com\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	mustf(t, c.Verify.RequireAuth == "dmarc", "trusted server: require_auth %q, want dmarc", c.Verify.RequireAuth)
}

func TestConfig_errorsNameFileKeyAndReason(t *testing.T) {
	for _, c := range []struct{ extra, want string }{
		{"[imap2]\nx = 1\n", "t.toml: imap2: unknown key"},
		{"[log]\nformat = \"xml\"\n", `t.toml: log.format: "xml" is not one of text, json`},
		{"[[routing]]\nlevels = [\"P7\"]\nto = [\"a@b.example\"]\n", "t.toml: routing[0].levels[0]: unknown level"},
		{"[reminders]\nat = [\"150%\"]\n", "t.toml: reminders.at[0]"},
		{"[plans.gold]\nmax_contacts = 2\n", "t.toml: plans:"},
		{"[imap]\npoll_interval = \"soon\"\n", "t.toml"},
	} {
		_, err := Parse("t.toml", []byte(minimalConfig+c.extra))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want it to contain %q", c.extra, err, c.want)
		}
	}
}

func TestConfig_validateIsIdempotentAndIMAPRulesAreIntakes(t *testing.T) {
	c, err := Parse("t.toml", []byte(minimalConfig))
	if err != nil {
		t.Fatal(err)
	}
	n := len(c.Warnings)
	if err := c.Validate(); err != nil || len(c.Warnings) != n {
		t.Fatalf("validating again: %v, %d warnings (was %d)", err, len(c.Warnings), n)
	}
	_, err = Parse("t.toml", []byte(strings.Replace(minimalConfig, "[imap]\n", "[imap]\nprocessed = \"move\"\nmove_to = \"INBOX\"\n", 1)))
	if err == nil || !strings.Contains(err.Error(), "t.toml: imap.move_to: \"INBOX\" is the mailbox being read") {
		t.Fatalf("intake's rule not reported under its key: %v", err)
	}
}

func TestAlertFold_offWithZeroWindow(t *testing.T) {
	cfg, err := Parse("t.toml", []byte(minimalConfig+"[limits]\nalert_fold_window = \"0s\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	mustf(t, cfg.Limits.AlertFoldWindow.Duration < 0, "alert_fold_window = \"0s\" did not turn folding off: %v", cfg.Limits.AlertFoldWindow)
	cfg, _ = Parse("t.toml", []byte(minimalConfig))
	mustf(t, cfg.Limits.AlertFoldWindow.Duration == 5*time.Minute, "default fold window %v", cfg.Limits.AlertFoldWindow)
}

func mustf(t *testing.T, cond bool, format string, args ...any) {
	t.Helper()
	if !cond {
		t.Fatalf(format, args...)
	}
}

func TestConfig_inboxesInheritIMAPAndAreChecked(t *testing.T) {
	ok := minimalConfig + `
[[inboxes]]
name = "security"
address = "security@example.com"
[inboxes.imap]
username = "security@example.com"
[[routing]]
levels = ["P0"]
to = ["pikett@example.com"]
when = "outside"
calendar = "office"
[digest]
weekly = "mon 08:00"
`
	c, err := Parse("t.toml", []byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	all := c.AllInboxes()
	mustf(t, len(all) == 2 && all[0].Name == DefaultInbox && all[1].IMAP.Address == "imap.example.com:993" &&
		all[1].IMAP.Username == "security@example.com" && all[1].IMAP.Secret.Password == "x", "inboxes: %+v", all)
	for _, tc := range []struct{ extra, want string }{
		{"[[inboxes]]\nname = \"default\"\naddress = \"x@example.com\"\n[inboxes.imap]\nusername = \"x@example.com\"\n", "inboxes[0].name: \"default\" is already the default inbox"},
		{"[[inboxes]]\nname = \"sec\"\naddress = \"support@example.com\"\n[inboxes.imap]\nusername = \"x@example.com\"\n", "inboxes[0].address: support@example.com is already support.address"},
		{"[[inboxes]]\nname = \"sec\"\naddress = \"sec@example.com\"\n", "inboxes[0].imap: reads the same mailbox as imap"},
		{"[[inboxes]]\nname = \"sec\"\naddress = \"sec@example.com\"\nplan = \"nope\"\n[inboxes.imap]\nusername = \"sec@example.com\"\n", "inboxes[0].plan"},
		{"[[routing]]\nlevels = [\"P0\"]\nto = [\"a@example.com\"]\nwhen = \"outside\"\n", "routing[0].calendar: required"},
		{"[[routing]]\nlevels = [\"P0\"]\nto = [\"a@example.com\"]\nwhen = \"outside\"\ncalendar = \"moon\"\n", "routing[0].calendar: unknown calendar \"moon\""},
		{"[digest]\nweekly = \"monday morning\"\n", "digest.weekly"},
	} {
		_, err := Parse("t.toml", []byte(minimalConfig+tc.extra))
		mustf(t, err != nil && strings.Contains(err.Error(), tc.want), "%q: %v, want %q", tc.extra, err, tc.want)
	}
}
