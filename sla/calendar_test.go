package sla

import (
	"strings"
	"testing"
	"time"
)

func TestParseCalendar(t *testing.T) {
	t.Run("lunch_break_day_length_is_8h", func(t *testing.T) {
		c, err := ParseCalendar("lunch", CalendarConfig{Hours: map[string][]string{
			"mon": {"13:00-17:00", "08:00-12:00"}, "tue": {"08:00-12:00", "13:00-17:00"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if c.DayLength() != 8*time.Hour {
			t.Errorf("DayLength = %s, want 8h", c.DayLength())
		}
		if got, want := c.Hours(), "Mon–Tue 08:00–12:00, 13:00–17:00"; got != want {
			t.Errorf("Hours = %q, want %q", got, want)
		}
	})
	t.Run("day_length_is_the_most_common_day_not_the_longest", func(t *testing.T) {
		c, err := ParseCalendar("late-thursday", CalendarConfig{Hours: map[string][]string{
			"mon": {"08:30-17:30"}, "tue": {"08:30-17:30"}, "wed": {"08:30-17:30"},
			"thu": {"08:30-20:00"}, "fri": {"08:30-17:30"}, "sat": {"09:00-12:00"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if c.DayLength() != 9*time.Hour {
			t.Errorf("DayLength = %s, want 9h", c.DayLength())
		}
		if got, want := c.Hours(), "Mon–Wed 08:30–17:30; Thu 08:30–20:00; Fri 08:30–17:30; Sat 09:00–12:00"; got != want {
			t.Errorf("Hours = %q, want %q", got, want)
		}
	})
	t.Run("day_length_tie_goes_to_the_longer", func(t *testing.T) {
		c, err := ParseCalendar("split", CalendarConfig{Hours: map[string][]string{
			"mon": {"08:00-16:00"}, "tue": {"08:00-17:00"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if c.DayLength() != 9*time.Hour {
			t.Errorf("DayLength = %s, want 9h", c.DayLength())
		}
	})
	t.Run("adjacent_intervals_merge_and_24h_allowed", func(t *testing.T) {
		c, err := ParseCalendar("night", CalendarConfig{Hours: map[string][]string{
			"mon": {"00:00-12:00", "12:00-24:00"},
		}, Closed: []string{"2026-12-31", "2026-01-01"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Hours(); got != "Mon 00:00–24:00" {
			t.Errorf("Hours = %q", got)
		}
		if got := strings.Join(c.ClosedDates(), ","); got != "2026-01-01,2026-12-31" {
			t.Errorf("ClosedDates = %s", got)
		}
	})
	for _, tt := range []struct {
		name string
		cfg  CalendarConfig
		want string
	}{
		{"bad_minutes_named_by_key_path", CalendarConfig{Hours: map[string][]string{"mon": {"08:30-17:30", "8:30-17:70"}}},
			`calendars.office.hours.mon[1]: "8:30-17:70" is not HH:MM-HH:MM`},
		{"closing_before_opening", CalendarConfig{Hours: map[string][]string{"tue": {"17:00-08:00"}}},
			`calendars.office.hours.tue[0]: "17:00-08:00" closes before it opens`},
		{"overlap", CalendarConfig{Hours: map[string][]string{"wed": {"08:00-12:00", "11:00-13:00"}}},
			`calendars.office.hours.wed: 11:00–13:00 overlaps 08:00–12:00`},
		{"unknown_day", CalendarConfig{Hours: map[string][]string{"monday": {"08:00-12:00"}}},
			`calendars.office.hours.monday: unknown day`},
		{"bad_closed_date", CalendarConfig{Hours: map[string][]string{"mon": {"08:00-12:00"}}, Closed: []string{"31.12.2026"}},
			`calendars.office.closed[0]: "31.12.2026" is not a date YYYY-MM-DD`},
		{"no_hours", CalendarConfig{}, `calendars.office.hours: no opening hours`},
	} {
		t.Run("rejects_"+tt.name, func(t *testing.T) {
			_, err := ParseCalendar("office", tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	t.Run("rejects_redefining_24x7", func(t *testing.T) {
		_, err := ParseCalendar("24x7", CalendarConfig{Hours: map[string][]string{"mon": {"08:00-12:00"}}})
		if err == nil || !strings.Contains(err.Error(), "calendars.24x7") {
			t.Errorf("error = %v", err)
		}
	})
}

func FuzzParseInterval(f *testing.F) {
	for _, s := range []string{"08:30-17:30", "8:30-17:70", "00:00-24:00", "24:00-24:00", "12:00-11:59", "-", "aa:bb-cc:dd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		iv, err := parseInterval(s)
		if err != nil {
			return
		}
		if iv.start < 0 || iv.end > 24*60 || iv.start >= iv.end {
			t.Errorf("parseInterval(%q) = %+v, outside one day", s, iv)
		}
	})
}

func TestRegions(t *testing.T) {
	for _, region := range []string{"", "CH", "ch-zh", "CH-ZH", "DE", "DE-BY", "FR", "GB", "US", "AU", "AU-NSW", "AT", "NL", "IT", "ES", "BE"} {
		if err := ValidRegion(region); err != nil {
			t.Errorf("ValidRegion(%q) = %v", region, err)
		}
	}
	for _, tt := range []struct{ region, want string }{
		{"XX", `unknown region "XX": no holidays known for country "XX"`},
		{"GB-SCT", `unknown region "GB-SCT": no subdivisions of GB are known, use "GB"`},
		{"DE-XX", `unknown region "DE-XX": known subdivisions of DE: BB, BE, BW, BY`},
	} {
		t.Run("rejects_"+tt.region, func(t *testing.T) {
			err := ValidRegion(tt.region)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ValidRegion(%q) = %v, want %q", tt.region, err, tt.want)
			}
		})
	}
	regions := Regions()
	for _, want := range []string{"CH", "CH-ZH", "DE-BY", "AU-NSW", "US"} {
		found := false
		for _, r := range regions {
			found = found || r == want
		}
		if !found {
			t.Errorf("Regions() lacks %s", want)
		}
		if err := ValidRegion(want); err != nil {
			t.Errorf("listed region %s invalid: %v", want, err)
		}
	}
}

func TestHolidaysPerRegion(t *testing.T) {
	tests := []struct {
		name   string
		region string
		date   string
		closed bool
	}{
		{"AU_shares_christmas_across_states", "AU", "2026-12-25", true},
		{"AU_has_no_state_only_day", "AU", "2026-03-09", false}, // Labour Day VIC/TAS only
		{"AU-VIC_labour_day", "AU-VIC", "2026-03-09", true},
		{"GB_boxing_day_saturday_actual_closed", "GB", "2026-12-26", true},
		{"GB_boxing_day_observed_monday", "GB", "2026-12-28", true},
		{"US_new_year_2022_saturday_observed_friday_before", "US", "2021-12-31", true},
		{"CH-ZH_whit_monday", "CH-ZH", "2026-05-25", true},
		{"CH-ZH_no_berchtoldstag_in_cal", "CH-ZH", "2026-01-02", false},
		{"CH_berchtoldstag", "CH", "2026-01-02", true},
		{"no_region_no_holidays", "", "2026-12-25", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := newWalker(Builtin().Calendars["office"], time.UTC, tt.region)
			if err != nil {
				t.Fatal(err)
			}
			d, err := time.Parse(time.DateOnly, tt.date)
			if err != nil {
				t.Fatal(err)
			}
			if got := w.closed(d.Date()); got != tt.closed {
				t.Errorf("closed(%s) in %q = %v, want %v", tt.date, tt.region, got, tt.closed)
			}
		})
	}
}
