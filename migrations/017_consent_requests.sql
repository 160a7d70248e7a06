-- 017_consent_requests.sql: consent requests as FHIR R4 Tasks (intent proposal, code approve) and Subscription
-- rest-hooks with a durable outbox. A request names the patient records behind a $match handle (migration 015); its
-- home clinics are found from those records' person at use time, so later links are followed. Each home clinic's
-- decision is one row; an approval also stores an active Consent through the ordinary push (same transaction).
-- Notifications are written to the outbox in the transaction of the state change and delivered by a background loop
-- (claimed with FOR UPDATE SKIP LOCKED, so several bridge processes share it).

CREATE TABLE consent_request (
  id                   uuid PRIMARY KEY,
  requester_clinic_id  uuid NOT NULL REFERENCES clinic(id),
  handle               text NOT NULL,
  patient_ids          uuid[] NOT NULL CHECK (cardinality(patient_ids) > 0),
  purpose              text NOT NULL,
  period_start         timestamptz NOT NULL,
  period_end           timestamptz NOT NULL CHECK (period_end > period_start),
  -- the period as the requester wrote it (FHIR dates or dateTimes), copied into the Consent an approval creates
  period               jsonb NOT NULL,
  note                 text,
  status               text NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'accepted', 'rejected', 'cancelled')),
  authored_on          timestamptz NOT NULL DEFAULT now(),
  last_modified        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_request_requester_idx ON consent_request (requester_clinic_id, authored_on);
CREATE INDEX consent_request_patients_idx ON consent_request USING gin (patient_ids);

CREATE TABLE consent_decision (
  request_id   uuid NOT NULL REFERENCES consent_request(id),
  clinic_id    uuid NOT NULL REFERENCES clinic(id),
  -- a home clinic's Task status: accepted (approved), rejected (declined), cancelled (an approval revoked)
  status       text NOT NULL CHECK (status IN ('accepted', 'rejected', 'cancelled')),
  reason       text,
  consent_ids  uuid[] NOT NULL DEFAULT '{}',
  decided_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, clinic_id)
);

CREATE TABLE subscription (
  id            uuid PRIMARY KEY,
  clinic_id     uuid NOT NULL REFERENCES clinic(id),
  status        text NOT NULL CHECK (status IN ('requested', 'active', 'error', 'off')),
  reason        text NOT NULL,
  criteria      text NOT NULL,
  -- criteria parsed: NULL = any of the subscriber's Tasks / any status
  task_id       text,
  task_statuses text[],
  endpoint      text NOT NULL,
  payload       text,
  headers       text[] NOT NULL DEFAULT '{}',
  error         text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_modified timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscription_clinic_idx ON subscription (clinic_id) WHERE status = 'active';

CREATE TABLE notification_outbox (
  id               bigserial PRIMARY KEY,
  subscription_id  uuid NOT NULL REFERENCES subscription(id) ON DELETE CASCADE,
  -- the Task as the subscriber names it (the requester's id, or a home clinic's id)
  task_id          text NOT NULL,
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz,
  failed_at        timestamptz
);
CREATE INDEX notification_outbox_due_idx ON notification_outbox (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
