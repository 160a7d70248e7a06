import { randomBytes } from 'node:crypto';
import { id, type JsonRpcProvider } from 'ethers';
import { REGISTRY_ABI } from '../../../bridge/anchor/chain';
import type { Db } from '../../../bridge/store/db';

/** A log origin of its own per test, so logs on one chain stay apart. */
export const testOrigin = (tag: string): string => `test.example/${tag}-${randomBytes(4).toString('hex')}`;

/**
 * A checkpoint as the log publishes it: C2SP tlog-checkpoint body (origin, size, base64 root) and one signature line
 * (the anchorer does not check signatures; the log service signs real ones).
 */
export function makeCheckpoint(
  origin: string,
  treeSize: number,
  root = '0x' + randomBytes(32).toString('hex'),
): { treeSize: number; root: string; note: string } {
  const sig = Buffer.concat([randomBytes(4), randomBytes(64)]).toString('base64');
  return { treeSize, root, note: `${origin}\n${treeSize}\n${Buffer.from(root.slice(2), 'hex').toString('base64')}\n\n\u2014 ${origin} ${sig}\n` };
}

export const logIdOf = (origin: string): string => id(origin);

/** Every CheckpointAnchored event of a registry (optionally of one log), in chain order. */
export async function checkpointEvents(
  provider: JsonRpcProvider,
  contract: string,
  logId?: string,
): Promise<{ logId: string; treeSize: number; rootHash: string; txHash: string; blockNumber: number }[]> {
  const topic = REGISTRY_ABI.getEvent('CheckpointAnchored')!.topicHash;
  const logs = await provider.getLogs({ address: contract, topics: logId ? [topic, logId] : [topic], fromBlock: 0, toBlock: 'latest' });
  return logs
    .sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index)
    .map((l) => {
      const ev = REGISTRY_ABI.parseLog(l)!;
      return {
        logId: ev.args.logId as string,
        treeSize: Number(ev.args.treeSize),
        rootHash: ev.args.rootHash as string,
        txHash: l.transactionHash,
        blockNumber: l.blockNumber,
      };
    });
}

export interface CheckpointState {
  tree_size: number;
  root: string;
  status: string;
  chain_id: number | null;
  contract: string | null;
  log_id: string | null;
  tx_hash: string | null;
  block_number: number | null;
  block_time: string | null;
  attempts: number;
  last_error: string | null;
}

/** The log_checkpoint table by tree size. */
export async function checkpointStates(db: Db): Promise<CheckpointState[]> {
  return (
    await db.query(
      `SELECT tree_size, '0x' || encode(root, 'hex') AS root, status, chain_id, contract,
              CASE WHEN log_id IS NULL THEN NULL ELSE '0x' || encode(log_id, 'hex') END AS log_id,
              CASE WHEN tx_hash IS NULL THEN NULL ELSE '0x' || encode(tx_hash, 'hex') END AS tx_hash,
              block_number, block_time, attempts, last_error
         FROM log_checkpoint ORDER BY tree_size`,
    )
  ).rows as CheckpointState[];
}

/** The row of one size. */
export async function checkpointState(db: Db, treeSize: number): Promise<CheckpointState | undefined> {
  return (await checkpointStates(db)).find((r) => r.tree_size === treeSize);
}
