package sla

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Upper bounds keep targets far from time.Duration overflow and catch typos
// such as "4000h" early; no support contract promises a response in a year.
const (
	maxTargetDuration = 365 * 24 * time.Hour
	maxBusinessDays   = 260
)

// Target is a first-response or resolution target: either elapsed time on
// the level's calendar ("30m", "4h", "1h30m") or a number of business days
// ("1bd"). The zero Target is invalid; use ParseTarget.
type Target struct {
	d    time.Duration // set for time targets
	days int           // set for business-day targets
}

// ParseTarget parses "30m", "4h", "1h30m" (whole minutes, as accepted by
// time.ParseDuration) or "Nbd" for N business days. Targets must be positive.
func ParseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "bd"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 || days > maxBusinessDays || strings.HasPrefix(n, "+") {
			return Target{}, fmt.Errorf("target %q: business days must be a whole number from 1 to %d, e.g. \"1bd\"", s, maxBusinessDays)
		}
		return Target{days: days}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return Target{}, fmt.Errorf("target %q is neither a duration like \"30m\", \"4h\", \"1h30m\" nor business days like \"1bd\"", s)
	}
	switch {
	case d <= 0:
		return Target{}, fmt.Errorf("target %q must be positive", s)
	case d%time.Minute != 0:
		return Target{}, fmt.Errorf("target %q must be whole minutes", s)
	case d > maxTargetDuration:
		return Target{}, fmt.Errorf("target %q exceeds %s", s, maxTargetDuration)
	}
	return Target{d: d}, nil
}

// parseOptionalTarget treats "" and "none" as "no target" (nil).
func parseOptionalTarget(s string) (*Target, error) {
	if s = strings.TrimSpace(s); s == "" || strings.EqualFold(s, "none") {
		return nil, nil
	}
	t, err := ParseTarget(s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// String returns the canonical form: "1bd", "30m", "4h", "1h30m". ParseTarget
// accepts it back unchanged.
func (t Target) String() string {
	if t.days > 0 {
		return strconv.Itoa(t.days) + "bd"
	}
	h, m := int64(t.d/time.Hour), int64(t.d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return strconv.FormatInt(m, 10) + "m"
	case m == 0:
		return strconv.FormatInt(h, 10) + "h"
	}
	return strconv.FormatInt(h, 10) + "h" + strconv.FormatInt(m, 10) + "m"
}

// BusinessDays returns N for an "Nbd" target and 0 for a time target.
func (t Target) BusinessDays() int { return t.days }

// Duration returns the time of a "30m"/"4h" target and 0 for business days,
// whose length depends on the calendar (see Business).
func (t Target) Duration() time.Duration { return t.d }

// Business returns how much business time the target allows on c: the
// duration itself, or N × c.DayLength() for N business days. A nil calendar
// is taken as 24x7.
func (t Target) Business(c *Calendar) time.Duration {
	if t.days == 0 {
		return t.d
	}
	day := 24 * time.Hour
	if c != nil {
		day = c.DayLength()
	}
	return time.Duration(t.days) * day
}

// MarshalText encodes the canonical form, so targets read well in JSON.
func (t Target) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText parses like ParseTarget.
func (t *Target) UnmarshalText(b []byte) error {
	v, err := ParseTarget(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}
