-- A count of a token search (_total=accurate, _summary=count) read every matching row of resource, a wide row (its
-- content) of which about four fit a page: 50,972 Observations of one LOINC code among 1,000,000 resources were 46,000
-- pages and 160 ms. One narrow row per token value, with what visibility needs (bridge/store/search.ts visibleSql),
-- lets such a count be an index-only scan: 770 pages, 11 ms (npm run bench -- search). Pages and matches are still
-- found through resource.search_keys; this table only counts (bridge/store/search.ts tokenCountSql). Withheld
-- groups of a restricted grant need a row's sensitivity, so such a count still reads resource.
CREATE TABLE search_token (
  resource_id    uuid NOT NULL,
  resource_type  text NOT NULL,
  param          text NOT NULL,
  code           text COLLATE "C" NOT NULL,
  system         text COLLATE "C" NOT NULL,
  clinic_id      uuid NOT NULL,
  patient_id     uuid
);
COMMENT ON TABLE search_token IS 'Token values of current versions (search_token_values of resource.search_keys), for counts only; system '''' is none.';

-- The token values among a row's search keys (bridge/model/search-keys.ts): `p|system|code` is one value, `p||code`
-- one with no system (''). The first `|` ends the parameter (parameter codes hold none), the next the system, as
-- FHIR's token syntax splits `system|code`. Keys `p=code` (the same value in any system), `p|system|` (its system),
-- `p` (presence) and `p>target` (references) are not values of their own. Keys are distinct, so are the values. The
-- one reading of keys into rows: the backfill below, and the bridge's writes and clears (bridge/store/search-index.ts).
CREATE FUNCTION search_token_values(keys text[]) RETURNS TABLE (param text, system text, code text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT v.param, split_part(v.rest, '|', 1), substr(v.rest, length(split_part(v.rest, '|', 1)) + 2)
  FROM (SELECT split_part(key, '|', 1) AS param, substr(key, length(split_part(key, '|', 1)) + 2) AS rest FROM unnest(keys) key) v
  WHERE strpos(v.param, '=') = 0 AND strpos(v.param, '>') = 0 AND strpos(v.rest, '|') > 0
    AND substr(v.rest, length(split_part(v.rest, '|', 1)) + 2) <> ''
$$;

-- Every current version: rows still waiting for their first index (search_reindex) have no keys yet, and get their
-- rows when reindexed. About 30 s per million resources.
INSERT INTO search_token (resource_id, resource_type, param, code, system, clinic_id, patient_id)
SELECT r.id, r.resource_type, v.param, v.code, v.system, r.clinic_id, r.patient_id
FROM resource r CROSS JOIN LATERAL search_token_values(r.search_keys) v
WHERE NOT r.deleted;

-- The count's index: the value first, then what visibility and a distinct count read, so no heap page is visited
-- once the visibility map marks it all-visible (autovacuum). Its full key (with resource_id) also finds the rows a new
-- version replaces, one point lookup each.
CREATE INDEX search_token_count_idx ON search_token (resource_type, param, code, system, resource_id) INCLUDE (clinic_id, patient_id);
