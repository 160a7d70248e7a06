-- 021_health_links.sql: SMART Health Links (HL7 SMART Health Cards and Links IG, STU1, links-specification.html).
-- A patient shares a snapshot of their International Patient Summary: the IPS is encrypted once at creation (JWE, alg
-- dir, enc A256GCM) with a random key that is handed out in the shlink:/ payload and never stored, so a copy of this
-- table discloses no summary. The manifest id (256 bits of entropy, part of the manifest URL) and the single-use file
-- tickets are bearer secrets: only their SHA-256 is stored. A passcode is stored as an Argon2id hash.

CREATE TABLE health_link (
  id                  uuid PRIMARY KEY,
  account_id          uuid NOT NULL REFERENCES patient_account(id),
  manifest_hash       bytea NOT NULL UNIQUE CHECK (octet_length(manifest_hash) = 32),
  label               text CHECK (char_length(label) <= 80),
  passcode_hash       text,
  attempts_left       integer CHECK (attempts_left >= 0),
  created_at          timestamptz NOT NULL DEFAULT statement_timestamp(),
  expires_at          timestamptz NOT NULL,
  revoked_at          timestamptz,
  disabled_at         timestamptz,
  -- What the snapshot holds (recorded with every access in the audit trail).
  patient_ids         uuid[] NOT NULL,
  resource_types      text[] NOT NULL,
  -- The encrypted IPS (compact JWE); dropped (NULL) once the link is revoked or disabled.
  file_jwe            text,
  access_count        integer NOT NULL DEFAULT 0,
  last_access_at      timestamptz,
  CHECK ((passcode_hash IS NULL) = (attempts_left IS NULL))
);
COMMENT ON TABLE health_link IS 'SMART Health Links a patient made of their IPS: encrypted snapshot (key not stored), manifest id as SHA-256, optional Argon2id passcode with a lifetime count of wrong attempts.';
CREATE INDEX health_link_account_idx ON health_link (account_id, created_at);

CREATE TABLE health_link_ticket (
  token_hash   bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
  link_id      uuid NOT NULL REFERENCES health_link(id) ON DELETE CASCADE,
  recipient    text NOT NULL,
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz
);
COMMENT ON TABLE health_link_ticket IS 'Short-lived, single-use files.location URLs of a manifest answer (the IG: at most one hour); SHA-256 only.';
CREATE INDEX health_link_ticket_link_idx ON health_link_ticket (link_id);
CREATE INDEX health_link_ticket_expiry_idx ON health_link_ticket (expires_at);
