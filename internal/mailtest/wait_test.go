package mailtest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// fakeTB records a failure instead of ending the test.
type fakeTB struct {
	testing.TB
	failed string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
}

func TestEventually_returnsOnceTheConditionHolds(t *testing.T) {
	ready := time.Now().Add(30 * time.Millisecond)
	calls := 0
	took := Eventually(t, "the deadline", 5*time.Second, func() bool { calls++; return time.Now().After(ready) })
	if took < 30*time.Millisecond || took > time.Second {
		t.Errorf("took %v, want about 30ms", took)
	}
	if calls < 2 {
		t.Errorf("cond called %d times", calls)
	}
}

func TestEventually_failsAfterTimeoutNamingWhatAndDetail(t *testing.T) {
	f := &fakeTB{TB: t}
	start := time.Now()
	Eventually(f, "Godot", 50*time.Millisecond, func() bool { return false }, func() string { return "still waiting" })
	if took := time.Since(start); took < 50*time.Millisecond || took > time.Second {
		t.Errorf("gave up after %v, want about 50ms", took)
	}
	if !strings.Contains(f.failed, "Godot") || !strings.Contains(f.failed, "still waiting") {
		t.Errorf("failure message %q names neither what nor the detail", f.failed)
	}
}
