/**
 * When the same bytes come again from the same clinic, is the earlier answer still the truth? Replaying is for retries
 * (a lost response, a client that sends twice), so that a retried create makes no second resource. It must never hide
 * a write: `PUT` A, B, A must end at A. So an earlier push is replayed only when applying the bundle again could change
 * nothing: every resource version its response names (written, matched or read) is still the current one. Otherwise
 * the bundle is applied again as a new push.
 */
import type { Bundle } from '@medplum/fhirtypes';
import type { Tx } from '../store/db';
import { currentVersions } from '../store/resources';

/** `Type/id/_history/n` of each successful entry; null when a successful entry names no version (e.g. a delete of nothing). */
export function versionsNamed(response: Bundle): { id: string; version: number }[] | null {
  const named: { id: string; version: number }[] = [];
  for (const e of response.entry ?? []) {
    const status = Number(e.response?.status?.split(' ')[0]);
    if (!(status >= 200 && status < 300)) continue; // a failed batch entry wrote nothing, and would fail alike
    const m = /^[A-Za-z]+\/([^/]+)\/_history\/(\d+)$/.exec(e.response?.location ?? '');
    if (!m) return null;
    named.push({ id: m[1], version: Number(m[2]) });
  }
  return named;
}

/** The newest earlier response that is still the truth, or undefined: then the bundle is applied again. */
export async function replayable(tx: Tx, responses: unknown[]): Promise<Bundle | undefined> {
  const candidates = responses.map((r) => ({ response: r as Bundle, named: versionsNamed(r as Bundle) }));
  // One lookup for the versions every earlier response names, however often these bytes were pushed.
  const current = await currentVersions(
    tx,
    candidates.flatMap((c) => (c.named ?? []).map((n) => n.id)),
  );
  return candidates.find((c) => c.named && c.named.every((n) => current.get(n.id) === n.version))?.response;
}
