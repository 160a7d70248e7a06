-- Placeholder so 014 runs on this branch alone (postgres-migrations needs consecutive ids). Another issue-9 branch
-- owns 013: DELETE THIS FILE when merging that branch's 013.
SELECT 1;
