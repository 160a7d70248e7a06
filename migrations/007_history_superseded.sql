-- resource_history now holds superseded versions only: the current version lives in resource alone, so a create
-- writes its content once. Rows a previous release wrote for current versions are dropped; reads union both tables.
DELETE FROM resource_history h USING resource r WHERE h.resource_id = r.id AND h.version = r.version;
COMMENT ON TABLE resource_history IS 'Every superseded version of a resource (the current one is the resource row), for _history and vread.';
