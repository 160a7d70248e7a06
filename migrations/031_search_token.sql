-- A count of a token search (_total=accurate, _summary=count) read every matching row of resource, a wide row (its
-- content) of which about four fit a page: 50,972 Observations of one LOINC code among 1,000,000 resources were 46,000
-- pages and 160 ms. One narrow row per token value, with what visibility needs (bridge/store/search.ts visibleSql),
-- lets such a count be an index-only scan (npm run bench -- search). Pages and matches are still found through
-- resource.search_keys; this table only counts (bridge/store/search.ts tokenCountSql). Withheld groups of a
-- restricted grant need a row's sensitivity, so such a count still reads resource.
--
-- A value is held as two 64-bit hashes, as HAPI FHIR's token index holds its hash_value and hash_sys_and_value: the
-- first of (type, parameter, code), the second of its system. Fixed-width keys make the row 88 bytes and its index
-- entry 72 (the texts made them about half as large again), and every row written costs ingest (issue 12 allows 10%).
-- Two different values of a type and parameter share a code_key with a chance of about n²/2^65 among n codes.
CREATE TABLE search_token (
  code_key     bigint NOT NULL,
  system_key   bigint NOT NULL,
  resource_id  uuid NOT NULL,
  clinic_id    uuid NOT NULL,
  patient_id   uuid
);
COMMENT ON TABLE search_token IS 'Token values of current versions (search_token_rows of resource.search_keys), for counts only.';
COMMENT ON COLUMN search_token.code_key IS 'search_token_hash(resource_type || ''|'' || param || ''|'' || code).';
COMMENT ON COLUMN search_token.system_key IS 'search_token_hash(system), of '''' for a value with no system.';

-- The first 8 bytes of SHA-256 of the UTF-8 text, big-endian, as a signed bigint (bridge/model/search-keys.ts
-- tokenHash computes the same).
CREATE FUNCTION search_token_hash(value text) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ('x' || left(encode(sha256(convert_to(value, 'UTF8')), 'hex'), 16))::bit(64)::bigint
$$;

-- The token values among a row's search keys (bridge/model/search-keys.ts): `p|system|code` is one value, `p||code`
-- one with no system (''). The first `|` ends the parameter (parameter codes hold none), the next the system, as
-- FHIR's token syntax splits `system|code`. Keys `p=code` (the same value in any system), `p|system|` (its system),
-- `p` (presence), `p>target` (references) and `p~text` (a folded text, migration 029) are not values of their own.
-- Keys are distinct, so are the values.
CREATE FUNCTION search_token_values(keys text[]) RETURNS TABLE (param text, system text, code text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT v.param, split_part(v.rest, '|', 1), substr(v.rest, length(split_part(v.rest, '|', 1)) + 2)
  FROM (SELECT split_part(key, '|', 1) AS param, substr(key, length(split_part(key, '|', 1)) + 2) AS rest FROM unnest(keys) key) v
  WHERE strpos(v.param, '=') = 0 AND strpos(v.param, '>') = 0 AND strpos(v.param, '~') = 0 AND strpos(v.rest, '|') > 0
    AND substr(v.rest, length(split_part(v.rest, '|', 1)) + 2) <> ''
$$;

-- The rows of a resource of a type with these keys. The one reading of keys into rows: the backfill below, and the
-- bridge's clears (bridge/store/search-index.ts), whose writes compute the same in JS (tokenRowsOfKeys; tested alike).
CREATE FUNCTION search_token_rows(resource_type text, keys text[]) RETURNS TABLE (code_key bigint, system_key bigint)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT search_token_hash(resource_type || '|' || v.param || '|' || v.code), search_token_hash(v.system) FROM search_token_values(keys) v
$$;

-- Every current version: rows still waiting for their first index (search_reindex) have no keys yet, and get their
-- rows when reindexed.
INSERT INTO search_token (code_key, system_key, resource_id, clinic_id, patient_id)
SELECT t.code_key, t.system_key, r.id, r.clinic_id, r.patient_id
FROM resource r CROSS JOIN LATERAL search_token_rows(r.resource_type, r.search_keys) t
WHERE NOT r.deleted;

-- The count's index: the value first, then what visibility and a distinct count read, so no heap page is visited
-- once the visibility map marks it all-visible (autovacuum). Its full key (with resource_id) also finds the rows a new
-- version replaces, one point lookup each, so the table needs no index by resource.
CREATE INDEX search_token_count_idx ON search_token (code_key, system_key, resource_id) INCLUDE (clinic_id, patient_id);
