-- Log entries get a store-assigned sequence number, the order in which they
-- were recorded, for the live stream (ListLogs with AfterID). IDs cannot
-- serve: they are made before the insert commits and are only ordered to the
-- millisecond.
--
-- seq is the table's INTEGER PRIMARY KEY, so SQLite assigns it on insert
-- inside the write transaction: insert order is commit order, since SQLite
-- has one writer at a time. AUTOINCREMENT keeps numbers of deleted entries
-- from being reused, and an INTEGER PRIMARY KEY survives VACUUM unchanged.
--
-- SQLite cannot add a primary key to a table, so the table is rebuilt.
-- Existing entries keep their rowid, which was already their insert order.
-- Nothing references logs, so dropping the old table is safe with foreign
-- keys on. This migration is SQLite-only (AUTOINCREMENT).

CREATE TABLE logs_new (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    delivery_id TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    event_id    TEXT NOT NULL,
    event       TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    request     TEXT NOT NULL,                      -- JSON herald.LogRequest
    response    TEXT,                               -- JSON herald.LogResponse, NULL when none
    duration_ms INTEGER NOT NULL,
    error       TEXT,
    success     BOOLEAN NOT NULL,                   -- LogEntry.Succeeded() at insert
    created_at  TEXT NOT NULL
);

INSERT INTO logs_new (seq, id, delivery_id, event_id, event, target_type, target_id, attempt,
                      request, response, duration_ms, error, success, created_at)
SELECT rowid, id, delivery_id, event_id, event, target_type, target_id, attempt,
       request, response, duration_ms, error, success, created_at
FROM logs ORDER BY rowid;

DROP TABLE logs;
ALTER TABLE logs_new RENAME TO logs;

CREATE INDEX logs_target ON logs (target_type, target_id, id);
CREATE INDEX logs_target_seq ON logs (target_type, target_id, seq);
CREATE INDEX logs_delivery ON logs (delivery_id);
