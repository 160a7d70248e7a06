-- 016_patient_match_fields.sql: what Patient/$match (IHE PDQm ITI-119) compares beyond name, birth date and gender,
-- normalized once at write time (bridge/normalize/patient.ts, same rules as below), and the indexes that find
-- candidates (blocking) without reading every patient: the main address's postal code, city and country, and the
-- patient's phone numbers (digits only) and e-mail addresses (lower case). Existing rows are filled from the stored
-- Patient JSON with the same rules.

ALTER TABLE patient
  ADD COLUMN postal_code text,
  ADD COLUMN city text,
  ADD COLUMN country text,
  ADD COLUMN phones text[] NOT NULL DEFAULT '{}',
  ADD COLUMN emails text[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN patient.postal_code IS 'Main address (first one not of use old): postal code upper case without spaces or dashes.';
COMMENT ON COLUMN patient.city IS 'Main address: city, trimmed, lower case.';
COMMENT ON COLUMN patient.country IS 'Main address: country as sent, trimmed, upper case.';
COMMENT ON COLUMN patient.phones IS 'telecom phone/sms/fax values: digits only, a leading 00 (international prefix) dropped.';
COMMENT ON COLUMN patient.emails IS 'telecom email values: trimmed, lower case.';

-- Blocking keys of $match (bridge/store/match.ts); birth_date alone uses patient_match_idx (birth_date, lower(family)).
CREATE INDEX patient_family_idx ON patient (lower(family), birth_date);
CREATE INDEX patient_postal_code_idx ON patient (postal_code) WHERE postal_code IS NOT NULL;
CREATE INDEX patient_phones_idx ON patient USING gin (phones);
CREATE INDEX patient_emails_idx ON patient USING gin (emails);

-- Backfill from each record's stored Patient (resource.content), with the rules of bridge/normalize/patient.ts.
WITH src AS (
  SELECT r.id,
    (SELECT a FROM jsonb_array_elements(CASE WHEN jsonb_typeof(r.content->'address') = 'array' THEN r.content->'address' ELSE '[]' END)
       WITH ORDINALITY AS x(a, i)
      WHERE jsonb_typeof(a) = 'object' AND coalesce(a->>'use', '') <> 'old' ORDER BY i LIMIT 1) AS addr,
    CASE WHEN jsonb_typeof(r.content->'telecom') = 'array' THEN r.content->'telecom' ELSE '[]' END AS telecom
  FROM resource r JOIN patient p ON p.id = r.id
), norm AS (
  SELECT id,
    nullif(upper(regexp_replace(addr->>'postalCode', '[\s-]', '', 'g')), '') AS postal_code,
    nullif(lower(btrim(addr->>'city')), '') AS city,
    nullif(upper(btrim(addr->>'country')), '') AS country,
    ARRAY(SELECT DISTINCT d FROM (
      SELECT regexp_replace(regexp_replace(t->>'value', '\D', '', 'g'), '^00', '') AS d FROM jsonb_array_elements(telecom) t
       WHERE jsonb_typeof(t) = 'object' AND t->>'system' IN ('phone', 'sms', 'fax')) q WHERE length(d) >= 4 ORDER BY d) AS phones,
    ARRAY(SELECT DISTINCT e FROM (
      SELECT lower(btrim(t->>'value')) AS e FROM jsonb_array_elements(telecom) t
       WHERE jsonb_typeof(t) = 'object' AND t->>'system' = 'email') q WHERE e LIKE '%_@_%' ORDER BY e) AS emails
  FROM src
)
UPDATE patient p SET postal_code = n.postal_code, city = n.city, country = n.country, phones = n.phones, emails = n.emails
  FROM norm n WHERE n.id = p.id;

-- MATCH_LIMIT: a clinic's $match requests of the last hour are counted from the audit trail (bridge/store/match.ts).
CREATE INDEX audit_event_match_idx ON audit_event (clinic_id, recorded) WHERE action = 'match' AND outcome = 'success';
