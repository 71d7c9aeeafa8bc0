package bench

import (
	"context"
	"testing"
	"time"
)

// TestRunSmall runs all three phases on a few mails; it checks that the
// runner finishes and reports figures, not how fast they are.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers and a daemon")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{Messages: 20, Rate: 20, Duration: time.Second, LargeAttachment: 256 << 10, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.MessagesPerSecond <= 0 || res.Offered != 20 || res.AckLatencyP50 <= 0 || res.AckLatencyP99 < res.AckLatencyP50 || res.PeakRSSMB <= 0 {
		t.Errorf("implausible result: %+v", res)
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
