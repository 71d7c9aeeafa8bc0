package sla

import (
	"strings"
	"testing"
	"time"
)

func TestParseTarget(t *testing.T) {
	office := Builtin().Calendars["office"]
	tests := []struct {
		name      string
		in        string
		canonical string
		business  time.Duration // on office
	}{
		{"minutes", "30m", "30m", 30 * time.Minute},
		{"hours", "4h", "4h", 4 * time.Hour},
		{"hours_and_minutes", "1h30m", "1h30m", 90 * time.Minute},
		{"minutes_over_an_hour_canonicalised", "90m", "1h30m", 90 * time.Minute},
		{"one_business_day_is_9h_on_office", "1bd", "1bd", 9 * time.Hour},
		{"two_business_days_is_18h_on_office", "2bd", "2bd", 18 * time.Hour},
		{"surrounding_space_ignored", " 2h ", "2h", 2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTarget(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.canonical {
				t.Errorf("String() = %q, want %q", got.String(), tt.canonical)
			}
			if b := got.Business(office); b != tt.business {
				t.Errorf("Business(office) = %s, want %s", b, tt.business)
			}
			again, err := ParseTarget(got.String())
			if err != nil || again != got {
				t.Errorf("ParseTarget(String()) = %v, %v; want %v", again, err, got)
			}
		})
	}
	for _, tt := range []struct{ name, in, want string }{
		{"empty", "", "neither a duration"},
		{"zero", "0m", "must be positive"},
		{"negative", "-1h", "must be positive"},
		{"seconds", "90s", "whole minutes"},
		{"days_are_ambiguous", "1d", "neither a duration"},
		{"zero_business_days", "0bd", "business days must be"},
		{"fractional_business_days", "1.5bd", "business days must be"},
		{"too_long", "9000h", "exceeds"},
		{"none_is_only_for_config", "none", "neither a duration"},
	} {
		t.Run("rejects_"+tt.name, func(t *testing.T) {
			_, err := ParseTarget(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseTarget(%q) error = %v, want it to contain %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestTargetBusinessOn24x7IsWholeDays(t *testing.T) {
	bd, _ := ParseTarget("1bd")
	if got := bd.Business(AlwaysOpen()); got != 24*time.Hour {
		t.Errorf("1bd on 24x7 = %s, want 24h", got)
	}
}

func TestTargetTextRoundTrip(t *testing.T) {
	var tg Target
	if err := tg.UnmarshalText([]byte("2bd")); err != nil {
		t.Fatal(err)
	}
	if b, _ := tg.MarshalText(); string(b) != "2bd" {
		t.Errorf("MarshalText = %q, want 2bd", b)
	}
	if err := tg.UnmarshalText([]byte("soon")); err == nil {
		t.Error("UnmarshalText(soon) succeeded")
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"30m", "4h", "1h30m", "1bd", "2bd", "90s", "-1h", "1.5bd", "none", "+1bd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			return
		}
		again, err := ParseTarget(tg.String())
		if err != nil || again != tg {
			t.Errorf("ParseTarget(%q).String() = %q does not round-trip: %v, %v", s, tg.String(), again, err)
		}
		if tg.Business(nil) <= 0 {
			t.Errorf("ParseTarget(%q) accepted a non-positive target", s)
		}
	})
}
