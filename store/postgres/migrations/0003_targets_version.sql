-- A counter that moves whenever the answer to "which targets does an event
-- match, and how are they delivered" may change: a webhook or connector is
-- created or deleted, or its events, enabled flag, retry settings or
-- timeout are written. Publishers cache their target list against it
-- (TargetsVersion). Triggers keep it, so no write path can forget to.
CREATE TABLE targets_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO targets_version (id, version) VALUES (1, 1);

CREATE FUNCTION bump_targets_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE targets_version SET version = version + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER webhooks_targets_version
AFTER INSERT OR DELETE OR UPDATE OF events, enabled, retry, timeout_seconds ON webhooks
FOR EACH STATEMENT EXECUTE FUNCTION bump_targets_version();
CREATE TRIGGER connectors_targets_version
AFTER INSERT OR DELETE OR UPDATE OF events, enabled ON connectors
FOR EACH STATEMENT EXECUTE FUNCTION bump_targets_version();
