// ESLint 9 flat config. Its main job is to keep the layers of DESIGN.md ("Data flows one way through the layers"):
// http (parse, call, answer) → access → fhir / normalize (pure) → store (the only place with SQL); anchor/ is the only
// place that talks to a chain; client-visible failures come from the catalogue in bridge/fhir/outcome.ts.
// test/unit/lint/layers.test.ts checks that every layer rule below still fires. Formatting is prettier's job
// (eslint-config-prettier turns off the rules that would fight it).
// CommonJS (not .mjs) so that jest, which runs test/unit/lint/layers.test.ts without ESM support, can require it.
const { defineConfig } = require('eslint/config');
const tseslint = require('typescript-eslint');
const { importX, createNodeResolver } = require('eslint-plugin-import-x');
const prettier = require('eslint-config-prettier');

// ---- Restrictions, each naming the areas it applies to ---------------------------------------------------------------
// Flat config replaces (does not merge) a rule's options when two objects match one file, so the options of
// no-restricted-imports and no-restricted-syntax are composed here per area, from the most general area to the most
// specific (a later area wins for the files it matches).
//   tooling: tests, benches, scripts, Hardhat config and Ignition: they set up databases and chains, so pg, SQL and
//            ethers are allowed there; test/unit is pure and may not import pg.
const AREAS = {
  tooling: ['**/*.ts'],
  unitTests: ['test/unit/**/*.ts'],
  bridge: ['bridge/**/*.ts'],
  store: ['bridge/store/**/*.ts'],
  anchor: ['bridge/anchor/**/*.ts'],
  catalogue: ['bridge/fhir/outcome.ts'],
};

const PG_MODULES = ['pg', 'pg-copy-streams'];
const CHAIN_MODULES = ['ethers', 'hardhat', '@nomicfoundation/edr'];
const moduleRegex = (names) => `/^(${names.map((n) => n.replace(/[/.]/g, '\\$&')).join('|')})($|\\/)/`;

/** A module family restricted to some areas: by import/export (no-restricted-imports) and by require()/import(). */
function moduleRestriction(names, message, areas) {
  const regex = moduleRegex(names);
  return {
    areas,
    imports: {
      paths: names.map((name) => ({ name, message })),
      patterns: [{ group: names.map((n) => `${n}/*`), message }],
    },
    syntax: [
      { selector: `CallExpression[callee.name='require'][arguments.0.value=${regex}]`, message },
      { selector: `ImportExpression[source.value=${regex}]`, message },
    ],
  };
}

// SQL text: a string or template that starts like a statement. An HTTP verb ('DELETE') or a word ('begin') does not
// match; the bare transaction words match in capitals only (the second pattern).
const SQL_START =
  '/^\\s*(SELECT\\s+(\\d|\\w+\\s*\\(|[\\s\\S]*\\bFROM\\s)|INSERT\\s+INTO\\s|UPDATE\\s+\\S+\\s+SET\\s|DELETE\\s+FROM\\s|' +
  'WITH\\s+(RECURSIVE\\s+)?\\w+(\\s*\\([^)]*\\))?\\s+AS\\s|(CREATE|DROP|ALTER)\\s+(TABLE|INDEX|SCHEMA|DATABASE|VIEW|FUNCTION|TRIGGER|EXTENSION|TYPE|SEQUENCE)\\s|' +
  'TRUNCATE\\s|COPY\\s+\\w+|SAVEPOINT\\s+\\w|RELEASE\\s+SAVEPOINT|ROLLBACK\\s+TO\\s|LOCK\\s+TABLE\\s|(BEGIN|COMMIT|ROLLBACK)\\s*;)/i';
const SQL_WORD = '/^\\s*(BEGIN|COMMIT|ROLLBACK|ANALYZE|VACUUM)\\s*;?\\s*$/';
// A template whose text before its first ${…} is a capitalised statement keyword (`SELECT ${COLUMNS} FROM …`).
const SQL_TEMPLATE_START = '/^\\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\\s/';
const SQL_MESSAGE = 'SQL stays in bridge/store (DESIGN.md: store is the only place with SQL): call a store function.';

const RESTRICTIONS = [
  moduleRestriction(PG_MODULES, 'pg is used only in bridge/store (the only place with SQL); call a store function.', [
    'unitTests',
    'bridge',
    'anchor',
    'catalogue',
  ]),
  moduleRestriction(CHAIN_MODULES, 'Only bridge/anchor talks to a chain: use its functions (chain.ts, verify.ts, receipt.ts).', [
    'bridge',
    'store',
    'catalogue',
  ]),
  {
    areas: ['bridge', 'anchor', 'catalogue'],
    syntax: [
      { selector: `:matches(Literal[value=${SQL_START}], Literal[value=${SQL_WORD}])`, message: SQL_MESSAGE },
      {
        selector: `:matches(TemplateLiteral[quasis.0.value.raw=${SQL_START}], TemplateLiteral[quasis.0.value.raw=${SQL_TEMPLATE_START}])`,
        message: SQL_MESSAGE,
      },
      { selector: "CallExpression[callee.property.name='query']", message: SQL_MESSAGE },
    ],
  },
  {
    areas: ['tooling', 'unitTests', 'bridge', 'store', 'anchor'],
    syntax: [
      {
        selector: "NewExpression[callee.name='FhirError']",
        message: 'Use the catalogue of bridge/fhir/outcome.ts: outcomes.<kind>(diagnostics, expression) or outcomeWithIssues(kind, issues).',
      },
    ],
  },
];

const ORDER = ['tooling', 'unitTests', 'bridge', 'store', 'anchor', 'catalogue'];

function restrictionsFor(area) {
  const paths = [];
  const patterns = [];
  const syntax = [];
  for (const r of RESTRICTIONS.filter((x) => x.areas.includes(area))) {
    paths.push(...(r.imports?.paths ?? []));
    patterns.push(...(r.imports?.patterns ?? []));
    syntax.push(...(r.syntax ?? []));
  }
  return {
    name: `layers/${area}`,
    files: AREAS[area],
    rules: {
      'no-restricted-imports': paths.length + patterns.length ? ['error', { paths, patterns }] : 'off',
      'no-restricted-syntax': syntax.length ? ['error', ...syntax] : 'off',
    },
  };
}

// ---- Import direction between bridge folders (resolved paths, so `../store/x` and `../../store/x` both count) -------
const zone = (target, from, message) => ({ target, from, message });
const PURE = 'fhir/ and normalize/ are pure (no I/O): pass them plain values; shared plain types go in bridge/model/.';
const LAYER_ZONES = [
  zone('./bridge/http/routes', './bridge/store', 'Routes parse, call and answer: call bridge/access (or ingest/pull), not bridge/store.'),
  ...['store', 'http', 'access', 'ingest', 'anchor', 'pull'].flatMap((from) => [
    zone('./bridge/fhir', `./bridge/${from}`, PURE),
    zone('./bridge/normalize', `./bridge/${from}`, PURE),
  ]),
  ...['access', 'fhir', 'http'].map((from) =>
    zone('./bridge/store', `./bridge/${from}`, 'store/ is the bottom layer: it may import bridge/model, not access/, fhir/ or http/.'),
  ),
];

module.exports = defineConfig(
  {
    name: 'ignores',
    ignores: [
      'dist/**',
      'node_modules/**',
      'artifacts/**',
      'cache/**',
      'coverage/**',
      'typechain-types/**',
      '.data/**',
      '.stryker-tmp/**',
      'reports/**',
      '**/*.js',
      '**/*.cjs',
      '**/*.mjs',
    ],
  },
  ...tseslint.configs.recommended,
  // Tests and benches read untyped response bodies.
  { name: 'tests and benches', files: ['test/**/*.ts', 'bench/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  {
    name: 'project',
    files: ['**/*.ts'],
    languageOptions: { sourceType: 'module' },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.d.ts', '.js', '.json'] })] },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: LAYER_ZONES }],
      'import-x/no-duplicates': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
  ...ORDER.map(restrictionsFor),
  prettier,
);
