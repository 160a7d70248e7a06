-- Anchoring: bundles are grouped into batches; each batch's Merkle root is anchored on an EVM chain.

CREATE TABLE batch (
  id            bytea PRIMARY KEY CHECK (octet_length(id) = 32),
  seq           bigserial NOT NULL UNIQUE,
  root          bytea NOT NULL CHECK (octet_length(root) = 32),
  leaf_count    integer NOT NULL CHECK (leaf_count > 0),
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'submitted', 'confirmed')),
  chain_id      bigint,
  contract      text,
  tx_hash       bytea,
  block_number  bigint,
  block_time    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  submitted_at  timestamptz,
  confirmed_at  timestamptz,
  attempts      integer NOT NULL DEFAULT 0,
  last_error    text,
  CONSTRAINT batch_confirmed_has_tx CHECK (status <> 'confirmed' OR (tx_hash IS NOT NULL AND block_number IS NOT NULL AND chain_id IS NOT NULL AND contract IS NOT NULL))
);
COMMENT ON TABLE batch IS 'A Merkle tree over (bundle.hash, bundle.salt) leaves; id is the on-chain batchId (bytes32, random). pending: tree built, not sent; submitted: a transaction may have been sent (reconcile with rootOf before sending again); confirmed: anchored, tx recorded.';
COMMENT ON COLUMN batch.seq IS 'Closing order; batches are anchored and replayed in this order.';
-- Batches still to anchor, in order (small: only the unconfirmed ones).
CREATE INDEX batch_unconfirmed_idx ON batch (seq) WHERE status <> 'confirmed';

ALTER TABLE bundle
  ADD COLUMN batch_id   bytea REFERENCES batch(id),
  ADD COLUMN leaf_index integer,
  ADD COLUMN proof      jsonb;
COMMENT ON COLUMN bundle.batch_id IS 'Batch whose tree holds this bundle''s leaf (NULL: not yet batched).';
COMMENT ON COLUMN bundle.proof IS 'Merkle proof of the leaf in its batch (array of 0x hex siblings, OpenZeppelin StandardMerkleTree).';
-- "Pending bundles not yet in a batch", oldest first: the batcher's claim query walks this partial index.
CREATE INDEX bundle_unbatched_idx ON bundle (received_at, id) WHERE batch_id IS NULL;
CREATE INDEX bundle_batch_idx ON bundle (batch_id, leaf_index) WHERE batch_id IS NOT NULL;
