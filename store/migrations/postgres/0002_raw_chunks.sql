-- 0002: large raw mails are stored in chunks (PostgreSQL twin of
-- ../0002_raw_chunks.sql). SQLite's driver copies a bound blob into C
-- memory whole; 1 MiB chunks keep a 25 MB attachment from costing another
-- 34 MB of resident memory (pgx, too, holds a bound value whole).
-- raw_messages.data is empty for a chunked mail and chunks says how many
-- there are.
ALTER TABLE raw_messages ADD COLUMN chunks BIGINT NOT NULL DEFAULT 0;

CREATE TABLE raw_chunks (
	raw_id BIGINT NOT NULL REFERENCES raw_messages (id),
	seq    BIGINT NOT NULL,
	data   BYTEA NOT NULL,
	PRIMARY KEY (raw_id, seq)
);
