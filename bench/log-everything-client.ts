/**
 * The log-everything benchmark's client, in a process of its own as a real reader would be, so that receiving and
 * decoding megabyte pages (and collecting their garbage) does not run on the bridge's event loop. Driven over IPC
 * by bench/log-everything.ts: one message, the interleaved rounds, one answer.
 */

export interface EverythingRounds {
  url: string;
  key: string;
  plain: string;
  withProofs: string;
  rounds: number;
  warmup: number;
}

export interface EverythingTimes {
  without: number[];
  proofs: number[];
  /** Both page texts of the first timed round (sizes, entry counts). */
  sample: { plain: string; proofs: string };
}

async function run(r: EverythingRounds): Promise<EverythingTimes> {
  const get = async (pathname: string): Promise<{ ms: number; text: string }> => {
    const start = performance.now();
    const res = await fetch(`${r.url}${pathname}`, { headers: { authorization: `Bearer ${r.key}` } });
    const text = await res.text();
    const ms = performance.now() - start;
    if (res.status !== 200) throw new Error(`${pathname}: ${res.status} ${text.slice(0, 300)}`);
    return { ms, text };
  };
  const out: EverythingTimes = { without: [], proofs: [], sample: { plain: '', proofs: '' } };
  for (let i = 0; i < r.rounds + r.warmup; i++) {
    // Alternate which goes first so neither always follows the other.
    let a, b;
    if (i % 2) {
      a = await get(r.plain);
      b = await get(r.withProofs);
    } else {
      b = await get(r.withProofs);
      a = await get(r.plain);
    }
    if (i < r.warmup) continue;
    out.without.push(a.ms);
    out.proofs.push(b.ms);
    if (i === r.warmup) out.sample = { plain: a.text, proofs: b.text };
  }
  return out;
}

process.on('message', (r: EverythingRounds) => {
  run(r).then(
    (times) => process.send?.({ times }),
    (err: Error) => process.send?.({ error: err.message }),
  );
});
process.send?.({ ready: true });
