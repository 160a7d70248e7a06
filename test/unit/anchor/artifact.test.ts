import { readFileSync } from 'node:fs';
import { ARTIFACT_PATH, artifactJson, compileRegistry } from '../../../scripts/compile-registry';

// The bridge deploys from the committed artifact (no compiler at runtime): it must be exactly what the source compiles to.
describe('committed AnchorRegistry artifact', () => {
  it('equals a fresh solc compile of contracts/AnchorRegistry.sol (run scripts/compile-registry.ts if not)', () => {
    expect(readFileSync(ARTIFACT_PATH, 'utf8')).toBe(artifactJson(compileRegistry()));
  });
});
