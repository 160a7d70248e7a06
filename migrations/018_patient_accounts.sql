-- 018_patient_accounts.sql: patients as principals. An account is anchored to the patient records it was enrolled on
-- (not to a person id, which an admin's link or unlink may change); the person it reaches is resolved per request
-- from those records. Access and refresh tokens are opaque and stored as SHA-256 only, like the clinics' tokens.

CREATE TABLE patient_account (
  id           uuid PRIMARY KEY,
  created_at   timestamptz NOT NULL DEFAULT now(),
  disabled_at  timestamptz
);
COMMENT ON TABLE patient_account IS 'One patient (a human signing in); reaches the person of its enrolled patient records.';

CREATE TABLE patient_account_record (
  patient_id   uuid PRIMARY KEY REFERENCES patient(id),
  account_id   uuid NOT NULL REFERENCES patient_account(id),
  enrolled_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE patient_account_record IS 'The patient records (one per enrolling clinic) an account was enrolled on; a record belongs to one account.';
CREATE INDEX patient_account_record_account_idx ON patient_account_record (account_id, enrolled_at);

CREATE TABLE patient_token (
  token_hash   bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
  account_id   uuid NOT NULL REFERENCES patient_account(id),
  kind         text NOT NULL CHECK (kind IN ('access', 'refresh')),
  client_id    text NOT NULL,
  scopes       text[] NOT NULL,
  family       uuid NOT NULL,
  issued_at    timestamptz NOT NULL DEFAULT statement_timestamp(),
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz
);
COMMENT ON TABLE patient_token IS 'Opaque patient access and refresh tokens (SHA-256 only). family: every token issued from one authorization, revoked together (a reused refresh token revokes its family, OAuth 2.0 Security BCP §4.14).';
CREATE INDEX patient_token_family_idx ON patient_token (family);
CREATE INDEX patient_token_account_idx ON patient_token (account_id);
CREATE INDEX patient_token_expiry_idx ON patient_token (expires_at);

ALTER TABLE audit_event ADD COLUMN agent jsonb;
COMMENT ON COLUMN audit_event.agent IS 'Who acted when clinic_id is NULL and it was not the admin: {"kind":"patient","accountId"} or {"kind":"health-link","linkId","recipient"}. In canonical only when set.';
CREATE INDEX audit_event_patient_agent_idx ON audit_event ((agent->>'accountId')) WHERE agent IS NOT NULL;
