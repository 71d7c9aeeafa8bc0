package sla

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Name24x7 is the always-open calendar's name. It cannot be redefined.
const Name24x7 = "24x7"

// CalendarConfig is a calendar as written in the config file:
//
//	[calendars.office]
//	hours = { mon = ["08:30-17:30"], tue = ["08:30-12:00", "13:00-17:30"] }
//	closed = ["2026-12-31"]
//
// Hours keys are mon, tue, wed, thu, fri, sat, sun; each value lists
// opening intervals "HH:MM-HH:MM" in local time (end may be 24:00). Closed
// lists extra closed dates "YYYY-MM-DD" on top of regional holidays.
type CalendarConfig struct {
	Hours  map[string][]string `toml:"hours"`
	Closed []string            `toml:"closed"`
}

// interval is an opening interval [start, end) in minutes after local midnight.
type interval struct{ start, end int }

// civilDate is a calendar date with no zone, packed as YYYYMMDD so it is a
// cheap map key and sorts chronologically.
type civilDate int

func dateOf(y int, m time.Month, d int) civilDate { return civilDate(y*10000 + int(m)*100 + d) }

func (d civilDate) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", int(d)/10000, int(d)/100%100, int(d)%100)
}

// Calendar is a named set of business hours. A Calendar is immutable after
// construction and safe for concurrent use.
type Calendar struct {
	name       string
	alwaysOpen bool
	week       [7][]interval // indexed by time.Weekday, sorted, non-overlapping
	closed     map[civilDate]bool
	dayLength  time.Duration
}

type weekdayKey struct {
	key   string
	day   time.Weekday
	short string
}

// weekdayKeys maps config keys to weekdays, in display order (Monday first).
var weekdayKeys = []weekdayKey{
	{"mon", time.Monday, "Mon"}, {"tue", time.Tuesday, "Tue"}, {"wed", time.Wednesday, "Wed"},
	{"thu", time.Thursday, "Thu"}, {"fri", time.Friday, "Fri"}, {"sat", time.Saturday, "Sat"},
	{"sun", time.Sunday, "Sun"},
}

// AlwaysOpen returns the 24x7 calendar: real elapsed time, no holidays.
func AlwaysOpen() *Calendar {
	return &Calendar{name: Name24x7, alwaysOpen: true, dayLength: 24 * time.Hour}
}

// ParseCalendar validates cfg and builds the calendar called name. Errors
// name the key path, e.g. `calendars.office.hours.mon[0]: "8:30-17:70" is
// not HH:MM-HH:MM`; all problems are reported at once.
func ParseCalendar(name string, cfg CalendarConfig) (*Calendar, error) {
	path := "calendars." + name
	if name == "" {
		return nil, errors.New("calendars: calendar name is empty")
	}
	if name == Name24x7 {
		return nil, fmt.Errorf("%s: %q is built in (always open) and cannot be redefined", path, name)
	}
	c := &Calendar{name: name, closed: map[civilDate]bool{}}
	var errs []error
	for _, key := range slices.Sorted(maps.Keys(cfg.Hours)) {
		if !slices.ContainsFunc(weekdayKeys, func(w weekdayKey) bool { return w.key == key }) {
			errs = append(errs, fmt.Errorf("%s.hours.%s: unknown day (want mon, tue, wed, thu, fri, sat or sun)", path, key))
		}
	}
	for _, w := range weekdayKeys {
		var day []interval
		for i, s := range cfg.Hours[w.key] {
			iv, err := parseInterval(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s.hours.%s[%d]: %w", path, w.key, i, err))
				continue
			}
			day = append(day, iv)
		}
		slices.SortFunc(day, func(a, b interval) int { return a.start - b.start })
		merged := day[:0:0]
		for _, iv := range day {
			if n := len(merged); n > 0 && iv.start < merged[n-1].end {
				errs = append(errs, fmt.Errorf("%s.hours.%s: %s overlaps %s", path, w.key, iv, merged[n-1]))
				continue
			}
			// Adjacent intervals ("08:00-12:00", "12:00-17:00") are one
			// stretch of business time; merging keeps the walk simple.
			if n := len(merged); n > 0 && iv.start == merged[n-1].end {
				merged[n-1].end = iv.end
				continue
			}
			merged = append(merged, iv)
		}
		c.week[w.day] = merged
	}
	for i, s := range cfg.Closed {
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.closed[%d]: %q is not a date YYYY-MM-DD", path, i, s))
			continue
		}
		c.closed[dateOf(t.Date())] = true
	}
	if len(errs) == 0 && !c.hasHours() {
		errs = append(errs, fmt.Errorf("%s.hours: no opening hours on any day", path))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	c.dayLength = typicalDayLength(c.week)
	return c, nil
}

func (c *Calendar) hasHours() bool {
	for _, day := range c.week {
		if len(day) > 0 {
			return true
		}
	}
	return false
}

// parseInterval parses "HH:MM-HH:MM"; the end may be 24:00 for "until midnight".
func parseInterval(s string) (interval, error) {
	bad := fmt.Errorf("%q is not HH:MM-HH:MM", s)
	from, to, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return interval{}, bad
	}
	start, ok1 := parseClock(from)
	end, ok2 := parseClock(to)
	if !ok1 || !ok2 || start == 24*60 {
		return interval{}, bad
	}
	if end <= start {
		return interval{}, fmt.Errorf("%q closes before it opens (intervals cannot cross midnight: split them at 24:00)", s)
	}
	return interval{start, end}, nil
}

// parseClock parses exactly "HH:MM" with 00:00 ≤ t ≤ 24:00 into minutes.
func parseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	digits := []byte{s[0], s[1], s[3], s[4]}
	for _, b := range digits {
		if b < '0' || b > '9' {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

func (iv interval) String() string {
	return fmt.Sprintf("%02d:%02d–%02d:%02d", iv.start/60, iv.start%60, iv.end/60, iv.end%60)
}

// typicalDayLength is the business-day length used for "Nbd" targets: the
// most common daily opening total among the days that open, ties going to
// the longer. For Mon–Fri 08:30–17:30 that is 9h; a calendar with one late
// evening a week still has the day length of its ordinary days, and a
// short Saturday does not shrink it.
func typicalDayLength(week [7][]interval) time.Duration {
	count := map[int]int{}
	for _, day := range week {
		total := 0
		for _, iv := range day {
			total += iv.end - iv.start
		}
		if total > 0 {
			count[total]++
		}
	}
	best, bestN := 0, 0
	for total, n := range count {
		if n > bestN || (n == bestN && total > best) {
			best, bestN = total, n
		}
	}
	return time.Duration(best) * time.Minute
}

// Name returns the calendar's name, e.g. "office" or "24x7".
func (c *Calendar) Name() string { return c.name }

// AlwaysOpen reports whether c is the 24x7 calendar.
func (c *Calendar) AlwaysOpen() bool { return c.alwaysOpen }

// DayLength is the length of one business day on c, the unit of "Nbd"
// targets: 24h for 24x7, otherwise the most common daily opening total
// (see the package doc): 9h for Mon–Fri 08:30–17:30.
func (c *Calendar) DayLength() time.Duration { return c.dayLength }

// ClosedDates returns the configured extra closed dates, sorted, as YYYY-MM-DD.
func (c *Calendar) ClosedDates() []string {
	ds := make([]civilDate, 0, len(c.closed))
	for d := range c.closed {
		ds = append(ds, d)
	}
	slices.Sort(ds)
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return out
}

// Hours describes the weekly opening hours, grouping consecutive days with
// the same intervals: "Mon–Fri 08:30–17:30", or "always open" for 24x7.
func (c *Calendar) Hours() string {
	if c.alwaysOpen {
		return "always open"
	}
	var parts []string
	for i := 0; i < len(weekdayKeys); {
		day := c.week[weekdayKeys[i].day]
		j := i + 1
		for j < len(weekdayKeys) && slices.Equal(c.week[weekdayKeys[j].day], day) {
			j++
		}
		if len(day) > 0 {
			days := weekdayKeys[i].short
			if j-1 > i {
				days += "–" + weekdayKeys[j-1].short
			}
			ivs := make([]string, len(day))
			for k, iv := range day {
				ivs[k] = iv.String()
			}
			parts = append(parts, days+" "+strings.Join(ivs, ", "))
		}
		i = j
	}
	return strings.Join(parts, "; ")
}

// String is the calendar's name.
func (c *Calendar) String() string { return c.name }

// config renders c back into config form; a config calendar named like a
// built-in that gives no hours starts from these.
func (c *Calendar) config() CalendarConfig {
	cfg := CalendarConfig{Hours: map[string][]string{}, Closed: c.ClosedDates()}
	for _, w := range weekdayKeys {
		for _, iv := range c.week[w.day] {
			cfg.Hours[w.key] = append(cfg.Hours[w.key],
				fmt.Sprintf("%02d:%02d-%02d:%02d", iv.start/60, iv.start%60, iv.end/60, iv.end%60))
		}
	}
	return cfg
}
