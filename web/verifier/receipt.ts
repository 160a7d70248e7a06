/**
 * `fhir-anchor-receipt/1` in the browser: the same rules as bridge/anchor/receipt.ts (exact field set, strict hex)
 * and bridge/anchor/merkle.ts (OpenZeppelin StandardMerkleTree over `(bytes32 bundleHash, bytes32 salt)`), written
 * without ethers. test/unit/web/verifier-receipt.test.ts checks both against the bridge's own code.
 */
import { concatBytes } from '@noble/hashes/utils';
import { fromHex, keccak, parseAddress, toHex } from './abi';

export const RECEIPT_VERSION = 'fhir-anchor-receipt/1';
export const BUNDLE_CANONICALIZATION = 'http://hl7.org/fhir/canonicalization/json#document';

export interface Receipt {
  version: typeof RECEIPT_VERSION;
  bundleHash: string;
  canonicalization: typeof BUNDLE_CANONICALIZATION;
  salt: string;
  proof: string[];
  batchId: string;
  root: string;
  leafCount: number;
  chainId: number;
  contract: string;
  txHash: string;
  blockNumber: number;
}

const FIELDS = ['version', 'bundleHash', 'canonicalization', 'salt', 'proof', 'batchId', 'root', 'leafCount', 'chainId', 'contract', 'txHash', 'blockNumber'];
const HASH = /^0x[0-9a-f]{64}$/;

function hash(v: unknown, field: string): string {
  if (typeof v !== 'string' || !HASH.test(v)) throw new Error(`receipt.${field} must be 0x + 64 lower-case hex digits`);
  return v;
}
function count(v: unknown, field: string, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new Error(`receipt.${field} must be an integer ≥ ${min}`);
  return v;
}

/** Validates an untrusted JSON value as a receipt; throws with the first problem. */
export function parseReceipt(value: unknown): Receipt {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('receipt must be a JSON object');
  const r = value as Record<string, unknown>;
  const extra = Object.keys(r).filter((k) => !FIELDS.includes(k));
  if (extra.length) throw new Error(`receipt has unknown field(s): ${extra.join(', ')}`);
  if (r.version !== RECEIPT_VERSION) throw new Error(`receipt.version must be "${RECEIPT_VERSION}"`);
  if (r.canonicalization !== BUNDLE_CANONICALIZATION) throw new Error(`receipt.canonicalization must be "${BUNDLE_CANONICALIZATION}"`);
  if (!Array.isArray(r.proof)) throw new Error('receipt.proof must be an array');
  let contract: string;
  try {
    contract = parseAddress(String(r.contract));
  } catch {
    throw new Error('receipt.contract must be an address');
  }
  return {
    version: RECEIPT_VERSION,
    bundleHash: hash(r.bundleHash, 'bundleHash'),
    canonicalization: BUNDLE_CANONICALIZATION,
    salt: hash(r.salt, 'salt'),
    proof: r.proof.map((p, i) => hash(p, `proof[${i}]`)),
    batchId: hash(r.batchId, 'batchId'),
    root: hash(r.root, 'root'),
    leafCount: count(r.leafCount, 'leafCount', 1),
    chainId: count(r.chainId, 'chainId', 1),
    contract,
    txHash: hash(r.txHash, 'txHash'),
    blockNumber: count(r.blockNumber, 'blockNumber', 0),
  };
}

/** StandardMerkleTree leaf of `(bytes32, bytes32)`: keccak256(keccak256(abi.encode(bundleHash, salt))). */
export function receiptLeaf(bundleHash: string, salt: string): string {
  return toHex(keccak(keccak(concatBytes(fromHex(bundleHash), fromHex(salt)))));
}

/** The root the proof folds to from the leaf: OpenZeppelin MerkleProof, keccak256 of each sorted pair. */
export function receiptRoot(leaf: string, proof: readonly string[]): string {
  return proof.reduce((a, b) => {
    const [x, y] = a <= b ? [a, b] : [b, a];
    return toHex(keccak(concatBytes(fromHex(x), fromHex(y))));
  }, leaf.toLowerCase());
}
