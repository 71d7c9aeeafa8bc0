package intake

import (
	"context"
	"testing"
	"time"

	"ticketd/internal/mailtest"
	"ticketd/ticket"
)

// gatedSink holds Store of one UID until the gate opens: an intake that is
// stuck with mail waiting.
type gatedSink struct {
	*recordingSink
	uid  uint32
	gate chan struct{}
}

func (s *gatedSink) Store(ctx context.Context, f ticket.Fetched) (bool, error) {
	if f.UID == s.uid {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	return s.recordingSink.Store(ctx, f)
}

// Status tells what the server says is waiting and when intake last stored
// something, so that health can see an intake that is connected but stuck.
func TestIMAPStatusShowsWaitingMailAndProgress(t *testing.T) {
	ts := startIMAPTestServer(t, nil)
	for i := 1; i <= 3; i++ {
		appendMessage(t, ts, "INBOX", testMessage(i, "x"))
	}
	clock := ticket.NewFakeClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	sink := &gatedSink{recordingSink: newRecordingSink(), uid: 2, gate: make(chan struct{})}
	c, err := NewClient(imapTestConfig(ts.Addr()), sink, clock, quietLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	startPreparedClient(t, c)

	mailtest.Eventually(t, "UID 1 stored", imapWaitTimeout, func() bool { return c.Status().LastStoredUID == 1 })
	st := c.Status()
	if st.Waiting != 2 || st.ServerMessages != 3 || st.ServerUIDNext != 4 || !st.LastStored.Equal(clock.Now()) {
		t.Fatalf("Status = %+v, want 2 waiting of 3, UIDNEXT 4, last stored now", st)
	}
	if !st.Connected {
		t.Fatal("not connected")
	}
	clock.Advance(11 * time.Minute)
	if got := c.Status().StalledFor(clock.Now()); got != 11*time.Minute {
		t.Fatalf("StalledFor = %v, want 11m: mail waits and nothing was stored since", got)
	}

	close(sink.gate)
	mailtest.Eventually(t, "everything stored", imapWaitTimeout, func() bool { return c.Status().LastStoredUID == 3 })
	st = c.Status()
	if st.Waiting != 0 || st.StalledFor(clock.Now()) != 0 {
		t.Fatalf("Status = %+v, want nothing waiting and no stall", st)
	}
}
