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
