-- 0005: what the classifier assessed, and what engineers made of it
-- (issue 12). A "#level" command records a correction with the factors
-- the classifier had assessed; closing a ticket nobody corrected records a
-- confirmation. Learning ([classify] learn) reads them back.
ALTER TABLE tickets ADD COLUMN assessed_level TEXT NOT NULL DEFAULT '';
-- factors in their String form ("environment=production scope=everyone …")
ALTER TABLE tickets ADD COLUMN assessed_factors TEXT NOT NULL DEFAULT '';
-- 1 when the classifier was unsure (engineers were asked to confirm)
ALTER TABLE tickets ADD COLUMN level_uncertain INTEGER NOT NULL DEFAULT 0;

CREATE TABLE level_corrections (
	id        INTEGER PRIMARY KEY,
	ticket_id INTEGER NOT NULL REFERENCES tickets (id),
	at        TEXT NOT NULL,
	actor     TEXT NOT NULL,
	assessed  TEXT NOT NULL,
	corrected TEXT NOT NULL,
	factors   TEXT NOT NULL
);
CREATE INDEX level_corrections_at ON level_corrections (at);
CREATE INDEX level_corrections_ticket ON level_corrections (ticket_id);
