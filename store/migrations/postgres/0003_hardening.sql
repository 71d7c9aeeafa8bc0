-- 0003: limits against floods and a nudge for running daemons (PostgreSQL
-- twin of ../0003_hardening.sql).

-- A cap on one kind of automatic mail over all addresses (the unknown-
-- sender notice per hour) counts by kind.
CREATE INDEX auto_replies_kind ON auto_replies (kind, sent_at);

-- Alert folding: at most a few alerts per key (a ticket's follow-ups, or
-- one sender's new tickets) per window; the rest are counted and summed up
-- in one alert when the window ends.
CREATE TABLE alert_folds (
	fold_key   TEXT PRIMARY KEY,      -- "ticket:ID" or "sender:ADDRESS"
	window_end TEXT NOT NULL,
	sent       BIGINT NOT NULL DEFAULT 0, -- alerts sent in this window
	folded     BIGINT NOT NULL DEFAULT 0, -- alerts held back in this window
	ticket_ids TEXT NOT NULL DEFAULT ''   -- held-back tickets, space separated (sender folds)
);
CREATE INDEX alert_folds_due ON alert_folds (window_end) WHERE folded > 0;

-- Nudges: an admin command that leaves work for a running daemon (a
-- released quarantine entry) bumps a topic; the daemon polls the numbers
-- cheaply and wakes the loop at once instead of at its safety-net timer.
CREATE TABLE nudges (
	topic TEXT PRIMARY KEY,
	seq   BIGINT NOT NULL
);
