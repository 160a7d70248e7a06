import fs from 'node:fs';
import { resolvePersonAccess } from '../../../bridge/access/person-access';
import { api, sampleFiles } from '../../helpers/fixtures';
import { consent, putBundle } from '../../helpers/people';
import { startTestBridge, TestBridge } from '../../helpers/server';

/** A Synthea patient held by two clinics (one person through the SSN); a third sees A's records once A consents. */
const [file] = sampleFiles('synthea-r4');
const maybe = file ? describe : describe.skip;

maybe('Synthea patient across clinics', () => {
  let bridge: TestBridge;
  beforeAll(async () => {
    bridge = await startTestBridge();
  });
  afterAll(async () => bridge?.close());

  test("one person; consent by one holder opens its records, not the other holder's", async () => {
    const [A, B, C] = [await bridge.clinic('A'), await bridge.clinic('B'), await bridge.clinic('C')];
    const text = fs.readFileSync(file, 'utf8');
    const a = await api(bridge.url, A.apiKey, 'POST', '/fhir', text);
    const b = await api(bridge.url, B.apiKey, 'POST', '/fhir', text);
    expect([a.status, b.status]).toEqual([200, 200]);
    const patientOf = (body: any): string =>
      body.entry
        .map((e: any) => e.response.location as string)
        .find((l: string) => l.startsWith('Patient/'))
        .split('/')[1];
    const [pa, pb] = [patientOf(a.body), patientOf(b.body)];
    const access = await resolvePersonAccess(bridge.database.db, A.id, pb, { breakGlassReason: 'test' });
    expect(access.patients.map((p) => p.patientId).sort()).toEqual([pa, pb].sort());

    const search = (key: string, patient: string) => api(bridge.url, key, 'GET', `/fhir/Observation?patient=Patient/${patient}&_count=1000`);
    const own = (await search(A.apiKey, pa)).body.entry.length;
    expect(own).toBeGreaterThan(0);
    expect((await search(C.apiKey, pa)).body.entry ?? []).toHaveLength(0);
    expect((await api(bridge.url, A.apiKey, 'POST', '/fhir', putBundle(consent('share-c', `Patient/${pa}`, C.id)))).status).toBe(200);
    expect((await search(C.apiKey, pa)).body.entry).toHaveLength(own);
    expect((await search(C.apiKey, pb)).body.entry ?? []).toHaveLength(0);
  });
});
