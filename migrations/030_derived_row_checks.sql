-- The foreign keys checked once per row on the ingest path go: those of the nine universal-schema tables (their
-- resource, clinic and patient) and those of resource to its clinic and bundle. PostgreSQL checks each with a query
-- and a FOR KEY SHARE lock of the parent row, for every row inserted: 5.3 checks a Synthea resource, all of them on
-- rows the same transaction has just written or locked (bridge/ingest/write.ts writes a resource, its bundle and
-- its clinical rows in one statement sequence), and the lock of the one clinic row by every concurrent push made
-- PostgreSQL record a MultiXact per row. Those checks were 11% of PostgreSQL's CPU in a perf profile of the
-- ingest bench. Nothing deletes a resource, bundle, clinic or patient (a FHIR delete is a version), so the
-- cascades they carried never ran. What the checks guarded is now held by the single write path and its tests.
DO $$
DECLARE c record;
BEGIN
  FOR c IN SELECT conrelid::regclass::text AS tbl, conname FROM pg_constraint
    WHERE contype = 'f' AND (conrelid::regclass::text IN ('encounter', 'condition', 'observation', 'medication', 'allergy', 'immunization', 'procedure', 'diagnostic_report', 'document')
      OR (conrelid::regclass::text = 'resource' AND conname IN ('resource_clinic_id_fkey', 'resource_bundle_id_fkey')))
  LOOP
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', c.tbl, c.conname);
  END LOOP;
END $$;
