-- The same bytes pushed again by a clinic are replayed only while everything their last push wrote is still current;
-- after a change in between they are applied again and stored as a bundle row of their own (its own salt and leaf),
-- so (clinic_id, hash) is no longer unique. Identical pushes are serialized by an advisory lock instead
-- (bridge/store/bundles.ts lockBundleHash). Receipts by hash still name the first anchored row.
ALTER TABLE bundle DROP CONSTRAINT bundle_clinic_hash_key;
CREATE INDEX bundle_clinic_hash_idx ON bundle (clinic_id, hash);
COMMENT ON COLUMN bundle.response IS 'The response this push got; the same bytes pushed again get it again while what it wrote is still current.';
