-- Placeholder on branch wt10-shl only, so that 022_health_links.sql applies (postgres-migrations needs consecutive
-- numbers). DELETE this file when merging: migration 021 belongs to another helper (contract.md).
SELECT 1;
