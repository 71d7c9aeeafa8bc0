package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"ticketd/ticket"
	"time"
)

// RawMessage is a fetched mail exactly as the server gave it.
type RawMessage struct {
	ID           int64
	Inbox        string // the inbox it came in through (DefaultInbox: [imap])
	Mailbox      string // MailboxKey of the inbox's mailbox
	UIDValidity  uint32
	UID          uint32
	MessageID    string // header Message-ID without brackets, "" when none
	SHA256       string // hex digest of Data
	Size         int64  // size on the server; larger than len(Data) when truncated
	Truncated    bool
	Data         []byte
	InternalDate time.Time
	StoredAt     time.Time
	ProcessedAt  time.Time
	Outcome      ticket.Outcome
	ProcessError string

	encoded    *encodedRaw // how Data is stored (PrepareRaw)
	encodedLen int
}

// RawChunkSize is the size above which raw mails are stored in chunks of
// this size (migration 0002).
const RawChunkSize = 1 << 20

// MailboxKey is how the store names a mailbox of an inbox: the mailbox
// itself for the default inbox, "NAME:MAILBOX" for another, so that the
// same folder name on two accounts stays apart (raw_messages' IMAP
// identity and imap_checkpoints).
func MailboxKey(inbox, mailbox string) string {
	if inbox == "" || inbox == DefaultInbox {
		return mailbox
	}
	return inbox + ":" + mailbox
}

// DefaultInbox names the inbox of [imap] and [support].
const DefaultInbox = "default"

// Checkpoint returns the stored position for mailbox (a MailboxKey), zero
// when none.
func (tx *Tx) Checkpoint(mailbox string) (ticket.Checkpoint, error) {
	var c ticket.Checkpoint
	err := tx.queryRow(`SELECT uid_validity, last_uid FROM imap_checkpoints WHERE mailbox = ?`, mailbox).Scan(&c.UIDValidity, &c.LastUID)
	if errors.Is(err, sql.ErrNoRows) {
		return ticket.Checkpoint{}, nil
	}
	if err != nil {
		return c, fmt.Errorf("read checkpoint %s: %w", mailbox, err)
	}
	return c, nil
}

// advanceCheckpoint moves mailbox's checkpoint to uid under uidValidity. A
// new UIDVALIDITY restarts the count; within one it only moves forward.
func (tx *Tx) advanceCheckpoint(mailbox string, uidValidity, uid uint32) error {
	_, err := tx.exec(`INSERT INTO imap_checkpoints (mailbox, uid_validity, last_uid, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (mailbox) DO UPDATE SET
			last_uid = CASE WHEN imap_checkpoints.uid_validity = excluded.uid_validity AND imap_checkpoints.last_uid > excluded.last_uid
				THEN imap_checkpoints.last_uid ELSE excluded.last_uid END,
			uid_validity = excluded.uid_validity,
			updated_at = excluded.updated_at`,
		mailbox, uidValidity, uid, tx.Now.Format(TimeFormat))
	if err != nil {
		return fmt.Errorf("advance checkpoint %s to %d/%d: %w", mailbox, uidValidity, uid, err)
	}
	return nil
}

// StoreRaw stores a fetched mail and advances the mailbox checkpoint, in
// this transaction. It is idempotent (DESIGN rule 2): the same IMAP
// identity, the same Message-ID, or (without Message-ID) the same bytes
// is recognised as already stored; then duplicate is true and the
// existing row's id is returned. The bytes are deflated where that saves
// space (PrepareRaw; call it before the transaction to keep the work out
// of the write lock).
func (tx *Tx) StoreRaw(m *RawMessage) (id int64, duplicate bool, err error) {
	err = tx.queryRow(`SELECT id FROM raw_messages WHERE mailbox = ? AND uid_validity = ? AND uid = ?`,
		m.Mailbox, m.UIDValidity, m.UID).Scan(&id)
	if err == nil {
		return id, true, tx.advanceCheckpoint(m.Mailbox, m.UIDValidity, m.UID)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, fmt.Errorf("look up raw message: %w", err)
	}
	if m.MessageID != "" {
		// "message_id <> ''" repeats the partial index's condition, so
		// SQLite may use raw_messages_message_id: a bound parameter alone
		// does not prove it (without it, every stored mail scanned all).
		err = tx.queryRow(`SELECT id FROM raw_messages WHERE message_id = ? AND message_id <> '' LIMIT 1`, m.MessageID).Scan(&id)
	} else {
		err = tx.queryRow(`SELECT id FROM raw_messages WHERE sha256 = ? AND message_id = '' LIMIT 1`, m.SHA256).Scan(&id)
	}
	if err == nil {
		return id, true, tx.advanceCheckpoint(m.Mailbox, m.UIDValidity, m.UID)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, fmt.Errorf("look up raw message: %w", err)
	}
	inline, chunks, deflated := []byte{}, 0, false
	if len(m.Data) > RawChunkSize {
		chunks = (len(m.Data) + RawChunkSize - 1) / RawChunkSize
	} else {
		PrepareRaw(m)
		inline, deflated = m.encoded.inline, m.encoded.deflated
	}
	if m.Inbox == "" {
		m.Inbox = DefaultInbox
	}
	err = tx.queryRow(`INSERT INTO raw_messages (inbox, mailbox, uid_validity, uid, message_id, sha256, size, truncated, data, deflated, data_len, chunks, internal_date, stored_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.Inbox, m.Mailbox, m.UIDValidity, m.UID, m.MessageID, m.SHA256, m.Size, m.Truncated, inline, deflated, len(m.Data), chunks, formatTime(m.InternalDate), tx.Now.Format(TimeFormat)).Scan(&id)
	if err != nil {
		return 0, false, fmt.Errorf("store raw message %s/%d/%d: %w", m.Mailbox, m.UIDValidity, m.UID, err)
	}
	if chunks > 0 {
		if err := tx.storeChunks(id, m.Data); err != nil {
			return 0, false, fmt.Errorf("store raw message %s/%d/%d: %w", m.Mailbox, m.UIDValidity, m.UID, err)
		}
	}
	m.ID = id
	m.StoredAt = tx.Now
	return id, false, tx.advanceCheckpoint(m.Mailbox, m.UIDValidity, m.UID)
}

func scanRaw(s interface{ Scan(...any) error }) (*RawMessage, error) {
	var m RawMessage
	var internal, stored, processed sql.NullString
	if err := s.Scan(&m.ID, &m.Inbox, &m.Mailbox, &m.UIDValidity, &m.UID, &m.MessageID, &m.SHA256, &m.Size, &m.Truncated, &m.Data,
		&internal, &stored, &processed, &m.Outcome, &m.ProcessError); err != nil {
		return nil, err
	}
	m.InternalDate, m.StoredAt, m.ProcessedAt = parseTime(internal), parseTime(stored), parseTime(processed)
	return &m, nil
}

// RawMessage returns the raw message with id, its bytes assembled.
func (tx *Tx) RawMessage(id int64) (*RawMessage, error) {
	m, err := tx.RawMeta(id)
	if err != nil {
		return nil, err
	}
	err = tx.WithRawData(id, func(data []byte) error {
		m.Data = append([]byte(nil), data...)
		return nil
	})
	return m, err
}

// UnprocessedRaw lists the ids of stored mails the pipeline has not
// finished, oldest first: after a crash these are processed again.
func (tx *Tx) UnprocessedRaw(limit int) ([]int64, error) {
	rows, err := tx.query(`SELECT id FROM raw_messages WHERE processed_at IS NULL ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list unprocessed: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// MarkRawProcessed records that the pipeline finished with a raw message,
// with its outcome (e.g. "ticket", "followup", "quarantined", "duplicate")
// and, if processing failed, why.
func (tx *Tx) MarkRawProcessed(id int64, outcome ticket.Outcome, processError string) error {
	_, err := tx.exec(`UPDATE raw_messages SET processed_at = ?, outcome = ?, process_error = ? WHERE id = ?`,
		tx.Now.Format(TimeFormat), outcome, processError, id)
	if err != nil {
		return fmt.Errorf("mark raw message %d processed: %w", id, err)
	}
	return nil
}

// RawStats counts stored raw mails by whether they are processed.
func (tx *Tx) RawStats() (total, unprocessed int, err error) {
	err = tx.queryRow(`SELECT COUNT(*), COUNT(*) FILTER (WHERE processed_at IS NULL) FROM raw_messages`).Scan(&total, &unprocessed)
	if err != nil {
		return 0, 0, fmt.Errorf("count raw messages: %w", err)
	}
	return total, unprocessed, nil
}

// WithRawData calls fn with the stored bytes of raw message id. An
// unchunked mail is passed without copying it out of SQLite's buffer
// (sql.RawBytes), so fn must not keep the slice; a chunked one is
// assembled once into a buffer of its exact size.
func (tx *Tx) WithRawData(id int64, fn func(data []byte) error) error {
	return tx.withRawRow(id, fn)
}

func (tx *Tx) rawChunks(id int64, chunks int, dataLen sql.NullInt64) ([]byte, error) {
	size := dataLen.Int64
	if !dataLen.Valid {
		// Stored before 0004: the chunks are the bytes.
		if err := tx.queryRow(`SELECT COALESCE(SUM(LENGTH(data)), 0) FROM raw_chunks WHERE raw_id = ?`, id).Scan(&size); err != nil {
			return nil, fmt.Errorf("size raw message %d: %w", id, err)
		}
	}
	out := make([]byte, 0, size)
	rows, err := tx.query(`SELECT seq, data, deflated FROM raw_chunks WHERE raw_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("read raw message %d chunks: %w", id, err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var seq int
		var part sql.RawBytes
		var deflated bool
		if err := rows.Scan(&seq, &part, &deflated); err != nil {
			return nil, fmt.Errorf("read raw message %d chunk: %w", id, err)
		}
		if seq != n {
			return nil, fmt.Errorf("raw message %d: chunk %d missing", id, n)
		}
		if deflated {
			if out, err = inflateChunk(out, part); err != nil {
				return nil, fmt.Errorf("raw message %d chunk %d: %w", id, seq, err)
			}
		} else {
			out = append(out, part...)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read raw message %d chunks: %w", id, err)
	}
	if n != chunks {
		return nil, fmt.Errorf("raw message %d: %d of %d chunks stored", id, n, chunks)
	}
	if int64(len(out)) != size {
		return nil, fmt.Errorf("raw message %d: chunks hold %d bytes, %d recorded", id, len(out), size)
	}
	return out, nil
}

// RawMeta returns raw message id without its bytes (Data is nil).
func (tx *Tx) RawMeta(id int64) (*RawMessage, error) {
	m, err := scanRaw(tx.queryRow(`SELECT id, inbox, mailbox, uid_validity, uid, message_id, sha256, size, truncated, NULL, internal_date,
		stored_at, processed_at, outcome, process_error FROM raw_messages WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("raw message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read raw message %d: %w", id, err)
	}
	return m, nil
}

// The DB is intake's Sink: a fetched mail is stored, raw, with the
// checkpoint, before anything else happens to it (DESIGN rule 1).

// Checkpoint returns the stored position of inbox's mailbox (zero if none).
func (d *DB) Checkpoint(ctx context.Context, inbox, mailbox string) (c ticket.Checkpoint, err error) {
	err = d.View(ctx, func(tx *Tx) error { c, err = tx.Checkpoint(MailboxKey(inbox, mailbox)); return err })
	return c, err
}

// Store stores a fetched mail and advances the checkpoint in one
// transaction, recognising one already stored (StoreRaw). The bytes are
// hashed and deflated before the write lock is taken.
func (d *DB) Store(ctx context.Context, f ticket.Fetched) (duplicate bool, err error) {
	sum := sha256.Sum256(f.Raw)
	inbox := f.Inbox
	if inbox == "" {
		inbox = DefaultInbox
	}
	rm := &RawMessage{
		Inbox: inbox, Mailbox: MailboxKey(inbox, f.Mailbox), UIDValidity: f.UIDValidity, UID: f.UID, MessageID: f.MessageID,
		SHA256: hex.EncodeToString(sum[:]), Size: f.Size, Truncated: f.Truncated, Data: f.Raw, InternalDate: f.InternalDate,
	}
	if rm.Size == 0 {
		rm.Size = int64(len(f.Raw))
	}
	PrepareRaw(rm)
	err = d.Update(ctx, func(tx *Tx) (err error) { _, duplicate, err = tx.StoreRaw(rm); return err })
	if err != nil {
		return false, fmt.Errorf("store fetched mail %s/%d/%d: %w", f.Mailbox, f.UIDValidity, f.UID, err)
	}
	return duplicate, nil
}
