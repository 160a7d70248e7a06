import { randomBytes, randomUUID } from 'node:crypto';
import { canonicalBundleJson, sha256Hex } from '../../../bridge/fhir/hash';
import { insertBundle } from '../../../bridge/store/bundles';
import { inTransaction, type Db } from '../../../bridge/store/db';

/** Stores bundles as an accepted push would (one transaction each, random salt); returns their hashes in order. */
export async function storeBundles(db: Db, clinicId: string, bundles: Record<string, unknown>[]): Promise<string[]> {
  const hashes: string[] = [];
  for (const bundle of bundles) {
    const canonical = canonicalBundleJson(bundle);
    const hash = sha256Hex(canonical);
    await inTransaction(db, (tx) =>
      insertBundle(tx, { id: randomUUID(), clinicId, hash, bundleType: String(bundle.type), entryCount: 1, canonical, rootId: null, rootMeta: null, salt: randomBytes(32) }),
    );
    hashes.push(hash);
  }
  return hashes;
}

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
