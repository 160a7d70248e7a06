/**
 * The caller's own audit trail is no oracle: a request for another clinic's record and one for an id that names
 * nothing leave entries the caller cannot tell apart (same action, outcome, detail, resource types; no person id, no
 * patient id of others). Only what the caller never sees differs in the stored rows: the person and the record the
 * refusal was about. Real PostgreSQL, the real bridge over HTTP.
 */
import { api } from '../../helpers/fixtures';
import { located, patientBundle } from '../../helpers/people';
import { startTestBridge, TestBridge } from '../../helpers/server';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
type Clinic = { id: string; apiKey: string };
let bridge: TestBridge;
let A: Clinic, X: Clinic;
let pa: string, obsA: string, auditA: string;

/** The audit rows X's requests added since `seq`, oldest first. */
const rowsSince = async (seq: number): Promise<any[]> =>
  (await bridge.database.db.query('SELECT * FROM audit_event WHERE clinic_id = $1 AND seq > $2 ORDER BY seq', [X.id, seq])).rows;
const lastSeq = async (): Promise<number> => Number((await bridge.database.db.query('SELECT coalesce(max(seq), 0) AS s FROM audit_event')).rows[0].s);

/** What X is shown of an entry, without what differs between any two entries (id, time, hash). */
async function shown(id: string): Promise<unknown> {
  const res = await api(bridge.url, X.apiKey, 'GET', `/fhir/AuditEvent/${id}`);
  expect(res.status).toBe(200);
  const record = await api(bridge.url, X.apiKey, 'GET', `/fhir/AuditEvent/${id}/$record`);
  const { id: _id, meta, recorded: _recorded, extension: _extension, ...rest } = res.body;
  return { ...rest, meta: { ...meta, lastUpdated: undefined }, recordStatus: record.status };
}

/** The entries X's request for `template` leaves, for A's id and for an unknown one. */
async function entriesOf(template: string, foreignId: string): Promise<{ foreign: any[]; unknown: any[] }> {
  const before = await lastSeq();
  const f = await api(bridge.url, X.apiKey, 'GET', template.replace('{id}', foreignId));
  const middle = await lastSeq();
  const u = await api(bridge.url, X.apiKey, 'GET', template.replace('{id}', UNKNOWN));
  expect({ template, status: f.status }).toEqual({ template, status: u.status });
  const foreign = (await rowsSince(before)).filter((r) => Number(r.seq) <= middle);
  return { foreign, unknown: await rowsSince(middle) };
}

beforeAll(async () => {
  bridge = await startTestBridge();
  [A, X] = [await bridge.clinic('Alpha Klinikum'), await bridge.clinic('Xeno Clinic')];
  const a = (await api(bridge.url, A.apiKey, 'POST', '/fhir', patientBundle({ id: 'a-mia', family: 'Roth', given: 'Mia', birthDate: '1980-03-04' }))).body;
  [pa, obsA] = [located(a, 0).slice(8), located(a, 1).slice(12)];
  auditA = (await bridge.database.db.query('SELECT id FROM audit_event WHERE clinic_id = $1 LIMIT 1', [A.id])).rows[0].id;
});
afterAll(async () => bridge?.close());

test.each([
  ['/fhir/Patient/{id}', () => pa],
  ['/fhir/Observation/{id}', () => obsA],
  ['/fhir/Observation/{id}/_history', () => obsA],
  ['/fhir/Patient/{id}/$everything', () => pa],
  ['/fhir/Patient/{id}/$summary', () => pa],
  ['/patients/{id}/history', () => pa],
  ['/fhir/Observation?patient=Patient/{id}', () => pa],
  ['/fhir/AuditEvent?patient=Patient/{id}', () => pa],
  ['/fhir/AuditEvent/{id}', () => auditA],
])("%s: another clinic's id and an unknown id leave entries X cannot tell apart", async (template, id) => {
  const { foreign, unknown } = await entriesOf(template, id());
  expect(foreign.some((r) => r.outcome === 'refused')).toBe(true);
  expect(unknown.map((r) => [r.action, r.outcome])).toEqual(foreign.map((r) => [r.action, r.outcome]));
  for (const [i, f] of foreign.entries()) {
    const u = unknown[i];
    expect(await shown(u.id)).toEqual(await shown(f.id));
    // The stored rows differ only in what X is never shown: the person and the record the refusal was about.
    const visible = (r: any) => ({ action: r.action, outcome: r.outcome, detail: r.detail, types: r.resource_types, purpose: r.purpose, glass: r.break_glass });
    expect(visible(u)).toEqual(visible(f));
    expect(u.person_id).toBeNull();
    expect(u.patient_ids).toEqual([]);
    expect(f.patient_ids.every((p: string) => p === pa)).toBe(true);
  }
});
