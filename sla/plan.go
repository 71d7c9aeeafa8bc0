package sla

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"

	"ticketd/ticket"
)

// PlanConfig is a plan as written in the config file:
//
//	[plans.gold]
//	max_contacts = 6
//	levels.P0 = { label = "Severity 1 – Critical", first_response = "30m", calendar = "24x7", resolution = "4h" }
//
// See the package doc for how it merges with a built-in plan of the same name.
type PlanConfig struct {
	MaxContacts int                    `toml:"max_contacts"`
	Levels      map[string]LevelConfig `toml:"levels"`
	// IncludedHours is the engineering time the plan includes per
	// IncludedPer ("month" or "week"); 0: none counted.
	IncludedHours float64 `toml:"included_hours"`
	IncludedPer   string  `toml:"included_per"`
}

// LevelConfig is one level of a PlanConfig. FirstResponse and Resolution
// take a target ("30m", "4h", "1bd") or "none".
type LevelConfig struct {
	Label string `toml:"label"`
	// Labels translate Label for mail in other languages:
	// labels = { de = "Schweregrad 1 – Kritisch", fr = "Sévérité 1 – Critique" }.
	Labels        map[string]string `toml:"labels"`
	FirstResponse string            `toml:"first_response"`
	Calendar      string            `toml:"calendar"`
	Resolution    string            `toml:"resolution"`
}

// Plan is a support plan: per-level policies and the contact limit.
type Plan struct {
	Name        string
	MaxContacts int
	Levels      map[ticket.Level]LevelPolicy
	// IncludedHours per IncludedPer ("month" or "week") is the time the
	// plan includes (Pivotal "10 hours/week", Orange "2h / month"); 0:
	// none counted. A customer may carry its own.
	IncludedHours float64
	IncludedPer   string
}

// LevelPolicy is what a plan promises for one level. A nil FirstResponse
// means the plan makes no first-response promise at that level; callers
// must say so rather than invent a due time.
type LevelPolicy struct {
	Label         string            // the plan's name for the level, e.g. "Severity 1 – Critical"
	Labels        map[string]string // Label in other languages ("de", "fr"); see LabelIn
	FirstResponse *Target           // nil: no first-response target
	Calendar      string            // name of the calendar both targets run on
	Resolution    *Target           // nil: no resolution target
}

// Catalog holds the effective plans and calendars. Calendars are shared and
// immutable; treat a Catalog as read-only once built, which makes it safe
// for concurrent use.
type Catalog struct {
	Plans     map[string]*Plan
	Calendars map[string]*Calendar
}

//go:embed builtin.toml
var builtinTOML []byte

// builtin is parsed once; Builtin hands out copies so callers cannot
// change it for everyone.
var builtin = mustBuiltin()

func mustBuiltin() *Catalog {
	var cfg struct {
		Calendars map[string]CalendarConfig `toml:"calendars"`
		Plans     map[string]PlanConfig     `toml:"plans"`
	}
	md, err := toml.NewDecoder(bytes.NewReader(builtinTOML)).Decode(&cfg)
	if err == nil && len(md.Undecoded()) > 0 {
		err = fmt.Errorf("unknown keys %v", md.Undecoded())
	}
	if err != nil {
		panic("sla: builtin.toml: " + err.Error())
	}
	c, err := merge(&Catalog{Plans: map[string]*Plan{}, Calendars: map[string]*Calendar{Name24x7: AlwaysOpen()}},
		cfg.Calendars, cfg.Plans)
	if err != nil {
		panic("sla: builtin.toml: " + err.Error())
	}
	return c
}

// LabelIn returns the level's label in lang, falling back to Label.
func (lp LevelPolicy) LabelIn(lang string) string {
	if l, ok := lp.Labels[lang]; ok && l != "" {
		return l
	}
	return lp.Label
}

// labelLanguages are the languages a label may be translated into.
var labelLanguages = []string{"en", "de", "fr"}

// defaultLocalLabels translate defaultLabels; they apply while a level
// keeps its default label.
var defaultLocalLabels = map[ticket.Level]map[string]string{
	ticket.P0: {"de": "P0 – Blockierend", "fr": "P0 – Bloquant"},
	ticket.P1: {"de": "P1 – Kritisch", "fr": "P1 – Critique"},
	ticket.P2: {"de": "P2 – Schwerwiegend", "fr": "P2 – Majeur"},
	ticket.P3: {"de": "P3 – Geringfügig", "fr": "P3 – Mineur"},
	ticket.P4: {"de": "P4 – Trivial", "fr": "P4 – Trivial"},
}

// defaultLabels are the built-in names of the levels.
var defaultLabels = map[ticket.Level]string{
	ticket.P0: "P0 – Blocker", ticket.P1: "P1 – Critical", ticket.P2: "P2 – Major",
	ticket.P3: "P3 – Minor", ticket.P4: "P4 – Trivial",
}

// Builtin returns a fresh copy of the built-in catalog: calendars 24x7,
// office and business, plans standard, premium, business-2h and
// business-8h (see the package doc).
func Builtin() *Catalog { return builtin.clone() }

func (c *Catalog) clone() *Catalog {
	out := &Catalog{Plans: make(map[string]*Plan, len(c.Plans)), Calendars: maps.Clone(c.Calendars)}
	for name, p := range c.Plans {
		out.Plans[name] = p.clone()
	}
	return out
}

func (p *Plan) clone() *Plan {
	cp := *p
	cp.Levels = maps.Clone(p.Levels)
	return &cp
}

// NewCatalog returns the built-in catalog extended and overridden by config
// (rules in the package doc). Every problem is reported, each naming its
// key path, e.g. `plans.gold.levels.P0.calendar: unknown calendar "night"`.
func NewCatalog(calendars map[string]CalendarConfig, plans map[string]PlanConfig) (*Catalog, error) {
	return merge(Builtin(), calendars, plans)
}

// merge applies config onto base, which it modifies and returns.
func merge(base *Catalog, calendars map[string]CalendarConfig, plans map[string]PlanConfig) (*Catalog, error) {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(calendars)) {
		cfg := calendars[name]
		if old, ok := base.Calendars[name]; ok && !old.alwaysOpen {
			// A built-in named without hours keeps its hours and only gains
			// closed dates: `[calendars.office] closed = ["2026-12-31"]`.
			// (Built-ins have no closed dates of their own.)
			if len(cfg.Hours) == 0 {
				cfg.Hours = old.config().Hours
			}
		}
		c, err := ParseCalendar(name, cfg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		base.Calendars[name] = c
	}
	for _, name := range slices.Sorted(maps.Keys(plans)) {
		p, err := buildPlan(name, plans[name], base.Plans[name], base.Calendars)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		base.Plans[name] = p
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return base, nil
}

// buildPlan applies cfg onto old (nil for a new plan).
func buildPlan(name string, cfg PlanConfig, old *Plan, calendars map[string]*Calendar) (*Plan, error) {
	path := "plans." + name
	if strings.TrimSpace(name) == "" {
		return nil, errors.New("plans: plan name is empty")
	}
	var errs []error
	p := &Plan{Name: name, Levels: map[ticket.Level]LevelPolicy{}}
	if old != nil {
		p = old.clone()
	}
	switch {
	case cfg.MaxContacts < 0:
		errs = append(errs, fmt.Errorf("%s.max_contacts: %d is negative", path, cfg.MaxContacts))
	case cfg.MaxContacts > 0:
		p.MaxContacts = cfg.MaxContacts
	case old == nil:
		errs = append(errs, fmt.Errorf("%s.max_contacts: missing (a new plan must allow at least 1 technical contact)", path))
	}
	switch {
	case cfg.IncludedHours < 0:
		errs = append(errs, fmt.Errorf("%s.included_hours: %v is negative", path, cfg.IncludedHours))
	case cfg.IncludedHours > 0:
		p.IncludedHours, p.IncludedPer = cfg.IncludedHours, cfg.IncludedPer
		if p.IncludedPer == "" {
			p.IncludedPer = "month"
		}
		if err := ValidPeriod(p.IncludedPer); err != nil {
			errs = append(errs, fmt.Errorf("%s.included_per: %w", path, err))
		}
	case cfg.IncludedPer != "":
		errs = append(errs, fmt.Errorf("%s.included_per: needs included_hours", path))
	}
	defined := map[ticket.Level]string{}
	for _, key := range slices.Sorted(maps.Keys(cfg.Levels)) {
		lpath := path + ".levels." + key
		lvl, err := ticket.ParseLevel(key)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", lpath, err))
			continue
		}
		if prev, dup := defined[lvl]; dup {
			errs = append(errs, fmt.Errorf("%s: level %s is already defined as %q", lpath, lvl, prev))
			continue
		}
		defined[lvl] = key
		lp, had := p.Levels[lvl]
		if !had {
			lp.Label = defaultLabels[lvl]
		}
		lc := cfg.Levels[key]
		if s := strings.TrimSpace(lc.Label); s != "" {
			lp.Label = s
		}
		// Translations of the default label stay only with it: a plan's
		// own label must not be shown as "P1 – Kritisch" in German.
		if lp.Label == defaultLabels[lvl] {
			lp.Labels = defaultLocalLabels[lvl]
		} else if s := strings.TrimSpace(lc.Label); s != "" {
			lp.Labels = nil
		}
		if len(lc.Labels) > 0 {
			labels := maps.Clone(lp.Labels)
			if labels == nil {
				labels = map[string]string{}
			}
			for _, lang := range slices.Sorted(maps.Keys(lc.Labels)) {
				if !slices.Contains(labelLanguages, lang) {
					errs = append(errs, fmt.Errorf("%s.labels.%s: unknown language (want %s)", lpath, lang, strings.Join(labelLanguages, ", ")))
					continue
				}
				labels[lang] = strings.TrimSpace(lc.Labels[lang])
			}
			lp.Labels = labels
		}
		switch {
		case lc.FirstResponse != "":
			if lp.FirstResponse, err = parseOptionalTarget(lc.FirstResponse); err != nil {
				errs = append(errs, fmt.Errorf("%s.first_response: %w", lpath, err))
			}
		case !had:
			errs = append(errs, fmt.Errorf("%s.first_response: missing (a target such as \"4h\" or \"1bd\", or \"none\")", lpath))
		}
		if lc.Resolution != "" {
			if lp.Resolution, err = parseOptionalTarget(lc.Resolution); err != nil {
				errs = append(errs, fmt.Errorf("%s.resolution: %w", lpath, err))
			}
		}
		if lc.Calendar != "" {
			lp.Calendar = lc.Calendar
			if calendars[lc.Calendar] == nil {
				errs = append(errs, fmt.Errorf("%s.calendar: unknown calendar %q (known: %s)",
					lpath, lc.Calendar, strings.Join(slices.Sorted(maps.Keys(calendars)), ", ")))
			}
		} else if lp.Calendar == "" && (lp.FirstResponse != nil || lp.Resolution != nil) {
			errs = append(errs, fmt.Errorf("%s.calendar: missing (e.g. \"24x7\" or \"office\")", lpath))
		}
		p.Levels[lvl] = lp
	}
	if old == nil {
		for _, lvl := range ticket.Levels {
			if _, ok := defined[lvl]; !ok {
				errs = append(errs, fmt.Errorf("%s.levels.%s: missing (a new plan must define P0, P1, P2, P3 and P4; use first_response = \"none\" for no target)", path, lvl))
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// Plan returns the named plan; the error lists the known plans.
func (c *Catalog) Plan(name string) (*Plan, error) {
	if p, ok := c.Plans[name]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("unknown plan %q (known: %s)", name, strings.Join(slices.Sorted(maps.Keys(c.Plans)), ", "))
}

// DueResult is the SLA outcome for one ticket. Target and Due are nil when
// the plan sets no first-response target for the level; Resolution and
// ResolutionDue likewise. Times are in Zone.
type DueResult struct {
	Plan          string       `json:"plan"`
	Level         ticket.Level `json:"level"`
	Label         string       `json:"label"`
	Calendar      string       `json:"calendar"`
	Target        *Target      `json:"target,omitempty"`
	Due           *time.Time   `json:"due,omitempty"`
	Resolution    *Target      `json:"resolution,omitempty"`
	ResolutionDue *time.Time   `json:"resolution_due,omitempty"`
	Zone          string       `json:"zone"`
}

// DueFor computes the first-response (and resolution) due times of a ticket
// of plan and level received at received, for a customer whose primary
// contact is in time zone tz ("" means UTC) and whose holidays are those of
// region. Errors name the bad argument: unknown plan, level, zone or region.
func (c *Catalog) DueFor(plan string, level ticket.Level, received time.Time, tz, region string) (DueResult, error) {
	p, lp, cal, loc, err := c.resolve(plan, level, tz, region)
	if err != nil {
		return DueResult{}, err
	}
	r := DueResult{Plan: p.Name, Level: level, Label: lp.Label, Calendar: lp.Calendar, Zone: loc.String(),
		Target: lp.FirstResponse, Resolution: lp.Resolution}
	if lp.FirstResponse != nil {
		due, err := Due(received, lp.FirstResponse.Business(cal), cal, loc, region)
		if err != nil {
			return DueResult{}, fmt.Errorf("plan %s level %s first response: %w", plan, level, err)
		}
		r.Due = &due
	}
	if lp.Resolution != nil {
		due, err := Due(received, lp.Resolution.Business(cal), cal, loc, region)
		if err != nil {
			return DueResult{}, fmt.Errorf("plan %s level %s resolution: %w", plan, level, err)
		}
		r.ResolutionDue = &due
	}
	return r, nil
}

// At returns the instant at which fraction (0 < fraction ≤ 1) of the
// first-response target has elapsed in business time, for reminders at
// 50%, 90% and 100%. It returns nil and no error when the level has no
// first-response target.
func (c *Catalog) At(plan string, level ticket.Level, received time.Time, tz, region string, fraction float64) (*time.Time, error) {
	if !(fraction > 0 && fraction <= 1) { // also rejects NaN
		return nil, fmt.Errorf("fraction %v of the first-response target: want 0 < fraction ≤ 1", fraction)
	}
	_, lp, cal, loc, err := c.resolve(plan, level, tz, region)
	if err != nil {
		return nil, err
	}
	if lp.FirstResponse == nil {
		return nil, nil
	}
	part := time.Duration(math.Round(float64(lp.FirstResponse.Business(cal)) * fraction))
	at, err := Due(received, part, cal, loc, region)
	if err != nil {
		return nil, fmt.Errorf("plan %s level %s at %v of first response: %w", plan, level, fraction, err)
	}
	return &at, nil
}

// resolve checks the arguments shared by DueFor and At, in the order a
// reader would: plan, level, zone, region.
func (c *Catalog) resolve(plan string, level ticket.Level, tz, region string) (*Plan, LevelPolicy, *Calendar, *time.Location, error) {
	fail := func(err error) (*Plan, LevelPolicy, *Calendar, *time.Location, error) {
		return nil, LevelPolicy{}, nil, nil, err
	}
	p, err := c.Plan(plan)
	if err != nil {
		return fail(err)
	}
	lp, ok := p.Levels[level]
	if !ok {
		return fail(fmt.Errorf("plan %s has no level %q (want P0, P1, P2, P3 or P4)", plan, level))
	}
	loc, err := loadZone(tz)
	if err != nil {
		return fail(err)
	}
	if err := ValidRegion(region); err != nil {
		return fail(err)
	}
	cal := c.Calendars[lp.Calendar]
	if cal == nil {
		if lp.FirstResponse == nil && lp.Resolution == nil {
			cal = AlwaysOpen() // nothing to compute; keep the result honest
		} else {
			return fail(fmt.Errorf("plan %s level %s: unknown calendar %q", plan, level, lp.Calendar))
		}
	}
	return p, lp, cal, loc, nil
}

// zones caches *time.Location by name: LoadLocation reads and parses the
// zone database on every call, and the daemon asks for the same few zones.
var zones sync.Map

func loadZone(tz string) (*time.Location, error) {
	tz = strings.TrimSpace(tz)
	if tz == "" {
		return time.UTC, nil
	}
	if v, ok := zones.Load(tz); ok {
		return v.(*time.Location), nil
	}
	// "Local" would make due times depend on the host the daemon runs on.
	if tz == "Local" {
		return nil, fmt.Errorf("unknown zone %q: use an IANA name such as \"Europe/Zurich\"", tz)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("unknown zone %q: %w", tz, err)
	}
	zones.Store(tz, loc)
	return loc, nil
}

// ValidPeriod checks a period name for included hours: "month" or "week".
func ValidPeriod(per string) error {
	if per != "month" && per != "week" {
		return fmt.Errorf("%q is not month or week", per)
	}
	return nil
}

// PeriodStart returns the start of the period (calendar month, or ISO week
// from Monday) holding at, in loc: what included hours are counted in.
func PeriodStart(at time.Time, per string, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	t := at.In(loc)
	y, m, d := t.Date()
	if per == "week" {
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, m, d-back, 0, 0, 0, 0, loc)
	}
	return time.Date(y, m, 1, 0, 0, 0, 0, loc)
}

// PeriodEnd is the start of the next period after the one starting at start.
func PeriodEnd(start time.Time, per string) time.Time {
	if per == "week" {
		return start.AddDate(0, 0, 7)
	}
	return start.AddDate(0, 1, 0)
}
