/**
 * Resources stored before their search parameters were indexed (migration 026 lists them) are indexed at start, in
 * batches, from the content the bridge serves (references already bridge ids), as a write would have indexed them.
 */
import { searchValues } from '../fhir/search-values';
import { canonicalSystem } from '../normalize/codes';
import type { Db } from '../store/db';
import { reindexBatch } from '../store/search-index';

export async function reindexSearch(db: Db, batch = 500, progress?: (done: number) => void): Promise<number> {
  let done = 0;
  for (;;) {
    const n = await reindexBatch(db, batch, (r) => searchValues(r, (s) => canonicalSystem(s) ?? s));
    if (!n) return done;
    done += n;
    progress?.(done);
  }
}
