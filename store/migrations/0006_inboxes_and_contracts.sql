-- 0006: several inboxes, designated engineers, hours against the
-- contract, status digests (issue 15).

-- The inbox a mail came in through ('default': [imap] and [support]). The
-- IMAP identity stays UNIQUE (mailbox, uid_validity, uid): for another
-- inbox, mailbox holds "NAME:MAILBOX" (store.MailboxKey), so two accounts'
-- INBOXes never collide; imap_checkpoints are keyed the same way.
ALTER TABLE raw_messages ADD COLUMN inbox TEXT NOT NULL DEFAULT 'default';
ALTER TABLE tickets ADD COLUMN inbox TEXT NOT NULL DEFAULT 'default';
CREATE INDEX tickets_inbox_number ON tickets (inbox, number);

-- A designated engineer (Pivotal DSE, Blancco/Scalr TAM) receives the
-- customer's alerts within engineer_hours (a calendar; '' = always).
-- included_hours per included_per ('month' | 'week') overrides the plan's.
ALTER TABLE customers ADD COLUMN engineer TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN engineer_hours TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN included_hours REAL NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN included_per TEXT NOT NULL DEFAULT '';

-- Time engineers logged with "#time 45m" in a reply.
CREATE TABLE time_entries (
	id          INTEGER PRIMARY KEY,
	ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
	customer_id INTEGER REFERENCES customers (id) ON DELETE SET NULL,
	actor       TEXT NOT NULL,
	minutes     INTEGER NOT NULL,
	at          TEXT NOT NULL
);
CREATE INDEX time_entries_customer ON time_entries (customer_id, at);
CREATE INDEX time_entries_ticket ON time_entries (ticket_id);

-- Hours warnings sent, once per customer, period and threshold (80, 100).
CREATE TABLE hours_warnings (
	customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
	period_start TEXT NOT NULL,
	threshold    INTEGER NOT NULL,
	sent_at      TEXT NOT NULL,
	PRIMARY KEY (customer_id, period_start, threshold)
);

-- Status digests sent, once per customer and scheduled instant.
CREATE TABLE digests (
	customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
	period      TEXT NOT NULL,
	sent_at     TEXT NOT NULL,
	PRIMARY KEY (customer_id, period)
);
