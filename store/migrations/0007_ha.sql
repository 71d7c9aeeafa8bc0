-- 0007: several ticketd instances on one database (issue 16).

-- Leases: the intake of each inbox belongs to one instance at a time. The
-- holder renews expires_at; another instance may take the lease once it
-- has expired (the holder died, hung, or lost the database). term counts
-- changes of holder, so a holder can tell it was replaced.
CREATE TABLE leases (
	name        TEXT PRIMARY KEY,       -- "process", "intake:NAME"
	holder      TEXT NOT NULL,          -- an instance id
	term        INTEGER NOT NULL,
	acquired_at TEXT NOT NULL,
	renewed_at  TEXT NOT NULL,
	expires_at  TEXT NOT NULL
);

-- Instances say they are alive every few seconds; `ticketd status` lists
-- them with their leases.
CREATE TABLE instances (
	id         TEXT PRIMARY KEY,
	host       TEXT NOT NULL,
	pid        INTEGER NOT NULL,
	version    TEXT NOT NULL DEFAULT '',
	started_at TEXT NOT NULL,
	seen_at    TEXT NOT NULL
);

-- An outbox row is claimed by the instance delivering it, until
-- claimed_until; another instance takes it only after that (the claimer
-- died mid-delivery).
ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
