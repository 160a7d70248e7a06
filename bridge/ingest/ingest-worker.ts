import { parentPort, workerData } from 'node:worker_threads';
import { FhirError, toWire } from '../fhir/outcome';
import { loadFhirDefinitions } from '../fhir/validate';
import { ping } from '../store/connection';
import { createPool } from '../store/db';
import type { IngestReply } from './ingest-pool';
import { pushBundle, PushOptions } from './push';

/**
 * Worker side of ingest-pool: definitions loaded once and a few connections of its own, then whole pushes
 * (parse, validate, hash, plan, normalize, write, commit), several at a time while they wait on PostgreSQL.
 */
const { databaseUrl, connections } = workerData as { databaseUrl: string; connections: number };
loadFhirDefinitions();
const db = createPool(databaseUrl, connections);
const port = parentPort;
if (port) {
  const reply = (r: IngestReply): void => port.postMessage(r);
  port.on('message', (job: { id: number; opts: PushOptions; text: string } | { close: true }) => {
    if ('close' in job) {
      void db.end().finally(() => port.close());
      return;
    }
    pushBundle(db, job.opts, job.text).then(
      (ok) => reply({ id: job.id, ok }),
      (err: unknown) => {
        if (err instanceof FhirError) reply({ id: job.id, error: toWire(err) });
        else {
          const e = err as { name?: string; code?: string; stack?: string };
          reply({ id: job.id, fault: { name: e?.name, code: e?.code, stack: e?.stack } });
        }
      },
    );
  });
  // Connect once now, so a worker that cannot reach the database fails at start, not on the first push.
  ping(db).then(
    () => port.postMessage({ ready: true }),
    (err: { code?: string }) => {
      port.postMessage({ ready: false, code: err?.code });
      void db.end().finally(() => port.close());
    },
  );
}
