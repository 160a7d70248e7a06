import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Eip1193Provider } from 'ethers';

/** Hardhat's account #0 (mnemonic "test … junk"): public knowledge, for the embedded dev chain only. */
export const DEV_PRIVATE_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
export const DEV_ADDRESS = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
export const EMBEDDED_CHAIN_ID = 31337n;

type Edr = typeof import('@nomicfoundation/edr');
type EdrProvider = import('@nomicfoundation/edr').Provider;

interface RpcError extends Error {
  code: number;
  data?: unknown;
}

// EDR wants one context per process (a second one only logs a warning, but costs a tracing subscriber).
const CONTEXT_KEY = Symbol.for('fhir-anchor-bridge.edr-context');
type Holder = Record<symbol, Promise<import('@nomicfoundation/edr').EdrContext> | undefined>;

async function edrContext(edr: Edr): Promise<import('@nomicfoundation/edr').EdrContext> {
  const holder = globalThis as unknown as Holder;
  holder[CONTEXT_KEY] ??= (async () => {
    const ctx = new edr.EdrContext();
    await ctx.registerProviderFactory(edr.GENERIC_CHAIN_TYPE, edr.genericChainProviderFactory());
    return ctx;
  })();
  return holder[CONTEXT_KEY] as Promise<import('@nomicfoundation/edr').EdrContext>;
}

/** An in-process EVM (Hardhat's EDR) exposed as an EIP-1193 provider. */
export interface EdrChain extends Eip1193Provider {
  request(args: { method: string; params?: unknown[] | Record<string, unknown> }): Promise<unknown>;
}

/** Starts a fresh EDR chain (chain id 31337, Osaka rules, automine) with the dev account funded. */
export async function createEdrChain(): Promise<EdrChain> {
  let edr: Edr;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    edr = require('@nomicfoundation/edr') as Edr;
  } catch {
    throw new Error('embedded chain needs @nomicfoundation/edr (installed with hardhat); set CHAIN_RPC_URL to use an external chain');
  }
  const genesisState = edr.l1GenesisState(edr.l1HardforkFromString(edr.OSAKA));
  genesisState.push({ address: Buffer.from(DEV_ADDRESS.slice(2), 'hex'), balance: 10n ** 22n, code: new Uint8Array() });
  const ctx = await edrContext(edr);
  const provider: EdrProvider = await ctx.createProvider(
    edr.GENERIC_CHAIN_TYPE,
    {
      allowBlocksWithSameTimestamp: false,
      allowUnlimitedContractSize: false,
      bailOnCallFailure: true,
      bailOnTransactionFailure: true,
      blockGasLimit: 60_000_000n,
      chainId: EMBEDDED_CHAIN_ID,
      coinbase: Buffer.alloc(20),
      genesisState,
      hardfork: edr.OSAKA,
      initialBaseFeePerGas: 1_000_000_000n,
      minGasPrice: 0n,
      mining: { autoMine: true, memPool: { order: edr.MineOrdering.Priority } },
      networkId: EMBEDDED_CHAIN_ID,
      observability: {},
      ownedAccounts: [], // transactions are signed by the bridge's wallet, never by the node
      precompileOverrides: [],
    },
    { enable: false, decodeConsoleLogInputsCallback: () => [], printLineCallback: () => undefined },
    { subscriptionCallback: () => undefined },
    new edr.ContractDecoder(),
  );
  return {
    async request({ method, params }) {
      const res = await provider.handleRequest(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: params ?? [] }));
      const body = (typeof res.data === 'string' ? JSON.parse(res.data) : res.data) as {
        result?: unknown;
        error?: { code: number; message: string; data?: unknown };
      };
      if (!body.error) return body.result;
      const err = new Error(body.error.message) as RpcError;
      err.code = body.error.code;
      // EDR nests revert data as {message, data}; ethers expects the hex string itself to decode custom errors.
      const d = body.error.data as { data?: unknown } | undefined;
      err.data = d && typeof d === 'object' && 'data' in d ? d.data : d;
      throw err;
    },
  };
}

/** Methods outside tools may not call: the embedded chain's state must stay exactly what the bridge replays. */
const WRITE_METHOD = /^(eth_send|eth_sign|personal_|evm_|anvil_|hardhat_(?!metadata)|debug_setHead)/;

/** Serves `chain` as standard JSON-RPC over HTTP (single and batch requests), read-only. */
export async function serveJsonRpc(chain: EdrChain, host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const answer = async (req: { id?: unknown; method?: unknown; params?: unknown[] }): Promise<object> => {
    const id = req.id ?? null;
    if (typeof req.method !== 'string') return { jsonrpc: '2.0', id, error: { code: -32600, message: 'invalid request' } };
    if (WRITE_METHOD.test(req.method)) {
      return { jsonrpc: '2.0', id, error: { code: -32601, message: `${req.method} is not allowed: the bridge's embedded chain is read-only over RPC` } };
    }
    try {
      return { jsonrpc: '2.0', id, result: await chain.request({ method: req.method, params: req.params ?? [] }) };
    } catch (e) {
      const err = e as RpcError;
      return { jsonrpc: '2.0', id, error: { code: err.code ?? -32603, message: err.message, data: err.data } };
    }
  };
  const server = http.createServer((req, res) => {
    // CORS preflight of a browser's JSON POST (the verifier page, wallets): anyone may read this read-only chain.
    // Access-Control-Allow-Private-Network: Chromium's Private Network Access asks it of pages outside the loopback.
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'content-type',
        'access-control-allow-private-network': 'true',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1 << 20) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      void (async () => {
        let out: unknown;
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
          out = Array.isArray(body) ? await Promise.all(body.map(answer)) : await answer(body as never);
        } catch {
          out = { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } };
        }
        res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
        res.end(JSON.stringify(out));
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new Error(`embedded chain: cannot serve JSON-RPC on ${host}:${port} (${e.code ?? e.message})`)));
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
