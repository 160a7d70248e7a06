/** The monitor's chain checks: the anchored size never shrinks and its root is the tree's at that size. */
import { b64 } from '../../../bridge/log/bytes';
import { monitorOnce, type ChainLog } from '../../../bridge/log/monitor';
import { logIdOf } from '../../../bridge/log/proof';
import type { RemoteLog } from '../../../bridge/log/remote';
import { tileKey } from '../../../bridge/log/tiles';
import { hex, MemoryLog } from '../../helpers/log/memory-log';

const log = new MemoryLog();
for (let i = 0; i < 20; i++) log.addResource(i);

/** The memory log served as tiles (one level-0 tile: fewer than 256 leaves). */
const remote = (size: number): RemoteLog => ({
  checkpoint: async () => log.checkpoint(size),
  checkpointAt: async (s) => (s <= log.leaves.length ? log.checkpoint(s) : null),
  tiles: () => async (ids) => new Map(ids.map((id) => [tileKey(id.level, id.index), Buffer.concat(log.hashes(size))] as [string, Uint8Array])),
});
const chainAt = (treeSize: number, root = hex(log.root(treeSize))): ChainLog => ({
  latestCheckpoint: async (logId) => (logId === logIdOf(log.origin) ? { treeSize, root } : null),
});

it('records the anchored size and checks its root against the tree', async () => {
  const s1 = await monitorOnce(remote(10), null, { chain: chainAt(8) });
  expect(s1.state).toMatchObject({ size: 10, chainSize: 8, root: b64(log.root(10)) });
  const s2 = await monitorOnce(remote(20), s1.state, { chain: chainAt(15) });
  expect(s2.state.chainSize).toBe(15);
  await expect(monitorOnce(remote(20), s2.state, { chain: chainAt(12) })).rejects.toMatchObject({ reason: 'shrink' });
  await expect(monitorOnce(remote(20), s2.state, { chain: chainAt(15, '0x' + '11'.repeat(32)) })).rejects.toMatchObject({ reason: 'fork' });
  await expect(monitorOnce(remote(20), s2.state, { chain: { latestCheckpoint: async () => null } })).rejects.toMatchObject({ reason: 'shrink' });
});
