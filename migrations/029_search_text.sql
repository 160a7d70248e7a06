-- The `:text` values of token parameters (CodeableConcept.text, Coding.display, Identifier.type.text; R4
-- search.html#modifiers) move from a search_string row per resource and value (param 'code:text' and the like: 1.5 of
-- the bench's 3.4 rows a resource) to keys of the resource row, '<param>~<folded text>' in search_keys
-- (bridge/model/search-keys.ts textKey), and a dictionary holding each distinct text of a parameter and type once. A
-- `:text` search reads the texts starting with its value from the dictionary (a prefix range of its primary key:
-- COLLATE "C", so LIKE 'x%' is a range), then the resources holding one of their keys (GIN). Writing a resource
-- adds no row for a text the dictionary already holds (bridge/store/search-text.ts).
CREATE TABLE search_text (
  resource_type  text NOT NULL,
  param          text NOT NULL,
  value          text COLLATE "C" NOT NULL,
  PRIMARY KEY (resource_type, param, value)
);
COMMENT ON TABLE search_text IS 'Each distinct folded text of a token parameter of a type, once (a resource holds it as the key param~text).';

INSERT INTO search_text (resource_type, param, value)
  SELECT DISTINCT resource_type, left(param, -5), value FROM search_string WHERE param LIKE '%:text';

UPDATE resource r SET search_keys = r.search_keys || t.keys
  FROM (SELECT resource_id, array_agg(DISTINCT left(param, -5) || '~' || value) AS keys
        FROM search_string WHERE param LIKE '%:text' GROUP BY resource_id) t
  WHERE r.id = t.resource_id;

DELETE FROM search_string WHERE param LIKE '%:text';
