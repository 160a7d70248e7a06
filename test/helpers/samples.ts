/** Jest's side of the sample data (where it is: bench/samples-dir.ts): suites and tests that skip with one line when it is absent. */
import path from 'node:path';
import { missingSamples, PROJECT_ROOT, reportSkipped } from '../../bench/samples-dir';

export { missingSamples, reportSkipped, sampleFiles, samplesPresent, SAMPLES_DIR } from '../../bench/samples-dir';

/**
 * `describe` when every folder is present; else `describe.skip`, with the line above. Jest runs the body either way
 * to list the tests, so bodies must not read samples at definition time without checking.
 */
export function describeWithSamples(folders: string[], name: string, body: () => void): void {
  if (missingSamples(folders).length === 0) return describe(name, body);
  reportSkipped(`"${name}" (${path.relative(PROJECT_ROOT, expect.getState().testPath ?? '') || 'tests'})`, folders);
  describe.skip(name, body);
}

/** `test`, or `test.skip` with the line above. */
export function testWithSamples(folders: string[], name: string, body: jest.ProvidesCallback, timeout?: number): void {
  if (missingSamples(folders).length === 0) return test(name, body, timeout);
  reportSkipped(`"${name}" (${path.relative(PROJECT_ROOT, expect.getState().testPath ?? '') || 'tests'})`, folders);
  test.skip(name, body, timeout);
}
