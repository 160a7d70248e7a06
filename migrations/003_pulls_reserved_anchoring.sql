-- Placeholder kept only on branch `pulls` so 005_export.sql runs (postgres-migrations needs consecutive ids).
-- DELETE this file when merging: the anchoring branch brings 003, the access branch brings 004.
SELECT 1;
