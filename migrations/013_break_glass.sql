-- 013_break_glass.sql: emergency access (break-glass) only for clinics an admin has enabled, and a quick count of a
-- clinic's recent break-glass reads for its hourly limit (counted in the database, so every bridge process agrees).

ALTER TABLE clinic ADD COLUMN break_glass_enabled_at timestamptz;
COMMENT ON COLUMN clinic.break_glass_enabled_at IS 'When an admin enabled break-glass for this clinic; NULL: the clinic may not use X-Break-Glass (403).';
CREATE INDEX audit_event_break_glass_idx ON audit_event (clinic_id, recorded) WHERE break_glass;
