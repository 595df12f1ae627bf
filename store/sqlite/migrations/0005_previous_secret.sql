-- Secret rotation (SPEC §5): the replaced secret keeps signing
-- webhook-signature until previous_secret_expires_at.
ALTER TABLE webhooks ADD COLUMN previous_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN previous_secret_expires_at TEXT;
