// Package testclock gives tests a start instant that does not depend on
// when they run. CI runs at any hour; a test that takes "now" from the wall
// clock passes or fails by time of day (office hours, Fridays, holidays).
//
// Start is Monday 23 November 2026, 10:00 in Zurich, unless the environment
// variable TICKETD_TEST_NOW holds another RFC 3339 instant; .ci/run runs the
// time-sensitive packages again under a Friday evening and a public holiday
// to flush out hidden dependencies on the hour.
package testclock

import (
	"fmt"
	"os"
	"sync"
	"time"

	"ticketd/ticket"
)

// EnvVar names the variable that moves Start.
const EnvVar = "TICKETD_TEST_NOW"

// Default is the start instant without TICKETD_TEST_NOW: a Monday morning
// in business hours in Zurich (09:00 UTC).
var Default = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

var start = sync.OnceValues(func() (time.Time, error) {
	v := os.Getenv(EnvVar)
	if v == "" {
		return Default, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("testclock: %s=%q: %w", EnvVar, v, err)
	}
	return t.UTC(), nil
})

// Start returns the instant tests begin at. It panics on a malformed
// TICKETD_TEST_NOW: a test run with a broken setting must not pass.
func Start() time.Time {
	t, err := start()
	if err != nil {
		panic(err)
	}
	return t
}

// Fake returns a FakeClock set to Start.
func Fake() *ticket.FakeClock { return ticket.NewFakeClock(Start()) }

// Running returns a clock that reads Start at the moment it is made and
// then advances with real time, for tests that run real loops (timers,
// retries) but must not depend on the hour they run at.
func Running() ticket.Clock { return &running{base: Start(), began: time.Now()} }

type running struct {
	base  time.Time
	began time.Time
}

func (c *running) Now() time.Time { return c.base.Add(time.Since(c.began)) }
