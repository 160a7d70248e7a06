/**
 * The few Ethereum encodings the verifier needs, by hand (no ethers in the page): keccak-256, Solidity ABI words for
 * static arguments (bytes32, uintN, address), function selectors, and EIP-55 address checksums.
 */
import { keccak_256 } from '@noble/hashes/sha3';

const HEX = /^0x[0-9a-fA-F]*$/;

export function toHex(b: Uint8Array): string {
  let s = '0x';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(s: string): Uint8Array {
  if (!HEX.test(s) || s.length % 2) throw new Error(`not hex: ${s.slice(0, 20)}`);
  const out = new Uint8Array((s.length - 2) / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 + 2 * i, 4 + 2 * i), 16);
  return out;
}

export const keccak = (b: Uint8Array): Uint8Array => keccak_256(b);
export const keccakHex = (b: Uint8Array): string => toHex(keccak_256(b));
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** 4-byte selector of a canonical signature such as `rootOf(bytes32)` (Solidity ABI spec, "Function Selector"). */
export const selector = (signature: string): string => keccakHex(utf8(signature)).slice(0, 10);

/** One 32-byte ABI word (no 0x) of a static argument: bytes32 as is, an unsigned integer or address left-padded. */
export function word(type: string, value: string | number | bigint): string {
  if (type === 'bytes32') {
    if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(value)) throw new Error('bytes32 must be 0x + 64 hex digits');
    return value.slice(2).toLowerCase();
  }
  if (type === 'address') {
    if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value)) throw new Error('address must be 0x + 40 hex digits');
    return value.slice(2).toLowerCase().padStart(64, '0');
  }
  const bits = /^uint(\d+)$/.exec(type)?.[1];
  if (bits) {
    const n = BigInt(value);
    if (n < 0n || n >= 1n << BigInt(bits)) throw new Error(`${value} does not fit ${type}`);
    return n.toString(16).padStart(64, '0');
  }
  throw new Error(`unsupported ABI type ${type}`);
}

/** Call data of `name(types…)` with static arguments. */
export function callData(signature: string, types: readonly string[], args: readonly (string | number | bigint)[]): string {
  return selector(signature) + types.map((t, i) => word(t, args[i])).join('');
}

/** EIP-55 mixed-case checksum form of a 20-byte address. */
export function checksumAddress(address: string): string {
  const lower = address.slice(2).toLowerCase();
  const h = keccakHex(utf8(lower)).slice(2);
  let out = '0x';
  for (let i = 0; i < 40; i++) out += parseInt(h[i], 16) >= 8 ? lower[i].toUpperCase() : lower[i];
  return out;
}

/** The address in EIP-55 form; throws when it is not 20 bytes of hex, or mixed case with a wrong checksum. */
export function parseAddress(s: string): string {
  const a = s.trim();
  if (!/^0x[0-9a-fA-F]{40}$/.test(a)) throw new Error('an address is 0x + 40 hex digits');
  const sum = checksumAddress(a);
  const body = a.slice(2);
  if (body !== body.toLowerCase() && body !== body.toUpperCase() && a !== sum) throw new Error('the address has a wrong EIP-55 checksum (mistyped?)');
  return sum;
}
