-- Large values (a bundle's canonical JSON and response, big resources, export files) are TOAST-compressed on every
-- write; lz4 costs a fraction of the CPU of the default pglz. Only where the server was built with lz4.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
    ALTER TABLE bundle ALTER COLUMN canonical SET COMPRESSION lz4, ALTER COLUMN response SET COMPRESSION lz4;
    ALTER TABLE resource ALTER COLUMN content SET COMPRESSION lz4;
    ALTER TABLE resource_history ALTER COLUMN content SET COMPRESSION lz4;
    ALTER TABLE export_file ALTER COLUMN content SET COMPRESSION lz4;
  END IF;
END $$;
