/**
 * The unit tests that judge mutants of bridge/fhir, bridge/access and bridge/normalize (`npm run bench -- mutation`):
 * pure tests only (no database, no chain, no shared samples), transpiled without type checks (Stryker marks mutated
 * files @ts-nocheck; `npm test` type-checks the real code).
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/unit'],
  testMatch: ['<rootDir>/test/unit/{fhir,access,normalize}/**/*.test.ts'],
  // Tests that load the FHIR definitions (seconds per run): their code is left out of mutation (stryker.config.json).
  testPathIgnorePatterns: [
    '/node_modules/',
    '<rootDir>/test/unit/normalize/samples.test.ts',
    ...['fhir/precheck', 'fhir/validate', 'fhir/hash', 'access/audit-event'].map((t) => `<rootDir>/test/unit/${t}.test.ts`),
  ],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true, diagnostics: false }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
};
