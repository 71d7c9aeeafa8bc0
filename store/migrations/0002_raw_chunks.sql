-- 0002: large raw mails are stored in chunks. SQLite's driver copies a
-- bound blob into C memory whole; 1 MiB chunks keep a 25 MB attachment
-- from costing another 34 MB of resident memory. raw_messages.data is
-- empty for a chunked mail and chunks says how many there are.
ALTER TABLE raw_messages ADD COLUMN chunks INTEGER NOT NULL DEFAULT 0;

CREATE TABLE raw_chunks (
	raw_id INTEGER NOT NULL REFERENCES raw_messages (id),
	seq    INTEGER NOT NULL,
	data   BLOB NOT NULL,
	PRIMARY KEY (raw_id, seq)
) WITHOUT ROWID;
