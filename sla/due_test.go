package sla

import (
	"strings"
	"testing"
	"time"
)

// testCatalog is the built-in catalog plus a lunch-break calendar and an
// extra closed date on office, as an admin's config would add them.
func testCatalog(t testing.TB) *Catalog {
	t.Helper()
	c, err := NewCatalog(map[string]CalendarConfig{
		"lunch": {Hours: map[string][]string{
			"mon": {"08:00-12:00", "13:00-17:00"}, "tue": {"13:00-17:00", "08:00-12:00"},
			"wed": {"08:00-12:00", "13:00-17:00"}, "thu": {"08:00-12:00", "13:00-17:00"},
			"fri": {"08:00-12:00", "13:00-17:00"},
		}},
		"office-closed": {
			Hours:  Builtin().Calendars["office"].config().Hours,
			Closed: []string{"2026-12-31"},
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustLocal(t testing.TB, s string, loc *time.Location) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDue(t *testing.T) {
	cat := testCatalog(t)
	tests := []struct {
		name     string
		calendar string
		region   string
		tz       string
		start    string // local time in tz
		target   string
		want     string // local time in tz
		wantUTC  string // optional: the same instant in UTC, to pin DST offsets
	}{
		// Built-in standard plan on office (Mon–Fri 08:30–17:30, 1bd = 9h).
		{"standard_P3_friday_16h_due_monday_16h", "office", "", "Europe/Zurich", "2026-03-13 16:00", "1bd", "2026-03-16 16:00", ""},
		{"standard_P3_saturday_due_monday_17h30", "office", "", "Europe/Zurich", "2026-03-14 10:00", "1bd", "2026-03-16 17:30", ""},
		{"standard_P3_sunday_night_due_monday_17h30", "office", "", "Europe/Zurich", "2026-03-15 23:59", "1bd", "2026-03-16 17:30", ""},
		{"standard_P0_before_opening_starts_at_0830", "office", "", "Europe/Zurich", "2026-03-10 07:00", "1h", "2026-03-10 09:30", ""},
		{"standard_P0_exactly_at_opening", "office", "", "Europe/Zurich", "2026-03-10 08:30", "1h", "2026-03-10 09:30", ""},
		{"standard_P0_exactly_at_closing_starts_next_morning", "office", "", "Europe/Zurich", "2026-03-10 17:30", "1h", "2026-03-11 09:30", ""},
		{"standard_P0_one_minute_before_closing_carries_59m", "office", "", "Europe/Zurich", "2026-03-10 17:29", "1h", "2026-03-11 09:29", ""},
		{"standard_P0_due_exactly_at_closing", "office", "", "Europe/Zurich", "2026-03-10 16:30", "1h", "2026-03-10 17:30", ""},
		{"standard_P2_4h_spills_into_next_morning", "office", "", "Europe/Zurich", "2026-03-10 15:00", "4h", "2026-03-11 10:00", ""},
		{"standard_P4_2bd_wednesday_due_friday", "office", "", "Europe/Zurich", "2026-03-11 10:00", "2bd", "2026-03-13 10:00", ""},
		{"standard_P4_2bd_thursday_due_monday", "office", "", "Europe/Zurich", "2026-03-12 10:00", "2bd", "2026-03-16 10:00", ""},
		{"business_2h_friday_afternoon_due_monday_9h", "business", "", "Europe/Zurich", "2026-03-13 16:00", "2h", "2026-03-16 09:00", ""},
		{"business_8h_monday_7h_due_monday_16h", "business", "", "Europe/Zurich", "2026-03-16 07:00", "8h", "2026-03-16 16:00", ""},

		// Lunch break: 08:00–12:00, 13:00–17:00, so 1bd = 8h.
		{"lunch_2h_before_noon_resumes_after_lunch", "lunch", "", "Europe/Zurich", "2026-03-10 11:00", "2h", "2026-03-10 14:00", ""},
		{"lunch_received_during_break_starts_at_13h", "lunch", "", "Europe/Zurich", "2026-03-10 12:30", "1h", "2026-03-10 14:00", ""},
		{"lunch_received_exactly_at_noon_is_outside", "lunch", "", "Europe/Zurich", "2026-03-10 12:00", "30m", "2026-03-10 13:30", ""},
		{"lunch_due_exactly_at_break_start", "lunch", "", "Europe/Zurich", "2026-03-10 11:00", "1h", "2026-03-10 12:00", ""},
		{"lunch_1bd_is_8h", "lunch", "", "Europe/Zurich", "2026-03-10 10:00", "1bd", "2026-03-11 10:00", ""},

		// Holidays.
		{"CH-ZH_good_friday_and_easter_monday_closed", "office", "CH-ZH", "Europe/Zurich", "2026-04-02 16:00", "1bd", "2026-04-07 16:00", ""},
		{"no_region_good_friday_open", "office", "", "Europe/Zurich", "2026-04-02 16:00", "1bd", "2026-04-03 16:00", ""},
		{"CH_neujahr_and_berchtoldstag_closed", "office", "CH", "Europe/Zurich", "2025-12-31 16:00", "1bd", "2026-01-05 16:00", ""},
		// cal's Zurich list has no Berchtoldstag (it is customary, not statutory).
		{"CH-ZH_berchtoldstag_open_as_cal_lists_it", "office", "CH-ZH", "Europe/Zurich", "2025-12-31 16:00", "1bd", "2026-01-02 16:00", ""},
		{"CH-ZH_ascension_thursday_closed", "office", "CH-ZH", "Europe/Zurich", "2026-05-13 16:00", "1bd", "2026-05-15 16:00", ""},
		{"DE-BY_epiphany_closed", "office", "DE-BY", "Europe/Berlin", "2026-01-05 16:00", "1bd", "2026-01-07 16:00", ""},
		{"DE_epiphany_open_nationally", "office", "DE", "Europe/Berlin", "2026-01-05 16:00", "1bd", "2026-01-06 16:00", ""},
		// 2026: Christmas Friday, Boxing Day Saturday observed Monday 28th.
		{"GB_boxing_day_on_saturday_observed_monday", "office", "GB", "Europe/London", "2026-12-24 16:00", "1bd", "2026-12-29 16:00", ""},
		// 2027: Christmas Saturday → Monday 27th, Boxing Day Sunday → Tuesday 28th.
		{"GB_christmas_and_boxing_day_on_weekend_observed_mon_tue", "office", "GB", "Europe/London", "2027-12-24 16:00", "1bd", "2027-12-29 16:00", ""},
		{"GB_easter_monday_closed", "office", "GB", "Europe/London", "2026-04-02 17:00", "1h", "2026-04-07 09:00", ""},
		{"office_config_closed_date_skipped", "office-closed", "", "Europe/Zurich", "2026-12-30 16:00", "1bd", "2027-01-01 16:00", ""},
		{"office_config_closed_date_and_CH_new_year", "office-closed", "CH", "Europe/Zurich", "2026-12-30 16:00", "1bd", "2027-01-04 16:00", ""},

		// DST: hours stay local, elapsed real time differs.
		{"zurich_friday_before_dst_start_due_monday_16h_cest", "office", "CH-ZH", "Europe/Zurich", "2026-03-27 16:00", "1bd", "2026-03-30 16:00", "2026-03-30 14:00"},
		{"zurich_friday_before_dst_end_due_monday_16h_cet", "office", "CH-ZH", "Europe/Zurich", "2026-10-23 16:00", "1bd", "2026-10-26 16:00", "2026-10-26 15:00"},
		{"zurich_monday_after_dst_start_opens_0830_cest", "office", "CH-ZH", "Europe/Zurich", "2026-03-29 12:00", "1h", "2026-03-30 09:30", "2026-03-30 07:30"},
		{"new_york_friday_before_dst_start", "office", "US", "America/New_York", "2026-03-06 16:00", "1bd", "2026-03-09 16:00", "2026-03-09 20:00"},
		{"24x7_counts_real_time_across_dst_gap", "24x7", "CH-ZH", "Europe/Zurich", "2026-03-29 01:30", "2h", "2026-03-29 04:30", "2026-03-29 02:30"},
		{"24x7_ignores_holidays", "24x7", "CH-ZH", "Europe/Zurich", "2026-12-25 10:00", "1bd", "2026-12-26 10:00", ""},

		// Zones far from UTC.
		{"sydney_australia_day_closed", "office", "AU-NSW", "Australia/Sydney", "2026-01-26 10:00", "2h", "2026-01-27 10:30", "2026-01-26 23:30"},
		{"sydney_no_region_open_on_australia_day", "office", "", "Australia/Sydney", "2026-01-26 10:00", "2h", "2026-01-26 12:00", "2026-01-26 01:00"},
		{"new_york_independence_day_observed_friday", "office", "US", "America/New_York", "2026-07-02 17:00", "4h", "2026-07-06 12:00", "2026-07-06 16:00"},

		// Premium P0 runs round the clock.
		{"premium_P0_sunday_0300_due_0330", "24x7", "CH-ZH", "Europe/Zurich", "2026-03-15 03:00", "30m", "2026-03-15 03:30", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustZone(t, tt.tz)
			cal := cat.Calendars[tt.calendar]
			if cal == nil {
				t.Fatalf("no calendar %q", tt.calendar)
			}
			target, err := ParseTarget(tt.target)
			if err != nil {
				t.Fatal(err)
			}
			start := mustLocal(t, tt.start, loc)
			got, err := Due(start, target.Business(cal), cal, loc, tt.region)
			if err != nil {
				t.Fatal(err)
			}
			if want := mustLocal(t, tt.want, loc); !got.Equal(want) {
				t.Errorf("Due(%s, %s on %s, %s) = %s, want %s", tt.start, tt.target, tt.calendar, tt.region,
					got.Format("Mon 2006-01-02 15:04 MST"), want.Format("Mon 2006-01-02 15:04 MST"))
			}
			if tt.wantUTC != "" {
				if want := mustLocal(t, tt.wantUTC, time.UTC); !got.Equal(want) {
					t.Errorf("Due in UTC = %s, want %s", got.UTC().Format("2006-01-02 15:04"), tt.wantUTC)
				}
			}
			if got.Location() != loc {
				t.Errorf("Due returned zone %s, want %s", got.Location(), loc)
			}
			// Received in another zone, the same instant must give the same due time.
			if again, err := Due(start.UTC(), target.Business(cal), cal, loc, tt.region); err != nil || !again.Equal(got) {
				t.Errorf("Due from the UTC instant = %v, %v; want %v", again, err, got)
			}
		})
	}
}

func TestDueZeroAndErrors(t *testing.T) {
	office := Builtin().Calendars["office"]
	sat := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	t.Run("zero_business_returns_start_even_when_closed", func(t *testing.T) {
		got, err := Due(sat, 0, office, nil, "")
		if err != nil || !got.Equal(sat) {
			t.Errorf("Due(sat, 0) = %v, %v; want %v", got, err, sat)
		}
	})
	t.Run("nil_location_means_UTC", func(t *testing.T) {
		got, err := Due(time.Date(2026, 3, 13, 16, 0, 0, 0, time.UTC), 9*time.Hour, office, nil, "")
		if want := time.Date(2026, 3, 16, 16, 0, 0, 0, time.UTC); err != nil || !got.Equal(want) {
			t.Errorf("got %v, %v; want %v", got, err, want)
		}
	})
	for _, tt := range []struct {
		name     string
		business time.Duration
		cal      *Calendar
		region   string
		want     string
	}{
		{"negative_business_time", -time.Minute, office, "", "negative business time"},
		{"nil_calendar", time.Hour, nil, "", "no calendar"},
		{"unknown_country_named", time.Hour, office, "XX", `unknown region "XX"`},
		{"unknown_subdivision_named", time.Hour, office, "CH-XX", `unknown region "CH-XX"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Due(sat, tt.business, tt.cal, nil, tt.region)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Due error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestBusinessTime(t *testing.T) {
	cat := testCatalog(t)
	zrh := mustZone(t, "Europe/Zurich")
	tests := []struct {
		name     string
		calendar string
		region   string
		from, to string
		want     time.Duration
	}{
		{"same_day_inside_hours", "office", "", "2026-03-10 09:00", "2026-03-10 11:30", 150 * time.Minute},
		{"friday_16h_to_monday_16h_is_one_business_day", "office", "", "2026-03-13 16:00", "2026-03-16 16:00", 9 * time.Hour},
		{"weekend_only_is_zero", "office", "", "2026-03-14 00:00", "2026-03-16 08:30", 0},
		{"to_before_from_is_zero", "office", "", "2026-03-10 11:00", "2026-03-10 10:00", 0},
		{"lunch_break_not_counted", "lunch", "", "2026-03-10 11:00", "2026-03-10 14:00", 2 * time.Hour},
		{"easter_weekend_CH-ZH", "office", "CH-ZH", "2026-04-02 08:30", "2026-04-07 17:30", 18 * time.Hour},
		{"24x7_over_dst_start_is_real_time", "24x7", "", "2026-03-28 12:00", "2026-03-29 12:00", 23 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BusinessTime(mustLocal(t, tt.from, zrh), mustLocal(t, tt.to, zrh), cat.Calendars[tt.calendar], zrh, tt.region)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("BusinessTime = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	office, err := ParseCalendar("office", CalendarConfig{Hours: map[string][]string{
		"mon": {"08:30-12:00", "13:00-17:30"}, "tue": {"08:30-17:30"}, "wed": {"08:30-17:30"}, "thu": {"08:30-17:30"}, "fri": {"08:30-17:30"}}})
	if err != nil {
		t.Fatal(err)
	}
	zurich, _ := time.LoadLocation("Europe/Zurich")
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, zurich)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		at   string
		want bool
	}{
		{"2026-11-23 08:29", false}, {"2026-11-23 08:30", true}, {"2026-11-23 12:30", false}, {"2026-11-23 13:00", true},
		{"2026-11-23 17:30", false}, {"2026-11-28 10:00", false}, // Saturday
		{"2026-12-25 10:00", false}, // Christmas in CH-ZH
		{"2026-12-28 10:00", true},
	} {
		got, err := Open(at(tc.at), office, zurich, "CH-ZH")
		if err != nil || got != tc.want {
			t.Errorf("Open(%s) = %v, %v; want %v", tc.at, got, err, tc.want)
		}
	}
	if ok, _ := Open(at("2026-11-28 03:00"), AlwaysOpen(), zurich, ""); !ok {
		t.Error("24x7 is not open at night")
	}
}
