-- A search parameter that is the union of others of its type (R4's Observation combo-code = code | component-code,
-- and the other combo-* parameters) is now answered from its parts' index values (fhir/search-definitions
-- indexedAs) and no longer indexed itself. Its rows are never read again: removed here. Its keys in
-- resource.search_keys are never read either; they go when the resource is next written.
DELETE FROM search_string WHERE resource_type = 'Observation' AND param LIKE 'combo-%';
DELETE FROM search_quantity WHERE resource_type = 'Observation' AND param LIKE 'combo-%';
DELETE FROM search_date WHERE resource_type = 'Observation' AND param LIKE 'combo-%';
