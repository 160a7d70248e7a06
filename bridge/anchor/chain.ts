/**
 * The only code that talks to a chain: an in-process EDR chain for `npm start`, or any EVM over JSON-RPC.
 * Both expose the same {@link AnchorChain}; the registry ABI/bytecode come from the committed artifact,
 * so compiled JS run with plain `node` needs neither Hardhat nor a Solidity compile.
 */
import {
  BrowserProvider, Contract, ContractFactory, Interface, JsonRpcProvider, Network, Wallet, ZeroHash,
  type AbstractProvider, type ContractTransactionResponse,
} from 'ethers';
import artifact from './AnchorRegistry.artifact.json';
import { ChainError, toChainError } from './chain-errors';
import { createEdrChain, DEV_PRIVATE_KEY, serveJsonRpc } from './chain-embedded';

export { ChainError } from './chain-errors';
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
  anchorerAddress: string;
  /** Anchors a batch root; resolves once mined (and confirmed, for external chains). */
  anchor(batchId: string, root: string, leafCount: number): Promise<{ txHash: string; blockNumber: number }>;
  /** Root anchored for a batch, or ZeroHash. */
  rootOf(batchId: string): Promise<string>;
  /** Block timestamp in seconds. */
  blockTime(blockNumber: number): Promise<number>;
  /** The chain's latest block number. */
  headBlock(): Promise<number>;
  close(): Promise<void>;
}

/** A batch as stored by the bridge, enough to re-anchor it. */
export interface AnchorRecord {
  batchId: string;
  root: string;
  leafCount: number;
}

/** The embedded chain can rebuild its state from the bridge's database. */
export interface EmbeddedChain extends AnchorChain {
  /** Re-anchors, in order, every batch not yet on this chain (after a restart the chain starts empty). */
  replay(anchors: readonly AnchorRecord[]): Promise<{ txHash: string; blockNumber: number }[]>;
}

/** Deterministic fee fields: the embedded chain's tx hashes and blocks then repeat exactly on replay. */
const EMBEDDED_TX = { type: 2, gasLimit: 200_000n, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1_000_000n };

/** Probes an RPC URL with eth_chainId, so an unreachable node fails fast instead of ethers retrying forever. */
export async function probeChainId(rpcUrl: string, timeoutMs = 5000): Promise<bigint> {
  let res: Response;
  try {
    res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch {
    throw new ChainError('unreachable', `RPC unreachable at ${rpcUrl}`);
  }
  const body = (await res.json().catch(() => ({}))) as { result?: string };
  if (!res.ok || typeof body.result !== 'string') throw new ChainError('rpc', `RPC at ${rpcUrl} did not answer eth_chainId`);
  return BigInt(body.result);
}

/** JSON-RPC provider pinned to a known chain id; cacheTimeout -1 avoids "nonce has already been used" between txs. */
export function jsonRpcProvider(rpcUrl: string, chainId: bigint): JsonRpcProvider {
  // batchMaxCount 1: send at once instead of waiting ethers' 10 ms batch window on every call.
  return new JsonRpcProvider(rpcUrl, Network.from(chainId), { staticNetwork: true, cacheTimeout: -1, batchMaxCount: 1 });
}

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
    const rcpt = await c.deploymentTransaction()?.wait(confirmations);
    if (!rcpt) throw new ChainError('rpc', 'deployment transaction was not mined');
    return { address: await c.getAddress(), blockNumber: rcpt.blockNumber };
  } catch (e) {
    throw toChainError(e, REGISTRY_ABI, 'deploy AnchorRegistry', rpcUrl);
  }
}

/** Shared AnchorChain over any ethers provider + wallet. */
function makeChain(opts: {
  provider: AbstractProvider; wallet: Wallet; chainId: bigint; contractAddress: string; rpcUrl: string;
  confirmations: number; txOverrides: object; onClose: () => Promise<void>;
}): AnchorChain {
  const { provider, wallet, rpcUrl } = opts;
  const registry = registryAt(opts.contractAddress, wallet);
  // One transaction at a time per wallet: concurrent sends would read the same pending nonce.
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };
  return {
    chainId: opts.chainId,
    contractAddress: opts.contractAddress,
    rpcUrl,
    anchorerAddress: wallet.address,
    anchor: (batchId, root, leafCount) => serialized(async () => {
      try {
        // Simulate first: a revert surfaces as the contract's custom error and never costs gas or a nonce.
        await registry.anchor.staticCall(batchId, root, leafCount, { from: wallet.address });
        const tx = (await registry.anchor(batchId, root, leafCount, opts.txOverrides)) as ContractTransactionResponse;
        const rcpt = await tx.wait(opts.confirmations);
        if (!rcpt || rcpt.status !== 1) throw new ChainError('reverted', `anchor: transaction ${tx.hash} failed`);
        return { txHash: rcpt.hash, blockNumber: rcpt.blockNumber };
      } catch (e) {
        throw toChainError(e, REGISTRY_ABI, `anchor batch ${batchId}`, rpcUrl);
      }
    }),
    async rootOf(batchId) {
      try {
        return (await registry.rootOf(batchId)) as string;
      } catch (e) {
        throw toChainError(e, REGISTRY_ABI, `rootOf ${batchId}`, rpcUrl);
      }
    },
    async blockTime(blockNumber) {
      const block = await provider.getBlock(blockNumber).catch((e: unknown) => {
        throw toChainError(e, REGISTRY_ABI, `block ${blockNumber}`, rpcUrl);
      });
      if (!block) throw new ChainError('rpc', `block ${blockNumber} not found on ${rpcUrl}`);
      return block.timestamp;
    },
    async headBlock() {
      try {
        return await provider.getBlockNumber();
      } catch (e) {
        throw toChainError(e, REGISTRY_ABI, 'eth_blockNumber', rpcUrl);
      }
    },
    close: opts.onClose,
  };
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
    provider, wallet, chainId: 31337n, contractAddress: address, rpcUrl: server.url, confirmations: 1,
    txOverrides: EMBEDDED_TX,
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
  };
}

/**
 * Connects to an external EVM chain. Without `contract`, deploys a new registry (callers should persist its
 * address, see {@link deployRegistry}); with it, checks that code exists there.
 */
export async function connectChain(opts: { rpcUrl: string; privateKey: string; contract?: string; confirmations: number }): Promise<AnchorChain> {
  const chainId = await probeChainId(opts.rpcUrl);
  const provider = jsonRpcProvider(opts.rpcUrl, chainId);
  const wallet = new Wallet(opts.privateKey, provider);
  const confirmations = Math.max(1, opts.confirmations);
  let contractAddress = opts.contract;
  if (contractAddress) await requireCode(provider, contractAddress, opts.rpcUrl);
  else contractAddress = (await deployWith(wallet, opts.rpcUrl, confirmations)).address;
  return makeChain({
    provider, wallet, chainId, contractAddress, rpcUrl: opts.rpcUrl, confirmations, txOverrides: {},
    onClose: async () => provider.destroy(),
  });
}

/** Deploys a registry administered by the key's account (`fhir-bridge deploy`). */
export async function deployRegistry(opts: { rpcUrl: string; privateKey: string; confirmations?: number }): Promise<{ address: string; chainId: bigint; blockNumber: number }> {
  const chainId = await probeChainId(opts.rpcUrl);
  const provider = jsonRpcProvider(opts.rpcUrl, chainId);
  try {
    const { address, blockNumber } = await deployWith(new Wallet(opts.privateKey, provider), opts.rpcUrl, Math.max(1, opts.confirmations ?? 1));
    return { address, chainId, blockNumber };
  } finally {
    provider.destroy();
  }
}
