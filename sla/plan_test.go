package sla

import (
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"ticketd/ticket"
)

// TestBuiltin pins the built-in table of the issue (and of doc.go).
func TestBuiltin(t *testing.T) {
	type row struct {
		first, calendar string
	}
	want := map[string]struct {
		max    int
		levels [5]row
	}{
		"standard":    {4, [5]row{{"1h", "office"}, {"2h", "office"}, {"4h", "office"}, {"1bd", "office"}, {"2bd", "office"}}},
		"premium":     {8, [5]row{{"30m", "24x7"}, {"1h", "24x7"}, {"2h", "24x7"}, {"1bd", "office"}, {"2bd", "office"}}},
		"business-2h": {5, [5]row{{"2h", "business"}, {"2h", "business"}, {"2h", "business"}, {"2h", "business"}, {"2h", "business"}}},
		"business-8h": {5, [5]row{{"8h", "business"}, {"8h", "business"}, {"8h", "business"}, {"8h", "business"}, {"8h", "business"}}},
	}
	cat := Builtin()
	if len(cat.Plans) != len(want) {
		t.Errorf("Builtin has %d plans, want %d", len(cat.Plans), len(want))
	}
	for name, w := range want {
		p, err := cat.Plan(name)
		if err != nil {
			t.Fatal(err)
		}
		if p.MaxContacts != w.max {
			t.Errorf("%s max contacts = %d, want %d", name, p.MaxContacts, w.max)
		}
		for i, lvl := range ticket.Levels {
			lp := p.Levels[lvl]
			if lp.FirstResponse == nil || lp.FirstResponse.String() != w.levels[i].first || lp.Calendar != w.levels[i].calendar {
				t.Errorf("%s %s = %v on %s, want %s on %s", name, lvl, lp.FirstResponse, lp.Calendar, w.levels[i].first, w.levels[i].calendar)
			}
			if lp.Label != defaultLabels[lvl] || lp.Resolution != nil {
				t.Errorf("%s %s label %q resolution %v", name, lvl, lp.Label, lp.Resolution)
			}
		}
	}
	if got := cat.Calendars["office"].Hours(); got != "Mon–Fri 08:30–17:30" {
		t.Errorf("office = %s", got)
	}
	if got := cat.Calendars["business"].Hours(); got != "Mon–Fri 08:00–17:00" {
		t.Errorf("business = %s", got)
	}
	if !cat.Calendars["24x7"].AlwaysOpen() {
		t.Error("24x7 is not always open")
	}
	// Builtin hands out copies: changing one must not change the next.
	cat.Plans["standard"].Levels[ticket.P0] = LevelPolicy{Label: "changed"}
	if Builtin().Plans["standard"].Levels[ticket.P0].Label == "changed" {
		t.Error("Builtin returned shared plan state")
	}
}

func TestNewCatalog(t *testing.T) {
	cat, err := NewCatalog(
		map[string]CalendarConfig{
			"office": {Closed: []string{"2026-12-31"}},
			"night":  {Hours: map[string][]string{"mon": {"18:00-24:00"}}},
		},
		map[string]PlanConfig{
			"standard": {Levels: map[string]LevelConfig{
				"P0": {Label: "Severity 1 – Critical", Resolution: "1bd"},
				"p4": {FirstResponse: "none"},
			}},
			"gold": {MaxContacts: 6, Levels: map[string]LevelConfig{
				"P0": {Label: "Severity 1 – Critical", FirstResponse: "30m", Calendar: "24x7", Resolution: "4h"},
				"P1": {FirstResponse: "2h", Calendar: "office"},
				"P2": {FirstResponse: "1bd", Calendar: "night"},
				"P3": {FirstResponse: "2bd", Calendar: "office"},
				"P4": {FirstResponse: "none"},
			}},
		})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("override_keeps_unspecified_fields_and_levels", func(t *testing.T) {
		p := cat.Plans["standard"]
		p0 := p.Levels[ticket.P0]
		if p0.Label != "Severity 1 – Critical" || p0.FirstResponse.String() != "1h" || p0.Calendar != "office" || p0.Resolution.String() != "1bd" {
			t.Errorf("standard P0 = %+v", p0)
		}
		if p.Levels[ticket.P2].FirstResponse.String() != "4h" || p.MaxContacts != 4 {
			t.Errorf("standard P2 or max contacts changed: %+v", p)
		}
		if p.Levels[ticket.P4].FirstResponse != nil {
			t.Errorf("standard P4 first response = %v, want none", p.Levels[ticket.P4].FirstResponse)
		}
	})
	t.Run("builtin_calendar_gains_closed_date_keeps_hours", func(t *testing.T) {
		c := cat.Calendars["office"]
		if c.Hours() != "Mon–Fri 08:30–17:30" || strings.Join(c.ClosedDates(), ",") != "2026-12-31" {
			t.Errorf("office = %s closed %v", c.Hours(), c.ClosedDates())
		}
	})
	t.Run("new_plan_default_labels", func(t *testing.T) {
		if got := cat.Plans["gold"].Levels[ticket.P1].Label; got != "P1 – Critical" {
			t.Errorf("gold P1 label = %q", got)
		}
	})
	t.Run("other_builtins_untouched", func(t *testing.T) {
		if cat.Plans["premium"].Levels[ticket.P0].FirstResponse.String() != "30m" {
			t.Error("premium changed")
		}
	})
}

func TestNewCatalogErrorsNameKeyPath(t *testing.T) {
	full := func(p0 LevelConfig) map[string]LevelConfig {
		l := LevelConfig{FirstResponse: "4h", Calendar: "office"}
		return map[string]LevelConfig{"P0": p0, "P1": l, "P2": l, "P3": l, "P4": l}
	}
	tests := []struct {
		name      string
		calendars map[string]CalendarConfig
		plans     map[string]PlanConfig
		want      []string
	}{
		{"unknown_calendar", nil, map[string]PlanConfig{"gold": {MaxContacts: 6, Levels: full(LevelConfig{FirstResponse: "30m", Calendar: "night"})}},
			[]string{`plans.gold.levels.P0.calendar: unknown calendar "night"`}},
		{"bad_hours", map[string]CalendarConfig{"office": {Hours: map[string][]string{"mon": {"8:30-17:70"}}}}, nil,
			[]string{`calendars.office.hours.mon[0]: "8:30-17:70" is not HH:MM-HH:MM`}},
		{"new_plan_missing_levels_and_contacts", nil, map[string]PlanConfig{"gold": {Levels: map[string]LevelConfig{"P0": {FirstResponse: "1h", Calendar: "24x7"}}}},
			[]string{"plans.gold.max_contacts: missing", "plans.gold.levels.P1: missing", "plans.gold.levels.P4: missing"}},
		{"new_level_missing_first_response", nil, map[string]PlanConfig{"gold": {MaxContacts: 1, Levels: full(LevelConfig{Calendar: "office"})}},
			[]string{"plans.gold.levels.P0.first_response: missing"}},
		{"new_level_missing_calendar", nil, map[string]PlanConfig{"gold": {MaxContacts: 1, Levels: full(LevelConfig{FirstResponse: "1h"})}},
			[]string{"plans.gold.levels.P0.calendar: missing"}},
		{"bad_target", nil, map[string]PlanConfig{"standard": {Levels: map[string]LevelConfig{"P2": {FirstResponse: "soon"}, "P3": {Resolution: "0bd"}}}},
			[]string{`plans.standard.levels.P2.first_response: target "soon"`, `plans.standard.levels.P3.resolution: target "0bd"`}},
		{"unknown_level", nil, map[string]PlanConfig{"standard": {Levels: map[string]LevelConfig{"P5": {FirstResponse: "1h"}}}},
			[]string{`plans.standard.levels.P5: unknown level "P5"`}},
		{"negative_contacts", nil, map[string]PlanConfig{"standard": {MaxContacts: -1}},
			[]string{"plans.standard.max_contacts: -1 is negative"}},
		{"redefine_24x7", map[string]CalendarConfig{"24x7": {Hours: map[string][]string{"mon": {"08:00-09:00"}}}}, nil,
			[]string{"calendars.24x7: \"24x7\" is built in"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewCatalog(tt.calendars, tt.plans)
			if err == nil {
				t.Fatal("NewCatalog succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestDueFor(t *testing.T) {
	cat, err := NewCatalog(nil, map[string]PlanConfig{
		"gold": {MaxContacts: 6, Levels: map[string]LevelConfig{
			"P0": {Label: "Severity 1 – Critical", FirstResponse: "30m", Calendar: "24x7", Resolution: "4h"},
			"P1": {FirstResponse: "2h", Calendar: "office", Resolution: "2bd"},
			"P2": {FirstResponse: "1bd", Calendar: "office"},
			"P3": {FirstResponse: "2bd", Calendar: "office"},
			"P4": {FirstResponse: "none"},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	zrh := mustZone(t, "Europe/Zurich")
	tests := []struct {
		name          string
		plan          string
		level         ticket.Level
		received      time.Time
		tz, region    string
		label         string
		due           string // "" for no target; local in tz
		resolutionDue string
	}{
		{"standard_P3_friday_16h_due_monday_16h", "standard", ticket.P3, mustLocal(t, "2026-03-13 16:00", zrh), "Europe/Zurich", "CH-ZH", "P3 – Minor", "2026-03-16 16:00", ""},
		{"premium_P0_sunday_0300_round_the_clock", "premium", ticket.P0, mustLocal(t, "2026-03-15 03:00", zrh), "Europe/Zurich", "CH-ZH", "P0 – Blocker", "2026-03-15 03:30", ""},
		{"premium_P3_waits_for_monday", "premium", ticket.P3, mustLocal(t, "2026-03-15 03:00", zrh), "Europe/Zurich", "CH-ZH", "P3 – Minor", "2026-03-16 17:30", ""},
		{"business_8h_friday_noon_due_monday_11h", "business-8h", ticket.P1, mustLocal(t, "2026-03-13 12:00", zrh), "Europe/Zurich", "", "P1 – Critical", "2026-03-16 11:00", ""},
		{"empty_tz_is_UTC", "standard", ticket.P0, time.Date(2026, 3, 13, 17, 0, 0, 0, time.UTC), "", "", "P0 – Blocker", "2026-03-16 09:00", ""},
		{"gold_P0_resolution_on_24x7", "gold", ticket.P0, mustLocal(t, "2026-03-14 22:00", zrh), "Europe/Zurich", "CH", "Severity 1 – Critical", "2026-03-14 22:30", "2026-03-15 02:00"},
		{"gold_P1_resolution_2bd_on_office", "gold", ticket.P1, mustLocal(t, "2026-03-16 10:00", zrh), "Europe/Zurich", "CH", "P1 – Critical", "2026-03-16 12:00", "2026-03-18 10:00"},
		{"gold_P4_has_no_target", "gold", ticket.P4, mustLocal(t, "2026-03-16 10:00", zrh), "Europe/Zurich", "CH", "P4 – Trivial", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := cat.DueFor(tt.plan, tt.level, tt.received, tt.tz, tt.region)
			if err != nil {
				t.Fatal(err)
			}
			loc := time.UTC
			if tt.tz != "" {
				loc = mustZone(t, tt.tz)
			}
			if r.Label != tt.label || r.Plan != tt.plan || r.Level != tt.level || r.Zone != loc.String() {
				t.Errorf("result = %+v", r)
			}
			checkTime(t, "Due", r.Due, tt.due, loc)
			checkTime(t, "ResolutionDue", r.ResolutionDue, tt.resolutionDue, loc)
			if (r.Target == nil) != (tt.due == "") {
				t.Errorf("Target = %v with due %q", r.Target, tt.due)
			}
		})
	}
	for _, tt := range []struct {
		name, plan string
		level      ticket.Level
		tz, region string
		want       string
	}{
		{"unknown_plan", "platinum", ticket.P0, "", "", `unknown plan "platinum" (known: business-2h, business-8h, gold, premium, standard)`},
		{"unknown_level", "standard", "P9", "", "", `no level "P9"`},
		{"unknown_zone", "standard", ticket.P0, "Mars/Olympus", "", `unknown zone "Mars/Olympus"`},
		{"local_zone_rejected", "standard", ticket.P0, "Local", "", `unknown zone "Local"`},
		{"unknown_region", "standard", ticket.P0, "Europe/Zurich", "ZZ", `unknown region "ZZ"`},
	} {
		t.Run("rejects_"+tt.name, func(t *testing.T) {
			_, err := cat.DueFor(tt.plan, tt.level, time.Now(), tt.tz, tt.region)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("DueFor error = %v, want %q", err, tt.want)
			}
		})
	}
}

func checkTime(t *testing.T, what string, got *time.Time, want string, loc *time.Location) {
	t.Helper()
	switch {
	case want == "" && got != nil:
		t.Errorf("%s = %s, want none", what, got)
	case want != "" && got == nil:
		t.Errorf("%s = none, want %s", what, want)
	case want != "":
		if w := mustLocal(t, want, loc); !got.Equal(w) || got.Location().String() != loc.String() {
			t.Errorf("%s = %s, want %s in %s", what, got, want, loc)
		}
	}
}

func TestAt(t *testing.T) {
	cat := Builtin()
	zrh := mustZone(t, "Europe/Zurich")
	received := mustLocal(t, "2026-03-10 17:00", zrh) // standard P0: 1h on office
	for _, tt := range []struct {
		name     string
		fraction float64
		want     string
	}{
		{"half_reached_at_closing", 0.5, "2026-03-10 17:30"},
		{"ninety_percent_next_morning", 0.9, "2026-03-11 08:54"},
		{"hundred_percent_is_due", 1, "2026-03-11 09:00"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cat.At("standard", ticket.P0, received, "Europe/Zurich", "CH-ZH", tt.fraction)
			if err != nil {
				t.Fatal(err)
			}
			checkTime(t, "At", got, tt.want, zrh)
		})
	}
	t.Run("full_fraction_equals_DueFor", func(t *testing.T) {
		at, err1 := cat.At("standard", ticket.P4, received, "Europe/Zurich", "CH-ZH", 1)
		r, err2 := cat.DueFor("standard", ticket.P4, received, "Europe/Zurich", "CH-ZH")
		if err1 != nil || err2 != nil || !at.Equal(*r.Due) {
			t.Errorf("At(1) = %v, %v; DueFor = %v, %v", at, err1, r.Due, err2)
		}
	})
	for _, f := range []float64{0, -0.5, 1.01} {
		if _, err := cat.At("standard", ticket.P0, received, "", "", f); err == nil {
			t.Errorf("At(fraction %v) succeeded", f)
		}
	}
	t.Run("no_target_is_nil_without_error", func(t *testing.T) {
		cat, err := NewCatalog(nil, map[string]PlanConfig{"standard": {Levels: map[string]LevelConfig{"P4": {FirstResponse: "none"}}}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := cat.At("standard", ticket.P4, received, "", "", 0.5)
		if got != nil || err != nil {
			t.Errorf("At = %v, %v; want nil, nil", got, err)
		}
	})
}

// The lead's loader decodes the config file with BurntSushi/toml straight
// into these types; the example must decode and validate.
func TestConfigTOMLShape(t *testing.T) {
	const doc = `
[calendars.office]
hours = { mon = ["08:30-17:30"], tue = ["08:30-17:30"], wed = ["08:30-17:30"], thu = ["08:30-17:30"], fri = ["08:30-17:30"] }
closed = ["2026-12-31"]
[plans.gold]
max_contacts = 6
levels.P0 = { label = "Severity 1 – Critical", first_response = "30m", calendar = "24x7", resolution = "4h" }
levels.P1 = { first_response = "1h", calendar = "office" }
levels.P2 = { first_response = "4h", calendar = "office" }
levels.P3 = { first_response = "1bd", calendar = "office" }
levels.P4 = { first_response = "none" }
`
	var cfg struct {
		Calendars map[string]CalendarConfig `toml:"calendars"`
		Plans     map[string]PlanConfig     `toml:"plans"`
	}
	md, err := toml.Decode(doc, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		t.Fatalf("undecoded keys %v", u)
	}
	cat, err := NewCatalog(cfg.Calendars, cfg.Plans)
	if err != nil {
		t.Fatal(err)
	}
	gold := cat.Plans["gold"]
	if gold.MaxContacts != 6 || gold.Levels[ticket.P0].Resolution.String() != "4h" || gold.Levels[ticket.P0].Label != "Severity 1 – Critical" {
		t.Errorf("gold = %+v", gold)
	}
	if got := cat.Calendars["office"].ClosedDates(); len(got) != 1 || got[0] != "2026-12-31" {
		t.Errorf("office closed = %v", got)
	}
}

func TestLabelIn_translatesDefaultLabelsAndConfiguredOnes(t *testing.T) {
	c, err := NewCatalog(nil, map[string]PlanConfig{
		"gold": {MaxContacts: 2, Levels: map[string]LevelConfig{
			"P0": {Label: "Severity 1 – Critical", FirstResponse: "30m", Calendar: "24x7", Labels: map[string]string{"de": "Schweregrad 1 – Kritisch"}},
			"P1": {Label: "Severity 2 – High", FirstResponse: "1h", Calendar: "24x7"},
			"P2": {FirstResponse: "4h", Calendar: "office"},
			"P3": {FirstResponse: "1bd", Calendar: "office"},
			"P4": {FirstResponse: "2bd", Calendar: "office"},
		}},
		"standard": {Levels: map[string]LevelConfig{"P1": {Label: "P1 – Urgent"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		plan  string
		level ticket.Level
		lang  string
		want  string
	}{
		{"premium", ticket.P0, "de", "P0 – Blockierend"},
		{"premium", ticket.P0, "fr", "P0 – Bloquant"},
		{"premium", ticket.P0, "en", "P0 – Blocker"},
		{"standard", ticket.P1, "de", "P1 – Urgent"}, // an admin's own label is never replaced by a stale translation
		{"standard", ticket.P2, "fr", "P2 – Majeur"},
		{"gold", ticket.P0, "de", "Schweregrad 1 – Kritisch"},
		{"gold", ticket.P0, "fr", "Severity 1 – Critical"},
		{"gold", ticket.P1, "de", "Severity 2 – High"},
		{"gold", ticket.P2, "de", "P2 – Schwerwiegend"},
	} {
		p, err := c.Plan(tc.plan)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Levels[tc.level].LabelIn(tc.lang); got != tc.want {
			t.Errorf("%s %s in %s: %q, want %q", tc.plan, tc.level, tc.lang, got, tc.want)
		}
	}
	_, err = NewCatalog(nil, map[string]PlanConfig{"standard": {Levels: map[string]LevelConfig{"P0": {Labels: map[string]string{"it": "x"}}}}})
	if err == nil || !strings.Contains(err.Error(), "plans.standard.levels.P0.labels.it: unknown language") {
		t.Fatalf("unknown language: %v", err)
	}
}
