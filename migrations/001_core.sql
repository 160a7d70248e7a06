-- Core of the universal schema: who sent what, every resource as served back, and one person across clinics.

CREATE TABLE clinic (
  id            uuid PRIMARY KEY,
  name          text NOT NULL,
  api_key_hash  bytea NOT NULL UNIQUE,
  created_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE clinic IS 'An authenticated sender. The API key is stored only as its SHA-256.';

CREATE TABLE bundle (
  id            uuid PRIMARY KEY,
  clinic_id     uuid NOT NULL REFERENCES clinic(id),
  hash          bytea NOT NULL,
  bundle_type   text NOT NULL,
  entry_count   integer NOT NULL,
  received_at   timestamptz NOT NULL DEFAULT now(),
  canonical     text NOT NULL,
  root_id       text,
  root_meta     jsonb,
  response      json NOT NULL,
  salt          bytea NOT NULL,
  CONSTRAINT bundle_clinic_hash_key UNIQUE (clinic_id, hash)
);
COMMENT ON TABLE bundle IS 'Every accepted bundle, exactly as received (RFC 8785 canonical JSON without root id and meta, which are kept beside it).';
COMMENT ON COLUMN bundle.hash IS 'SHA-256 of canonical; the anchored value.';
COMMENT ON COLUMN bundle.response IS 'The response the first push got; a repeated push of the same bundle gets it again.';
COMMENT ON COLUMN bundle.salt IS 'Random 32 bytes paired with hash in the Merkle leaf so a leaf cannot be guessed from a known bundle.';
CREATE INDEX bundle_hash_idx ON bundle (hash);

CREATE TABLE resource (
  id             uuid PRIMARY KEY,
  resource_type  text NOT NULL,
  clinic_id      uuid NOT NULL REFERENCES clinic(id),
  source_id      text,
  version        integer NOT NULL,
  patient_id     uuid,
  bundle_id      uuid REFERENCES bundle(id),
  last_updated   timestamptz NOT NULL,
  date_start     timestamptz,
  date_end       timestamptz,
  deleted        boolean NOT NULL DEFAULT false,
  content        jsonb NOT NULL
);
COMMENT ON TABLE resource IS 'Every stored FHIR resource, current version, as served back (references rewritten to bridge ids).';
COMMENT ON COLUMN resource.source_id IS 'The id the sending clinic gave the resource (its source identity); unique per clinic and type.';
COMMENT ON COLUMN resource.patient_id IS 'Bridge id of the Patient the resource is about (compartment), when any.';
COMMENT ON COLUMN resource.date_start IS 'The resource''s clinically relevant time (effective, onset, period start ...), for date search.';
CREATE UNIQUE INDEX resource_source_key ON resource (clinic_id, resource_type, source_id) WHERE source_id IS NOT NULL;
CREATE INDEX resource_type_updated_idx ON resource (resource_type, last_updated);
CREATE INDEX resource_patient_idx ON resource (patient_id, resource_type);
CREATE INDEX resource_bundle_idx ON resource (bundle_id);

CREATE TABLE resource_history (
  resource_id   uuid NOT NULL REFERENCES resource(id) ON DELETE CASCADE,
  version       integer NOT NULL,
  bundle_id     uuid REFERENCES bundle(id),
  last_updated  timestamptz NOT NULL,
  deleted       boolean NOT NULL DEFAULT false,
  content       jsonb NOT NULL,
  PRIMARY KEY (resource_id, version)
);
COMMENT ON TABLE resource_history IS 'Every version of every resource (the current one included), for _history.';

CREATE TABLE resource_token (
  resource_id    uuid NOT NULL REFERENCES resource(id) ON DELETE CASCADE,
  resource_type  text NOT NULL,
  param          text NOT NULL,
  system         text,
  code           text NOT NULL
);
COMMENT ON TABLE resource_token IS 'Token search index (identifier, code ...), rebuilt with each version.';
CREATE INDEX resource_token_lookup_idx ON resource_token (resource_type, param, code, system);
CREATE INDEX resource_token_resource_idx ON resource_token (resource_id);

CREATE TABLE shared_entity (
  resource_type  text NOT NULL,
  system         text NOT NULL,
  value          text NOT NULL,
  resource_id    uuid NOT NULL REFERENCES resource(id) ON DELETE CASCADE,
  PRIMARY KEY (resource_type, system, value)
);
COMMENT ON TABLE shared_entity IS 'Organization, Practitioner, Location and Medication are stored once per identifier, whichever clinic sends them.';

CREATE TABLE conditional_key (
  clinic_id      uuid NOT NULL REFERENCES clinic(id),
  resource_type  text NOT NULL,
  criteria       text NOT NULL,
  resource_id    uuid NOT NULL REFERENCES resource(id) ON DELETE CASCADE,
  PRIMARY KEY (clinic_id, resource_type, criteria)
);
COMMENT ON TABLE conditional_key IS 'Normalized conditional-create criteria of each clinic: makes concurrent identical ifNoneExist creates one resource.';

CREATE TABLE person (
  id          uuid PRIMARY KEY,
  created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE person IS 'One human across clinics.';

CREATE TABLE patient (
  id           uuid PRIMARY KEY REFERENCES resource(id) ON DELETE CASCADE,
  clinic_id    uuid NOT NULL REFERENCES clinic(id),
  person_id    uuid NOT NULL REFERENCES person(id),
  family       text,
  given        text,
  birth_date   date,
  gender       text,
  identifiers  jsonb NOT NULL DEFAULT '[]'
);
COMMENT ON TABLE patient IS 'One clinic''s record of a person: demographics normalized from the Patient resource.';
CREATE INDEX patient_person_idx ON patient (person_id);
CREATE INDEX patient_match_idx ON patient (birth_date, lower(family));

CREATE TABLE patient_identifier (
  patient_id  uuid NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
  system      text NOT NULL,
  value       text NOT NULL,
  PRIMARY KEY (patient_id, system, value)
);
CREATE INDEX patient_identifier_lookup_idx ON patient_identifier (system, value);

CREATE TABLE person_candidate (
  patient_id        uuid NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
  other_patient_id  uuid NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
  score             real NOT NULL,
  status            text NOT NULL DEFAULT 'candidate',
  created_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (patient_id, other_patient_id)
);
COMMENT ON TABLE person_candidate IS 'Likely matches without a shared identifier: recorded with a score, never merged silently.';
