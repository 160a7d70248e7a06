-- An entry's salt is drawn by the sequencer when it integrates the entry, in the transaction that writes its leaf,
-- no longer by each writer when it queues it: the queue holds what an entry commits to, the leaf its salt (one
-- parameter and 32 bytes less per queued row on every write). Entries queued before this migration keep theirs.
ALTER TABLE log_queue ALTER COLUMN salt DROP NOT NULL;
COMMENT ON COLUMN log_queue.salt IS 'NULL: drawn at integration (32 random bytes, stored in log_leaf.salt); set only for entries queued before migration 025.';
