/**
 * The layer rules of eslint.config.cjs still fire: each sample is linted in memory at a virtual path inside the
 * project (so relative imports resolve to the real folders), with the project's own config. A config that stopped
 * enforcing a rule (a renamed folder, an override that replaced a rule's options, a plugin that no longer resolves
 * paths) fails here, not silently in review.
 */
import path from 'node:path';
import { ESLint, Linter } from 'eslint';

const root = path.resolve(__dirname, '../../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the config is CommonJS so that jest can load it
const config = require(path.join(root, 'eslint.config.cjs')) as Linter.Config[];
const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: config });

async function lint(file: string, code: string): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  const fatal = result.messages.filter((m) => m.fatal);
  if (fatal.length) throw new Error(`${file} did not parse: ${fatal.map((m) => m.message).join('; ')}`);
  return result.messages;
}

const fired = (messages: Linter.LintMessage[], rule: string, fragment: string): boolean =>
  messages.some((m) => m.ruleId === rule && m.message.includes(fragment));
const layerRules = ['no-restricted-imports', 'no-restricted-syntax', 'import-x/no-restricted-paths'];
const layerMessages = (messages: Linter.LintMessage[]): string[] =>
  messages.filter((m) => layerRules.includes(m.ruleId ?? '')).map((m) => `${m.ruleId}: ${m.message}`);

type Case = [file: string, code: string, rule: string, fragment: string];

describe('pg only in bridge/store', () => {
  const refused: Case[] = [
    ['bridge/ingest/sample.ts', "import { Pool } from 'pg';\nexport const p = Pool;\n", 'no-restricted-imports', 'pg is used only in bridge/store'],
    [
      'bridge/http/sample.ts',
      "import type { PoolClient } from 'pg';\nexport type C = PoolClient;\n",
      'no-restricted-imports',
      'pg is used only in bridge/store',
    ],
    ['bridge/anchor/sample.ts', "import { to } from 'pg-copy-streams';\nexport const t = to;\n", 'no-restricted-imports', 'pg is used only in bridge/store'],
    ['bridge/pull/sample.ts', "export const pg = require('pg');\n", 'no-restricted-syntax', 'pg is used only in bridge/store'],
    ['test/unit/sample.test.ts', "import { Client } from 'pg';\nexport const c = Client;\n", 'no-restricted-imports', 'pg is used only in bridge/store'],
  ];
  test.each(refused)('%s: refused (case %#)', async (file, code, rule, fragment) => {
    expect(fired(await lint(file, code), rule, fragment)).toBe(true);
  });

  test.each(['bridge/store/sample.ts', 'test/integration/sample.test.ts', 'test/helpers/sample.ts', 'bench/sample.ts'])('%s: allowed', async (file) => {
    expect(layerMessages(await lint(file, "import { Pool } from 'pg';\nexport const p = Pool;\n"))).toEqual([]);
  });
});

describe('no SQL outside bridge/store', () => {
  const refused: Case[] = [
    ['bridge/pull/sample.ts', "export const q = 'SELECT id FROM resource WHERE id = $1';\n", 'no-restricted-syntax', 'SQL stays in bridge/store'],
    ['bridge/access/sample.ts', 'export const q = (t: string): string => `UPDATE ${t} SET x = 1`;\n', 'no-restricted-syntax', 'SQL stays in bridge/store'],
    ['bridge/http/sample.ts', 'export const q = `SELECT ${"a"} FROM b`;\n', 'no-restricted-syntax', 'SQL stays in bridge/store'],
    ['bridge/ingest/sample.ts', "export const q = 'INSERT INTO bundle (id) VALUES ($1)';\n", 'no-restricted-syntax', 'SQL stays in bridge/store'],
    ['bridge/ingest/sample.ts', "export const q = 'SAVEPOINT entry';\n", 'no-restricted-syntax', 'SQL stays in bridge/store'],
    ['bridge/anchor/sample.ts', "export const q = 'WITH x AS (SELECT 1) DELETE FROM batch';\n", 'no-restricted-syntax', 'SQL stays in bridge/store'],
    ['bridge/fhir/sample.ts', "export const q = 'COMMIT';\n", 'no-restricted-syntax', 'SQL stays in bridge/store'],
    [
      'bridge/http/sample.ts',
      'export const f = (db: { query(s: string): void }, s: string): void => db.query(s);\n',
      'no-restricted-syntax',
      'SQL stays in bridge/store',
    ],
  ];
  test.each(refused)('%s: refused (case %#)', async (file, code, rule, fragment) => {
    expect(fired(await lint(file, code), rule, fragment)).toBe(true);
  });

  test('bridge/store may hold SQL', async () => {
    const code = "export const q = 'SELECT id FROM resource';\nexport const f = (db: { query(s: string): void }): void => db.query(q);\n";
    expect(layerMessages(await lint('bridge/store/sample.ts', code))).toEqual([]);
  });

  test('HTTP verbs and words are not SQL', async () => {
    const code =
      "export const verbs = ['DELETE', 'PUT'];\nexport const m = { type: 'begin' };\nexport const d = 'DELETE request.url needs Type/id';\nexport const w = 'with a reason';\n";
    expect(layerMessages(await lint('bridge/fhir/sample.ts', code))).toEqual([]);
  });
});

describe('chain libraries only in bridge/anchor', () => {
  const refused: Case[] = [
    ['bridge/ingest/sample.ts', "import { Wallet } from 'ethers';\nexport const w = Wallet;\n", 'no-restricted-imports', 'Only bridge/anchor talks to a chain'],
    [
      'bridge/store/sample.ts',
      "import type { Provider } from '@nomicfoundation/edr';\nexport type P = Provider;\n",
      'no-restricted-imports',
      'Only bridge/anchor talks to a chain',
    ],
    ['bridge/http/sample.ts', "import hre from 'hardhat';\nexport const h = hre;\n", 'no-restricted-imports', 'Only bridge/anchor talks to a chain'],
    ['bridge/pull/sample.ts', "export const e = (): Promise<unknown> => import('ethers');\n", 'no-restricted-syntax', 'Only bridge/anchor talks to a chain'],
  ];
  test.each(refused)('%s: refused (case %#)', async (file, code, rule, fragment) => {
    expect(fired(await lint(file, code), rule, fragment)).toBe(true);
  });

  test.each(['bridge/anchor/sample.ts', 'test/integration/sample.test.ts', 'scripts/sample.ts', 'ignition/modules/sample.ts', 'bench/sample.ts'])(
    '%s: allowed',
    async (file) => {
      expect(layerMessages(await lint(file, "import { Wallet } from 'ethers';\nexport const w = Wallet;\n"))).toEqual([]);
    },
  );
});

describe('import direction between bridge folders', () => {
  const paths = 'import-x/no-restricted-paths';
  const refused: Case[] = [
    [
      'bridge/http/routes/sample.ts',
      "import { readResource } from '../../store/resources';\nexport const r = readResource;\n",
      paths,
      'Routes parse, call and answer',
    ],
    ['bridge/http/routes/sample.ts', "import type { Db } from '../../store/db';\nexport type D = Db;\n", paths, 'Routes parse, call and answer'],
    ['bridge/store/sample.ts', "import type { Session } from '../access/session';\nexport type S = Session;\n", paths, 'store/ is the bottom layer'],
    ['bridge/store/sample.ts', "import { outcomes } from '../fhir/outcome';\nexport const o = outcomes;\n", paths, 'store/ is the bottom layer'],
    ['bridge/store/sample.ts', "import { sendOutcome } from '../http/errors';\nexport const s = sendOutcome;\n", paths, 'store/ is the bottom layer'],
  ];
  for (const pure of ['fhir', 'normalize']) {
    for (const [from, target] of [
      ['store', 'db'],
      ['http', 'errors'],
      ['access', 'session'],
      ['ingest', 'push'],
      ['anchor', 'merkle'],
    ]) {
      refused.push([`bridge/${pure}/sample.ts`, `import * as m from '../${from}/${target}';\nexport const x = m;\n`, paths, 'are pure (no I/O)']);
    }
  }
  test.each(refused)('%s: refused (case %#)', async (file, code, rule, fragment) => {
    expect(fired(await lint(file, code), rule, fragment)).toBe(true);
  });

  test('other folders may call the store, and everyone may use fhir/', async () => {
    expect(layerMessages(await lint('bridge/access/sample.ts', "import type { Db } from '../store/db';\nexport type D = Db;\n"))).toEqual([]);
    expect(layerMessages(await lint('bridge/http/sample.ts', "import type { Db } from '../store/db';\nexport type D = Db;\n"))).toEqual([]);
    expect(layerMessages(await lint('bridge/http/routes/sample.ts', "import { outcomes } from '../../fhir/outcome';\nexport const o = outcomes;\n"))).toEqual(
      [],
    );
  });
});

describe('failures come from the catalogue', () => {
  const catalogue = 'Use the catalogue of bridge/fhir/outcome.ts';
  const newError = "import { FhirError } from '../fhir/outcome';\nexport const e = new FhirError(400, [{ code: 'invalid', diagnostics: 'x' }]);\n";
  test.each(['bridge/ingest/sample.ts', 'bridge/store/sample.ts', 'bridge/anchor/sample.ts'])('%s: new FhirError refused', async (file) => {
    expect(fired(await lint(file, newError), 'no-restricted-syntax', catalogue)).toBe(true);
  });

  test('tests use the catalogue too', async () => {
    const code = "import { FhirError } from '../../bridge/fhir/outcome';\nexport const e = new FhirError(400, []);\n";
    expect(fired(await lint('test/unit/sample.test.ts', code), 'no-restricted-syntax', catalogue)).toBe(true);
  });

  test('the status-typed fhirError helper is gone (its lint rule went with it: tsc refuses the import now)', async () => {
    const outcome = (await import(path.join(root, 'bridge/fhir/outcome'))) as Record<string, unknown>;
    expect(outcome.fhirError).toBeUndefined();
    expect(typeof outcome.outcomes).toBe('object');
  });

  test('bridge/fhir/outcome.ts itself builds FhirErrors', async () => {
    const code = "export class FhirError extends Error {}\nexport const e = new FhirError('x');\n";
    expect(layerMessages(await lint('bridge/fhir/outcome.ts', code))).toEqual([]);
  });
});

test('npm test runs the lint right after the type check', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- package.json read as data
  const scripts = (require(path.join(root, 'package.json')) as { scripts: Record<string, string> }).scripts;
  expect(scripts.lint).toMatch(/^eslint /);
  expect(scripts.test.split(' && ').slice(0, 2)).toEqual(['tsc --noEmit -p tsconfig.json', 'npm run lint --silent']);
});
