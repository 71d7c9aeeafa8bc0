package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"ticketd/ticket"
	"time"
)

// Enqueue adds an outbound mail, due now. Its Message-ID must be unique.
func (tx *Tx) Enqueue(it *ticket.OutboxItem) error {
	rcpts, _ := json.Marshal(it.Recipients)
	// The composed bytes go to outbox_bodies, so the row stays small:
	// once they are pruned (keep_sent) the row packs densely.
	err := tx.queryRow(`INSERT INTO outbox (ticket_id, kind, message_id, envelope_from, recipients, data, status, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING id`,
		nullInt(it.TicketID), it.Kind, it.MessageID, it.EnvelopeFrom, string(rcpts), []byte{}, tx.Now.Format(TimeFormat), tx.Now.Format(TimeFormat)).Scan(&it.ID)
	if err != nil {
		return fmt.Errorf("enqueue %s mail %s: %w", it.Kind, it.MessageID, err)
	}
	if len(it.Data) > 0 {
		if _, err := tx.exec(`INSERT INTO outbox_bodies (outbox_id, data) VALUES (?, ?)`, it.ID, it.Data); err != nil {
			return fmt.Errorf("enqueue %s mail %s: %w", it.Kind, it.MessageID, err)
		}
	}
	it.Status, it.NextAttemptAt, it.CreatedAt = ticket.OutboxPending, tx.Now, tx.Now
	return nil
}

// outboxColumns are read from outbox o joined with its body b; rows
// written before migration 0004 hold their bytes in o.data.
const outboxColumns = `o.id, o.ticket_id, (SELECT t.number FROM tickets t WHERE t.id = o.ticket_id), o.kind, o.message_id, o.envelope_from,
	o.recipients, COALESCE(b.data, o.data), o.status, o.attempts, o.next_attempt_at, o.last_error, o.created_at, o.sent_at`

const outboxFrom = ` FROM outbox o LEFT JOIN outbox_bodies b ON b.outbox_id = o.id `

func scanOutbox(s interface{ Scan(...any) error }) (*ticket.OutboxItem, error) {
	var it ticket.OutboxItem
	var ticketID, number sql.NullInt64
	var rcpts string
	var next, created, sent sql.NullString
	if err := s.Scan(&it.ID, &ticketID, &number, &it.Kind, &it.MessageID, &it.EnvelopeFrom, &rcpts, &it.Data, &it.Status, &it.Attempts,
		&next, &it.LastError, &created, &sent); err != nil {
		return nil, err
	}
	it.TicketID, it.TicketNumber = ticketID.Int64, number.Int64
	_ = json.Unmarshal([]byte(rcpts), &it.Recipients)
	it.NextAttemptAt, it.CreatedAt, it.SentAt = parseTime(next), parseTime(created), parseTime(sent)
	return &it, nil
}

func (tx *Tx) outboxList(columns, q string, args ...any) ([]*ticket.OutboxItem, error) {
	rows, err := tx.query(`SELECT `+columns+outboxFrom+q, args...)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	defer rows.Close()
	var out []*ticket.OutboxItem
	for rows.Next() {
		it, err := scanOutbox(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// DueOutbox lists pending mails whose next attempt is at or before now.
func (tx *Tx) DueOutbox(now time.Time, limit int) ([]*ticket.OutboxItem, error) {
	return tx.outboxList(outboxColumns, `WHERE o.status = 'pending' AND o.next_attempt_at <= ? ORDER BY o.next_attempt_at, o.id LIMIT ?`, now.UTC().Format(TimeFormat), limit)
}

// ClaimOutbox claims up to limit pending mails due at now for holder,
// until now+ttl, and returns them: mails nobody claimed, whose claim
// expired, that holder claimed before, or whose claimer's last Heartbeat
// is deadAfter old (it died mid-delivery: its mails need not wait out
// ttl; 0 waits, as does a claimer that never sent a heartbeat). One statement, so two instances never claim the same
// mail; on PostgreSQL the rows another transaction is claiming are skipped
// rather than waited for.
func (tx *Tx) ClaimOutbox(holder string, now time.Time, limit int, ttl, deadAfter time.Duration) ([]*ticket.OutboxItem, error) {
	n := now.UTC().Format(TimeFormat)
	dead := "" // deadAfter 0: no claimer counts as dead
	if deadAfter > 0 {
		dead = now.Add(-deadAfter).UTC().Format(TimeFormat)
	}
	rows, err := tx.query(`UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id IN (
		SELECT o.id FROM outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= ?
			AND (o.claimed_until IS NULL OR o.claimed_until <= ? OR o.claimed_by = ?
				OR EXISTS (SELECT 1 FROM instances i WHERE i.id = o.claimed_by AND i.seen_at <= ?))
		ORDER BY o.next_attempt_at, o.id LIMIT ?`+tx.skipLocked()+`) RETURNING id`,
		holder, now.Add(ttl).UTC().Format(TimeFormat), n, n, holder, dead, limit)
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("claim outbox: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	out := make([]*ticket.OutboxItem, 0, len(ids))
	for _, id := range ids {
		it, err := tx.OutboxItemByID(id)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].NextAttemptAt.Equal(out[j].NextAttemptAt) {
			return out[i].NextAttemptAt.Before(out[j].NextAttemptAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// skipLocked is the row-locking clause of a claim: FOR UPDATE SKIP LOCKED
// where the database has it; SQLite has one writer and needs none.
func (tx *Tx) skipLocked() string {
	if tx.db.postgres() {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// outboxColumnsNoData are outboxColumns without the composed bytes.
const outboxColumnsNoData = `o.id, o.ticket_id, (SELECT t.number FROM tickets t WHERE t.id = o.ticket_id), o.kind, o.message_id, o.envelope_from,
	o.recipients, NULL, o.status, o.attempts, o.next_attempt_at, o.last_error, o.created_at, o.sent_at`

// OutboxForTicket lists every outbound mail of a ticket, oldest first,
// without its composed bytes (Data is nil): `tickets show` needs the
// delivery state, and the bytes of a delivered mail are pruned after
// [outbox] keep_sent anyway.
func (tx *Tx) OutboxForTicket(ticketID int64) ([]*ticket.OutboxItem, error) {
	rows, err := tx.query(`SELECT `+outboxColumnsNoData+` FROM outbox o WHERE o.ticket_id = ? ORDER BY o.id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	defer rows.Close()
	var out []*ticket.OutboxItem
	for rows.Next() {
		it, err := scanOutbox(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// AllOutbox lists every outbound mail, oldest first (for tests).
func (tx *Tx) AllOutbox() ([]*ticket.OutboxItem, error) {
	return tx.outboxList(outboxColumns, `ORDER BY o.id`)
}

// NextOutboxAttempt returns the earliest pending attempt time.
func (tx *Tx) NextOutboxAttempt() (time.Time, bool, error) {
	var s sql.NullString
	if err := tx.queryRow(`SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'`).Scan(&s); err != nil {
		return time.Time{}, false, fmt.Errorf("next outbox attempt: %w", err)
	}
	if !s.Valid {
		return time.Time{}, false, nil
	}
	return parseTime(s), true, nil
}

// MarkSent records a delivered mail.
func (tx *Tx) MarkSent(id int64, at time.Time) error {
	_, err := tx.exec(`UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = '' WHERE id = ?`, at.UTC().Format(TimeFormat), id)
	if err != nil {
		return fmt.Errorf("mark outbox %d sent: %w", id, err)
	}
	return nil
}

// MarkRetry records a temporary failure and when to try again.
func (tx *Tx) MarkRetry(id int64, attempts int, next time.Time, reason string) error {
	_, err := tx.exec(`UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?`, attempts, next.UTC().Format(TimeFormat), reason, id)
	if err != nil {
		return fmt.Errorf("mark outbox %d for retry: %w", id, err)
	}
	return nil
}

// MarkFailed records a permanent failure.
func (tx *Tx) MarkFailed(id int64, attempts int, reason string) error {
	_, err := tx.exec(`UPDATE outbox SET status = 'failed', attempts = ?, last_error = ? WHERE id = ?`, attempts, reason, id)
	if err != nil {
		return fmt.Errorf("mark outbox %d failed: %w", id, err)
	}
	return nil
}

// OutboxItemByID returns one outbox row.
func (tx *Tx) OutboxItemByID(id int64) (*ticket.OutboxItem, error) {
	it, err := scanOutbox(tx.queryRow(`SELECT `+outboxColumns+outboxFrom+`WHERE o.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("outbox %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read outbox %d: %w", id, err)
	}
	return it, nil
}

// OutboxStats reports the pending depth and the age of the oldest pending mail.
func (tx *Tx) OutboxStats(now time.Time) (pending int, oldest time.Duration, err error) {
	var s sql.NullString
	if err := tx.queryRow(`SELECT COUNT(*), MIN(created_at) FROM outbox WHERE status = 'pending'`).Scan(&pending, &s); err != nil {
		return 0, 0, fmt.Errorf("outbox stats: %w", err)
	}
	if t := parseTime(s); !t.IsZero() {
		oldest = now.Sub(t)
	}
	return pending, oldest, nil
}

// RecordAutoReply notes an automatic mail to address, for rate limits.
func (tx *Tx) RecordAutoReply(address, kind string) error {
	if _, err := tx.exec(`INSERT INTO auto_replies (address, kind, sent_at) VALUES (?, ?, ?)`, address, kind, tx.Now.Format(TimeFormat)); err != nil {
		return fmt.Errorf("record auto reply: %w", err)
	}
	return nil
}

// AutoRepliesSince counts automatic mails to address (of kind, or any when
// kind is "") since t.
func (tx *Tx) AutoRepliesSince(address, kind string, t time.Time) (int, error) {
	var n int
	q := `SELECT COUNT(*) FROM auto_replies WHERE address = ? AND sent_at >= ?`
	args := []any{address, t.UTC().Format(TimeFormat)}
	if kind != "" {
		q += ` AND kind = ?`
		args = append(args, kind)
	}
	if err := tx.queryRow(q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count auto replies: %w", err)
	}
	return n, nil
}

// The DB is notify's Outbox: the worker reads due items and records each
// outcome in a transaction of its own.

// NextAttemptAt returns the earliest next attempt of a pending mail.
func (d *DB) NextAttemptAt(ctx context.Context) (at time.Time, ok bool, err error) {
	err = d.View(ctx, func(tx *Tx) error { at, ok, err = tx.NextOutboxAttempt(); return err })
	return at, ok, err
}

// ClaimAs makes Due claim the mails it returns for instance, so that
// several instances delivering from one database never take the same mail
// until the claim expires, or the claimer's heartbeat is older than
// deadAfter (it died mid-delivery). Call it before the outbox worker
// starts.
func (d *DB) ClaimAs(instance string, deadAfter time.Duration) {
	d.claimer, d.claimerDeadAfter = instance, deadAfter
}

// claimTTL is how long a claimed mail is left to its claimer. A delivery
// takes seconds; a claimer that died gives its mails up after this.
const claimTTL = 2 * time.Minute

// Due returns up to limit pending mails due at now, earliest first,
// claiming them when several instances deliver (ClaimAs).
func (d *DB) Due(ctx context.Context, now time.Time, limit int) ([]ticket.OutboxItem, error) {
	var items []*ticket.OutboxItem
	var err error
	if d.claimer == "" {
		err = d.View(ctx, func(tx *Tx) (err error) { items, err = tx.DueOutbox(now, limit); return err })
	} else {
		// READ COMMITTED: claims skip the rows other claims lock rather than
		// fail against them (UpdateReadCommitted).
		err = d.UpdateReadCommitted(ctx, func(tx *Tx) (err error) {
			items, err = tx.ClaimOutbox(d.claimer, now, limit, claimTTL, d.claimerDeadAfter)
			return err
		})
	}
	if err != nil {
		return nil, err
	}
	out := make([]ticket.OutboxItem, len(items))
	for i, it := range items {
		out[i] = *it
	}
	return out, nil
}

// MarkSent records a delivered mail.
func (d *DB) MarkSent(ctx context.Context, id int64, at time.Time) error {
	return d.Update(ctx, func(tx *Tx) error { return tx.MarkSent(id, at) })
}

// MarkRetry records a temporary failure and the next attempt.
func (d *DB) MarkRetry(ctx context.Context, id int64, attempts int, next time.Time, reason string) error {
	return d.Update(ctx, func(tx *Tx) error { return tx.MarkRetry(id, attempts, next, reason) })
}

// MarkFailed records a permanent failure.
func (d *DB) MarkFailed(ctx context.Context, id int64, attempts int, reason string) error {
	return d.Update(ctx, func(tx *Tx) error { return tx.MarkFailed(id, attempts, reason) })
}
