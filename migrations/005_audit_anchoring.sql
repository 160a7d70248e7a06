-- Audit records are anchored exactly like bundles: same batches, same leaves (hash, salt), same receipts.

ALTER TABLE audit_event ADD COLUMN batch_id bytea REFERENCES batch(id);
ALTER TABLE audit_event ADD COLUMN leaf_index integer;
ALTER TABLE audit_event ADD COLUMN proof jsonb;
COMMENT ON COLUMN audit_event.batch_id IS 'Batch whose Merkle root anchors this record (NULL: waiting for a batch).';
COMMENT ON COLUMN audit_event.proof IS 'Merkle proof of the leaf (hash, salt) to the batch root, as 0x hex strings.';
CREATE INDEX audit_event_unbatched_idx ON audit_event (seq) WHERE batch_id IS NULL;
CREATE INDEX audit_event_batch_idx ON audit_event (batch_id);
CREATE INDEX audit_event_hash_idx ON audit_event (hash);
