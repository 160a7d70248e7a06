-- The chain's head block when a batch was submitted: after a crash, its Anchored event is searched from there
-- (public RPCs refuse eth_getLogs over the whole chain). Null for batches submitted before this column existed.
ALTER TABLE batch ADD COLUMN submitted_block bigint;
COMMENT ON COLUMN batch.submitted_block IS 'Head block of the chain just before the anchoring transaction was sent; where reconciliation starts looking for its Anchored event.';
