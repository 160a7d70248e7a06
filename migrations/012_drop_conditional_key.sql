-- Conditional creates are now serialized by transaction-scoped advisory locks keyed by the identifier values and ids
-- their criteria name, and matched on what the criteria mean (store/resources.ts lockMatches). The table keyed by the
-- criteria's text deduplicated only identical writings, and could answer with a resource that no longer matched.
DROP TABLE conditional_key;
