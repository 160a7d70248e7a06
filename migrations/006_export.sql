-- 006_export.sql: Bulk Data $export jobs and their NDJSON output, kept in PostgreSQL so any bridge process can answer
-- status polls and serve the files. Needs only clinic from 001_core.sql.

CREATE TABLE export_job (
  id                uuid PRIMARY KEY,
  clinic_id         uuid NOT NULL REFERENCES clinic(id),
  level             text NOT NULL CHECK (level IN ('system', 'patient')),
  request_url       text NOT NULL,
  types             text[],
  since             timestamptz,
  status            text NOT NULL DEFAULT 'accepted' CHECK (status IN ('accepted', 'in-progress', 'completed', 'failed')),
  progress          text,
  error             text,
  transaction_time  timestamptz NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  completed_at      timestamptz,
  heartbeat_at      timestamptz
);
COMMENT ON TABLE export_job IS 'A Bulk Data $export request of one clinic; deleted (with its files) when the clinic cancels or deletes it.';
COMMENT ON COLUMN export_job.transaction_time IS 'Snapshot time: only versions updated at or before it are exported.';
COMMENT ON COLUMN export_job.heartbeat_at IS 'Last sign of life of the process running the job; a job silent for long is resumed by another.';
CREATE INDEX export_job_clinic_idx ON export_job (clinic_id, created_at);
CREATE INDEX export_job_unfinished_idx ON export_job (created_at) WHERE status IN ('accepted', 'in-progress');

CREATE TABLE export_file (
  job_id          uuid NOT NULL REFERENCES export_job(id) ON DELETE CASCADE,
  seq             integer NOT NULL,
  resource_type   text NOT NULL,
  resource_count  integer NOT NULL,
  content         text NOT NULL,
  PRIMARY KEY (job_id, seq)
);
COMMENT ON TABLE export_file IS 'One NDJSON output file of an export job (one resource type, at most EXPORT_FILE_MAX resources).';

-- $everything and $summary read a person's compartment by patient and clinical time.
CREATE INDEX IF NOT EXISTS resource_patient_date_idx ON resource (patient_id, date_start) WHERE NOT deleted;
