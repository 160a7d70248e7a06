-- Search parameters of the FHIR R4 SearchParameter resources (bridge/fhir/search-definitions.ts), rebuilt with each
-- version. Token, uri and reference values are text keys in resource.search_keys (bridge/model/search-keys.ts): one GIN
-- index, no row per value (resource_token is replaced by them). Strings, dates and quantities need ranges and
-- prefixes, so they have a table each. Resources are never removed (a delete is a version), so these tables carry no
-- foreign key: its check would cost every insert.
ALTER TABLE resource ADD COLUMN search_keys text[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN resource.search_keys IS 'Token and reference search values as keys (p=code, p|system|code, p|system|, p||code, p>Type/id; p: has a value).';
CREATE INDEX resource_search_keys_idx ON resource USING gin (search_keys);
DROP TABLE resource_token;

CREATE TABLE search_string (
  resource_id    uuid NOT NULL,
  resource_type  text NOT NULL,
  param          text NOT NULL,
  value          text COLLATE "C" NOT NULL,
  exact          text NOT NULL
);
COMMENT ON TABLE search_string IS 'String parameters (and :text of tokens): value case- and accent-folded for starts-with and :contains, exact as sent.';
CREATE INDEX search_string_lookup_idx ON search_string (resource_type, param, value);
CREATE INDEX search_string_resource_idx ON search_string (resource_id);

CREATE TABLE search_date (
  resource_id    uuid NOT NULL,
  resource_type  text NOT NULL,
  param          text NOT NULL,
  start_at       timestamptz NOT NULL,
  end_at         timestamptz NOT NULL
);
COMMENT ON TABLE search_date IS 'Date parameters as the instant range a value covers (a partial date its whole year, month or day; an open Period end is infinity).';
CREATE INDEX search_date_lookup_idx ON search_date (resource_type, param, start_at);
CREATE INDEX search_date_resource_idx ON search_date (resource_id);

CREATE TABLE search_quantity (
  resource_id      uuid NOT NULL,
  resource_type    text NOT NULL,
  param            text NOT NULL,
  value            numeric NOT NULL,
  system           text,
  code             text,
  canonical_value  numeric,
  canonical_unit   text
);
COMMENT ON TABLE search_quantity IS 'Quantity and number parameters, as sent and (where the unit converts) in the canonical UCUM unit of its dimension.';
CREATE INDEX search_quantity_lookup_idx ON search_quantity (resource_type, param, value);
CREATE INDEX search_quantity_canonical_idx ON search_quantity (resource_type, param, canonical_unit, canonical_value) WHERE canonical_unit IS NOT NULL;
CREATE INDEX search_quantity_resource_idx ON search_quantity (resource_id);

-- Stored resources are indexed by the bridge at start (bridge/search/reindex.ts): the values come from their JSON.
CREATE TABLE search_reindex (resource_id uuid PRIMARY KEY);
COMMENT ON TABLE search_reindex IS 'Resources stored before these parameters were indexed, to index at start (emptied as it goes).';
INSERT INTO search_reindex (resource_id) SELECT id FROM resource WHERE NOT deleted;
