-- 014_smart_backend_services.sql: SMART Backend Services (HL7 SMART App Launch 2.x): a clinic's client registered by
-- its JWKS, the client-assertion jtis seen (replay protection, RFC 7523 §3), and the opaque access tokens issued.
-- All in the database so every bridge process sharing it agrees on replays, tokens and their expiry.

CREATE TABLE smart_client (
  client_id   text PRIMARY KEY,
  clinic_id   uuid NOT NULL UNIQUE REFERENCES clinic(id),
  jwks        jsonb,
  jwks_url    text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (num_nonnulls(jwks, jwks_url) = 1)
);
COMMENT ON TABLE smart_client IS 'One SMART backend client per clinic: the public JWKS (inline, or the URL it is fetched from) its client assertions are verified against.';

CREATE TABLE smart_jti (
  client_id   text NOT NULL REFERENCES smart_client(client_id),
  jti         text NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (client_id, jti)
);
COMMENT ON TABLE smart_jti IS 'Client-assertion ids used, kept until the assertion expires: a second use is a replay.';
CREATE INDEX smart_jti_expiry_idx ON smart_jti (expires_at);

CREATE TABLE smart_token (
  token_hash  bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
  clinic_id   uuid NOT NULL REFERENCES clinic(id),
  scopes      text[] NOT NULL,
  expires_at  timestamptz NOT NULL
);
COMMENT ON TABLE smart_token IS 'Opaque access tokens (SHA-256 only), valid until expires_at by the database clock.';
CREATE INDEX smart_token_expiry_idx ON smart_token (expires_at);
