/**
 * The unit tests that judge mutants of bridge/fhir, bridge/access and bridge/normalize (`npm run bench -- mutation`):
 * pure tests only (no database, no chain, no shared samples), transpiled without type checks (Stryker marks mutated
 * files @ts-nocheck; `npm test` type-checks the real code).
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/unit'],
  testMatch: ['<rootDir>/test/unit/{fhir,access,normalize}/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/unit/normalize/samples.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true, diagnostics: false }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
};
