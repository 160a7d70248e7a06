/**
 * The ingest benchmark's clients, in a process of their own as real clients would be, so that building and
 * sending requests does not run on the bridge's event loop. Driven over IPC by bench/ingest.ts.
 */
import { bodies, loadWorkload, pushAll } from './ingest-workload';

export interface RoundRequest {
  url: string;
  key: string;
  which: 'setup' | 'bundles';
  concurrency: number;
}

const workload = loadWorkload();

process.on('message', (req: RoundRequest) => {
  const payloads = bodies(req.which === 'setup' ? workload.setup : workload.bundles);
  pushAll(req.url, req.key, payloads, req.concurrency).then(
    (result) => process.send?.({ result }),
    (err: Error) => process.send?.({ error: err.message }),
  );
});
process.send?.({ ready: true });
