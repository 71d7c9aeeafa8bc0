package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"ticketd/ticket"
)

// Outbox is the store side of the outbox. Implementations must make Due
// return only items not yet marked sent or failed.
type Outbox interface {
	// NextAttemptAt returns the earliest next_attempt_at of pending items;
	// ok is false when nothing is pending.
	NextAttemptAt(ctx context.Context) (at time.Time, ok bool, err error)
	// Due returns up to limit pending items with next_attempt_at <= now,
	// earliest first.
	Due(ctx context.Context, now time.Time, limit int) ([]ticket.OutboxItem, error)
	MarkSent(ctx context.Context, id int64, at time.Time) error
	MarkRetry(ctx context.Context, id int64, attempts int, next time.Time, reason string) error
	MarkFailed(ctx context.Context, id int64, attempts int, reason string) error
}

// Retry is the schedule for temporary failures: capped exponential
// backoff with jitter. Zero fields take the defaults.
type Retry struct {
	Min         time.Duration // delay after the first failure; default 30s
	Max         time.Duration // cap; default 1h
	GiveUpAfter time.Duration // age at which a message fails for good; default 72h
}

// Retry defaults. RFC 5321 §4.5.4.1 suggests relays try for 4–5 days;
// 72 hours is shorter because an acknowledgement that late has lost its
// point, and still covers a weekend outage.
const (
	DefaultRetryMin         = 30 * time.Second
	DefaultRetryMax         = time.Hour
	DefaultRetryGiveUpAfter = 72 * time.Hour
)

func (r Retry) withDefaults() Retry {
	if r.Min <= 0 {
		r.Min = DefaultRetryMin
	}
	if r.Max <= 0 {
		r.Max = DefaultRetryMax
	}
	if r.Max < r.Min {
		r.Max = r.Min
	}
	if r.GiveUpAfter <= 0 {
		r.GiveUpAfter = DefaultRetryGiveUpAfter
	}
	return r
}

// nominal is the delay after attempts failures without jitter:
// Min·2^(attempts−1), capped at Max.
func (r Retry) nominal(attempts int) time.Duration {
	r = r.withDefaults()
	d := r.Min
	for i := 1; i < attempts && d < r.Max; i++ {
		d *= 2
	}
	return min(d, r.Max)
}

// Next returns the delay before the next attempt after attempts failed
// ones (attempts >= 1). It lies in [¾·d, d] for the nominal delay d, so
// messages that failed together do not all retry in the same second; with
// a nil rnd it is exactly d.
func (r Retry) Next(attempts int, rnd *rand.Rand) time.Duration {
	d := r.nominal(max(attempts, 1))
	if rnd == nil || d/4 <= 0 {
		return d
	}
	return d - time.Duration(rnd.Int64N(int64(d/4)+1))
}

// elapsed estimates how long an item with attempts failures has been
// queued, for items without CreatedAt: the sum of the delays so far, each
// taken as ⅞ of nominal, the mean of Next's jitter.
func (r Retry) elapsed(attempts int) time.Duration {
	var total time.Duration
	for i := 1; i < attempts; i++ {
		total += r.nominal(i) * 7 / 8
	}
	return total
}

// Worker delivers due outbox items. Set the exported fields before the
// first call; Clock and Logger default to the system clock and a discard
// logger.
type Worker struct {
	Outbox  Outbox
	Deliver func(ctx context.Context, from string, to []string, data []byte) error
	Clock   ticket.Clock
	Retry   Retry
	Logger  *slog.Logger

	// OnFailed is called once when an item is marked failed, and for a
	// partial delivery with the item narrowed to the refused recipients.
	OnFailed func(item ticket.OutboxItem, err error)
	// OnSent is called after an item is marked sent.
	OnSent func(item ticket.OutboxItem, at time.Time)

	// Rand is the jitter source; nil uses a private one.
	Rand *rand.Rand

	// BatchSize is how many items one Due call fetches; default 50.
	BatchSize int
	// MaxIdle caps the wait between checks of the outbox; default 1m, so a
	// row written without Kick is picked up within a minute.
	MaxIdle time.Duration

	once sync.Once
	kick chan struct{}
	run  sync.Mutex // one RunOnce at a time: no item is delivered twice concurrently

	// unmarked holds items delivered whose MarkSent failed, so a later
	// RunOnce records them instead of sending them again.
	unmarked map[int64]time.Time
}

func (w *Worker) init() {
	w.once.Do(func() {
		w.kick = make(chan struct{}, 1)
		w.unmarked = map[int64]time.Time{}
		if w.Clock == nil {
			w.Clock = ticket.SystemClock{}
		}
		if w.Logger == nil {
			w.Logger = slog.New(slog.DiscardHandler)
		}
		if w.Rand == nil {
			w.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
		}
		if w.BatchSize <= 0 {
			w.BatchSize = 50
		}
		if w.MaxIdle <= 0 {
			w.MaxIdle = time.Minute
		}
		w.Retry = w.Retry.withDefaults()
	})
}

// Kick makes Run look at the outbox now, e.g. after a transaction wrote
// rows. It never blocks.
func (w *Worker) Kick() {
	w.init()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// RunOnce delivers every item due now and returns how many were sent. It
// stops at the first store error or when ctx ends; delivery failures are
// recorded, not returned.
func (w *Worker) RunOnce(ctx context.Context) (delivered int, err error) {
	w.init()
	if w.Outbox == nil || w.Deliver == nil {
		return 0, errors.New("notify worker: Outbox and Deliver must be set")
	}
	w.run.Lock()
	defer w.run.Unlock()

	seen := map[int64]bool{}
	for {
		now := w.Clock.Now()
		items, err := w.Outbox.Due(ctx, now, w.BatchSize)
		if err != nil {
			return delivered, fmt.Errorf("outbox due: %w", err)
		}
		fresh := 0
		for _, item := range items {
			// An item seen twice in one pass was not marked: the store
			// failed silently. Leave it for the next pass, unsent.
			if seen[item.ID] {
				continue
			}
			seen[item.ID] = true
			fresh++
			sent, err := w.attempt(ctx, item)
			if sent {
				delivered++
			}
			if err != nil {
				return delivered, err
			}
		}
		if fresh == 0 || len(items) < w.BatchSize {
			return delivered, nil
		}
	}
}

// attempt delivers one item and records the outcome. It returns a store
// or context error only.
func (w *Worker) attempt(ctx context.Context, item ticket.OutboxItem) (sent bool, err error) {
	log := w.Logger.With("outbox_id", item.ID, "message_id", item.MessageID, "kind", item.Kind, "ticket", item.TicketNumber)
	if at, ok := w.unmarked[item.ID]; ok {
		if err := w.markSent(ctx, item, at, log); err != nil {
			return false, err
		}
		return true, nil
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	derr := w.Deliver(ctx, item.EnvelopeFrom, item.Recipients, item.Data)
	now := w.Clock.Now()
	if derr != nil && ctx.Err() != nil {
		// Shutting down: leave the item pending without counting an
		// attempt that was cut short by us, not by the server.
		return false, ctx.Err()
	}
	attempts := item.Attempts + 1
	var partial *PartialDeliveryError
	switch {
	case derr == nil:
		if err := w.markSent(ctx, item, now, log); err != nil {
			return false, err
		}
		return true, nil

	case errors.As(derr, &partial):
		// The message went out: mark it sent so it is never repeated, and
		// report the refused recipients.
		log.Warn("outbox item delivered to some recipients only", "refused", partial.FailedRecipients(), "err", derr)
		if err := w.markSent(ctx, item, now, log); err != nil {
			return false, err
		}
		if w.OnFailed != nil {
			narrowed := item
			narrowed.Recipients = partial.FailedRecipients()
			narrowed.Attempts = attempts
			w.OnFailed(narrowed, derr)
		}
		return true, nil

	case IsTemporary(derr):
		age := w.Retry.elapsed(attempts)
		if !item.CreatedAt.IsZero() {
			age = now.Sub(item.CreatedAt)
		}
		if age >= w.Retry.GiveUpAfter {
			gaveUp := fmt.Errorf("gave up after %d attempts over %v: %w", attempts, age.Round(time.Second), derr)
			return false, w.fail(ctx, item, attempts, gaveUp, log)
		}
		delay := w.Retry.Next(attempts, w.Rand)
		next := now.Add(delay)
		log.Info("outbox item deferred", "attempts", attempts, "next_attempt_at", next, "err", derr)
		if err := w.Outbox.MarkRetry(ctx, item.ID, attempts, next, reason(derr)); err != nil {
			return false, fmt.Errorf("outbox mark retry %d: %w", item.ID, err)
		}
		return false, nil

	default:
		return false, w.fail(ctx, item, attempts, derr, log)
	}
}

func (w *Worker) markSent(ctx context.Context, item ticket.OutboxItem, at time.Time, log *slog.Logger) error {
	if err := w.Outbox.MarkSent(ctx, item.ID, at); err != nil {
		w.unmarked[item.ID] = at
		return fmt.Errorf("outbox mark sent %d (delivered; will not resend): %w", item.ID, err)
	}
	delete(w.unmarked, item.ID)
	log.Info("outbox item sent", "attempts", item.Attempts+1)
	if w.OnSent != nil {
		w.OnSent(item, at)
	}
	return nil
}

func (w *Worker) fail(ctx context.Context, item ticket.OutboxItem, attempts int, cause error, log *slog.Logger) error {
	log.Error("outbox item failed", "attempts", attempts, "err", cause)
	if err := w.Outbox.MarkFailed(ctx, item.ID, attempts, reason(cause)); err != nil {
		return fmt.Errorf("outbox mark failed %d: %w", item.ID, err)
	}
	if w.OnFailed != nil {
		item.Attempts = attempts
		w.OnFailed(item, cause)
	}
	return nil
}

// reason is the error text stored with the row, bounded in length.
func reason(err error) string {
	const maxReason = 1000
	s := err.Error()
	if len(s) > maxReason {
		s = truncateBytes(s, maxReason) + "…"
	}
	return s
}

// Run delivers due items until ctx ends, then returns nil. It is a
// database-driven timer loop (like mox's queue): after each pass it sleeps
// until the outbox's earliest next_attempt_at, at most MaxIdle, or until
// Kick. Store errors back off from 1s to MaxIdle.
func (w *Worker) Run(ctx context.Context) error {
	w.init()
	timer := time.NewTimer(0)
	defer timer.Stop()
	var backoff time.Duration
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.kick:
		case <-timer.C:
		}
		wait, err := w.pass(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			backoff = min(max(2*backoff, time.Second), w.MaxIdle)
			w.Logger.Error("outbox worker: store error, backing off", "err", err, "backoff", backoff)
			wait = backoff
		} else {
			backoff = 0
		}
		timer.Reset(wait)
	}
}

// pass runs RunOnce and returns how long to wait before the next one.
func (w *Worker) pass(ctx context.Context) (time.Duration, error) {
	if _, err := w.RunOnce(ctx); err != nil {
		return 0, err
	}
	next, ok, err := w.Outbox.NextAttemptAt(ctx)
	if err != nil {
		return 0, fmt.Errorf("outbox next attempt: %w", err)
	}
	if !ok {
		return w.MaxIdle, nil
	}
	// A floor keeps a store whose Due and NextAttemptAt disagree from
	// spinning the loop.
	const minWait = 50 * time.Millisecond
	return min(max(next.Sub(w.Clock.Now()), minWait), w.MaxIdle), nil
}
