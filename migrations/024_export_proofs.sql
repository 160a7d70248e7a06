-- 024_export_proofs.sql: Bulk Data $export with _proofs=true (issue 11): the job remembers that it was asked for
-- proofs, and each resource file gets a parallel file of fhir-anchor-proof/1 lines, one per resource, same order.

ALTER TABLE export_job ADD COLUMN proofs boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN export_job.proofs IS 'Asked with _proofs=true: each resource file has a proofs file (export_file.proofs_of).';

ALTER TABLE export_file ADD COLUMN proofs_of integer;
COMMENT ON COLUMN export_file.proofs_of IS 'For a proofs file: the seq of the resource file of this job whose lines it proves, line by line; null for a resource file.';
