import { parentPort } from 'node:worker_threads';
import { FhirError } from '../fhir/outcome';
import { prepareBundle } from '../fhir/prepare';
import { loadFhirDefinitions } from '../fhir/validate';

/** Worker side of prepare-pool: definitions loaded once, then one bundle text at a time. */
loadFhirDefinitions();
const port = parentPort;
if (port) {
  port.on('message', (job: { text: string; maxEntries: number }) => {
    try {
      port.postMessage({ ok: prepareBundle(job.text, job.maxEntries) });
    } catch (err) {
      if (err instanceof FhirError) port.postMessage({ error: { status: err.status, issues: err.issues } });
      else port.postMessage({ fault: err instanceof Error ? err.name : 'unknown' });
    }
  });
  port.postMessage({ ready: true });
}
