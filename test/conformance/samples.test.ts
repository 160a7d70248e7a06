/**
 * Conformance on public FHIR R4 sample data (FHIR_SAMPLES_DIR, default ../shared/fhir-samples; not part of the
 * project): every Synthea transaction bundle, every HL7 example Bundle, every IPS document and a Synthea bulk export
 * are pushed through the real HTTP app, then read back. Skipped, with one line saying so, when the samples are absent.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { collectReferences } from '../../bridge/fhir/references';
import { SHARED_TYPES } from '../../bridge/store/resources';
import { importItems, listImportFiles, pushOne } from '../../bridge/tools/import';
import { api } from '../helpers/fixtures';
import { describeWithSamples, SAMPLES_DIR as SAMPLES, sampleFiles } from '../helpers/samples';
import { startTestBridge, TestBridge } from '../helpers/server';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const BRIDGE_REF = new RegExp(`^([A-Z][A-Za-z]+)/(${UUID})$`);
const CONCURRENCY = 4;

interface Pushed {
  file: string;
  bundle: Bundle;
  status: number;
  body: any;
  replayed: boolean;
}

async function inPool<T, R>(items: T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;
const countBy = <T>(items: T[], key: (t: T) => string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
  return out;
};
/** `Type/bridgeId` of each response entry (its location without the version). */
const locations = (body: any): (string | undefined)[] => (body.entry ?? []).map((e: any) => e.response?.location?.split('/_history')[0]);

describeWithSamples(['synthea-r4', 'hl7-r4-examples', 'ips', 'bulk-10-patients'], 'conformance on public sample data', () => {
  let bridge: TestBridge;
  let key: string;
  let clinicId: string;
  const q = async (sql: string, params: unknown[] = []): Promise<any[]> => (await bridge.database.db.query(sql, params)).rows;

  /** Each describe below on a bridge (and database) of its own, so each stands alone and counts only what it pushed. */
  const ownBridge = (): void => {
    beforeAll(async () => {
      bridge = await startTestBridge();
      const clinic = await bridge.clinic('Sample clinic');
      key = clinic.apiKey;
      clinicId = clinic.id;
    });
    afterAll(async () => bridge?.close());
  };

  const push = async (file: string): Promise<Pushed> => {
    const bundle = readJson<Bundle>(file);
    const res = await api(bridge.url, key, 'POST', '/fhir', bundle);
    return { file: path.basename(file), bundle, status: res.status, body: res.body, replayed: res.headers.get('x-bundle-replayed') === 'true' };
  };
  const failures = (pushed: Pushed[]): { file: string; status: number; outcome: string }[] =>
    pushed.filter((p) => p.status !== 200).map((p) => ({ file: p.file, status: p.status, outcome: JSON.stringify(p.body).slice(0, 400) }));

  /** Every stored resource of every pushed entry, keyed by `Type/bridgeId`. */
  const storedOf = async (pushed: Pushed[]): Promise<Map<string, { resourceType: string; content: Record<string, unknown> }>> => {
    const ids = [
      ...new Set(
        pushed
          .flatMap((p) => locations(p.body))
          .filter((l): l is string => !!l)
          .map((l) => l.split('/')[1]),
      ),
    ];
    const out = new Map<string, { resourceType: string; content: Record<string, unknown> }>();
    for (let i = 0; i < ids.length; i += 5000) {
      for (const r of await q('SELECT id, resource_type, content FROM resource WHERE id = ANY($1::uuid[])', [ids.slice(i, i + 5000)])) {
        out.set(`${r.resource_type}/${r.id}`, { resourceType: r.resource_type, content: r.content });
      }
    }
    return out;
  };

  /**
   * Every reference a pushed bundle made to one of its own entries (fullUrl, `Type/id`, `Type/id/_history/n`) is served
   * as `Type/<bridge id>` of a stored resource of that type; nothing stored still names an entry of its bundle.
   */
  const referenceProblems = async (pushed: Pushed[]): Promise<string[]> => {
    const stored = await storedOf(pushed);
    const all = new Set((await q('SELECT resource_type, id FROM resource WHERE NOT deleted')).map((r) => `${r.resource_type}/${r.id}`));
    const problems: string[] = [];
    for (const p of pushed) {
      const names = new Set<string>();
      for (const e of p.bundle.entry ?? []) {
        if (e.fullUrl) names.add(e.fullUrl);
        if (e.resource?.id) names.add(`${e.resource.resourceType}/${e.resource.id}`);
      }
      // References to resources outside the bundle are kept as sent, even when they look like bridge ids.
      const external = new Set(collectReferences(p.bundle.entry ?? []).filter((r) => !names.has(r) && !names.has(r.replace(/\/_history\/[^/]+$/, ''))));
      for (const loc of new Set(locations(p.body))) {
        if (!loc) continue;
        const s = stored.get(loc);
        if (!s) {
          problems.push(`${p.file}: ${loc} is not stored`);
          continue;
        }
        for (const ref of collectReferences(s.content)) {
          const bridgeRef = BRIDGE_REF.exec(ref);
          if (bridgeRef && !external.has(ref)) {
            if (!all.has(ref)) problems.push(`${p.file}: ${loc} refers to ${ref}, which is not stored`);
          } else if (names.has(ref) || names.has(ref.replace(/\/_history\/[^/]+$/, ''))) {
            problems.push(`${p.file}: ${loc} still refers to bundle entry ${ref}`);
          } else if (ref.startsWith('urn:uuid:')) {
            problems.push(`${p.file}: ${loc} keeps unresolved ${ref}`);
          }
        }
      }
    }
    return problems;
  };

  describe('Synthea transaction bundles (synthea-r4/, peer-workload/)', () => {
    ownBridge();
    // Hospital and practitioner bundles first (they hold the shared entities), then the patients.
    const isInfo = (f: string): boolean => /^(hospital|practitioner)Information/.test(path.basename(f));
    const files = [...sampleFiles('synthea-r4'), ...sampleFiles('peer-workload')];
    const info = files.filter(isInfo);
    const patients = files.filter((f) => !isInfo(f));
    const pushed: Pushed[] = [];
    const contentHash = (f: string): string => createHash('sha256').update(fs.readFileSync(f)).digest('hex');
    /** Every file pushed once, by whichever test below needs them first. */
    let pushing: Promise<void> | undefined;
    const pushAll = (): Promise<void> =>
      (pushing ??= (async () => {
        for (const f of info) pushed.push(await push(f));
        pushed.push(...(await inPool(patients, CONCURRENCY, push)));
      })());

    test('every bundle is accepted as a transaction (concurrency 4)', async () => {
      expect(patients.length).toBeGreaterThanOrEqual(73);
      await pushAll();
      expect(failures(pushed)).toEqual([]);
      for (const p of pushed) {
        expect(p.body.type).toBe('transaction-response');
        expect(p.body.entry).toHaveLength(p.bundle.entry?.length ?? 0);
        for (const e of p.body.entry) expect(e.response.location).toMatch(new RegExp(`^[A-Za-z]+/${UUID}/_history/\\d+$`));
      }
      // The same file in both folders is the same bytes: one bundle, the second push replayed.
      const seen = new Set<string>();
      for (const [i, f] of [...info, ...patients].entries()) {
        const h = contentHash(f);
        expect({ file: pushed[i].file, replayed: pushed[i].replayed }).toEqual({ file: path.basename(f), replayed: seen.has(h) });
        seen.add(h);
      }
    });

    test('resource counts by type match the bundles (shared entities once per identifier)', async () => {
      await pushAll();
      const unique = pushed.filter((p) => !p.replayed);
      const resources = unique.flatMap((p) => (p.bundle.entry ?? []).map((e) => e.resource as Resource));
      const expected: Record<string, number> = countBy(
        resources.filter((r) => !SHARED_TYPES.includes(r.resourceType)),
        (r) => r.resourceType,
      );
      for (const type of SHARED_TYPES) {
        const keys = new Set<string>();
        for (const r of resources.filter((x) => x.resourceType === type)) {
          const ids = ((r as { identifier?: { system?: string; value?: string }[] }).identifier ?? []).filter((i) => i.system && i.value);
          expect(ids.length).toBeGreaterThan(0);
          keys.add(`${ids[0].system}|${ids[0].value}`);
        }
        if (keys.size) expected[type] = keys.size;
      }
      const rows = await q('SELECT resource_type, count(*)::int AS n FROM resource WHERE NOT deleted GROUP BY 1');
      const inDb = Object.fromEntries(rows.map((r) => [r.resource_type, r.n]));
      expect(inDb).toEqual(expected);
      expect(await q('SELECT DISTINCT clinic_id FROM resource')).toEqual([{ clinic_id: clinicId }]);

      // The same counts through search, page by page (_count=1000, following `next`).
      for (const type of Object.keys(expected)) {
        let url: string | undefined = `/fhir/${type}?_count=1000`;
        let n = 0;
        const ids = new Set<string>();
        while (url) {
          const res = await api(bridge.url, key, 'GET', url);
          expect(res.status).toBe(200);
          for (const e of res.body.entry ?? []) ids.add(e.resource.id);
          n += res.body.entry?.length ?? 0;
          const next: string | undefined = res.body.link?.find((l: any) => l.relation === 'next')?.url;
          url = next ? next.slice(next.indexOf('/fhir/')) : undefined;
        }
        expect({ type, n, distinct: ids.size }).toEqual({ type, n: expected[type], distinct: expected[type] });
      }
    });

    test('each patient is found by each of its identifiers', async () => {
      await pushAll();
      const checks = pushed
        .filter((p) => !p.replayed)
        .flatMap((p) => {
          const entries = p.bundle.entry ?? [];
          const i = entries.findIndex((e) => e.resource?.resourceType === 'Patient');
          if (i < 0) return [];
          const id = p.body.entry[i].response.location.split('/')[1];
          const idents = ((entries[i].resource as { identifier?: { system?: string; value?: string }[] }).identifier ?? []).filter((x) => x.system && x.value);
          return idents.map((x) => ({ file: p.file, id, token: `${x.system}|${x.value}` }));
        });
      expect(checks.length).toBeGreaterThanOrEqual(73 * 2);
      const missing = (
        await inPool(checks, 8, async (c) => {
          const res = await api(bridge.url, key, 'GET', `/fhir/Patient?identifier=${encodeURIComponent(c.token)}`);
          const ids = (res.body.entry ?? []).map((e: any) => e.resource.id);
          return res.status === 200 && ids.includes(c.id) ? null : `${c.file}: ${c.token} → ${res.status} ${JSON.stringify(ids)}`;
        })
      ).filter(Boolean);
      expect(missing).toEqual([]);
      // The Synthea identifier is unique per patient: exactly one match.
      const synthea = checks.filter((c) => c.token.startsWith('https://github.com/synthetichealth/synthea|'));
      expect(synthea.length).toBeGreaterThanOrEqual(73);
      const res = await api(bridge.url, key, 'GET', `/fhir/Patient?identifier=${encodeURIComponent(synthea[0].token)}`);
      expect(res.body.entry.map((e: any) => e.resource.id)).toEqual([synthea[0].id]);
    });

    test('every urn:uuid reference is served as Type/<bridge id> of a stored resource', async () => {
      await pushAll();
      expect(await referenceProblems(pushed)).toEqual([]);
      // Synthea references are urn:uuid or contained (#id): after rewriting, nothing else remains.
      const leftovers = await q(
        `SELECT DISTINCT x #>> '{}' AS ref FROM resource r, jsonb_path_query(r.content, 'strict $.**.reference') x
         WHERE NOT (x #>> '{}' ~ '^([A-Z][A-Za-z]+/${UUID}|#.*)$') LIMIT 20`,
      );
      expect(leftovers).toEqual([]);
    });

    test('shared Organizations and Practitioners are stored once per identifier across bundles', async () => {
      await pushAll();
      for (const type of ['Organization', 'Practitioner']) {
        const dup = await q(
          `SELECT k.key, count(DISTINCT r.id)::int AS n FROM resource r, unnest(r.search_keys) AS k(key)
           WHERE r.resource_type = $1 AND starts_with(k.key, 'identifier|') AND NOT starts_with(k.key, 'identifier||') AND NOT k.key LIKE '%|'
           GROUP BY 1 HAVING count(DISTINCT r.id) > 1`,
          [type],
        );
        expect({ type, dup }).toEqual({ type, dup: [] });
      }
      // Patient bundles carry their own copies of the hospital's entities: they matched the stored ones (200 OK).
      const matched = pushed
        .flatMap((p) => (p.bundle.entry ?? []).map((e, i) => ({ type: e.resource?.resourceType, status: p.body.entry[i].response.status })))
        .filter((e) => e.type === 'Organization' && e.status === '200 OK');
      expect(matched.length).toBeGreaterThan(0);
    });
  });

  describe('HL7 R4 example bundles (hl7-r4-examples/Bundle-*.json)', () => {
    ownBridge();
    const files = sampleFiles('hl7-r4-examples').filter((f) => path.basename(f).startsWith('Bundle-'));
    /** Valid bundle types the bridge does not take: answered with a 400 naming Bundle.type. */
    const NOT_PUSHABLE = ['searchset', 'transaction-response', 'batch-response', 'history', 'message'];
    /** Valid transactions using features the bridge does not offer inside a bundle: a 400 naming each such entry. */
    const UNSUPPORTED: Record<string, string[]> = {
      // POST ValueSet/$lookup (an operation) inside the transaction; its GET Patient?name=peter (a search) is served.
      'Bundle-bundle-transaction.json': ['Bundle.entry[7].request.url'],
    };
    const accepted: Pushed[] = [];
    let pushing: Promise<Pushed[]> | undefined;
    /** Every file pushed once, by whichever test below needs them first; those answered 200 are `accepted`. */
    const pushAll = (): Promise<Pushed[]> =>
      (pushing ??= (async () => {
        const results: Pushed[] = [];
        for (const f of files) results.push(await push(f));
        accepted.push(...results.filter((p) => p.status === 200));
        return results;
      })());

    test('transaction, collection and document bundles are accepted; other types refused with a clear 400', async () => {
      expect(files.length).toBeGreaterThanOrEqual(10);
      const results = await pushAll();
      for (const p of results) {
        if (NOT_PUSHABLE.includes(p.bundle.type)) {
          expect({ file: p.file, status: p.status, type: p.body.resourceType }).toEqual({ file: p.file, status: 400, type: 'OperationOutcome' });
          expect(p.body.issue[0].expression).toEqual(['Bundle.type']);
          expect(p.body.issue[0].diagnostics).toContain(p.bundle.type);
        } else if (UNSUPPORTED[p.file]) {
          expect({ file: p.file, status: p.status }).toEqual({ file: p.file, status: 400 });
          expect(p.body.issue.flatMap((i: any) => i.expression ?? [])).toEqual(UNSUPPORTED[p.file]);
        } else {
          expect(['transaction', 'collection', 'document']).toContain(p.bundle.type);
          expect({ file: p.file, status: p.status, outcome: p.status === 200 ? '' : JSON.stringify(p.body).slice(0, 400) }).toEqual({
            file: p.file,
            status: 200,
            outcome: '',
          });
          expect(p.body.entry).toHaveLength(p.bundle.entry?.length ?? 0);
          for (const e of p.body.entry) expect(e.response.status).toMatch(/^20[01]/);
        }
      }
      expect(accepted.map((p) => p.bundle.type).sort()).toEqual(expect.arrayContaining(['collection', 'document', 'transaction']));
    });

    test('what was accepted reads back, with references to entries rewritten', async () => {
      await pushAll();
      for (const p of accepted) {
        for (const loc of locations(p.body)) {
          const res = await api(bridge.url, key, 'GET', `/fhir/${loc}`);
          expect({ loc, status: res.status }).toEqual({ loc, status: 200 });
          expect(res.body.resourceType).toBe((loc as string).split('/')[0]);
        }
      }
      expect(await referenceProblems(accepted)).toEqual([]);
    });
  });

  describe('IPS document bundles (ips/)', () => {
    ownBridge();
    const files = sampleFiles('ips');
    const pushed: Pushed[] = [];
    let pushing: Promise<void> | undefined;
    const pushAll = (): Promise<void> =>
      (pushing ??= (async () => {
        for (const f of files) pushed.push(await push(f));
      })());

    test('every IPS document is accepted and reads back', async () => {
      expect(files.length).toBeGreaterThanOrEqual(5);
      await pushAll();
      expect(failures(pushed)).toEqual([]);
      for (const p of pushed) {
        expect(p.bundle.type).toBe('document');
        expect(p.body.entry).toHaveLength(p.bundle.entry?.length ?? 0);
        const composition = locations(p.body)[0] as string;
        expect(composition).toMatch(BRIDGE_REF);
        const res = await api(bridge.url, key, 'GET', `/fhir/${composition}`);
        expect(res.status).toBe(200);
        expect(res.body.resourceType).toBe('Composition');
        // Section entries point at the document's own resources, by bridge id.
        const sectionRefs = collectReferences(res.body.section ?? []);
        expect(sectionRefs.length).toBeGreaterThan(0);
        for (const ref of sectionRefs) expect(ref).toMatch(BRIDGE_REF);
      }
      expect(await referenceProblems(pushed)).toEqual([]);
    });

    test('the IPS composition is searchable by its identifier', async () => {
      await pushAll();
      for (const p of pushed) {
        const ident = (p.bundle.entry?.[0].resource as { identifier?: { system?: string; value?: string } }).identifier;
        if (!ident?.system || !ident.value) continue;
        const res = await api(bridge.url, key, 'GET', `/fhir/Composition?identifier=${encodeURIComponent(`${ident.system}|${ident.value}`)}`);
        expect(res.body.entry?.map((e: any) => `Composition/${e.resource.id}`)).toContain(locations(p.body)[0]);
      }
    });
  });

  describe('bulk NDJSON export imported with the CLI logic (bulk-10-patients/)', () => {
    ownBridge();
    test('every resource line is imported, conditional references resolved', async () => {
      const bulk = await bridge.clinic('Bulk clinic');
      const files = listImportFiles([path.join(SAMPLES, 'bulk-10-patients')]);
      const items = [...importItems(files)];
      const rejected: { label: string; status: number; reason: string }[] = [];
      for (const item of items) {
        if ('error' in item) rejected.push({ label: item.label, status: 0, reason: item.error });
        else {
          const r = await pushOne(bridge.url, bulk.apiKey, item.bundle);
          if (r) rejected.push({ label: path.basename(item.label), ...r });
        }
      }
      // log.ndjson is the export's own log, not FHIR: refused with a 400 naming what is wrong.
      expect(rejected.map((r) => ({ label: r.label.split('#')[0], status: r.status }))).toEqual([{ label: 'log.ndjson', status: 400 }]);

      const expected: Record<string, number> = {};
      for (const f of files.filter((x) => !x.endsWith('log.ndjson'))) {
        for (const line of fs
          .readFileSync(f, 'utf8')
          .split('\n')
          .filter((l) => l.trim())) {
          const t = (JSON.parse(line) as Resource).resourceType;
          expected[t] = (expected[t] ?? 0) + 1;
        }
      }
      const rows = await q('SELECT resource_type, count(*)::int AS n FROM resource WHERE clinic_id = $1 AND NOT deleted GROUP BY 1', [bulk.id]);
      expect(Object.fromEntries(rows.map((r) => [r.resource_type, r.n]))).toEqual(expected);
      expect(Object.values(expected).reduce((a, b) => a + b, 0)).toBe(5945);
      // Conditional (Type?identifier=…) and Type/id references now name stored bridge resources.
      const unresolved = await q(
        `SELECT DISTINCT x #>> '{}' AS ref FROM resource r, jsonb_path_query(r.content, 'strict $.**.reference') x
         WHERE r.clinic_id = $1 AND NOT (x #>> '{}' ~ '^([A-Z][A-Za-z]+/${UUID}|#.*)$') LIMIT 20`,
        [bulk.id],
      );
      expect(unresolved).toEqual([]);
      const dangling = await q(
        `SELECT DISTINCT x #>> '{}' AS ref FROM resource r, jsonb_path_query(r.content, 'strict $.**.reference') x
         WHERE r.clinic_id = $1 AND x #>> '{}' ~ '^[A-Z]' AND NOT EXISTS (SELECT 1 FROM resource t WHERE t.resource_type || '/' || t.id = x #>> '{}') LIMIT 20`,
        [bulk.id],
      );
      expect(dangling).toEqual([]);
      // A second import of the same export is idempotent: the same chunks are replayed.
      const again = items.find((i) => !('error' in i) && i.label.includes('Patient.'));
      if (again && !('error' in again)) expect(await pushOne(bridge.url, bulk.apiKey, again.bundle)).toBeNull();
      const patients = await q('SELECT count(*)::int AS n FROM resource WHERE clinic_id = $1 AND resource_type = $2', [bulk.id, 'Patient']);
      expect(patients).toEqual([{ n: expected.Patient }]);
    });
  });
});
