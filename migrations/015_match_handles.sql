-- 015_match_handles.sql: handles that Patient/$match gives a clinic for each candidate person. A handle names the
-- patient records that matched (stable ids; the person they belong to is looked up at use, so merges and unlinks are
-- followed) and the one clinic it was issued to; it reveals nothing by itself and grants nothing: access still needs
-- consent (or break-glass) decided by the access layer.

CREATE TABLE match_handle (
  handle       text PRIMARY KEY CHECK (handle ~ '^[A-Za-z0-9-]{16,64}$'),
  clinic_id    uuid NOT NULL REFERENCES clinic(id),
  patient_ids  uuid[] NOT NULL CHECK (cardinality(patient_ids) > 0),
  grade        text NOT NULL CHECK (grade IN ('certain', 'probable', 'possible')),
  score        real NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);
COMMENT ON TABLE match_handle IS 'Patient/$match candidates as handed to one clinic: the matched patient records behind an opaque handle.';
CREATE INDEX match_handle_clinic_idx ON match_handle (clinic_id, created_at);
CREATE INDEX match_handle_expiry_idx ON match_handle (expires_at);
