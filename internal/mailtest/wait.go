package mailtest

import (
	"strings"
	"time"
)

// Eventually checks cond until it holds and returns how long that took. If
// timeout passes first it fails the test with what and, for each detail, the
// state it describes. cond may itself call t.Fatalf.
//
// cond is checked at once, then at intervals growing from 5 ms to
// timeout/200 (at most 200 ms): a quick condition is seen within
// milliseconds, and an expensive one (a CLI run, an IMAP login) is not
// hammered through a long wait.
func Eventually(t TB, what string, timeout time.Duration, cond func() bool, detail ...func() string) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	interval, longest := 5*time.Millisecond, min(max(timeout/200, 5*time.Millisecond), 200*time.Millisecond)
	for !cond() {
		if time.Now().After(deadline) {
			var extra strings.Builder
			for _, d := range detail {
				extra.WriteString("; " + d())
			}
			t.Fatalf("timed out after %v waiting for %s%s", timeout, what, extra.String())
			return time.Since(start)
		}
		time.Sleep(min(interval, time.Until(deadline)+time.Millisecond))
		interval = min(2*interval, longest)
	}
	return time.Since(start)
}
