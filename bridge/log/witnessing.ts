/**
 * Submits each published checkpoint to the log's witnesses (C2SP tlog-witness add-checkpoint) and keeps the
 * cosignatures they return (bridge/store/log.ts addCosignature), so `/log/checkpoint` and proofs carry them.
 * Runs beside the sequencer, never in its way: one submission in flight per witness, each HTTP call bounded by a
 * timeout, failures logged and retried with the next checkpoint.
 */
import type { Logger } from '../log';
import type { Db } from '../store/db';
import { addCosignature, checkpointAt } from '../store/log';
import { parseNote, parseVkey, verifyNote, type VerifierKey } from './note';
import type { WitnessConfig } from './witness-config';

export type { WitnessConfig } from './witness-config';
import type { ConsistencyProof } from './proof';

export interface Witnessing {
  /** Submits the checkpoint of `size` to every witness (returns at once; work happens in the background). */
  submit(size: number): void;
  /** Resolves when every submission in flight has ended (tests, shutdown). */
  idle(): Promise<void>;
  /** Per witness, the largest size it cosigned since this process started (null before its first cosignature). */
  status(): WitnessStatus[];
}

export interface WitnessStatus {
  url: string;
  lastCosignedSize: number | null;
}

export function createWitnessing(o: {
  db: Db;
  log: Logger;
  witnesses: readonly WitnessConfig[];
  consistency: (m: number, n: number) => Promise<ConsistencyProof | null>;
  timeoutMs?: number;
}): Witnessing {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const states = o.witnesses.map((w) => ({
    w,
    key: parseVkey(w.vkey) as VerifierKey,
    known: 0,
    cosigned: null as number | null,
    busy: Promise.resolve(),
    wanted: 0,
  }));

  async function post(url: string, body: string): Promise<{ status: number; text: string }> {
    const res = await fetch(`${url}/add-checkpoint`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'text/plain' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, text: await res.text() };
  }

  async function submitTo(s: (typeof states)[number], size: number): Promise<void> {
    const cp = await checkpointAt(o.db, size);
    if (!cp) return;
    const bare = cp.note.slice(0, parseNote(cp.note).text.length + 1) + parseNote(cp.note).signatures[0].line;
    for (let attempt = 0; attempt < 2; attempt++) {
      let proof: string[] = [];
      if (s.known > 0 && s.known < size) {
        const c = await o.consistency(s.known, size);
        if (!c) return void o.log.warn({ witness: s.w.url, size, known: s.known }, 'witness: no consistency proof from its size');
        proof = c.proof;
      }
      if (s.known > size) return;
      const res = await post(s.w.url, `old ${s.known}\n${proof.map((p) => p + '\n').join('')}\n${bare}`);
      if (res.status === 409 && /^\d+\n$/.test(res.text)) {
        s.known = Number(res.text.trim()); // the witness tells its size: retry from there once
        continue;
      }
      if (res.status !== 200) return void o.log.warn({ witness: s.w.url, size, status: res.status }, 'witness refused the checkpoint');
      const lines = res.text.split('\n').filter(Boolean);
      for (const line of lines) {
        const note = bare + line + '\n';
        const v = verifyNote(note, [s.key]);
        if (!v.ok) continue;
        await addCosignature(o.db, size, s.key.name, line + '\n');
        s.cosigned = Math.max(s.cosigned ?? 0, size);
      }
      s.known = size;
      return;
    }
  }

  return {
    submit(size) {
      for (const s of states) {
        s.wanted = Math.max(s.wanted, size);
        s.busy = s.busy
          .then(async () => {
            // Later checkpoints supersede earlier ones still waiting.
            if (s.wanted !== size) return;
            await submitTo(s, size);
          })
          .catch((e: Error) => o.log.warn({ witness: s.w.url, size, err: e.message }, 'witness submission failed'));
      }
    },
    idle: async () => {
      await Promise.all(states.map((s) => s.busy));
    },
    status: () => states.map((s) => ({ url: publicUrl(s.w.url), lastCosignedSize: s.cosigned })),
  };
}

/** A witness URL fit for a public status page: no credentials or query a configuration might carry. */
function publicUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(invalid url)';
  }
}
