-- Herald's schema on PostgreSQL: the SQLite store's migrations 0001..0006
-- folded into one. IDs are TEXT COLLATE "C" so that their order (lists,
-- cursors, AfterID's fallback) is byte order, as in SQLite, whatever the
-- database's collation. Times are TIMESTAMPTZ (microseconds). Store-made
-- JSON is JSONB; an event's data and changes are JSON, which keeps the
-- publisher's text byte for byte (key order included) for the envelope.
-- Sealed columns are TEXT: they hold secretbox ciphertext, or plain text
-- when the store has no keyring.

CREATE TABLE webhooks (
    id                         TEXT COLLATE "C" PRIMARY KEY,
    url                        TEXT NOT NULL,
    method                     TEXT NOT NULL,
    events                     JSONB NOT NULL,     -- array of patterns
    secret                     TEXT NOT NULL,      -- sealed
    previous_secret            TEXT NOT NULL DEFAULT '', -- sealed; '' when none
    previous_secret_expires_at TIMESTAMPTZ,
    description                TEXT NOT NULL,
    enabled                    BOOLEAN NOT NULL,
    headers                    JSONB NOT NULL,     -- object
    timeout_seconds            INTEGER NOT NULL,
    retry                      JSONB NOT NULL,     -- herald.RetrySettings
    rate_limit_per_second      INTEGER NOT NULL,
    disabled_reason            TEXT,
    consecutive_failures       INTEGER NOT NULL,
    created_at                 TIMESTAMPTZ NOT NULL,
    updated_at                 TIMESTAMPTZ NOT NULL
);

CREATE TABLE connectors (
    id                   TEXT COLLATE "C" PRIMARY KEY,
    kind                 TEXT NOT NULL,
    name                 TEXT NOT NULL,
    events               JSONB NOT NULL,           -- array of patterns
    enabled              BOOLEAN NOT NULL,
    config               TEXT NOT NULL,            -- JSON object, sealed
    templates            JSONB NOT NULL,           -- object: event -> template
    disabled_reason      TEXT,
    consecutive_failures INTEGER NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL
);

CREATE TABLE events (
    id          TEXT COLLATE "C" PRIMARY KEY,
    client_id   TEXT NOT NULL,                     -- '' when the publisher gave none
    name        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    trace_id    TEXT NOT NULL,
    data        JSON,
    changes     JSON,
    workflow_id TEXT NOT NULL
);
CREATE UNIQUE INDEX events_client_id ON events (client_id) WHERE client_id <> '';
CREATE INDEX events_name ON events (name, id);

-- target_id has no foreign key: targets are webhooks or connectors, and
-- deleting a target keeps its history.
CREATE TABLE deliveries (
    id               TEXT COLLATE "C" PRIMARY KEY,
    event_id         TEXT COLLATE "C" NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    target_type      TEXT NOT NULL,
    target_id        TEXT COLLATE "C" NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    last_status_code INTEGER,
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX deliveries_event_target ON deliveries (event_id, target_type, target_id);
CREATE INDEX deliveries_target ON deliveries (target_type, target_id, status, updated_at);

-- seq is the recording order of log entries, for the live stream
-- (ListLogs with AfterID). A sequence alone is not commit-ordered in
-- PostgreSQL; RecordAttempt draws it under a transaction-level advisory
-- lock so that seq order is commit order (see insertLog).
CREATE TABLE logs (
    seq         BIGSERIAL PRIMARY KEY,
    id          TEXT COLLATE "C" NOT NULL UNIQUE,
    delivery_id TEXT COLLATE "C" NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    event_id    TEXT COLLATE "C" NOT NULL,
    event       TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT COLLATE "C" NOT NULL,
    attempt     INTEGER NOT NULL,
    request     JSONB NOT NULL,                    -- herald.LogRequest
    response    JSONB,                             -- herald.LogResponse, NULL when none
    duration_ms BIGINT NOT NULL,
    error       TEXT,
    success     BOOLEAN NOT NULL,                  -- LogEntry.Succeeded() at insert
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX logs_target ON logs (target_type, target_id, id);
CREATE INDEX logs_target_seq ON logs (target_type, target_id, seq);
CREATE INDEX logs_delivery ON logs (delivery_id);

CREATE TABLE api_keys (
    id         TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT NOT NULL,
    scopes     JSONB NOT NULL,                     -- array
    hash       TEXT NOT NULL UNIQUE,               -- hex SHA-256 of the key
    created_at TIMESTAMPTZ NOT NULL
);

-- Ingest sources (SPEC §3). secret is sealed at rest like webhook secrets.
CREATE TABLE sources (
    id         TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT NOT NULL,
    secret     TEXT NOT NULL,                      -- sealed
    created_at TIMESTAMPTZ NOT NULL
);

-- Per-target rate limiting: the earliest time the next request to a target
-- may start. Shared by every worker using this database.
CREATE TABLE rate_slots (
    target_id TEXT COLLATE "C" PRIMARY KEY,
    next_at   TIMESTAMPTZ NOT NULL
);
