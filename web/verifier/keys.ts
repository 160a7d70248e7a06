/**
 * Verifier keys the user pastes: C2SP signed-note vkeys (`<name>+<key id>+<base64 type||key>`, the log's and any
 * witnesses'), or the log's bare base64 Ed25519 public key, which is named by the checkpoint's origin (the log's key
 * name is its origin: contract.md "Checkpoint").
 */
import { fromB64 } from '../../bridge/log/bytes';
import { keyId, parseVkey, SIG_ED25519, type VerifierKey } from '../../bridge/log/note';

export function parseKeys(text: string, origin: string): VerifierKey[] {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map((t) => {
      if (/^[A-Za-z0-9+/]{43}=$/.test(t)) {
        const publicKey = fromB64(t);
        return { name: origin, type: SIG_ED25519, keyId: keyId(origin, SIG_ED25519, publicKey), publicKey };
      }
      try {
        return parseVkey(t);
      } catch (e) {
        throw new Error(`“${t.slice(0, 24)}…” is not a verifier key: ${(e as Error).message}`);
      }
    });
}
