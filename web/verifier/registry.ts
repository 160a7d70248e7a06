/**
 * Reads of the AnchorRegistry contract over JSON-RPC, encoded by hand from the ABI of the artifact the bridge deploys
 * (bridge/anchor/AnchorRegistry.artifact.json; only its `abi` is bundled). Read-only: eth_chainId, eth_getCode,
 * eth_call, eth_getLogs, eth_blockNumber.
 */
import { abi } from '../../bridge/anchor/AnchorRegistry.artifact.json';
import { callData, keccakHex, utf8, word } from './abi';
import { RpcError, type Rpc } from './rpc';

interface AbiItem {
  type: string;
  name?: string;
  inputs?: { type: string; name?: string; indexed?: boolean }[];
  outputs?: { type: string }[];
}
const ABI = abi as AbiItem[];

/** Canonical signature of a function or event of the registry, e.g. `rootOf(bytes32)`; null when the ABI has none. */
export function signatureOf(name: string, type: 'function' | 'event' = 'function'): { signature: string; inputs: string[] } | null {
  const item = ABI.find((x) => x.type === type && x.name === name);
  if (!item) return null;
  const inputs = (item.inputs ?? []).map((i) => i.type);
  return { signature: `${name}(${inputs.join(',')})`, inputs };
}

const ZERO32 = '0x' + '0'.repeat(64);
/** Blocks per eth_getLogs request, as the CLI (bridge/anchor/chain-reader.ts LOG_WINDOW): public RPCs refuse wider ranges. */
const LOG_WINDOW = 10_000;
const hexQty = (n: number | bigint): string => '0x' + BigInt(n).toString(16);

export interface AnchoredLog {
  root: string;
  leafCount: number;
  anchorer: string;
  blockNumber: number;
  txHash: string;
}

export class Registry {
  constructor(
    readonly rpc: Rpc,
    readonly address: string,
  ) {}

  async chainId(): Promise<bigint> {
    const r = await this.rpc.call('eth_chainId', []);
    if (typeof r !== 'string' || !/^0x[0-9a-f]+$/i.test(r)) throw new RpcError('bad-answer', 'eth_chainId did not answer a number');
    return BigInt(r);
  }

  async hasCode(): Promise<boolean> {
    const r = await this.rpc.call('eth_getCode', [this.address, 'latest']);
    return typeof r === 'string' && r !== '0x' && r !== '0x0';
  }

  /** eth_call of a view function returning one static word; the word as 0x hex. */
  async view(name: string, args: (string | number | bigint)[]): Promise<string> {
    const sig = signatureOf(name);
    if (!sig) throw new RpcError('bad-answer', `this verifier was built without ${name}() in the AnchorRegistry ABI`);
    const r = await this.rpc.call('eth_call', [{ to: this.address, data: callData(sig.signature, sig.inputs, args) }, 'latest']);
    if (typeof r !== 'string' || !/^0x([0-9a-f]{64})+$/i.test(r))
      throw new RpcError('bad-answer', `${name}() did not answer a 32-byte word (not an AnchorRegistry?)`);
    return r.slice(0, 66).toLowerCase();
  }

  /** The root anchored for a batch (receipts), or null when none is. */
  async rootOf(batchId: string): Promise<string | null> {
    const r = await this.view('rootOf', [batchId]);
    return r === ZERO32 ? null : r;
  }

  /** The checkpoint root anchored for (logId, treeSize), or null when none is. */
  async checkpointRoot(logId: string, treeSize: number): Promise<string | null> {
    const r = await this.view('checkpointRoot', [logId, treeSize]);
    return r === ZERO32 ? null : r;
  }

  /** The newest anchored tree size of a log (0 when none), or null when this registry has no latestCheckpoint(). */
  async latestCheckpointSize(logId: string): Promise<number | null> {
    if (!signatureOf('latestCheckpoint')) return null;
    return Number(BigInt(await this.view('latestCheckpoint', [logId])));
  }

  async hasRole(role: string, account: string): Promise<boolean> {
    return BigInt(await this.view('hasRole', [role, account])) === 1n;
  }

  /** The batch's Anchored event in [from, to], asked for in windows of LOG_WINDOW blocks, oldest first. */
  async anchoredEvent(batchId: string, from: number, to: number | 'latest'): Promise<AnchoredLog | null> {
    const ev = signatureOf('Anchored', 'event');
    if (!ev) return null;
    const topic = keccakHex(utf8(ev.signature));
    const last = to === 'latest' ? Number(BigInt((await this.rpc.call('eth_blockNumber', [])) as string)) : to;
    for (let start = Math.max(0, from); start <= last; start += LOG_WINDOW) {
      const logs = (await this.rpc.call('eth_getLogs', [
        {
          address: this.address,
          topics: [topic, '0x' + word('bytes32', batchId)],
          fromBlock: hexQty(start),
          toBlock: hexQty(Math.min(last, start + LOG_WINDOW - 1)),
        },
      ])) as { topics: string[]; data: string; blockNumber: string; transactionHash: string }[];
      const log = Array.isArray(logs) ? logs[0] : undefined;
      if (!log) continue;
      // Anchored(bytes32 indexed batchId, bytes32 indexed root, uint32 leafCount, address indexed anchorer)
      return {
        root: log.topics[2].toLowerCase(),
        leafCount: Number(BigInt(log.data.slice(0, 66))),
        anchorer: '0x' + log.topics[3].slice(26),
        blockNumber: Number(BigInt(log.blockNumber)),
        txHash: log.transactionHash,
      };
    }
    return null;
  }
}

export const ANCHORER_ROLE = keccakHex(utf8('ANCHORER_ROLE'));
/** On-chain id of a log (contract.md): keccak256 of its origin line's UTF-8 bytes. */
export const logIdOf = (origin: string): string => keccakHex(utf8(origin));
