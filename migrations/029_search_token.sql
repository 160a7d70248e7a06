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
  system         text COLLATE "C",
  clinic_id      uuid NOT NULL,
  patient_id     uuid
);
COMMENT ON TABLE search_token IS 'Token values of current versions, one row per distinct (param, system, code) of a resource, for counts only.';

-- Filled from the keys every current version already has (bridge/model/search-keys.ts): `p|system|code` is one
-- value (`p||code`: no system). The first `|` ends the parameter (codes of parameters hold none), the next the system,
-- as FHIR's token syntax splits `system|code`. Keys `p=code` (the same value in any system), `p|system|` (its system),
-- `p` (presence) and `p>target` (references) are not values of their own. Rows still waiting for their first index
-- (search_reindex) have no keys yet: the reindex writes theirs. About 20 s per million resources.
INSERT INTO search_token (resource_id, resource_type, param, code, system, clinic_id, patient_id)
SELECT DISTINCT r.id, r.resource_type, k.param, substr(k.rest, length(split_part(k.rest, '|', 1)) + 2), nullif(split_part(k.rest, '|', 1), ''), r.clinic_id, r.patient_id
FROM resource r
CROSS JOIN LATERAL (
  SELECT split_part(key, '|', 1) AS param, substr(key, length(split_part(key, '|', 1)) + 2) AS rest
  FROM unnest(r.search_keys) key
  WHERE strpos(split_part(key, '|', 1), '=') = 0 AND strpos(split_part(key, '|', 1), '>') = 0
) k
WHERE NOT r.deleted AND strpos(k.rest, '|') > 0 AND substr(k.rest, length(split_part(k.rest, '|', 1)) + 2) <> '';

-- The count's index: the value first, then (INCLUDE) what visibility and a distinct count read, so no heap page is
-- visited once the visibility map marks it all-visible (autovacuum). The second index finds a resource's rows when
-- a new version replaces them.
CREATE INDEX search_token_count_idx ON search_token (resource_type, param, code, system) INCLUDE (clinic_id, patient_id, resource_id);
CREATE INDEX search_token_resource_idx ON search_token (resource_id);
