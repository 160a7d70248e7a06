/**
 * Resource versions stored before the verifiable log existed (migration 022 lists them) are queued as log entries at
 * start, in batches, each batch in one transaction; bundles and audit records were queued by the migration itself.
 */
import { canonicalJson, sha256Hex } from '../fhir/hash';
import type { Db } from '../store/db';
import { backfillBatch, saveBackfill } from '../store/log';

export async function backfillLogEntries(db: Db, batch = 500): Promise<number> {
  let queued = 0;
  for (;;) {
    const { ids, versions } = await backfillBatch(db, batch);
    if (!ids.length) return queued;
    await saveBackfill(
      db,
      ids,
      versions.map((v) => ({
        kind: 'resource' as const,
        refId: v.id,
        version: v.version,
        docHash: sha256Hex(canonicalJson(v.content)),
        clinicId: v.clinicId,
        resourceType: v.resourceType,
      })),
    );
    queued += versions.length;
  }
}
