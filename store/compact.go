package store

import (
	"bytes"
	"compress/flate"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"
)

// Raw mail is the record and stays, so it is stored compactly: deflated
// (RFC 1951, standard library) at the fastest level, which keeps most of
// the gain on text (a 5 KB mail shrinks by half or more) and still takes
// a quarter off base64 attachments, at about 300 MB/s. Bytes that do not
// shrink by at least minSaving are stored as they are.

// minSaving is the share of its size (1/16) deflating must save.
const minSaving = 16

var deflaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed)
	return w
}}

var inflaters = sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}

// deflateInto appends the deflated form of data to dst[:0] and reports
// whether it saves enough to be stored that way.
func deflateInto(dst *bytes.Buffer, data []byte) bool {
	if len(data) < 64 {
		return false
	}
	dst.Reset()
	w := deflaters.Get().(*flate.Writer)
	defer deflaters.Put(w)
	w.Reset(dst)
	if _, err := w.Write(data); err != nil {
		return false
	}
	if err := w.Close(); err != nil {
		return false
	}
	return dst.Len() <= len(data)-len(data)/minSaving
}

// inflateAppend appends the n bytes deflated in data to out.
func inflateAppend(out, data []byte, n int) ([]byte, error) {
	r := inflaters.Get().(io.ReadCloser)
	defer inflaters.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(data), nil); err != nil {
		return out, err
	}
	start := len(out)
	out = append(out, make([]byte, n)...)
	if _, err := io.ReadFull(r, out[start:]); err != nil {
		return out[:start], fmt.Errorf("inflate: %w", err)
	}
	var one [1]byte
	if k, _ := r.Read(one[:]); k != 0 {
		return out[:start], errors.New("inflate: more bytes than recorded")
	}
	return out, nil
}

// inflateChunk appends one inflated chunk, whose size is not recorded, to
// out, growing it only if its capacity (the mail's size) is exceeded.
func inflateChunk(out, data []byte) ([]byte, error) {
	r := inflaters.Get().(io.ReadCloser)
	defer inflaters.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(data), nil); err != nil {
		return out, err
	}
	var one [1]byte
	for {
		if len(out) == cap(out) {
			n, err := r.Read(one[:])
			out = append(out, one[:n]...)
			if err == io.EOF {
				return out, nil
			}
			if err != nil {
				return out, fmt.Errorf("inflate: %w", err)
			}
			continue
		}
		n, err := r.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("inflate: %w", err)
		}
	}
}

// inflateAll inflates data whose size is not known.
func inflateAll(data []byte) ([]byte, error) {
	r := inflaters.Get().(io.ReadCloser)
	defer inflaters.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(data), nil); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(3 * len(data))
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	return buf.Bytes(), nil
}

// encodedRaw is how a mail's bytes go into raw_messages.data.
type encodedRaw struct {
	inline   []byte
	deflated bool
}

// PrepareRaw computes how m's bytes are stored (deflated or not), so that
// StoreRaw does not do it while holding the write lock. StoreRaw calls it
// when the caller did not. Chunked mails (over RawChunkSize) are deflated
// chunk by chunk as they are written, so no second copy of a large mail
// is held at once.
func PrepareRaw(m *RawMessage) {
	if m.encoded != nil && m.encodedLen == len(m.Data) {
		return
	}
	e := &encodedRaw{inline: m.Data}
	if len(m.Data) <= RawChunkSize {
		var buf bytes.Buffer
		if deflateInto(&buf, m.Data) {
			e.inline, e.deflated = buf.Bytes(), true
		}
	}
	m.encoded, m.encodedLen = e, len(m.Data)
}

// storeChunks writes a large mail's bytes in RawChunkSize chunks, each
// deflated when that saves space.
func (tx *Tx) storeChunks(id int64, data []byte) error {
	var buf bytes.Buffer
	for seq := 0; seq*RawChunkSize < len(data); seq++ {
		part := data[seq*RawChunkSize : min((seq+1)*RawChunkSize, len(data))]
		deflated := deflateInto(&buf, part)
		if deflated {
			part = buf.Bytes()
		}
		if _, err := tx.exec(`INSERT INTO raw_chunks (raw_id, seq, data, deflated) VALUES (?, ?, ?, ?)`, id, seq, part, deflated); err != nil {
			return fmt.Errorf("chunk %d: %w", seq, err)
		}
	}
	return nil
}

// Meta keys of the lazy compaction of raw rows stored before migration
// 0004: it runs over ids (raw_compact_after, raw_compact_upto].
const (
	metaCompactUpto  = "raw_compact_upto"
	metaCompactAfter = "raw_compact_after"
)

func (tx *Tx) metaInt(key string) (int64, error) {
	v, err := tx.Meta(key)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("meta %s: %w", key, err)
	}
	return n, nil
}

// CompactRaw deflates up to limit raw rows stored before migration 0004,
// oldest first, each checked to inflate to its original bytes before it
// replaces them. more is false once every such row is done. Freed pages
// are reused by new rows; VACUUM (or `ticketd backup`) returns them to the
// file system.
func (tx *Tx) CompactRaw(limit int) (compacted int, more bool, err error) {
	upto, err := tx.metaInt(metaCompactUpto)
	if errors.Is(err, ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	after, err := tx.metaInt(metaCompactAfter)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return 0, false, err
	}
	type row struct {
		id   int64
		data []byte
	}
	rows, err := tx.query(`SELECT id, data FROM raw_messages WHERE id > ? AND id <= ? AND chunks = 0 AND deflated = 0 ORDER BY id LIMIT ?`, after, upto, limit)
	if err != nil {
		return 0, false, fmt.Errorf("compact raw mail: %w", err)
	}
	var todo []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.data); err != nil {
			rows.Close()
			return 0, false, fmt.Errorf("compact raw mail: %w", err)
		}
		todo = append(todo, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, false, fmt.Errorf("compact raw mail: %w", err)
	}
	var buf bytes.Buffer
	for _, r := range todo {
		if !deflateInto(&buf, r.data) {
			if _, err := tx.exec(`UPDATE raw_messages SET data_len = ? WHERE id = ?`, len(r.data), r.id); err != nil {
				return compacted, false, fmt.Errorf("compact raw message %d: %w", r.id, err)
			}
			continue
		}
		if back, err := inflateAppend(nil, buf.Bytes(), len(r.data)); err != nil || !bytes.Equal(back, r.data) {
			return compacted, false, fmt.Errorf("compact raw message %d: deflated bytes do not read back (%v)", r.id, err)
		}
		if _, err := tx.exec(`UPDATE raw_messages SET data = ?, deflated = 1, data_len = ? WHERE id = ?`, buf.Bytes(), len(r.data), r.id); err != nil {
			return compacted, false, fmt.Errorf("compact raw message %d: %w", r.id, err)
		}
		compacted++
	}
	if len(todo) < limit {
		for _, k := range []string{metaCompactUpto, metaCompactAfter} {
			if _, err := tx.exec(`DELETE FROM meta WHERE key = ?`, k); err != nil {
				return compacted, false, fmt.Errorf("finish raw compaction: %w", err)
			}
		}
		return compacted, false, nil
	}
	last := todo[len(todo)-1].id
	return compacted, true, tx.SetMeta(metaCompactAfter, []byte(strconv.FormatInt(last, 10)))
}

// PruneSentOutbox drops the composed bytes of up to limit mails delivered
// before cutoff, oldest first, and returns how many. The row stays with
// its kind, recipients, status and times, and the message row with the
// text `tickets show` prints.
func (tx *Tx) PruneSentOutbox(cutoff time.Time, limit int) (int, error) {
	at := cutoff.UTC().Format(TimeFormat)
	// outbox_bodies holds the bytes of mail not yet sent or sent within
	// keep_sent, oldest first: a bounded table, read from its start. The
	// outbox row is looked up by a correlated subquery, which neither
	// SQLite nor PostgreSQL turns into a join that could read the whole
	// outbox instead.
	res, err := tx.exec(`DELETE FROM outbox_bodies WHERE outbox_id IN (SELECT b.outbox_id FROM outbox_bodies b
		WHERE (SELECT o.status = 'sent' AND o.sent_at < ? FROM outbox o WHERE o.id = b.outbox_id) ORDER BY b.outbox_id LIMIT ?)`, at, limit)
	if err != nil {
		return 0, fmt.Errorf("prune sent outbox: %w", err)
	}
	n, _ := res.RowsAffected()
	if int(n) < limit {
		m, err := tx.pruneInlineOutbox(at, limit-int(n))
		return int(n) + m, err
	}
	return int(n), nil
}

// legacyOutboxColumns are an outbox row's columns but its bytes.
const legacyOutboxColumns = `id, ticket_id, kind, message_id, envelope_from, recipients, status, attempts, next_attempt_at, last_error, created_at, sent_at`

// pruneInlineOutbox drops the bytes rows written before migration 0004
// hold inline. Each row is deleted and written again without them: an
// UPDATE that shrinks a row leaves its page nearly empty (SQLite merges
// pages after deletes, not after updates), a page per row of a table
// that was most of the database.
func (tx *Tx) pruneInlineOutbox(at string, limit int) (int, error) {
	rows, err := tx.query(`SELECT `+legacyOutboxColumns+` FROM outbox WHERE status = 'sent' AND length(data) > 0 AND sent_at < ? ORDER BY sent_at LIMIT ?`, at, limit)
	if err != nil {
		return 0, fmt.Errorf("prune sent outbox: %w", err)
	}
	var todo [][12]any
	for rows.Next() {
		var v [12]any
		ptrs := make([]any, len(v))
		for i := range v {
			ptrs[i] = &v[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return 0, fmt.Errorf("prune sent outbox: %w", err)
		}
		todo = append(todo, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("prune sent outbox: %w", err)
	}
	for _, v := range todo {
		if _, err := tx.exec(`DELETE FROM outbox WHERE id = ?`, v[0]); err != nil {
			return 0, fmt.Errorf("prune sent outbox %v: %w", v[0], err)
		}
		if _, err := tx.exec(`INSERT INTO outbox (`+legacyOutboxColumns+`, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(v[:], []byte{})...); err != nil {
			return 0, fmt.Errorf("prune sent outbox %v: %w", v[0], err)
		}
	}
	return len(todo), nil
}

// PruneAutoReplies forgets up to limit rate-limit records older than
// cutoff, which no limit window reaches any more.
func (tx *Tx) PruneAutoReplies(cutoff time.Time, limit int) (int, error) {
	// auto_replies has no key of its own: SQLite's rowid, PostgreSQL's ctid.
	q := `DELETE FROM auto_replies WHERE rowid IN (SELECT rowid FROM auto_replies WHERE sent_at < ? ORDER BY sent_at LIMIT ?)`
	if tx.db.postgres() {
		q = `DELETE FROM auto_replies WHERE ctid = ANY (ARRAY(SELECT ctid FROM auto_replies WHERE sent_at < ? ORDER BY sent_at LIMIT ?))`
	}
	res, err := tx.exec(q, cutoff.UTC().Format(TimeFormat), limit)
	if err != nil {
		return 0, fmt.Errorf("prune auto replies: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// rawData is what WithRawData reads of a row.
func (tx *Tx) withRawRow(id int64, fn func(data []byte) error) error {
	rows, err := tx.query(`SELECT data, chunks, deflated, data_len FROM raw_messages WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("read raw message %d: %w", id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read raw message %d: %w", id, err)
		}
		return fmt.Errorf("raw message %d: %w", id, ErrNotFound)
	}
	var data sql.RawBytes
	var chunks int
	var deflated bool
	var dataLen sql.NullInt64
	if err := rows.Scan(&data, &chunks, &deflated, &dataLen); err != nil {
		return fmt.Errorf("read raw message %d: %w", id, err)
	}
	if chunks == 0 {
		if !deflated {
			return fn(data)
		}
		out, err := inflateAppend(nil, data, int(dataLen.Int64))
		if err != nil {
			return fmt.Errorf("read raw message %d: %w", id, err)
		}
		rows.Close()
		return fn(out)
	}
	rows.Close()
	assembled, err := tx.rawChunks(id, chunks, dataLen)
	if err != nil {
		return err
	}
	return fn(assembled)
}
