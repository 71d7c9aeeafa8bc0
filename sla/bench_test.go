package sla

import (
	"testing"
	"time"
)

// BenchmarkDue computes due times for start instants spread over a year
// (every 7h13m, so every weekday and hour occurs) for several calendars,
// zones and regions, with the built-in targets 1h, 1bd and 2bd.
func BenchmarkDue(b *testing.B) {
	cat := testCatalog(b)
	for _, s := range []struct {
		name, cal, tz, region string
	}{
		{"office_Zurich_CH-ZH", "office", "Europe/Zurich", "CH-ZH"},
		{"lunch_London_GB", "lunch", "Europe/London", "GB"},
		{"business_NewYork_US", "business", "America/New_York", "US"},
		{"office_Sydney_AU-NSW", "office", "Australia/Sydney", "AU-NSW"},
		{"24x7_Zurich", "24x7", "Europe/Zurich", "CH-ZH"},
	} {
		cal, loc := cat.Calendars[s.cal], mustZone(b, s.tz)
		var starts []time.Time
		for t := time.Date(2026, 1, 1, 0, 0, 0, 0, loc); t.Year() == 2026; t = t.Add(7*time.Hour + 13*time.Minute) {
			starts = append(starts, t)
		}
		targets := []time.Duration{time.Hour, 9 * time.Hour, 18 * time.Hour}
		b.Run(s.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := Due(starts[i%len(starts)], targets[i%len(targets)], cal, loc, s.region); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkDueLongSpan shows cost growing with days spanned: 20 business
// days walks about four weeks.
func BenchmarkDueLongSpan(b *testing.B) {
	office, zrh := Builtin().Calendars["office"], mustZone(b, "Europe/Zurich")
	start := time.Date(2026, 3, 13, 16, 0, 0, 0, zrh)
	for b.Loop() {
		if _, err := Due(start, 20*9*time.Hour, office, zrh, "CH-ZH"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDueFor(b *testing.B) {
	cat := Builtin()
	start := time.Date(2026, 3, 13, 15, 0, 0, 0, time.UTC)
	for b.Loop() {
		if _, err := cat.DueFor("standard", "P3", start, "Europe/Zurich", "CH-ZH"); err != nil {
			b.Fatal(err)
		}
	}
}
