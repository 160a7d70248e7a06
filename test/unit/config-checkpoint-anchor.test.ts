import { loadConfig } from '../../bridge/config';

describe('CHECKPOINT_ANCHOR_INTERVAL_MS', () => {
  test('defaults to 0: each checkpoint is anchored as soon as it is published', () => {
    expect(loadConfig({}).checkpointAnchorIntervalMs).toBe(0);
  });

  test('takes a least time between two checkpoint transactions, e.g. one a minute on a paid chain', () => {
    expect(loadConfig({ CHECKPOINT_ANCHOR_INTERVAL_MS: '60000' }).checkpointAnchorIntervalMs).toBe(60_000);
  });

  test('bad values are refused with the variable named', () => {
    for (const v of ['-1', 'soon', '1.5']) expect(() => loadConfig({ CHECKPOINT_ANCHOR_INTERVAL_MS: v })).toThrow(/CHECKPOINT_ANCHOR_INTERVAL_MS/);
  });
});
