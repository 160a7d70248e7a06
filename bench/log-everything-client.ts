/**
 * The log-everything benchmark's client, in a process of its own as a real reader would be, so that receiving and
 * decoding megabyte pages (and collecting their garbage) does not run on the bridge's event loop. Driven over IPC
 * by bench/log-everything.ts: one message, the interleaved rounds, one answer.
 */

export interface EverythingRounds {
  url: string;
  key: string;
  /** The variants timed, each once a round, in an order that rotates from round to round. */
  paths: string[];
  rounds: number;
  warmup: number;
}

export interface EverythingTimes {
  /** Per path, its time in each timed round. */
  times: number[][];
  /** Per path, the page text of the first timed round (sizes, entry counts). */
  samples: string[];
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
  const out: EverythingTimes = { times: r.paths.map(() => []), samples: r.paths.map(() => '') };
  for (let i = 0; i < r.rounds + r.warmup; i++) {
    // Rotate which goes first so none always follows another.
    for (let k = 0; k < r.paths.length; k++) {
      const j = (i + k) % r.paths.length;
      const { ms, text } = await get(r.paths[j]);
      if (i < r.warmup) continue;
      out.times[j].push(ms);
      if (i === r.warmup) out.samples[j] = text;
    }
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
