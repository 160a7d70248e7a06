/**
 * The SMART Health Link URI (HL7 SMART Health Cards and Links IG STU1, links-specification.html, "Construct a SMART
 * Health Link Payload"): a minified JSON payload {url, key, exp?, flag?, label?, v?}, base64url-encoded and prefixed
 * with `shlink:/`, optionally behind a viewer URL ending in `#` (the fragment never reaches a server). Pure.
 */

export const SHLINK_PREFIX = 'shlink:/';
/** The IG: `label` SHALL be no longer than 80 characters; the manifest `url` SHALL NOT exceed 128 characters. */
export const LABEL_MAX = 80;
export const MANIFEST_URL_MAX = 128;

/**
 * Flags, concatenated in alphabetical order: `L` long-term (manifest content may evolve), `P` passcode required,
 * `U` the url is a single file fetched with GET (SHALL NOT be combined with P).
 */
export type ShlFlag = 'L' | 'P' | 'U';

export interface ShlPayload {
  /** Manifest URL (at least 256 bits of entropy, at most 128 characters). */
  url: string;
  /** 32 random bytes, base64url (43 characters): the A256GCM key of the files. */
  key: string;
  /** Expiry in epoch seconds (a hint to the receiver; the server enforces it). */
  exp?: number;
  flag?: string;
  label?: string;
  v?: number;
}

/** The flag string of a set of flags: sorted, each once, `undefined` when empty. */
export function flagString(flags: Iterable<ShlFlag>): string | undefined {
  const s = [...new Set(flags)].sort().join('');
  if (s.includes('P') && s.includes('U')) throw new Error('the U flag SHALL NOT be combined with P');
  return s || undefined;
}

/** `shlink:/…` for a payload (properties in the IG's order, absent ones left out). */
export function encodeShlink(p: ShlPayload): string {
  const ordered: ShlPayload = {
    url: p.url,
    key: p.key,
    ...(p.exp !== undefined ? { exp: p.exp } : {}),
    ...(p.flag ? { flag: p.flag } : {}),
    ...(p.label !== undefined ? { label: p.label } : {}),
    ...(p.v !== undefined ? { v: p.v } : {}),
  };
  return SHLINK_PREFIX + Buffer.from(JSON.stringify(ordered), 'utf8').toString('base64url');
}

const KEY = /^[A-Za-z0-9_-]{43}$/;

/**
 * The payload of `shlink:/…` or of a viewer URL `https://viewer.example/…#shlink:/…`. Throws on anything else: no
 * `shlink:/`, payload not base64url JSON, `url` not http(s), `key` not 32 bytes base64url, a `v` other than 1 (a
 * receiver SHOULD NOT proceed with a version it does not know).
 */
export function decodeShlink(link: string): ShlPayload {
  const at = link.indexOf(SHLINK_PREFIX);
  if (at < 0 || (at > 0 && link[at - 1] !== '#')) throw new Error('not a SMART Health Link (no shlink:/ at the start or after #)');
  const encoded = link.slice(at + SHLINK_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) throw new Error('the SMART Health Link payload is not base64url');
  let p: unknown;
  try {
    p = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw new Error('the SMART Health Link payload is not JSON');
  }
  const o = p as Partial<ShlPayload> | null;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error('the SMART Health Link payload is not a JSON object');
  if (typeof o.url !== 'string' || !/^https?:\/\//.test(o.url)) throw new Error('the SMART Health Link payload has no http(s) url');
  if (typeof o.key !== 'string' || !KEY.test(o.key)) throw new Error('the SMART Health Link key is not 32 bytes base64url');
  if (o.exp !== undefined && typeof o.exp !== 'number') throw new Error('the SMART Health Link exp is not a number');
  if (o.flag !== undefined && typeof o.flag !== 'string') throw new Error('the SMART Health Link flag is not a string');
  if (o.label !== undefined && typeof o.label !== 'string') throw new Error('the SMART Health Link label is not a string');
  if (o.v !== undefined && o.v !== 1) throw new Error(`SMART Health Link version ${String(o.v)} is not supported`);
  return o as ShlPayload;
}

/** The flags of a payload as a set (unknown flags kept: a receiver ignores those it does not know). */
export const payloadFlags = (p: ShlPayload): Set<string> => new Set((p.flag ?? '').split('').filter(Boolean));
