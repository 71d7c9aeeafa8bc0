package notify

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"ticketd/internal/mailtest"
	"ticketd/ticket"
)

var t0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

// memOutbox is an in-memory Outbox with failure injection.
type memOutbox struct {
	mu           sync.Mutex
	rows         map[int64]*memRow
	failDue      int // the next failDue Due calls fail
	failMarkSent int
}

type memRow struct {
	item     ticket.OutboxItem
	next     time.Time
	state    string // pending, sent, failed
	reason   string
	sentAt   time.Time
	attempts int
}

func newMemOutbox() *memOutbox { return &memOutbox{rows: map[int64]*memRow{}} }

func (o *memOutbox) add(id int64, next time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rows[id] = &memRow{
		item:  ticket.OutboxItem{ID: id, EnvelopeFrom: "bounce@example.com", Recipients: []string{"ada@customer.example"}, Data: []byte(fmt.Sprintf("Message-ID: <%d@x>\r\n\r\nhi\r\n", id)), MessageID: fmt.Sprintf("%d@x", id), Kind: "ack", TicketNumber: id, CreatedAt: next},
		next:  next,
		state: "pending",
	}
}

func (o *memOutbox) row(id int64) memRow {
	o.mu.Lock()
	defer o.mu.Unlock()
	return *o.rows[id]
}

func (o *memOutbox) NextAttemptAt(context.Context) (time.Time, bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var min time.Time
	ok := false
	for _, r := range o.rows {
		if r.state == "pending" && (!ok || r.next.Before(min)) {
			min, ok = r.next, true
		}
	}
	return min, ok, nil
}

func (o *memOutbox) Due(_ context.Context, now time.Time, limit int) ([]ticket.OutboxItem, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failDue > 0 {
		o.failDue--
		return nil, errors.New("database is locked")
	}
	var due []*memRow
	for _, r := range o.rows {
		if r.state == "pending" && !r.next.After(now) {
			due = append(due, r)
		}
	}
	slices.SortFunc(due, func(a, b *memRow) int { return a.next.Compare(b.next) })
	var out []ticket.OutboxItem
	for _, r := range due[:min(limit, len(due))] {
		it := r.item
		it.Attempts = r.attempts
		out = append(out, it)
	}
	return out, nil
}

func (o *memOutbox) MarkSent(_ context.Context, id int64, at time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failMarkSent > 0 {
		o.failMarkSent--
		return errors.New("disk I/O error")
	}
	r := o.rows[id]
	if r.state != "pending" {
		return fmt.Errorf("row %d is %s", id, r.state)
	}
	r.state, r.sentAt = "sent", at
	r.attempts++
	return nil
}

func (o *memOutbox) MarkRetry(_ context.Context, id int64, attempts int, next time.Time, reason string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.rows[id]
	r.attempts, r.next, r.reason = attempts, next, reason
	return nil
}

func (o *memOutbox) MarkFailed(_ context.Context, id int64, attempts int, reason string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.rows[id]
	if r.state != "pending" {
		return fmt.Errorf("row %d is %s", id, r.state)
	}
	r.state, r.attempts, r.reason = "failed", attempts, reason
	return nil
}

// recorder is a Deliver func that counts calls per message and answers
// with the errors queued for it.
type recorder struct {
	mu    sync.Mutex
	calls map[string]int
	errs  []error // returned in order; nil once exhausted
	fixed error   // returned when errs is empty
}

func (r *recorder) deliver(_ context.Context, _ string, _ []string, data []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls == nil {
		r.calls = map[string]int{}
	}
	r.calls[string(data)]++
	if len(r.errs) > 0 {
		err := r.errs[0]
		r.errs = r.errs[1:]
		return err
	}
	return r.fixed
}

func (r *recorder) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.calls {
		n += c
	}
	return n
}

func (r *recorder) maxPerMessage() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := 0
	for _, c := range r.calls {
		m = max(m, c)
	}
	return m
}

var errGreylisted = &DeliveryError{Temporary: true, Code: 451, Stage: StageRcpt, Message: "greylisted"}
var errNoSuchUser = &DeliveryError{Code: 550, Enhanced: "5.1.1", Stage: StageRcpt, Message: "no such user"}

func newWorker(o Outbox, deliver func(context.Context, string, []string, []byte) error, clock ticket.Clock) *Worker {
	return &Worker{Outbox: o, Deliver: deliver, Clock: clock, Rand: rand.New(rand.NewPCG(1, 2))}
}

func TestWorker_DeliversDueItemsAndMarksThemSent(t *testing.T) {
	clock := ticket.NewFakeClock(t0)
	o := newMemOutbox()
	for id := range int64(3) {
		o.add(id+1, t0)
	}
	o.add(4, t0.Add(time.Minute)) // not yet due
	var rec recorder
	var sent []int64
	w := newWorker(o, rec.deliver, clock)
	w.OnSent = func(it ticket.OutboxItem, at time.Time) { sent = append(sent, it.ID) }

	n, err := w.RunOnce(t.Context())
	if err != nil || n != 3 {
		t.Fatalf("RunOnce = %d, %v; want 3, nil", n, err)
	}
	slices.Sort(sent)
	if !slices.Equal(sent, []int64{1, 2, 3}) {
		t.Errorf("OnSent for %v, want [1 2 3]", sent)
	}
	if r := o.row(1); r.state != "sent" || !r.sentAt.Equal(t0) {
		t.Errorf("row 1 = %s at %v", r.state, r.sentAt)
	}
	if o.row(4).state != "pending" {
		t.Errorf("future item was touched")
	}

	clock.Advance(time.Minute)
	if n, err := w.RunOnce(t.Context()); err != nil || n != 1 {
		t.Fatalf("second RunOnce = %d, %v; want 1", n, err)
	}
	if rec.maxPerMessage() != 1 {
		t.Errorf("some message was delivered more than once")
	}
}

func TestWorker_DrainsMoreThanOneBatch(t *testing.T) {
	o := newMemOutbox()
	for id := range int64(23) {
		o.add(id+1, t0)
	}
	var rec recorder
	w := newWorker(o, rec.deliver, ticket.NewFakeClock(t0))
	w.BatchSize = 5
	if n, err := w.RunOnce(t.Context()); err != nil || n != 23 {
		t.Fatalf("RunOnce = %d, %v; want 23", n, err)
	}
}

func TestWorker_TemporaryFailuresFollowCappedExponentialBackoff(t *testing.T) {
	clock := ticket.NewFakeClock(t0)
	o := newMemOutbox()
	o.add(1, t0)
	rec := recorder{fixed: errGreylisted}
	w := newWorker(o, rec.deliver, clock)
	w.Retry = Retry{GiveUpAfter: 1000 * time.Hour}

	nominal := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour, time.Hour}
	for i, d := range nominal {
		before := clock.Now()
		if _, err := w.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		r := o.row(1)
		if r.state != "pending" || r.attempts != i+1 {
			t.Fatalf("after attempt %d: state %s attempts %d", i+1, r.state, r.attempts)
		}
		delay := r.next.Sub(before)
		if delay < d*3/4 || delay > d {
			t.Errorf("delay after attempt %d = %v, want within [%v, %v]", i+1, delay, d*3/4, d)
		}
		if r.reason != errGreylisted.Error() {
			t.Errorf("reason = %q", r.reason)
		}
		// Nothing happens before the next attempt is due.
		clock.Set(r.next.Add(-time.Second))
		calls := rec.total()
		if _, err := w.RunOnce(t.Context()); err != nil || rec.total() != calls {
			t.Fatalf("attempt made before next_attempt_at (err %v)", err)
		}
		clock.Set(r.next)
	}
}

func TestWorker_GivesUpAfter72HoursAndReportsOnce(t *testing.T) {
	for _, tc := range []struct {
		name   string
		queued bool
	}{{"age from Queued", true}, {"age estimated from attempts", false}} {
		t.Run(tc.name, func(t *testing.T) {
			clock := ticket.NewFakeClock(t0)
			o := newMemOutbox()
			o.add(1, t0)
			if !tc.queued {
				o.rows[1].item.CreatedAt = time.Time{}
			}
			rec := recorder{fixed: errGreylisted}
			var failed []error
			w := newWorker(o, rec.deliver, clock)
			w.OnFailed = func(it ticket.OutboxItem, err error) { failed = append(failed, err) }

			var lastAttempt time.Time
			for range 1000 {
				r := o.row(1)
				if r.state != "pending" {
					break
				}
				clock.Set(r.next)
				lastAttempt = r.next
				if _, err := w.RunOnce(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			r := o.row(1)
			if r.state != "failed" {
				t.Fatalf("state = %s after 1000 rounds, want failed", r.state)
			}
			// With Queued the cut-off is exact: the first attempt at or
			// past 72h. Estimated from attempts it is within a few hours.
			age, slack := lastAttempt.Sub(t0), 4*time.Hour
			if tc.queued {
				slack = time.Hour // one capped retry interval
				if age < 72*time.Hour {
					t.Errorf("gave up at age %v, before 72h", age)
				}
			}
			if age < 72*time.Hour-slack || age > 72*time.Hour+slack {
				t.Errorf("gave up at age %v, want 72h ± %v", age, slack)
			}
			if len(failed) != 1 || !errors.Is(failed[0], errGreylisted) {
				t.Fatalf("OnFailed calls = %v, want one wrapping the last error", failed)
			}
			calls := rec.total()
			clock.Advance(24 * time.Hour)
			if _, err := w.RunOnce(t.Context()); err != nil || rec.total() != calls || len(failed) != 1 {
				t.Errorf("failed item was attempted or reported again")
			}
		})
	}
}

func TestWorker_PermanentFailureMarksFailedAtOnce(t *testing.T) {
	clock := ticket.NewFakeClock(t0)
	o := newMemOutbox()
	o.add(1, t0)
	rec := recorder{fixed: errNoSuchUser}
	var failed []ticket.OutboxItem
	w := newWorker(o, rec.deliver, clock)
	w.OnFailed = func(it ticket.OutboxItem, err error) {
		if !errors.Is(err, errNoSuchUser) {
			t.Errorf("OnFailed err = %v", err)
		}
		failed = append(failed, it)
	}
	if _, err := w.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r := o.row(1); r.state != "failed" || r.attempts != 1 || r.reason != errNoSuchUser.Error() {
		t.Errorf("row = %+v", r)
	}
	if len(failed) != 1 || failed[0].ID != 1 || failed[0].Attempts != 1 {
		t.Errorf("OnFailed = %+v", failed)
	}
}

func TestWorker_PartialDeliveryIsSentOnceAndReportsRefused(t *testing.T) {
	o := newMemOutbox()
	o.add(1, t0)
	o.rows[1].item.Recipients = []string{"ada@customer.example", "gone@customer.example"}
	partial := &PartialDeliveryError{Delivered: []string{"ada@customer.example"},
		Failed: []*DeliveryError{{Code: 550, Stage: StageRcpt, Recipient: "gone@customer.example"}}}
	rec := recorder{errs: []error{partial}}
	var refused [][]string
	w := newWorker(o, rec.deliver, ticket.NewFakeClock(t0))
	w.OnFailed = func(it ticket.OutboxItem, err error) { refused = append(refused, it.Recipients) }
	if n, err := w.RunOnce(t.Context()); err != nil || n != 1 {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}
	if o.row(1).state != "sent" {
		t.Errorf("partially delivered item is %s, want sent", o.row(1).state)
	}
	if len(refused) != 1 || !slices.Equal(refused[0], []string{"gone@customer.example"}) {
		t.Errorf("OnFailed recipients = %v", refused)
	}
}

func TestWorker_MarkSentFailureNeverResends(t *testing.T) {
	o := newMemOutbox()
	o.add(1, t0)
	o.failMarkSent = 1
	var rec recorder
	w := newWorker(o, rec.deliver, ticket.NewFakeClock(t0))
	if _, err := w.RunOnce(t.Context()); err == nil {
		t.Fatalf("RunOnce hid a MarkSent error")
	}
	if n, err := w.RunOnce(t.Context()); err != nil || n != 1 {
		t.Fatalf("second RunOnce = %d, %v; want the pending mark recorded", n, err)
	}
	if rec.total() != 1 || o.row(1).state != "sent" {
		t.Errorf("deliveries = %d, state %s; want 1, sent", rec.total(), o.row(1).state)
	}
}

func TestWorker_ConcurrentRunOnceNeverDoubleSends(t *testing.T) {
	o := newMemOutbox()
	for id := range int64(40) {
		o.add(id+1, t0)
	}
	var rec recorder
	w := newWorker(o, rec.deliver, ticket.NewFakeClock(t0))
	w.BatchSize = 7
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := w.RunOnce(t.Context()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if rec.total() != 40 || rec.maxPerMessage() != 1 {
		t.Errorf("deliveries = %d, max per message %d; want 40, 1", rec.total(), rec.maxPerMessage())
	}
}

func TestWorker_CancelledDeliveryLeavesItemPending(t *testing.T) {
	o := newMemOutbox()
	o.add(1, t0)
	ctx, cancel := context.WithCancel(t.Context())
	w := newWorker(o, func(ctx context.Context, _ string, _ []string, _ []byte) error {
		cancel()
		return &DeliveryError{Temporary: true, Stage: StageData, Err: ctx.Err()}
	}, ticket.NewFakeClock(t0))
	if _, err := w.RunOnce(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if r := o.row(1); r.state != "pending" || r.attempts != 0 {
		t.Errorf("row = %s attempts %d; want pending, 0", r.state, r.attempts)
	}
}

func TestWorker_RunDeliversOnKickAndStopsOnCancel(t *testing.T) {
	o := newMemOutbox()
	var rec recorder
	sent := make(chan int64, 10)
	w := newWorker(o, rec.deliver, ticket.NewFakeClock(t0))
	w.OnSent = func(it ticket.OutboxItem, _ time.Time) { sent <- it.ID }
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	for id := range int64(3) {
		o.add(id+1, t0)
		w.Kick()
		select {
		case got := <-sent:
			if got != id+1 {
				t.Fatalf("sent %d, want %d", got, id+1)
			}
		case <-time.After(waitTimeout):
			t.Fatalf("item %d not delivered after Kick", id+1)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil on cancel", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Run did not return after cancel")
	}
}

func TestWorker_RunRecoversFromStoreErrors(t *testing.T) {
	o := newMemOutbox()
	o.add(1, t0)
	o.failDue = 3
	sent := make(chan struct{}, 1)
	var rec recorder
	w := newWorker(o, rec.deliver, ticket.NewFakeClock(t0))
	w.MaxIdle = 10 * time.Millisecond // caps the error backoff too
	w.OnSent = func(ticket.OutboxItem, time.Time) { sent <- struct{}{} }
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() { _ = w.Run(ctx) }()
	select {
	case <-sent:
	case <-time.After(waitTimeout):
		t.Fatal("item not delivered after the store recovered")
	}
}

func TestWorker_WithDelivererRetriesGreylistingThenSendsOnce(t *testing.T) {
	srv := mailtest.StartSMTP(t, nil)
	srv.FailRcpt("ada@customer.example", 451, 1)
	d := newTestDeliverer(t, SMTPConfig{Address: srv.Addr()})
	clock := ticket.NewFakeClock(t0)
	o := newMemOutbox()
	o.add(1, t0)
	o.rows[1].item.Data = testMessage(t, "outbox-1")
	w := newWorker(o, d.Deliver, clock)

	if n, err := w.RunOnce(t.Context()); err != nil || n != 0 {
		t.Fatalf("first pass = %d, %v; want deferred", n, err)
	}
	r := o.row(1)
	if r.state != "pending" || r.attempts != 1 {
		t.Fatalf("after 451: %s, attempts %d", r.state, r.attempts)
	}
	clock.Set(r.next)
	if n, err := w.RunOnce(t.Context()); err != nil || n != 1 {
		t.Fatalf("retry = %d, %v; want sent", n, err)
	}
	if msgs := srv.WaitFor(t, 1, waitTimeout); len(msgs) != 1 || msgs[0].Header.Get("Message-Id") != "<outbox-1@example.com>" {
		t.Errorf("server got %d messages", len(msgs))
	}
}

func TestRetry_NextIsCappedExponentialWithJitter(t *testing.T) {
	var r Retry // defaults
	for _, tc := range []struct {
		attempts int
		want     time.Duration
	}{{0, 30 * time.Second}, {1, 30 * time.Second}, {2, time.Minute}, {5, 8 * time.Minute}, {8, time.Hour}, {500, time.Hour}} {
		if got := r.Next(tc.attempts, nil); got != tc.want {
			t.Errorf("Next(%d, nil) = %v, want %v", tc.attempts, got, tc.want)
		}
	}
	rnd := rand.New(rand.NewPCG(7, 7))
	distinct := map[time.Duration]bool{}
	for range 100 {
		d := r.Next(3, rnd)
		if d < 90*time.Second || d > 2*time.Minute {
			t.Fatalf("jittered delay %v outside [90s, 2m]", d)
		}
		distinct[d] = true
	}
	if len(distinct) < 50 {
		t.Errorf("only %d distinct jittered delays out of 100", len(distinct))
	}
	custom := Retry{Min: time.Second, Max: 5 * time.Second}
	if got := custom.Next(10, nil); got != 5*time.Second {
		t.Errorf("custom cap: Next = %v, want 5s", got)
	}
}
