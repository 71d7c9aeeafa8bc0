-- 0004: cost that stays flat as the database grows (issue 13; PostgreSQL
-- twin of ../0004_growth.sql).

-- Raw mail is stored deflated (RFC 1951) when that saves space; reading it
-- gives back exactly the fetched bytes. deflated applies to data, or for a
-- chunked mail to each chunk on its own; data_len is the length of the
-- stored bytes before deflating (NULL on rows stored before 0004).
ALTER TABLE raw_messages ADD COLUMN deflated BIGINT NOT NULL DEFAULT 0;
ALTER TABLE raw_messages ADD COLUMN data_len BIGINT;
ALTER TABLE raw_chunks ADD COLUMN deflated BIGINT NOT NULL DEFAULT 0;

-- Message texts (body, new_text) are deflated too where that saves space:
-- bit 1 of deflated is the body, bit 2 the new text.
ALTER TABLE messages ADD COLUMN deflated BIGINT NOT NULL DEFAULT 0;

-- Rows stored before this migration are deflated lazily by the running
-- daemon, a few hundred per transaction, from the oldest up to this id
-- (Tx.CompactRaw), so `ticketd migrate` stays quick on a large database.
INSERT INTO meta (key, value)
	SELECT 'raw_compact_upto', convert_to(MAX(id)::text, 'UTF8') FROM raw_messages WHERE chunks = 0 HAVING MAX(id) IS NOT NULL;

-- Sent mail keeps its composed bytes for [outbox] keep_sent, then only
-- the row (kind, recipients, status, times) stays; the message row keeps
-- the text `tickets show` prints. The bytes live apart from the row, so
-- that pruning them leaves the rows densely packed. outbox.data is empty
-- for rows written from now on; older rows keep their bytes there until
-- pruned, found by outbox_sent_bodies.
CREATE TABLE outbox_bodies (
	outbox_id BIGINT PRIMARY KEY REFERENCES outbox (id),
	data      BYTEA NOT NULL
);
CREATE INDEX outbox_sent_bodies ON outbox (sent_at) WHERE status = 'sent' AND length(data) > 0;

-- Ticket lists page newest first by number within their filter (the
-- overdue filter reads tickets_awaiting_response: unanswered tickets only).
DROP INDEX tickets_status;
CREATE INDEX tickets_status_number ON tickets (status, number);
CREATE INDEX tickets_level_number ON tickets (level, number);
CREATE INDEX tickets_customer_number ON tickets (customer_id, number);
-- The SLA report reads the tickets created in its window.
CREATE INDEX tickets_created ON tickets (created_at);

-- The content hash finds duplicates only of mail without a Message-ID.
DROP INDEX raw_messages_sha256;
CREATE INDEX raw_messages_sha256_no_id ON raw_messages (sha256) WHERE message_id = '';

-- Rate-limit records older than the longest limit window are forgotten.
CREATE INDEX auto_replies_sent ON auto_replies (sent_at);
