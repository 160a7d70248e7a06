import fs from 'node:fs';
import path from 'node:path';

/**
 * The access layer is the one place that decides and audits (issue 9): routes only parse, call it and answer. These
 * checks read the sources, so a route that imports the store, a second writer of the audit trail, or a second
 * parser of the access headers fails here (the eslint import rules say the same; this does not depend on them).
 */
const BRIDGE = path.resolve(__dirname, '../../../bridge');
const files = (dir: string): string[] =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
const rel = (f: string): string => path.relative(BRIDGE, f).split(path.sep).join('/');
const source = (f: string): string => fs.readFileSync(f, 'utf8');
/** Every module specifier a file imports or re-exports (static, `import type` included, and require / import()). */
const imports = (text: string): string[] =>
  [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]);
const all = files(BRIDGE);
const routes = files(path.join(BRIDGE, 'http/routes'));

test('the scan sees the routes and their imports (so the checks below can fail)', () => {
  expect(routes.map(rel)).toEqual(expect.arrayContaining(['http/routes/fhir.ts', 'http/routes/pull.ts', 'http/routes/admin.ts']));
  expect(imports(source(path.join(BRIDGE, 'http/routes/fhir.ts')))).toContain('../../access/reads');
  expect(imports('import type { Db } from \'../../store/db\';\nimport {\n  a,\n} from "../x";')).toEqual(['../../store/db', '../x']);
});

test('no route imports bridge/store, not even a type', () => {
  const offending = routes.flatMap((f) =>
    imports(source(f))
      .filter((s) => /(^|\/)store(\/|$)/.test(s))
      .map((s) => `${rel(f)} imports ${s}`),
  );
  expect(offending).toEqual([]);
});

test('recordAudit (the audit writer of store/audit) is imported by bridge/access/audit.ts only', () => {
  const writers = all.filter((f) => /\brecordAudit\b/.test(source(f)) && rel(f) !== 'store/audit.ts').map(rel);
  expect(writers).toEqual(['access/audit.ts']);
});

test('no `new FhirError(` in the routes, the auth edge, the scope guard or the access layer: the catalogue (outcomes) instead', () => {
  const edge = all.filter((f) => /^(http\/routes\/|access\/)/.test(rel(f)) || ['http/auth.ts', 'http/scope-guard.ts'].includes(rel(f)));
  expect(edge.filter((f) => /new FhirError\(/.test(source(f))).map(rel)).toEqual([]);
});

test('X-Purpose-Of-Use and X-Break-Glass are read in one place and admitted in one place', () => {
  const header = /(?:\.get|\.header|headers)\s*(?:\(|\[)\s*['"]x-(?:break-glass|purpose-of-use)['"]/i;
  expect(header.test("req.get('X-Break-Glass')")).toBe(true);
  const readers = all.filter((f) => header.test(source(f))).map(rel);
  expect(readers).toEqual(['http/auth.ts']);
  const admitters = all.filter((f) => /\b(parseBreakGlass|admitBreakGlass)\(/.test(source(f)) && rel(f) !== 'access/break-glass.ts').map(rel);
  expect(admitters).toEqual(['access/admission.ts']);
});
