-- 011_clinic_keys.sql: a clinic may hold several API keys, each revocable, so a key can be rotated (new key, old one
-- revoked at once or after a grace period) or revoked alone. Keys move here from clinic.api_key_hash.

CREATE TABLE clinic_key (
  id          uuid PRIMARY KEY,
  clinic_id   uuid NOT NULL REFERENCES clinic(id),
  key_hash    bytea NOT NULL UNIQUE CHECK (octet_length(key_hash) = 32),
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
COMMENT ON TABLE clinic_key IS 'API keys of a clinic, stored only as their SHA-256. A key authenticates while revoked_at is NULL or in the future.';
COMMENT ON COLUMN clinic_key.revoked_at IS 'From this instant the key is refused (the database clock decides, so every bridge process agrees); a future value is a rotation grace period.';
CREATE INDEX clinic_key_clinic_idx ON clinic_key (clinic_id, created_at);

INSERT INTO clinic_key (id, clinic_id, key_hash, created_at)
  SELECT gen_random_uuid(), id, api_key_hash, created_at FROM clinic;
ALTER TABLE clinic DROP COLUMN api_key_hash;
COMMENT ON TABLE clinic IS 'An authenticated sender. Its API keys are in clinic_key.';
