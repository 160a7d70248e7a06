-- 004_audit.sql: the audit trail, and reversible person links. Independent of 003_anchoring.sql (no reference to
-- batch): the anchoring side may later add batch membership columns to audit_event exactly as it did to bundle.

CREATE TABLE audit_event (
  id              uuid PRIMARY KEY,
  seq             bigserial NOT NULL UNIQUE,
  recorded        timestamptz NOT NULL,
  clinic_id       uuid,
  action          text NOT NULL,
  outcome         text NOT NULL CHECK (outcome IN ('success', 'refused', 'error')),
  person_id       uuid,
  patient_ids     uuid[] NOT NULL DEFAULT '{}',
  resource_types  text[] NOT NULL DEFAULT '{}',
  purpose         text,
  break_glass     boolean NOT NULL DEFAULT false,
  detail          text,
  canonical       text NOT NULL,
  hash            bytea NOT NULL CHECK (octet_length(hash) = 32),
  salt            bytea NOT NULL CHECK (octet_length(salt) = 32)
);
COMMENT ON TABLE audit_event IS 'Who (clinic) did what (action, person, patient records, resource types), when, why (purpose or break-glass reason) and with which outcome: every push, read, search, pull, export and refusal. Append-only; served as FHIR AuditEvent.';
COMMENT ON COLUMN audit_event.clinic_id IS 'Calling clinic (NULL: the bridge admin).';
COMMENT ON COLUMN audit_event.person_id IS 'Person the event is about, when it is about one.';
COMMENT ON COLUMN audit_event.patient_ids IS 'Patient records (bridge Patient ids) touched or asked for.';
COMMENT ON COLUMN audit_event.break_glass IS 'Read without consent under X-Break-Glass; purpose holds the reason.';
COMMENT ON COLUMN audit_event.canonical IS 'RFC 8785 canonical JSON of the record (every column above except seq); hash = SHA-256(canonical).';
COMMENT ON COLUMN audit_event.hash IS 'SHA-256 of canonical: the value to anchor, like bundle.hash.';
COMMENT ON COLUMN audit_event.salt IS 'Random 32 bytes for the Merkle leaf (hash, salt), like bundle.salt.';
CREATE INDEX audit_event_person_idx ON audit_event (person_id, recorded DESC);
CREATE INDEX audit_event_patients_idx ON audit_event USING gin (patient_ids);
CREATE INDEX audit_event_clinic_idx ON audit_event (clinic_id, recorded DESC);

ALTER TABLE person ADD COLUMN merged_into uuid REFERENCES person(id);
COMMENT ON COLUMN person.merged_into IS 'Set when an admin confirmed a link and this person''s patients moved to the older person: the id stays traceable.';

ALTER TABLE person_candidate ADD COLUMN decided_at timestamptz;
COMMENT ON COLUMN person_candidate.status IS 'candidate (recorded, not merged) | confirmed (an admin linked the two patients) | rejected (an admin said they differ, or unlinked them).';
CREATE INDEX person_candidate_status_idx ON person_candidate (status, score DESC);
