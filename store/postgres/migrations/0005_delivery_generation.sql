-- Moves on each time a redelivery reopens a delivery, so that attempts
-- planned before (an event workflow still in backoff) stop instead of
-- sending beside the redelivery.
ALTER TABLE deliveries ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
