-- 020_patient_consent.sql: patients decide who may read what, and are told.
-- * patient_consent: FHIR R4 Consents a patient authored (POST /fhir/Consent with a patient token). One row per
--   Consent, naming one of the person's Patient records (the person is resolved through it at use time, like patient
--   accounts) and one clinic (provision.actor Organization/<clinicId>). Evaluation looks rows up by (actor, patient).
-- * resource.sensitivity: HL7 v3 ActCode sensitivity codes (MH, PSY, ETH, SEX, STD, HIV, …) of each stored resource,
--   computed at write time by bridge/normalize/sensitivity.ts; NULL = not yet classified (rows written before this
--   migration, backfilled at start in batches); a pull restricted by a Consent treats NULL as sensitive (fail closed).
-- * patient_notification: what the patient is told (break-glass accesses, new consent requests), served as FHIR
--   Communication; patient Subscriptions (subscription.account_id) get them through the existing outbox.

CREATE TABLE patient_consent (
  id               uuid PRIMARY KEY,
  account_id       uuid NOT NULL REFERENCES patient_account(id),
  patient_id       uuid NOT NULL REFERENCES patient(id),
  actor_clinic_id  uuid NOT NULL REFERENCES clinic(id),
  status           text NOT NULL CHECK (status IN ('active', 'inactive')),
  period_start     timestamptz,
  period_end       timestamptz,
  -- sensitivity codes withheld (the closure of the deny provisions' securityLabel codes); '{}' = everything shared
  excluded_labels  text[] NOT NULL DEFAULT '{}',
  version          integer NOT NULL DEFAULT 1,
  content          jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_modified    timestamptz NOT NULL DEFAULT now(),
  CHECK (period_end IS NULL OR period_start IS NULL OR period_end >= period_start)
);
COMMENT ON TABLE patient_consent IS 'Consents authored by patients; the latest one of a person for a clinic governs that clinic (access/consent-rules.ts).';
CREATE INDEX patient_consent_actor_idx ON patient_consent (actor_clinic_id, patient_id, last_modified DESC);
CREATE INDEX patient_consent_patient_idx ON patient_consent (patient_id, last_modified DESC);

ALTER TABLE resource ADD COLUMN sensitivity text[];
COMMENT ON COLUMN resource.sensitivity IS 'HL7 v3 ActCode sensitivity codes of the current version (normalize/sensitivity.ts); NULL until classified.';
CREATE INDEX resource_sensitivity_idx ON resource USING gin (sensitivity);
CREATE INDEX resource_unclassified_idx ON resource (id) WHERE sensitivity IS NULL;

CREATE TABLE patient_notification (
  id           uuid PRIMARY KEY,
  person_id    uuid NOT NULL REFERENCES person(id),
  patient_ids  uuid[] NOT NULL DEFAULT '{}',
  category     text NOT NULL CHECK (category IN ('break-glass', 'consent-request')),
  message      text NOT NULL,
  -- what it is about: an audit event hash (break-glass) or a Task id (consent request)
  about        text,
  sent         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patient_notification_person_idx ON patient_notification (person_id, sent DESC);

ALTER TABLE subscription ALTER COLUMN clinic_id DROP NOT NULL;
ALTER TABLE subscription ADD COLUMN account_id uuid REFERENCES patient_account(id);
ALTER TABLE subscription ADD CONSTRAINT subscription_owner_check CHECK ((clinic_id IS NULL) <> (account_id IS NULL));
CREATE INDEX subscription_account_idx ON subscription (account_id) WHERE status = 'active';
ALTER TABLE notification_outbox ALTER COLUMN task_id DROP NOT NULL;
ALTER TABLE notification_outbox ADD COLUMN communication_id uuid REFERENCES patient_notification(id) ON DELETE CASCADE;

-- A patient's own decision on a consent request about them (POST /fhir/Task/{id}/$approve | $decline, patient token):
-- accepted (with the patient Consent it created) or rejected; it sets the requester's Task status.
ALTER TABLE consent_request ADD COLUMN patient_status text CHECK (patient_status IN ('accepted', 'rejected'));
ALTER TABLE consent_request ADD COLUMN patient_consent_id uuid REFERENCES patient_consent(id);
ALTER TABLE consent_request ADD COLUMN patient_decided_at timestamptz;
