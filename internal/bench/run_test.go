package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"ticketd/internal/pgtest"
)

// TestRunSmall runs all three phases on a few mails, on SQLite and on a
// scratch database of a PostgreSQL server; it checks that the runner
// finishes and reports figures, not how fast they are.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers and a daemon")
	}
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			storeArg := ""
			if driver == "postgres" {
				storeArg = "postgres:" + pgtest.Start(t).NewDatabase(t)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var admin []string
			res, err := Run(ctx, Config{Messages: 20, Rate: 20, Duration: time.Second, LargeAttachment: 256 << 10, Seed: 3, Prefill: 300, Store: storeArg,
				Admin: func(ctx context.Context, args []string) error {
					admin = append(admin, strings.Join(args[:2], " "))
					return nil
				}})
			if err != nil {
				t.Fatal(err)
			}
			if res.MessagesPerSecond <= 0 || res.Offered != 20 || res.AckLatencyP50 <= 0 || res.AckLatencyP99 < res.AckLatencyP50 || res.PeakRSSMB <= 0 {
				t.Errorf("implausible result: %+v", res)
			}
			if res.PrefillTickets != 300 || res.TicketsMeasured != 40 || res.BytesPerTicket <= 0 || res.RawBytesPerTicket <= 0 || res.ClassifyP50 <= 0 {
				t.Errorf("implausible growth figures: prefill %d, %d tickets measured, %.0f bytes a ticket, %.0f raw, classify %s",
					res.PrefillTickets, res.TicketsMeasured, res.BytesPerTicket, res.RawBytesPerTicket, res.ClassifyP50)
			}
			if len(admin) != 5*adminRuns || admin[0] != "tickets list" {
				t.Errorf("admin commands timed: %v", admin)
			}
			if !strings.HasPrefix(res.Store, driver) {
				t.Errorf("store %q", res.Store)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if p := percentile(d, 0.5); p != 50*time.Millisecond {
		t.Errorf("p50 = %s", p)
	}
	if p := percentile(d, 0.99); p != 99*time.Millisecond {
		t.Errorf("p99 = %s", p)
	}
}
