package sla

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// propertySetup is a calendar, zone and region the properties run against.
type propertySetup struct {
	cal    *Calendar
	loc    *time.Location
	region string
}

func propertySetups(t testing.TB) []propertySetup {
	t.Helper()
	cat := testCatalog(t)
	// Intervals touching midnight and one crossing the 02:00–03:00 DST
	// change in Europe, the shapes most likely to break the walk.
	odd, err := ParseCalendar("odd", CalendarConfig{Hours: map[string][]string{
		"mon": {"00:00-02:00", "22:00-24:00"}, "tue": {"00:00-01:00", "09:00-09:01"},
		"sat": {"10:00-14:00"}, "sun": {"01:30-03:30"},
	}, Closed: []string{"2026-06-01", "2027-03-28"}})
	if err != nil {
		t.Fatal(err)
	}
	var out []propertySetup
	for _, s := range []struct{ cal, tz, region string }{
		{"office", "Europe/Zurich", "CH-ZH"},
		{"lunch", "Europe/London", "GB"},
		{"business", "America/New_York", "US"},
		{"office", "Australia/Sydney", "AU-NSW"},
		{"office-closed", "Asia/Kolkata", ""},
		{"24x7", "Europe/Zurich", "CH-ZH"},
	} {
		out = append(out, propertySetup{cat.Calendars[s.cal], mustZone(t, s.tz), s.region})
	}
	for _, tz := range []string{"Europe/Zurich", "America/New_York", "UTC"} {
		out = append(out, propertySetup{odd, mustZone(t, tz), "DE-BY"})
	}
	return out
}

// randomInstant is a start between 2025 and 2028, often on a round minute
// (like opening and closing times), sometimes with nanoseconds.
func randomInstant(r *rand.Rand) time.Time {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	t := base.Add(time.Duration(r.Int64N(int64(3*365*24*time.Hour))) / time.Minute * time.Minute)
	if r.IntN(4) == 0 {
		t = t.Add(time.Duration(r.Int64N(int64(time.Minute))))
	}
	return t
}

// randomBusiness is 0 to 60 business hours, mostly whole minutes.
func randomBusiness(r *rand.Rand) time.Duration {
	switch r.IntN(10) {
	case 0:
		return 0
	case 1:
		return time.Duration(r.Int64N(int64(60 * time.Hour)))
	}
	return time.Duration(r.Int64N(60*60)) * time.Minute
}

// isOpen reports whether the nanosecond starting at t is business time.
func isOpen(t testing.TB, s propertySetup, at time.Time) bool {
	t.Helper()
	d, err := BusinessTime(at, at.Add(1), s.cal, s.loc, s.region)
	if err != nil {
		t.Fatal(err)
	}
	return d == 1
}

// Property: for business > 0 the due instant ends business time, i.e. the
// nanosecond just before it is open; it may itself be a closing instant.
// For business == 0 the due instant is the start itself.
func TestPropertyDueNeverInClosedTime(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range propertySetups(t) {
		t.Run(fmt.Sprintf("%s_%s_%s", s.cal.Name(), s.loc, s.region), func(t *testing.T) {
			for range 400 {
				start, business := randomInstant(r), randomBusiness(r)
				due, err := Due(start, business, s.cal, s.loc, s.region)
				if err != nil {
					t.Fatal(err)
				}
				if business == 0 {
					if !due.Equal(start) {
						t.Fatalf("Due(%s, 0) = %s, want start", start, due)
					}
					continue
				}
				if due.Before(start) || !isOpen(t, s, due.Add(-1)) {
					t.Fatalf("Due(%s, %s) = %s: the moment before it is closed", start.In(s.loc), business, due)
				}
			}
		})
	}
}

// Property: Due(Due(t, a), b) == Due(t, a+b).
func TestPropertyDueComposes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range propertySetups(t) {
		t.Run(fmt.Sprintf("%s_%s_%s", s.cal.Name(), s.loc, s.region), func(t *testing.T) {
			for range 400 {
				start, a, b := randomInstant(r), randomBusiness(r), randomBusiness(r)
				mid, err := Due(start, a, s.cal, s.loc, s.region)
				if err != nil {
					t.Fatal(err)
				}
				twoSteps, err := Due(mid, b, s.cal, s.loc, s.region)
				if err != nil {
					t.Fatal(err)
				}
				oneStep, err := Due(start, a+b, s.cal, s.loc, s.region)
				if err != nil {
					t.Fatal(err)
				}
				if !twoSteps.Equal(oneStep) {
					t.Fatalf("start %s a %s b %s: Due(Due) = %s, Due(a+b) = %s", start.In(s.loc), a, b, twoSteps, oneStep)
				}
			}
		})
	}
}

// Property: BusinessTime(t, Due(t, d)) == d.
func TestPropertyBusinessTimeInvertsDue(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, s := range propertySetups(t) {
		t.Run(fmt.Sprintf("%s_%s_%s", s.cal.Name(), s.loc, s.region), func(t *testing.T) {
			for range 400 {
				start, d := randomInstant(r), randomBusiness(r)
				due, err := Due(start, d, s.cal, s.loc, s.region)
				if err != nil {
					t.Fatal(err)
				}
				got, err := BusinessTime(start, due, s.cal, s.loc, s.region)
				if err != nil {
					t.Fatal(err)
				}
				if got != d {
					t.Fatalf("start %s: BusinessTime(t, Due(t, %s)) = %s", start.In(s.loc), d, got)
				}
			}
		})
	}
}

// The holiday cache is shared; concurrent first use of many (region, year)
// pairs must give the same answers as sequential use (and pass -race).
func TestDueConcurrentMatchesSequential(t *testing.T) {
	office := Builtin().Calendars["office"]
	zrh := mustZone(t, "Europe/Zurich")
	regions := []string{"NL", "IT", "ES", "BE", "AT", "FR", "DE-BY", "CH-ZH"}
	type job struct {
		start  time.Time
		region string
	}
	var jobs []job
	for i := range 200 {
		jobs = append(jobs, job{time.Date(2030+i%20, time.Month(1+i%12), 1+i%28, 9+i%10, 0, 0, 0, zrh), regions[i%len(regions)]})
	}
	got := make([]time.Time, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			d, err := Due(j.start, 18*time.Hour, office, zrh, j.region)
			if err != nil {
				t.Error(err)
			}
			got[i] = d
		})
	}
	wg.Wait()
	for i, j := range jobs {
		want, err := Due(j.start, 18*time.Hour, office, zrh, j.region)
		if err != nil || !want.Equal(got[i]) {
			t.Errorf("job %d: concurrent %s, sequential %s (%v)", i, got[i], want, err)
		}
	}
}
