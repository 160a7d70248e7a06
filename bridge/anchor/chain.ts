/**
 * The only code that talks to a chain: an in-process EDR chain for `npm start`, or any EVM over JSON-RPC.
 * Both expose the same {@link AnchorChain}; the registry ABI/bytecode come from the committed artifact,
 * so compiled JS run with plain `node` needs neither Hardhat nor a Solidity compile.
 */
import { BrowserProvider, Contract, ContractFactory, Interface, Network, Transaction, Wallet, ZeroHash, type AbstractProvider } from 'ethers';
import artifact from './AnchorRegistry.artifact.json';
import { ChainError, toChainError } from './chain-errors';
import { createEdrChain, DEV_PRIVATE_KEY, serveJsonRpc } from './chain-embedded';
import { DEFAULT_RPC_TIMEOUT_MS, jsonRpcProvider, probeChainId } from './chain-rpc';

export { ChainError } from './chain-errors';
export { DEFAULT_RPC_TIMEOUT_MS, jsonRpcProvider, probeChainId } from './chain-rpc';
export { DEV_ADDRESS, DEV_PRIVATE_KEY, EMBEDDED_CHAIN_ID } from './chain-embedded';

/** Registry ABI (shared with the verifier). */
export const REGISTRY_ABI = new Interface(artifact.abi);
/** Runtime bytecode of the registry as built from contracts/AnchorRegistry.sol. */
export const REGISTRY_DEPLOYED_BYTECODE: string = artifact.deployedBytecode;

/** What the bridge needs from a chain. */
export interface AnchorChain {
  chainId: bigint;
  contractAddress: string;
  rpcUrl: string;
  /** Deadline of each JSON-RPC call, for readers opened beside this chain (reconciliation). */
  rpcTimeoutMs: number;
  anchorerAddress: string;
  /** Anchors a batch root; resolves once mined (and confirmed, for external chains). signAnchor + send + waitMined. */
  anchor(batchId: string, root: string, leafCount: number): Promise<{ txHash: string; blockNumber: number }>;
  /**
   * Simulates the anchoring call (a revert surfaces as the contract's custom error and costs neither gas nor a nonce),
   * then signs it with the account's next nonce. The hash is known before anything is broadcast, so a caller can
   * record it first and later ask the chain about that very transaction instead of sending another.
   */
  signAnchor(batchId: string, root: string, leafCount: number): Promise<SignedAnchor>;
  /** Where a transaction stands: mined (ok or reverted), pending in the node's pool, or unknown to the node. */
  txState(txHash: string): Promise<TxState>;
  /**
   * Waits until the transaction is mined with the configured confirmations. Every poll is one bounded RPC call, so a
   * hung node fails the wait; `timeoutMs` bounds the whole wait; `signal` abandons it (the transaction stays sent).
   */
  waitMined(txHash: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<{ txHash: string; blockNumber: number }>;
  /** Root anchored for a batch, or ZeroHash. */
  rootOf(batchId: string): Promise<string>;
  /** Anchors a log checkpoint; resolves once mined. signCheckpoint + send + waitMined. */
  anchorCheckpoint(logId: string, treeSize: number, root: string): Promise<{ txHash: string; blockNumber: number }>;
  /**
   * Simulates `anchorCheckpoint(logId, treeSize, root)` (a refusal such as TreeSizeNotGrowing surfaces as the
   * contract's custom error, costing neither gas nor a nonce), then signs it: as {@link signAnchor}.
   */
  signCheckpoint(logId: string, treeSize: number, root: string): Promise<SignedAnchor>;
  /** Root anchored for the log at that tree size, or ZeroHash. */
  checkpointRoot(logId: string, treeSize: number): Promise<string>;
  /** The log's newest anchored checkpoint (size 0 and ZeroHash when none). */
  latestCheckpoint(logId: string): Promise<LatestCheckpoint>;
  /** Block timestamp in seconds. */
  blockTime(blockNumber: number): Promise<number>;
  /** The chain's latest block number. */
  headBlock(): Promise<number>;
  close(): Promise<void>;
}

/** A signed anchoring transaction, not yet broadcast. */
export interface SignedAnchor {
  txHash: string;
  /** Broadcasts it; resolves once the node accepted it (not mined). */
  send(): Promise<void>;
}

/** What `latestCheckpoint(logId)` answers: anchoredAt is the block time in seconds (0 when none). */
export interface LatestCheckpoint {
  treeSize: number;
  rootHash: string;
  anchoredAt: number;
}

export type TxState = { state: 'mined'; ok: boolean; blockNumber: number } | { state: 'pending' } | { state: 'unknown' };

/** Longest wait for a deployment to be mined. */
const DEPLOY_WAIT_MS = 600_000;

/** How often a sent transaction's receipt is asked for, unless the chain says otherwise. */
const RECEIPT_POLL_MS = 1000;

/** A batch as stored by the bridge, enough to re-anchor it. */
export interface AnchorRecord {
  batchId: string;
  root: string;
  leafCount: number;
}

/** A log checkpoint as stored by the bridge, enough to re-anchor it. */
export interface CheckpointRecord {
  logId: string;
  treeSize: number;
  root: string;
}

/** The embedded chain can rebuild its state from the bridge's database. */
export interface EmbeddedChain extends AnchorChain {
  /** Re-anchors, in order, every batch not yet on this chain (after a restart the chain starts empty). */
  replay(anchors: readonly AnchorRecord[]): Promise<{ txHash: string; blockNumber: number }[]>;
  /** Re-anchors a checkpoint unless this chain has that size of that log already; null when it had. */
  replayCheckpoint(cp: CheckpointRecord): Promise<{ txHash: string; blockNumber: number } | null>;
}

/** Deterministic fee fields: the embedded chain's tx hashes and blocks then repeat exactly on replay. */
const EMBEDDED_TX = { type: 2, gasLimit: 200_000n, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1_000_000n };

function registryAt(address: string, runner: Wallet | AbstractProvider): Contract {
  return new Contract(address, REGISTRY_ABI, runner);
}

async function requireCode(provider: AbstractProvider, address: string, rpcUrl: string): Promise<void> {
  const code = await provider.getCode(address).catch((e: unknown) => {
    throw toChainError(e, REGISTRY_ABI, 'getCode', rpcUrl);
  });
  if (code === '0x') throw new ChainError('no-contract', `no contract at ${address} on ${rpcUrl}`);
}

async function deployWith(wallet: Wallet, rpcUrl: string, confirmations: number, overrides: object = {}): Promise<{ address: string; blockNumber: number }> {
  try {
    const factory = new ContractFactory(artifact.abi, artifact.bytecode, wallet);
    const c = await factory.deploy(wallet.address, { ...overrides, gasLimit: 3_000_000n });
    const rcpt = await c.deploymentTransaction()?.wait(confirmations, DEPLOY_WAIT_MS);
    if (!rcpt) throw new ChainError('rpc', 'deployment transaction was not mined');
    return { address: await c.getAddress(), blockNumber: rcpt.blockNumber };
  } catch (e) {
    throw toChainError(e, REGISTRY_ABI, 'deploy AnchorRegistry', rpcUrl);
  }
}

/** Resolves after `ms`, or rejects at once when `signal` aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ChainError('rpc', 'wait abandoned'));
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new ChainError('rpc', 'wait abandoned'));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Shared AnchorChain over any ethers provider + wallet. */
function makeChain(opts: {
  provider: AbstractProvider;
  wallet: Wallet;
  chainId: bigint;
  contractAddress: string;
  rpcUrl: string;
  confirmations: number;
  txOverrides: object;
  receiptPollMs: number;
  rpcTimeoutMs: number;
  onClose: () => Promise<void>;
}): AnchorChain {
  const { provider, wallet, rpcUrl, confirmations } = opts;
  const registry = registryAt(opts.contractAddress, wallet);
  /** One RPC step, its failure mapped to a ChainError that names it. */
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw toChainError(e, REGISTRY_ABI, what, rpcUrl);
    }
  };
  /**
   * Simulates `method(args)` from the anchoring account (a revert costs nothing and names the contract's error), then
   * signs it with the account's next nonce; the hash is known before anything is broadcast.
   */
  const signCall = (what: string, method: 'anchor' | 'anchorCheckpoint', args: unknown[]): Promise<SignedAnchor> =>
    step(what, async () => {
      await registry.getFunction(method).staticCall(...args, { from: wallet.address });
      const req = await registry.getFunction(method).populateTransaction(...args, opts.txOverrides);
      const pop = await wallet.populateTransaction(req);
      delete pop.from;
      const raw = await wallet.signTransaction(pop);
      const txHash = Transaction.from(raw).hash as string;
      return { txHash, send: () => step(`${what}: send ${txHash}`, async () => void (await provider.broadcastTransaction(raw))) };
    });
  // One transaction at a time per wallet: concurrent sends would read the same pending nonce.
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };
  const chain: AnchorChain = {
    chainId: opts.chainId,
    contractAddress: opts.contractAddress,
    rpcUrl,
    rpcTimeoutMs: opts.rpcTimeoutMs,
    anchorerAddress: wallet.address,
    anchor: (batchId, root, leafCount) =>
      serialized(async () => {
        const signed = await chain.signAnchor(batchId, root, leafCount);
        await signed.send();
        return chain.waitMined(signed.txHash, { timeoutMs: 600_000 });
      }),
    signAnchor: (batchId, root, leafCount) => signCall(`anchor batch ${batchId}`, 'anchor', [batchId, root, leafCount]),
    anchorCheckpoint: (logId, treeSize, root) =>
      serialized(async () => {
        const signed = await chain.signCheckpoint(logId, treeSize, root);
        await signed.send();
        return chain.waitMined(signed.txHash, { timeoutMs: 600_000 });
      }),
    signCheckpoint: (logId, treeSize, root) =>
      signCall(`anchor checkpoint ${treeSize} of log ${logId.slice(0, 10)}`, 'anchorCheckpoint', [logId, BigInt(treeSize), root]),
    checkpointRoot: (logId, treeSize) => step(`checkpointRoot ${treeSize}`, async () => (await registry.checkpointRoot(logId, BigInt(treeSize))) as string),
    latestCheckpoint: (logId) =>
      step(`latestCheckpoint of log ${logId.slice(0, 10)}`, async () => {
        const [treeSize, rootHash, anchoredAt] = (await registry.latestCheckpoint(logId)) as [bigint, string, bigint];
        return { treeSize: Number(treeSize), rootHash, anchoredAt: Number(anchoredAt) };
      }),
    txState: (txHash) =>
      step(`transaction ${txHash}`, async () => {
        const rcpt = await provider.getTransactionReceipt(txHash);
        if (rcpt) return { state: 'mined', ok: rcpt.status === 1, blockNumber: rcpt.blockNumber };
        return (await provider.getTransaction(txHash)) ? { state: 'pending' } : { state: 'unknown' };
      }),
    async waitMined(txHash, { timeoutMs, signal }) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const rcpt = await step(`receipt of ${txHash}`, () => provider.getTransactionReceipt(txHash));
        if (rcpt && rcpt.status !== 1) throw new ChainError('reverted', `transaction ${txHash} reverted`);
        if (rcpt && (confirmations <= 1 || (await step('eth_blockNumber', () => rcpt.confirmations())) >= confirmations)) {
          return { txHash: rcpt.hash, blockNumber: rcpt.blockNumber };
        }
        if (Date.now() >= until) throw new ChainError('rpc', `transaction ${txHash} not mined after ${timeoutMs} ms`);
        await pause(Math.min(opts.receiptPollMs, Math.max(0, until - Date.now())), signal);
      }
    },
    rootOf: (batchId) => step(`rootOf ${batchId}`, async () => (await registry.rootOf(batchId)) as string),
    async blockTime(blockNumber) {
      const block = await step(`block ${blockNumber}`, () => provider.getBlock(blockNumber));
      if (!block) throw new ChainError('rpc', `block ${blockNumber} not found on ${rpcUrl}`);
      return block.timestamp;
    },
    headBlock: () => step('eth_blockNumber', () => provider.getBlockNumber()),
    close: opts.onClose,
  };
  return chain;
}

/**
 * Starts the in-process chain (EDR), deploys the registry from the dev account (always the same address:
 * fresh chain, nonce 0) and serves read-only JSON-RPC on host:port (port 0 picks a free one).
 */
export async function startEmbeddedChain(opts: { port: number; host?: string }): Promise<EmbeddedChain> {
  const edr = await createEdrChain();
  const provider = new BrowserProvider(edr, Network.from(31337n), { cacheTimeout: -1, staticNetwork: true });
  const wallet = new Wallet(DEV_PRIVATE_KEY, provider);
  const { address } = await deployWith(wallet, 'embedded chain', 1, EMBEDDED_TX);
  const server = await serveJsonRpc(edr, opts.host ?? '127.0.0.1', opts.port);
  const chain = makeChain({
    provider,
    wallet,
    chainId: 31337n,
    contractAddress: address,
    rpcUrl: server.url,
    confirmations: 1,
    txOverrides: EMBEDDED_TX,
    receiptPollMs: 10,
    rpcTimeoutMs: DEFAULT_RPC_TIMEOUT_MS,
    onClose: async () => {
      await server.close();
      provider.destroy();
    },
  });
  return {
    ...chain,
    async replay(anchors) {
      const out: { txHash: string; blockNumber: number }[] = [];
      for (const a of anchors) if ((await chain.rootOf(a.batchId)) === ZeroHash) out.push(await chain.anchor(a.batchId, a.root, a.leafCount));
      return out;
    },
    async replayCheckpoint(cp) {
      if ((await chain.checkpointRoot(cp.logId, cp.treeSize)) !== ZeroHash) return null;
      return chain.anchorCheckpoint(cp.logId, cp.treeSize, cp.root);
    },
  };
}

/**
 * Connects to an external EVM chain. Without `contract`, deploys a new registry (callers should persist its
 * address, see {@link deployRegistry}); with it, checks that code exists there.
 */
export async function connectChain(opts: {
  rpcUrl: string;
  privateKey: string;
  contract?: string;
  confirmations: number;
  /** Deadline of each JSON-RPC call (default DEFAULT_RPC_TIMEOUT_MS). */
  rpcTimeoutMs?: number;
  /** How often a sent transaction's receipt is asked for (default 1 s). */
  receiptPollMs?: number;
}): Promise<AnchorChain> {
  const rpcTimeoutMs = opts.rpcTimeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
  const chainId = await probeChainId(opts.rpcUrl, rpcTimeoutMs);
  const provider = jsonRpcProvider(opts.rpcUrl, chainId, rpcTimeoutMs);
  const wallet = new Wallet(opts.privateKey, provider);
  const confirmations = Math.max(1, opts.confirmations);
  let contractAddress = opts.contract;
  if (contractAddress) await requireCode(provider, contractAddress, opts.rpcUrl);
  else contractAddress = (await deployWith(wallet, opts.rpcUrl, confirmations)).address;
  return makeChain({
    provider,
    wallet,
    chainId,
    contractAddress,
    rpcUrl: opts.rpcUrl,
    confirmations,
    txOverrides: {},
    receiptPollMs: opts.receiptPollMs ?? RECEIPT_POLL_MS,
    rpcTimeoutMs,
    onClose: async () => provider.destroy(),
  });
}

/** Deploys a registry administered by the key's account (`fhir-bridge deploy`). */
export async function deployRegistry(opts: {
  rpcUrl: string;
  privateKey: string;
  confirmations?: number;
}): Promise<{ address: string; chainId: bigint; blockNumber: number }> {
  const chainId = await probeChainId(opts.rpcUrl);
  const provider = jsonRpcProvider(opts.rpcUrl, chainId);
  try {
    const { address, blockNumber } = await deployWith(new Wallet(opts.privateKey, provider), opts.rpcUrl, Math.max(1, opts.confirmations ?? 1));
    return { address, chainId, blockNumber };
  } finally {
    provider.destroy();
  }
}
