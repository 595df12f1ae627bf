-- Chat connectors (SPEC §8). config holds tokens and webhook URLs: like
-- webhooks.secret, the column to encrypt at rest.
CREATE TABLE connectors (
    id                   TEXT PRIMARY KEY,
    kind                 TEXT NOT NULL,
    name                 TEXT NOT NULL,
    events               TEXT NOT NULL,            -- JSON array of patterns
    enabled              BOOLEAN NOT NULL,
    config               TEXT NOT NULL,            -- JSON object, secret
    templates            TEXT NOT NULL,            -- JSON object: event -> template
    disabled_reason      TEXT,
    consecutive_failures INTEGER NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
