-- A webhook's custom headers (often a receiver's credentials) are sealed
-- at rest like its secret: text, no longer JSONB. Rows in clear stay
-- readable and are sealed by the next re-encryption at start-up.
ALTER TABLE webhooks ALTER COLUMN headers TYPE TEXT USING headers::text;
