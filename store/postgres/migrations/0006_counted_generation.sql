-- The generation of the delivery whose failure was counted against its
-- target (NULL: none yet), so that finishing the same delivery again (a
-- worker that ran the finish step twice) counts it once.
ALTER TABLE deliveries ADD COLUMN counted_generation INTEGER;
