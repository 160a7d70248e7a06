/** `LOG_WITNESSES` (pure: config.ts reads it). */
import { parseVkey } from './note';

export interface WitnessConfig {
  url: string;
  /** The witness's verifier key (C2SP note key, cosignature type 0x04). */
  vkey: string;
}

/** `LOG_WITNESSES`: comma-separated `<url>=<vkey>` pairs. Throws on a malformed pair. */
export function parseWitnesses(value: string | undefined): WitnessConfig[] {
  if (!value?.trim()) return [];
  return value.split(',').map((pair) => {
    const at = pair.indexOf('=');
    const url = pair.slice(0, at).trim();
    const vkey = pair.slice(at + 1).trim();
    if (at < 0 || !/^https?:\/\/[^\s]+$/.test(url)) throw new Error(`LOG_WITNESSES: "${pair.trim()}" is not <http(s) url>=<vkey>`);
    parseVkey(vkey);
    return { url: url.replace(/\/+$/, ''), vkey };
  });
}
