-- 0001: the foundation schema. Times are TEXT in store.TimeFormat (UTC,
-- fixed width), so they sort as strings and indexes on them work.

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value BLOB NOT NULL
);

-- The exact bytes of every mail fetched, stored before anything else
-- happens to it (DESIGN rule 1). (mailbox, uid_validity, uid) is the IMAP
-- identity; message_id and sha256 catch the same mail after a UIDVALIDITY
-- change.
CREATE TABLE raw_messages (
	id            INTEGER PRIMARY KEY,
	mailbox       TEXT NOT NULL,
	uid_validity  INTEGER NOT NULL,
	uid           INTEGER NOT NULL,
	message_id    TEXT NOT NULL DEFAULT '',
	sha256        TEXT NOT NULL,
	size          INTEGER NOT NULL,
	truncated     INTEGER NOT NULL DEFAULT 0,
	data          BLOB NOT NULL,
	internal_date TEXT,
	stored_at     TEXT NOT NULL,
	processed_at  TEXT,
	outcome       TEXT NOT NULL DEFAULT '',
	process_error TEXT NOT NULL DEFAULT '',
	UNIQUE (mailbox, uid_validity, uid)
);
CREATE INDEX raw_messages_unprocessed ON raw_messages (id) WHERE processed_at IS NULL;
CREATE INDEX raw_messages_message_id ON raw_messages (message_id) WHERE message_id <> '';
CREATE INDEX raw_messages_sha256 ON raw_messages (sha256);

CREATE TABLE imap_checkpoints (
	mailbox      TEXT PRIMARY KEY,
	uid_validity INTEGER NOT NULL,
	last_uid     INTEGER NOT NULL,
	updated_at   TEXT NOT NULL
);

CREATE TABLE customers (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
	plan       TEXT NOT NULL,
	region     TEXT NOT NULL DEFAULT '',
	language   TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);

CREATE TABLE contacts (
	id          INTEGER PRIMARY KEY,
	customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
	email       TEXT NOT NULL UNIQUE,
	name        TEXT NOT NULL DEFAULT '',
	tz          TEXT NOT NULL DEFAULT '',
	language    TEXT NOT NULL DEFAULT '',
	is_primary  INTEGER NOT NULL DEFAULT 0,
	created_at  TEXT NOT NULL
);
CREATE INDEX contacts_customer ON contacts (customer_id);
-- Exactly one primary contact per customer: at most one here, at least
-- one enforced by the directory code.
CREATE UNIQUE INDEX contacts_one_primary ON contacts (customer_id) WHERE is_primary = 1;

CREATE TABLE tickets (
	id                 INTEGER PRIMARY KEY,
	number             INTEGER NOT NULL UNIQUE,
	subject            TEXT NOT NULL,
	status             TEXT NOT NULL,
	requester          TEXT NOT NULL,
	requester_name     TEXT NOT NULL DEFAULT '',
	customer_id        INTEGER REFERENCES customers (id) ON DELETE SET NULL,
	contact_id         INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
	plan               TEXT,
	level              TEXT,
	declared_level     TEXT,
	level_reasons      TEXT NOT NULL DEFAULT '[]',
	language           TEXT NOT NULL DEFAULT '',
	sla_zone           TEXT NOT NULL DEFAULT '',
	sla_region         TEXT NOT NULL DEFAULT '',
	sla_started_at     TEXT,
	first_response_due TEXT,
	first_response_at  TEXT,
	resolution_due     TEXT,
	assignee           TEXT NOT NULL DEFAULT '',
	previous_number    INTEGER,
	created_at         TEXT NOT NULL,
	updated_at         TEXT NOT NULL,
	closed_at          TEXT
);
CREATE INDEX tickets_awaiting_response ON tickets (first_response_due) WHERE first_response_at IS NULL;
CREATE INDEX tickets_status ON tickets (status);

-- Parsed messages, inbound and outbound; ticket_id links a message to its
-- ticket (NULL while quarantined). message_id is how replies find us.
CREATE TABLE messages (
	id             INTEGER PRIMARY KEY,
	raw_id         INTEGER REFERENCES raw_messages (id),
	ticket_id      INTEGER REFERENCES tickets (id),
	direction      TEXT NOT NULL,
	kind           TEXT NOT NULL,
	message_id     TEXT NOT NULL,
	in_reply_to    TEXT NOT NULL DEFAULT '',
	refs           TEXT NOT NULL DEFAULT '',
	from_addr      TEXT NOT NULL DEFAULT '',
	from_name      TEXT NOT NULL DEFAULT '',
	to_addrs       TEXT NOT NULL DEFAULT '',
	cc_addrs       TEXT NOT NULL DEFAULT '',
	subject        TEXT NOT NULL DEFAULT '',
	date           TEXT,
	body           TEXT NOT NULL DEFAULT '',
	new_text       TEXT NOT NULL DEFAULT '',
	sender_outcome TEXT NOT NULL DEFAULT '',
	sender_reason  TEXT NOT NULL DEFAULT '',
	automated      TEXT NOT NULL DEFAULT '',
	malformed      INTEGER NOT NULL DEFAULT 0,
	parse_errors   TEXT NOT NULL DEFAULT '',
	created_at     TEXT NOT NULL
);
CREATE INDEX messages_message_id ON messages (message_id);
CREATE INDEX messages_ticket ON messages (ticket_id, id);

CREATE TABLE attachments (
	id           INTEGER PRIMARY KEY,
	message_row  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size         INTEGER NOT NULL,
	sha256       TEXT NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_row);

-- Every outbound mail is a row first (DESIGN rule 3). data holds the
-- composed bytes, so a retry sends exactly the same mail, same Message-ID.
CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY,
	ticket_id       INTEGER REFERENCES tickets (id),
	kind            TEXT NOT NULL,
	message_id      TEXT NOT NULL UNIQUE,
	envelope_from   TEXT NOT NULL,
	recipients      TEXT NOT NULL,
	data            BLOB NOT NULL,
	status          TEXT NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT NOT NULL,
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      TEXT NOT NULL,
	sent_at         TEXT
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_ticket ON outbox (ticket_id);

-- Mail kept but not ticketed: unknown or spoofed senders, staff mail that
-- matched no ticket, mail that could not be processed.
CREATE TABLE quarantine (
	id          INTEGER PRIMARY KEY,
	message_row INTEGER NOT NULL REFERENCES messages (id),
	outcome     TEXT NOT NULL,
	reason      TEXT NOT NULL,
	status      TEXT NOT NULL DEFAULT 'held',
	ticket_id   INTEGER REFERENCES tickets (id),
	created_at  TEXT NOT NULL,
	resolved_at TEXT
);
CREATE INDEX quarantine_status ON quarantine (status);

-- Automatic mail sent per address, for rate limits (RFC 3834 §2: limit
-- automatic responses to the same sender).
CREATE TABLE auto_replies (
	address TEXT NOT NULL,
	kind    TEXT NOT NULL,
	sent_at TEXT NOT NULL
);
CREATE INDEX auto_replies_address ON auto_replies (address, sent_at);

-- Reminder schedule, driven by the timer loop from due_at (STYLE: no
-- in-memory-only timers). One row per ticket, kind and percent.
CREATE TABLE reminders (
	id           INTEGER PRIMARY KEY,
	ticket_id    INTEGER NOT NULL REFERENCES tickets (id),
	kind         TEXT NOT NULL,
	percent      INTEGER NOT NULL,
	due_at       TEXT NOT NULL,
	sent_at      TEXT,
	cancelled_at TEXT,
	UNIQUE (ticket_id, kind, percent)
);
CREATE INDEX reminders_due ON reminders (due_at) WHERE sent_at IS NULL AND cancelled_at IS NULL;

-- What happened to a ticket and who did it: level changes, status changes,
-- assignments, notes.
CREATE TABLE events (
	id        INTEGER PRIMARY KEY,
	ticket_id INTEGER NOT NULL REFERENCES tickets (id),
	at        TEXT NOT NULL,
	actor     TEXT NOT NULL,
	kind      TEXT NOT NULL,
	detail    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_ticket ON events (ticket_id, id);
