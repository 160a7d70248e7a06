-- Anchoring of log checkpoints (bridge/anchor/checkpoints.ts). Only the newest checkpoint is sent, so older ones stay
-- 'pending' for good (a consistency proof covers them) and the partial index of migration 022 grows with the log:
-- the anchorer's own lookups get indexes of the few rows they ask for.
CREATE INDEX log_checkpoint_submitted_idx ON log_checkpoint (tree_size) WHERE status = 'submitted';
CREATE INDEX log_checkpoint_confirmed_idx ON log_checkpoint (tree_size) WHERE status = 'confirmed';
