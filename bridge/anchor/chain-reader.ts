import { Contract, id, toBeHex, ZeroHash, type JsonRpcProvider, type Log } from 'ethers';
import { REGISTRY_ABI } from './chain';
import { DEFAULT_RPC_TIMEOUT_MS, jsonRpcProvider, probeChainId } from './chain-rpc';

/** The Anchored event of one batch, as found in the chain's logs. */
export interface AnchoredEvent {
  root: string;
  leafCount: number;
  anchorer: string;
  txHash: string;
  blockNumber: number;
}

/** The CheckpointAnchored event of one (log id, tree size), as found in the chain's logs. */
export interface CheckpointEvent {
  rootHash: string;
  anchorer: string;
  txHash: string;
  blockNumber: number;
}

/** Read-only view of a registry for verifiers: no key, no writes. */
export interface RegistryView {
  chainId: bigint;
  hasCode(): Promise<boolean>;
  rootOf(batchId: string): Promise<string>;
  /** The batch's Anchored event within [fromBlock, toBlock], asked for in windows of LOG_WINDOW blocks, oldest first. */
  anchoredEvent(batchId: string, fromBlock: number, toBlock: number | 'latest'): Promise<AnchoredEvent | null>;
  isAnchorer(account: string): Promise<boolean>;
  /** Root anchored for the log at that size, or ZeroHash. */
  checkpointRoot(logId: string, treeSize: number): Promise<string>;
  /** The log's newest anchored tree size and root (0 and ZeroHash when none). */
  latestCheckpoint(logId: string): Promise<{ treeSize: number; rootHash: string; anchoredAt: number }>;
  /** The CheckpointAnchored event of (logId, treeSize) within [fromBlock, toBlock], searched as {@link anchoredEvent}. */
  checkpointEvent(logId: string, treeSize: number, fromBlock: number, toBlock: number | 'latest'): Promise<CheckpointEvent | null>;
  close(): void;
}

const ANCHORED_TOPIC = REGISTRY_ABI.getEvent('Anchored')!.topicHash;
const CHECKPOINT_TOPIC = REGISTRY_ABI.getEvent('CheckpointAnchored')!.topicHash;
/** Blocks per eth_getLogs request: public RPCs (Infura, Alchemy, most L2s) refuse wider ranges. */
export const LOG_WINDOW = 10_000;
const ANCHORER_ROLE = id('ANCHORER_ROLE');

/** Opens a view of the registry at `contract` over `rpcUrl` (throws ChainError 'unreachable' early); each call bounded by `timeoutMs`. */
export async function openRegistryView(rpcUrl: string, contract: string, timeoutMs = DEFAULT_RPC_TIMEOUT_MS): Promise<RegistryView> {
  const chainId = await probeChainId(rpcUrl, timeoutMs);
  const provider = jsonRpcProvider(rpcUrl, chainId, timeoutMs);
  const registry = new Contract(contract, REGISTRY_ABI, provider);
  const logsIn = async (batchId: string, fromBlock: number, toBlock: number | 'latest'): Promise<AnchoredEvent | null> => {
    const log = await firstLog(provider, contract, [ANCHORED_TOPIC, batchId], fromBlock, toBlock);
    if (!log) return null;
    const ev = REGISTRY_ABI.parseLog(log)!;
    return {
      root: ev.args.root as string,
      leafCount: Number(ev.args.leafCount),
      anchorer: ev.args.anchorer as string,
      txHash: log.transactionHash,
      blockNumber: log.blockNumber,
    };
  };
  const checkpointEvent = async (logId: string, treeSize: number, fromBlock: number, toBlock: number | 'latest'): Promise<CheckpointEvent | null> => {
    const log = await firstLog(provider, contract, [CHECKPOINT_TOPIC, logId, toBeHex(treeSize, 32)], fromBlock, toBlock);
    if (!log) return null;
    const ev = REGISTRY_ABI.parseLog(log)!;
    return { rootHash: ev.args.rootHash as string, anchorer: ev.args.anchorer as string, txHash: log.transactionHash, blockNumber: log.blockNumber };
  };
  return {
    chainId,
    hasCode: async () => (await provider.getCode(contract)) !== '0x',
    rootOf: async (batchId) => ((await registry.rootOf(batchId)) as string) ?? ZeroHash,
    anchoredEvent: logsIn,
    isAnchorer: async (account) => (await registry.hasRole(ANCHORER_ROLE, account)) as boolean,
    checkpointRoot: async (logId, treeSize) => (await registry.checkpointRoot(logId, BigInt(treeSize))) as string,
    latestCheckpoint: async (logId) => {
      const [treeSize, rootHash, anchoredAt] = (await registry.latestCheckpoint(logId)) as [bigint, string, bigint];
      return { treeSize: Number(treeSize), rootHash, anchoredAt: Number(anchoredAt) };
    },
    checkpointEvent,
    close: () => provider.destroy(),
  };
}

/** The first log with `topics` within [fromBlock, toBlock], asked for in windows of LOG_WINDOW blocks, oldest first. */
async function firstLog(provider: JsonRpcProvider, address: string, topics: string[], fromBlock: number, toBlock: number | 'latest'): Promise<Log | null> {
  const last = toBlock === 'latest' ? await provider.getBlockNumber() : toBlock;
  for (let start = Math.max(0, fromBlock); start <= last; start += LOG_WINDOW) {
    const logs = await provider.getLogs({ address, topics, fromBlock: start, toBlock: Math.min(last, start + LOG_WINDOW - 1) });
    if (logs[0]) return logs[0];
  }
  return null;
}
