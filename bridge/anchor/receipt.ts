import { getAddress, isAddress } from 'ethers';
import { BUNDLE_CANONICALIZATION } from '../fhir/hash';

export const RECEIPT_VERSION = 'fhir-anchor-receipt/1';

/**
 * Everything a verifier needs, besides the bundle and an RPC URL, to prove a bundle was anchored.
 * Hashes are `0x` + 64 lower-case hex digits; `contract` is an EIP-55 address.
 */
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

const FIELDS = [
  'version',
  'bundleHash',
  'canonicalization',
  'salt',
  'proof',
  'batchId',
  'root',
  'leafCount',
  'chainId',
  'contract',
  'txHash',
  'blockNumber',
] as const;
const HASH = /^0x[0-9a-f]{64}$/;

function hash(v: unknown, field: string): string {
  if (typeof v !== 'string' || !HASH.test(v)) throw new Error(`receipt.${field} must be 0x + 64 lower-case hex digits`);
  return v;
}

function count(v: unknown, field: string, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new Error(`receipt.${field} must be an integer ≥ ${min}`);
  return v;
}

/** Validates an untrusted JSON value as a receipt (exact field set, strict formats); throws with the first problem. */
export function parseReceipt(value: unknown): Receipt {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('receipt must be a JSON object');
  const r = value as Record<string, unknown>;
  const extra = Object.keys(r).filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (extra.length) throw new Error(`receipt has unknown field(s): ${extra.join(', ')}`);
  if (r.version !== RECEIPT_VERSION) throw new Error(`receipt.version must be "${RECEIPT_VERSION}"`);
  if (r.canonicalization !== BUNDLE_CANONICALIZATION) throw new Error(`receipt.canonicalization must be "${BUNDLE_CANONICALIZATION}"`);
  if (!Array.isArray(r.proof)) throw new Error('receipt.proof must be an array');
  if (typeof r.contract !== 'string' || !isAddress(r.contract)) throw new Error('receipt.contract must be an address');
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
    contract: getAddress(r.contract),
    txHash: hash(r.txHash, 'txHash'),
    blockNumber: count(r.blockNumber, 'blockNumber', 0),
  };
}

/** Builds a receipt from the batcher's records (normalizes case, then validates). */
export function makeReceipt(fields: Omit<Receipt, 'version' | 'canonicalization' | 'chainId'> & { chainId: number | bigint }): Receipt {
  const lower = (s: string): string => s.toLowerCase();
  return parseReceipt({
    version: RECEIPT_VERSION,
    bundleHash: lower(fields.bundleHash),
    canonicalization: BUNDLE_CANONICALIZATION,
    salt: lower(fields.salt),
    proof: fields.proof.map(lower),
    batchId: lower(fields.batchId),
    root: lower(fields.root),
    leafCount: fields.leafCount,
    chainId: Number(fields.chainId),
    contract: fields.contract,
    txHash: lower(fields.txHash),
    blockNumber: fields.blockNumber,
  });
}
