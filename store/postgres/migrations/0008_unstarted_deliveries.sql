-- Deliveries no attempt has reached yet, for the sweep that finds events
-- whose workflow never started. It stays small: a delivery leaves it at its
-- first attempt.
CREATE INDEX deliveries_unstarted ON deliveries (event_id)
    WHERE status = 'pending' AND attempts = 0 AND generation = 0;
