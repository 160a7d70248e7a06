import { keccak256, toUtf8Bytes } from 'ethers';
import { checkpointLogId, CheckpointProblem } from '../../../bridge/anchor/checkpoint-id';
import { makeCheckpoint } from '../../helpers/anchor/checkpoints';

describe('checkpointLogId', () => {
  const origin = 'fhir-anchor-bridge/0123456789abcdef';

  test('is keccak256 of the UTF-8 origin line, whatever the size, root, extensions and signatures', () => {
    const cp = makeCheckpoint(origin, 12);
    expect(checkpointLogId(cp)).toBe(keccak256(toUtf8Bytes(origin)));
    const withExtension = { ...cp, note: cp.note.replace('\n\n', '\nextension line\n\n') };
    expect(checkpointLogId(withExtension)).toBe(keccak256(toUtf8Bytes(origin)));
    expect(checkpointLogId(makeCheckpoint('h\u00f4pital.example/log', 1))).toBe(keccak256(toUtf8Bytes('h\u00f4pital.example/log')));
  });

  test('refuses a note whose size or root is not the row\u2019s, or without an origin', () => {
    const cp = makeCheckpoint(origin, 12);
    expect(() => checkpointLogId({ ...cp, treeSize: 13 })).toThrow(CheckpointProblem);
    expect(() => checkpointLogId({ ...cp, root: makeCheckpoint(origin, 12).root })).toThrow(/does not carry tree size 12/);
    expect(() => checkpointLogId({ ...cp, note: cp.note.replace(origin, '') })).toThrow(CheckpointProblem);
    expect(() => checkpointLogId({ ...cp, note: '' })).toThrow(CheckpointProblem);
  });
});
