import { randomBytes, randomUUID } from 'node:crypto';
import { canonicalBundleJson, sha256Hex } from '../../../bridge/fhir/hash';
import { insertBundle } from '../../../bridge/store/bundles';
import { inTransaction, type Db } from '../../../bridge/store/db';
import { waitFor as waitUntil } from '../wait';

/** Stores bundles as an accepted push would (one transaction each, random salt); returns their hashes in order. */
export async function storeBundles(db: Db, clinicId: string, bundles: Record<string, unknown>[]): Promise<string[]> {
  const hashes: string[] = [];
  for (const bundle of bundles) {
    const canonical = canonicalBundleJson(bundle);
    const hash = sha256Hex(canonical);
    await inTransaction(db, (tx) =>
      insertBundle(tx, {
        id: randomUUID(),
        clinicId,
        hash,
        bundleType: String(bundle.type),
        entryCount: 1,
        canonical,
        rootId: null,
        rootMeta: null,
        salt: randomBytes(32),
      }),
    );
    hashes.push(hash);
  }
  return hashes;
}

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`): {@link waitFor} of helpers/wait. */
export function waitFor<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  return waitUntil(check, { timeoutMs, what });
}
