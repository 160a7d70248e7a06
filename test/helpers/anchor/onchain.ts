import type { JsonRpcProvider } from 'ethers';
import { REGISTRY_ABI } from '../../../bridge/anchor/chain';
import type { Db } from '../../../bridge/store/db';

/** Every Anchored event of a registry, in chain order (block, then log index): what the chain says was anchored, and when. */
export async function anchoredOnChain(provider: JsonRpcProvider, contract: string): Promise<{ batchId: string; blockNumber: number; logIndex: number }[]> {
  const logs = await provider.getLogs({ address: contract, topics: [REGISTRY_ABI.getEvent('Anchored')!.topicHash], fromBlock: 0, toBlock: 'latest' });
  return logs
    .map((l) => ({ batchId: l.topics[1], blockNumber: l.blockNumber, logIndex: l.index }))
    .sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
}

export interface BatchState {
  id: string;
  seq: number;
  root: string;
  leaf_count: number;
  status: string;
  tx_hash: string | null;
  block_number: number | null;
  attempts: number;
  last_error: string | null;
}

/** The batch table in closing order. */
export async function batchStates(db: Db): Promise<BatchState[]> {
  return (
    await db.query(
      `SELECT '0x' || encode(id, 'hex') AS id, seq::int AS seq, '0x' || encode(root, 'hex') AS root, leaf_count, status,
            CASE WHEN tx_hash IS NULL THEN NULL ELSE '0x' || encode(tx_hash, 'hex') END AS tx_hash, block_number, attempts, last_error
       FROM batch ORDER BY seq`,
    )
  ).rows as BatchState[];
}
