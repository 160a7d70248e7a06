/**
 * X-Log-Promise covers exactly the audit records that exist: a push on an ingest worker thread is promised (its
 * audit is written in the worker and crosses back in the push result), and a record written in a transaction that
 * rolls back is never promised (records are collected after COMMIT, bridge/store/db.ts afterCommit).
 */
import { collectAudits, type PromisedAudit } from '../../../bridge/access/audit-context';
import { audit } from '../../../bridge/access/audit';
import { DEFAULT_PERSON_IDENTIFIER_SYSTEMS } from '../../../bridge/config';
import { FhirError } from '../../../bridge/fhir/outcome';
import { startIngestPool } from '../../../bridge/ingest/ingest-pool';
import { parseVkey } from '../../../bridge/log/note';
import { promiseFromHeader, verifyPromise } from '../../../bridge/log/promise';
import { withSavepoint } from '../../../bridge/store/connection';
import { inTransaction } from '../../../bridge/store/db';
import { api } from '../../helpers/fixtures';
import { patientBundle } from '../../helpers/people';
import { startTestBridge, type TestBridge } from '../../helpers/server';

let bridge: TestBridge;
let A: { id: string; apiKey: string };

beforeAll(async () => {
  bridge = await startTestBridge({ ingestWorkers: 1, logIntervalMs: 3_600_000 });
  A = await bridge.clinic('Promise A');
});
afterAll(() => bridge?.close());

const auditRow = async (id: string) =>
  (await bridge.database.db.query('SELECT id, action, outcome, clinic_id FROM audit_event WHERE id = $1', [id])).rows[0] as
    { id: string; action: string; outcome: string; clinic_id: string } | undefined;
const pushCount = async (): Promise<number> =>
  (await bridge.database.db.query("SELECT count(*)::int AS n FROM audit_event WHERE clinic_id = $1 AND action = 'push'", [A.id])).rows[0].n;

describe('a push on an ingest worker thread', () => {
  it("is promised in the response: the promise names the worker's committed push record and its hash", async () => {
    const res = await api(bridge.url, A.apiKey, 'POST', '/fhir', patientBundle({ id: 'w1', family: 'Worker', given: 'Wu', birthDate: '1980-02-02' }));
    expect(res.status).toBe(200);
    const header = res.headers.get('x-log-promise');
    expect(header).toBeTruthy();
    const promised = header!.split(',').map((v) => verifyPromise(promiseFromHeader(v), parseVkey(bridge.verifiableLog.vkey)));
    expect(promised).toHaveLength(1);
    expect(await auditRow(promised[0].auditId)).toMatchObject({ action: 'push', outcome: 'success', clinic_id: A.id });
    const { rows } = await bridge.database.db.query('SELECT hash FROM audit_event WHERE id = $1', [promised[0].auditId]);
    expect(promised[0].hash).toBe('0x' + (rows[0].hash as Buffer).toString('hex'));
  });

  it('promises a failed push only its committed failure record', async () => {
    const res = await api(bridge.url, A.apiKey, 'POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { resourceType: 'Nope' } }],
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const notes = (res.headers.get('x-log-promise') ?? '').split(',').filter(Boolean);
    expect(notes).toHaveLength(1);
    const promised = verifyPromise(promiseFromHeader(notes[0]), parseVkey(bridge.verifiableLog.vkey));
    expect(await auditRow(promised.auditId)).toMatchObject({ action: 'push', outcome: 'error' });
  });
});

describe('only committed records are promised', () => {
  it('a push that fails after writing its audit record (its consent decision names no request: 404) collects nothing', async () => {
    const before = await pushCount();
    const records: PromisedAudit[] = [];
    const decision = {
      requestId: '00000000-0000-4000-8000-000000000000',
      clinicId: A.id,
      status: 'accepted' as const,
      reason: null,
      audit: { clinicId: A.id, action: 'consent-decision' as const, outcome: 'success' as const },
    };
    const opts = { clinicId: A.id, maxEntries: 1000, personSystems: DEFAULT_PERSON_IDENTIFIER_SYSTEMS, consentDecision: decision };
    const text = JSON.stringify(patientBundle({ id: 'r1', family: 'Rolled', given: 'Back', birthDate: '1990-03-03' }));
    // The inline pool (0 workers): the push runs on this thread, inside this collector, as a request's does.
    const pool = await startIngestPool({ workers: 0, db: bridge.database.db, databaseUrl: '', connectionsPerWorker: 1 });
    const failure = await collectAudits(records, () => pool.push(opts, text)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(FhirError);
    expect((failure as FhirError).status).toBe(404);
    expect(records).toEqual([]); // the push record was written, then rolled back: it does not exist
    expect(await pushCount()).toBe(before);

    // The same push without the failing step commits, and its record is collected once.
    const ok = await collectAudits(records, () => pool.push({ ...opts, consentDecision: undefined }, text));
    expect(records).toHaveLength(1);
    expect(ok.audits).toEqual(records);
    expect(await auditRow(records[0].id)).toMatchObject({ action: 'push', outcome: 'success' });
  });

  it('a record written under a savepoint that rolls back is dropped; one outside it is collected after COMMIT', async () => {
    const records: PromisedAudit[] = [];
    const seen: number[] = [];
    await collectAudits(records, () =>
      inTransaction(bridge.database.db, async (tx) => {
        const kept = await audit(tx, { clinicId: A.id, action: 'search', outcome: 'success', detail: 'kept' });
        await withSavepoint(tx, async () => {
          await audit(tx, { clinicId: A.id, action: 'search', outcome: 'success', detail: 'rolled back' });
          throw new Error('entry fails');
        }).catch(() => undefined);
        seen.push(records.length); // nothing before COMMIT
        return kept;
      }),
    );
    expect(seen).toEqual([0]);
    expect(records).toHaveLength(1);
    expect(await auditRow(records[0].id)).toMatchObject({ action: 'search' });
  });
});
