import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import http from 'node:http';
import { CHECKPOINT_VIEWS } from '../../../bridge/anchor/checkpoint-view';
import { b64, hex } from '../../../bridge/log/bytes';
import { randomSeed, ed25519PublicKey } from '../../../bridge/log/ed25519';
import { documentHash } from '../../../bridge/log/proof';
import { commitment, LOG_FORMAT, type LeafDoc } from '../../../bridge/log/entry';
import { formatCheckpoint, signNote, vkey, type SigningKey } from '../../../bridge/log/note';
import { formatTlogProof, PROOF_VERSION, CONSISTENCY_VERSION, type Proof, type ConsistencyProof } from '../../../bridge/log/proof';
import { consistencyRanges, inclusionRanges, leafHash, rootOf } from '../../../bridge/log/rfc9162';

/** An in-memory log built with the pure core only: documents, leaves, signed checkpoints, proofs. */
export class MemoryLog {
  readonly key: SigningKey;
  readonly vkey: string;
  readonly leaves: LeafDoc[] = [];
  readonly docs: unknown[] = [];

  constructor(readonly origin = `test.example/log-${randomBytes(4).toString('hex')}`) {
    this.key = { name: origin, seed: randomSeed() };
    this.vkey = vkey(origin, ed25519PublicKey(this.key.seed));
  }

  addResource(n: number): number {
    const doc = { resourceType: 'Observation', id: randomUUID(), meta: { versionId: '1' }, status: 'final', valueInteger: n } as const;
    this.docs.push(doc);
    this.leaves.push({
      log: LOG_FORMAT,
      kind: 'resource',
      hash: documentHash('resource', doc),
      salt: '0x' + randomBytes(32).toString('hex'),
      clinic: '00000000-0000-4000-8000-000000000001',
      type: 'Observation',
      id: doc.id,
      version: 1,
    });
    return this.leaves.length - 1;
  }

  hashes(size = this.leaves.length): Uint8Array[] {
    return this.leaves.slice(0, size).map((l) => leafHash(commitment(l)));
  }

  root(size = this.leaves.length): Uint8Array {
    return rootOf(this.hashes(size));
  }

  checkpoint(size = this.leaves.length, key = this.key): string {
    return signNote(formatCheckpoint({ origin: this.origin, size, root: this.root(size) }), key);
  }

  proof(index: number, size = this.leaves.length, anchor: Proof['anchor'] = null): Proof {
    const hs = this.hashes(size);
    const path = inclusionRanges(index, size).map((r) => rootOf(hs, r.start, r.end));
    return { version: PROOF_VERSION, leaf: this.leaves[index], tlogProof: formatTlogProof({ index, proof: path, checkpoint: this.checkpoint(size) }), anchor };
  }

  consistency(m: number, n: number): ConsistencyProof {
    const hs = this.hashes(n);
    return {
      version: CONSISTENCY_VERSION,
      old: this.checkpoint(m),
      new: this.checkpoint(n),
      proof: consistencyRanges(m, n).map((r) => b64(rootOf(hs, r.start, r.end))),
    };
  }
}

/**
 * A JSON-RPC endpoint answering eth_chainId and eth_call of AnchorRegistry's checkpointRoot / latestCheckpoint from a
 * table: unit tests of the CLI's checks without a chain (the real-chain cases are in test/integration/log/).
 */
export async function startRegistryStub(): Promise<{
  url: string;
  roots: Map<string, string>;
  latest: Map<string, { treeSize: number; root: string }>;
  close(): Promise<void>;
}> {
  const roots = new Map<string, string>();
  const latest = new Map<string, { treeSize: number; root: string }>();
  const zero = '0x' + '0'.repeat(64);
  const server: Server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const msg = JSON.parse(body) as { id: number; method: string; params: [{ data: string }] };
      let result: string;
      if (msg.method === 'eth_chainId') result = '0x7a69';
      else {
        const call = CHECKPOINT_VIEWS.parseTransaction({ data: msg.params[0].data })!;
        const logId = (call.args[0] as string).toLowerCase();
        if (call.name === 'checkpointRoot') result = CHECKPOINT_VIEWS.encodeFunctionResult('checkpointRoot', [roots.get(`${logId}/${call.args[1]}`) ?? zero]);
        else {
          const l = latest.get(logId);
          result = CHECKPOINT_VIEWS.encodeFunctionResult('latestCheckpoint', [l?.treeSize ?? 0, l?.root ?? zero, l ? 1 : 0]);
        }
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    roots,
    latest,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export const rootKey = (logId: string, size: number): string => `${logId.toLowerCase()}/${size}`;
export { hex };
