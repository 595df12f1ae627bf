-- Ingest sources (SPEC §3). secret is sealed at rest like webhook secrets.
CREATE TABLE sources (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created_at TEXT NOT NULL
);
