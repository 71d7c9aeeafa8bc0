package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// AlertFold is the alert budget of one key (a ticket's follow-ups, or one
// sender's new tickets) in the current window.
type AlertFold struct {
	Key       string
	WindowEnd time.Time
	Sent      int     // alerts sent in this window
	Folded    int     // alerts held back in this window
	TicketIDs []int64 // held-back tickets, for sender folds (at most maxFoldTickets)
}

// maxFoldTickets bounds the tickets one fold remembers; a summary names the
// first ones and counts the rest.
const maxFoldTickets = 50

// AlertFold returns the fold of key, or a zero AlertFold with Key set.
func (tx *Tx) AlertFold(key string) (AlertFold, error) {
	f := AlertFold{Key: key}
	var end, ids string
	err := tx.queryRow(`SELECT window_end, sent, folded, ticket_ids FROM alert_folds WHERE fold_key = ?`, key).Scan(&end, &f.Sent, &f.Folded, &ids)
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("read alert fold %s: %w", key, err)
	}
	f.WindowEnd = parseTime(sql.NullString{String: end, Valid: true})
	for _, s := range strings.Fields(ids) {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			f.TicketIDs = append(f.TicketIDs, id)
		}
	}
	return f, nil
}

// SaveAlertFold writes f.
func (tx *Tx) SaveAlertFold(f AlertFold) error {
	ids := make([]string, 0, len(f.TicketIDs))
	for i, id := range f.TicketIDs {
		if i == maxFoldTickets {
			break
		}
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	_, err := tx.exec(`INSERT INTO alert_folds (fold_key, window_end, sent, folded, ticket_ids) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (fold_key) DO UPDATE SET window_end = excluded.window_end, sent = excluded.sent,
			folded = excluded.folded, ticket_ids = excluded.ticket_ids`,
		f.Key, formatTime(f.WindowEnd), f.Sent, f.Folded, strings.Join(ids, " "))
	if err != nil {
		return fmt.Errorf("save alert fold %s: %w", f.Key, err)
	}
	return nil
}

// DueAlertFolds lists folds holding back alerts whose window ended at or
// before now; it also forgets folds whose window ended with nothing held.
func (tx *Tx) DueAlertFolds(now time.Time, limit int) ([]AlertFold, error) {
	if _, err := tx.exec(`DELETE FROM alert_folds WHERE folded = 0 AND window_end <= ?`, formatTime(now)); err != nil {
		return nil, fmt.Errorf("forget idle alert folds: %w", err)
	}
	rows, err := tx.query(`SELECT fold_key FROM alert_folds WHERE folded > 0 AND window_end <= ? ORDER BY window_end LIMIT ?`, formatTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("list due alert folds: %w", err)
	}
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, err
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]AlertFold, 0, len(keys))
	for _, k := range keys {
		f, err := tx.AlertFold(k)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// NextAlertFold returns the earliest window end of a fold holding back
// alerts.
func (tx *Tx) NextAlertFold() (time.Time, bool, error) {
	var end sql.NullString
	if err := tx.queryRow(`SELECT min(window_end) FROM alert_folds WHERE folded > 0`).Scan(&end); err != nil {
		return time.Time{}, false, fmt.Errorf("next alert fold: %w", err)
	}
	if !end.Valid {
		return time.Time{}, false, nil
	}
	return parseTime(end), true, nil
}

// AutoRepliesOfKindSince counts automatic mails of kind to any address
// since t, for caps over all senders (the unknown-sender notice).
func (tx *Tx) AutoRepliesOfKindSince(kind string, t time.Time) (int, error) {
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM auto_replies WHERE kind = ? AND sent_at >= ?`, kind, formatTime(t)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s mails: %w", kind, err)
	}
	return n, nil
}

// Nudge topics: admin commands that leave work for a running daemon bump
// one in the transaction that leaves it; the daemon polls them.
const (
	NudgeProcess = "process" // stored mail to process
	NudgeOutbox  = "outbox"  // mail queued outside the daemon
)

// Nudge bumps topic, waking daemons that watch it (NudgeSeq).
func (tx *Tx) Nudge(topic string) error {
	if _, err := tx.exec(`INSERT INTO nudges (topic, seq) VALUES (?, 1) ON CONFLICT (topic) DO UPDATE SET seq = nudges.seq + 1`, topic); err != nil {
		return fmt.Errorf("nudge %s: %w", topic, err)
	}
	return nil
}

// NudgeSeq returns topic's current number (0 if never nudged).
func (tx *Tx) NudgeSeq(topic string) (int64, error) {
	var n int64
	err := tx.queryRow(`SELECT seq FROM nudges WHERE topic = ?`, topic).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read nudge %s: %w", topic, err)
	}
	return n, nil
}
