-- 019_patient_identity.sql: how patients sign in (issue 10). Enrolment codes issued by a home clinic, the credentials a
-- patient sets with one (WebAuthn passkeys, or a username and an argon2id password hash), WebAuthn challenges,
-- browser sign-in sessions (cookie), and the OAuth 2.0 authorization server of SMART App Launch 2.0 (standalone patient
-- launch): registered patient apps, pending authorization requests and authorization codes. Every secret (code, cookie,
-- request id, authorization code) is stored as its SHA-256 only.

CREATE TABLE enrolment_code (
  code_hash    bytea PRIMARY KEY CHECK (octet_length(code_hash) = 32),
  patient_id   uuid NOT NULL REFERENCES patient(id),
  clinic_id    uuid NOT NULL REFERENCES clinic(id),
  created_at   timestamptz NOT NULL DEFAULT statement_timestamp(),
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz
);
COMMENT ON TABLE enrolment_code IS 'One-time enrolment codes a home clinic issued for one of its Patient records (SHA-256 only); consumed when a credential is set.';
CREATE INDEX enrolment_code_patient_idx ON enrolment_code (patient_id);

CREATE TABLE patient_password (
  account_id   uuid PRIMARY KEY REFERENCES patient_account(id),
  username     text NOT NULL,
  hash         text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT statement_timestamp()
);
COMMENT ON TABLE patient_password IS 'Password fallback: a username (lower case, unique) and an argon2id PHC string (per-password salt).';
CREATE UNIQUE INDEX patient_password_username_idx ON patient_password (username);

CREATE TABLE patient_passkey (
  credential_id text PRIMARY KEY,
  account_id    uuid NOT NULL REFERENCES patient_account(id),
  public_key    bytea NOT NULL,
  counter       bigint NOT NULL DEFAULT 0,
  transports    text[] NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT statement_timestamp(),
  last_used_at  timestamptz
);
COMMENT ON TABLE patient_passkey IS 'WebAuthn credentials (discoverable passkeys): base64url credential id, COSE public key, signature counter, transports.';
CREATE INDEX patient_passkey_account_idx ON patient_passkey (account_id);

CREATE TABLE webauthn_challenge (
  challenge    text PRIMARY KEY,
  purpose      text NOT NULL CHECK (purpose IN ('registration', 'authentication')),
  code_hash    bytea,
  user_handle  text,
  expires_at   timestamptz NOT NULL
);
COMMENT ON TABLE webauthn_challenge IS 'WebAuthn challenges issued by the bridge: single use (deleted when used), short-lived; a registration one is bound to its enrolment code.';
CREATE INDEX webauthn_challenge_expiry_idx ON webauthn_challenge (expires_at);

CREATE TABLE signin_session (
  id           uuid PRIMARY KEY,
  token_hash   bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  account_id   uuid NOT NULL REFERENCES patient_account(id),
  created_at   timestamptz NOT NULL DEFAULT statement_timestamp(),
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz
);
COMMENT ON TABLE signin_session IS 'Browser sign-in sessions (cookie fab_signin, SHA-256 only); signing out revokes it and the tokens issued through it.';
CREATE INDEX signin_session_account_idx ON signin_session (account_id);

CREATE TABLE patient_app (
  client_id     text PRIMARY KEY,
  name          text NOT NULL,
  redirect_uris text[] NOT NULL,
  builtin       boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT statement_timestamp()
);
COMMENT ON TABLE patient_app IS 'Public SMART apps patients may authorize (registered by the admin). builtin portal: its redirect URI is <public origin>/portal/, computed at run time.';
INSERT INTO patient_app (client_id, name, redirect_uris, builtin) VALUES ('portal', 'Patient portal', '{}', true);

CREATE TABLE oauth_request (
  id_hash        bytea PRIMARY KEY CHECK (octet_length(id_hash) = 32),
  client_id      text NOT NULL REFERENCES patient_app(client_id),
  redirect_uri   text NOT NULL,
  scopes         text[] NOT NULL,
  state          text NOT NULL,
  code_challenge text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT statement_timestamp(),
  expires_at     timestamptz NOT NULL,
  used_at        timestamptz
);
COMMENT ON TABLE oauth_request IS 'A checked authorization request waiting for the patient to sign in (/portal/#/signin?request=<id>); single use.';

CREATE TABLE oauth_code (
  code_hash      bytea PRIMARY KEY CHECK (octet_length(code_hash) = 32),
  client_id      text NOT NULL REFERENCES patient_app(client_id),
  redirect_uri   text NOT NULL,
  scopes         text[] NOT NULL,
  code_challenge text NOT NULL,
  account_id     uuid NOT NULL REFERENCES patient_account(id),
  session_id     uuid NOT NULL REFERENCES signin_session(id),
  family         uuid NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT statement_timestamp(),
  expires_at     timestamptz NOT NULL,
  used_at        timestamptz
);
COMMENT ON TABLE oauth_code IS 'Authorization codes (RFC 6749 §4.1.2, PKCE S256 of RFC 7636): single use; family names the tokens issued from it (revoked on code reuse and on sign-out of session_id).';
CREATE INDEX oauth_code_session_idx ON oauth_code (session_id);
CREATE INDEX oauth_code_family_idx ON oauth_code (family);
