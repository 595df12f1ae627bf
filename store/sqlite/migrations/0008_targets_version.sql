-- A counter that moves whenever the answer to "which targets does an event
-- match, and how are they delivered" may change: a webhook or connector is
-- created or deleted, or its events, enabled flag, retry settings or
-- timeout are written. Publishers cache their target list against it
-- (TargetsVersion). Triggers keep it, so no write path can forget to.
CREATE TABLE targets_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO targets_version (id, version) VALUES (1, 1);

CREATE TRIGGER webhooks_insert_targets_version AFTER INSERT ON webhooks
BEGIN UPDATE targets_version SET version = version + 1; END;
CREATE TRIGGER webhooks_delete_targets_version AFTER DELETE ON webhooks
BEGIN UPDATE targets_version SET version = version + 1; END;
CREATE TRIGGER webhooks_update_targets_version
AFTER UPDATE OF events, enabled, retry, timeout_seconds ON webhooks
BEGIN UPDATE targets_version SET version = version + 1; END;

CREATE TRIGGER connectors_insert_targets_version AFTER INSERT ON connectors
BEGIN UPDATE targets_version SET version = version + 1; END;
CREATE TRIGGER connectors_delete_targets_version AFTER DELETE ON connectors
BEGIN UPDATE targets_version SET version = version + 1; END;
CREATE TRIGGER connectors_update_targets_version
AFTER UPDATE OF events, enabled ON connectors
BEGIN UPDATE targets_version SET version = version + 1; END;
