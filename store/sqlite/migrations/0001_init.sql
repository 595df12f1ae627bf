-- Herald's initial schema. Kept to SQL that PostgreSQL also accepts: TEXT
-- IDs, timestamps as fixed-width RFC 3339 UTC text, JSON as TEXT, BOOLEAN.

CREATE TABLE webhooks (
    id                    TEXT PRIMARY KEY,
    url                   TEXT NOT NULL,
    method                TEXT NOT NULL,
    events                TEXT NOT NULL,            -- JSON array of patterns
    secret                TEXT NOT NULL,            -- the one column to encrypt at rest
    description           TEXT NOT NULL,
    enabled               BOOLEAN NOT NULL,
    headers               TEXT NOT NULL,            -- JSON object
    timeout_seconds       INTEGER NOT NULL,
    retry                 TEXT NOT NULL,            -- JSON herald.RetrySettings
    rate_limit_per_second INTEGER NOT NULL,
    disabled_reason       TEXT,
    consecutive_failures  INTEGER NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);

CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL,                      -- '' when the publisher gave none
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    trace_id    TEXT NOT NULL,
    data        TEXT,                               -- JSON
    changes     TEXT,                               -- JSON
    workflow_id TEXT NOT NULL
);
CREATE UNIQUE INDEX events_client_id ON events (client_id) WHERE client_id <> '';
CREATE INDEX events_name ON events (name, id);

-- target_id has no foreign key: targets are webhooks or connectors, and
-- deleting a target keeps its history.
CREATE TABLE deliveries (
    id               TEXT PRIMARY KEY,
    event_id         TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    target_type      TEXT NOT NULL,
    target_id        TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    last_status_code INTEGER,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX deliveries_event_target ON deliveries (event_id, target_type, target_id);
CREATE INDEX deliveries_target ON deliveries (target_type, target_id, status, id);

CREATE TABLE logs (
    id          TEXT PRIMARY KEY,
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
CREATE INDEX logs_target ON logs (target_type, target_id, id);
CREATE INDEX logs_delivery ON logs (delivery_id);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    scopes     TEXT NOT NULL,                       -- JSON array
    hash       TEXT NOT NULL UNIQUE,                -- hex SHA-256 of the key
    created_at TEXT NOT NULL
);
