-- Per-target rate limiting: the earliest time (unix nanoseconds) the next
-- request to a target may start. Shared by every worker using this database.
CREATE TABLE rate_slots (
    target_id TEXT PRIMARY KEY,
    next_at   INTEGER NOT NULL
);
