package sla

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rickar/cal/v2"
)

// maxClosedStreak bounds the walk: a calendar whose closed dates leave no
// opening for ten years is a configuration error, not a reason to spin.
const maxClosedStreak = 3660

// Due returns the instant at which business time has elapsed on c after
// start, with c's hours read in loc (nil means UTC) and the holidays of
// region skipped. Work starts at start if it is within business hours,
// else at the next opening; the result may be a closing instant (the last
// business minute ended there). A zero duration returns start unchanged:
// nothing is owed, so the clock need not wait for an opening. The result is
// expressed in loc.
func Due(start time.Time, business time.Duration, c *Calendar, loc *time.Location, region string) (time.Time, error) {
	if c == nil {
		return time.Time{}, errors.New("due time: no calendar")
	}
	if business < 0 {
		return time.Time{}, fmt.Errorf("due time on %s: negative business time %s", c.name, business)
	}
	w, err := newWalker(c, loc, region)
	if err != nil {
		return time.Time{}, fmt.Errorf("due time on %s: %w", c.name, err)
	}
	start = start.In(w.loc)
	if business == 0 {
		return start, nil
	}
	if c.alwaysOpen {
		return start.Add(business), nil
	}
	remaining := business
	var due time.Time
	err = w.walk(start, func(open, close time.Time) bool {
		from := open
		if start.After(from) {
			from = start
		}
		if avail := close.Sub(from); remaining > avail {
			remaining -= avail
			return true
		}
		due = from.Add(remaining)
		return false
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("due time on %s from %s: %w", c.name, start.Format(time.RFC3339), err)
	}
	return due, nil
}

// BusinessTime returns the business time on c between from and to (0 if to
// is not after from), with hours read in loc (nil means UTC) and the
// holidays of region skipped. It is the inverse of Due:
// BusinessTime(t, Due(t, d)) == d.
func BusinessTime(from, to time.Time, c *Calendar, loc *time.Location, region string) (time.Duration, error) {
	if c == nil {
		return 0, errors.New("business time: no calendar")
	}
	w, err := newWalker(c, loc, region)
	if err != nil {
		return 0, fmt.Errorf("business time on %s: %w", c.name, err)
	}
	if !to.After(from) {
		return 0, nil
	}
	if c.alwaysOpen {
		return to.Sub(from), nil
	}
	var total time.Duration
	err = w.walk(from.In(w.loc), func(open, close time.Time) bool {
		if !open.Before(to) {
			return false
		}
		if from.After(open) {
			open = from
		}
		if close.After(to) {
			close = to
		}
		total += close.Sub(open)
		return true
	})
	if err != nil {
		return 0, fmt.Errorf("business time on %s from %s: %w", c.name, from.Format(time.RFC3339), err)
	}
	return total, nil
}

// walker enumerates a calendar's opening intervals as instants, day by day,
// so the cost of a computation grows with the days it spans, not with its
// minutes.
type walker struct {
	c      *Calendar
	loc    *time.Location
	region string
	list   []*cal.Holiday

	year int // year of cached; 0 before the first lookup
	hols *yearHolidays
}

func newWalker(c *Calendar, loc *time.Location, region string) (walker, error) {
	list, err := holidayList(region)
	if err != nil {
		return walker{}, err
	}
	if loc == nil {
		loc = time.UTC
	}
	return walker{c: c, loc: loc, region: strings.ToUpper(strings.TrimSpace(region)), list: list}, nil
}

// closed reports whether the local date is a holiday or configured closed day.
func (w *walker) closed(y int, m time.Month, d int) bool {
	if w.c.closed[dateOf(y, m, d)] {
		return true
	}
	if w.list == nil {
		return false
	}
	if w.year != y {
		w.year, w.hols = y, holidays(w.region, w.list, y)
	}
	return w.hols[m][d]
}

// walk calls fn with each opening interval [open, close) that ends after
// start, in order, until fn returns false. Interval bounds are built from
// local wall-clock times with time.Date, which is what keeps an 08:30
// opening at 08:30 across DST changes.
func (w *walker) walk(start time.Time, fn func(open, close time.Time) bool) error {
	y, m, d := start.In(w.loc).Date()
	streak := 0
	for {
		day := time.Date(y, m, d, 12, 0, 0, 0, time.UTC) // zone-free date arithmetic
		ivs := w.c.week[day.Weekday()]
		if len(ivs) == 0 || w.closed(y, m, d) {
			if streak++; streak > maxClosedStreak {
				return fmt.Errorf("no business hours in the %d days after %04d-%02d-%02d", maxClosedStreak, y, m, d)
			}
		} else {
			streak = 0
			for _, iv := range ivs {
				open := time.Date(y, m, d, iv.start/60, iv.start%60, 0, 0, w.loc)
				close := time.Date(y, m, d, iv.end/60, iv.end%60, 0, 0, w.loc)
				// An interval swallowed by a DST gap can come out empty or
				// reversed; it holds no business time.
				if !close.After(open) || !close.After(start) {
					continue
				}
				if !fn(open, close) {
					return nil
				}
			}
		}
		y, m, d = day.AddDate(0, 0, 1).Date()
	}
}

// Open reports whether at is within business hours on c, with c's hours
// read in loc (nil means UTC) and the holidays of region skipped: what
// routing asks ("is the team in?") and what a designated engineer's hours
// mean.
func Open(at time.Time, c *Calendar, loc *time.Location, region string) (bool, error) {
	if c == nil {
		return false, errors.New("open: no calendar")
	}
	if c.alwaysOpen {
		return true, nil
	}
	w, err := newWalker(c, loc, region)
	if err != nil {
		return false, fmt.Errorf("open on %s: %w", c.name, err)
	}
	open := false
	err = w.walk(at.In(w.loc), func(from, to time.Time) bool {
		open = !at.Before(from) && at.Before(to)
		return false // the first interval that ends after at decides
	})
	if err != nil {
		return false, fmt.Errorf("open on %s at %s: %w", c.name, at.Format(time.RFC3339), err)
	}
	return open, nil
}
