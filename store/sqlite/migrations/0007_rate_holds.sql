-- Rate-limit slots held for deliveries told to come back later (see
-- ReserveSlot): a delivery keeps its place in the target's queue instead
-- of booking a new slot at the end each time it returns.
CREATE TABLE rate_holds (
    delivery_id TEXT PRIMARY KEY,
    target_id   TEXT NOT NULL,
    slot_at     INTEGER NOT NULL
);
CREATE INDEX rate_holds_by_target ON rate_holds (target_id, slot_at);
