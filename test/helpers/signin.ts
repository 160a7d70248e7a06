/**
 * Patients' sign-in for tests: the browser JSON API driven like the portal does (same-origin Origin, JSON, the
 * `fab_signin` cookie kept by hand), a software WebAuthn authenticator (ES256 via node:crypto, attestation "none" and
 * assertions built per W3C Web Authentication Level 3 §6.1, §6.5, §7), and PKCE (RFC 7636).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

export interface AuthAnswer {
  status: number;
  body: any;
  headers: Headers;
  /** The fab_signin cookie value when the answer set one. */
  cookie?: string;
}

/** POST to the sign-in JSON API as the portal would (Origin = the bridge, JSON body, the cookie when given). */
export async function authPost(
  url: string,
  path: string,
  body: unknown,
  o: { cookie?: string; origin?: string | null; contentType?: string; raw?: string } = {},
): Promise<AuthAnswer> {
  const headers: Record<string, string> = { 'content-type': o.contentType ?? 'application/json' };
  if (o.origin !== null) headers.origin = o.origin ?? url;
  if (o.cookie) headers.cookie = `fab_signin=${o.cookie}`;
  const res = await fetch(`${url}${path}`, { method: 'POST', headers, body: o.raw ?? JSON.stringify(body), redirect: 'manual' });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  const set = res.headers.get('set-cookie') ?? '';
  const m = /fab_signin=([^;]*)/.exec(set);
  return { status: res.status, body: parsed, headers: res.headers, cookie: m ? m[1] : undefined };
}

/** A clinic's enrolment code for its Patient record (POST /fhir/Patient/{id}/$enrolment-code). */
export async function enrolmentCode(url: string, apiKey: string, patientId: string): Promise<{ status: number; code?: string; expires?: string; body: any }> {
  const res = await fetch(`${url}/fhir/Patient/${patientId}/$enrolment-code`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` } });
  const body = (await res.json()) as any;
  const p = (name: string): string | undefined =>
    body.parameter?.find((x: { name: string }) => x.name === name)?.[name === 'code' ? 'valueString' : 'valueInstant'];
  return { status: res.status, code: p('code'), expires: p('expires'), body };
}

/** Enrols with a username and password; the sign-in cookie. */
export async function enrolPassword(url: string, code: string, username: string, password: string): Promise<string> {
  const r = await authPost(url, '/auth/enrol/password', { code, username, password });
  if (r.status !== 200 || !r.cookie) throw new Error(`enrolment failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.cookie;
}

// ---- PKCE ----

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

// ---- a software authenticator ----

/** Minimal CBOR (RFC 8949) encoder: unsigned and negative integers, byte and text strings, maps. */
type Cbor = number | string | Uint8Array | Map<Cbor, Cbor>;
function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 256) return Buffer.from([(major << 5) | 24, n]);
  if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  throw new Error('too long');
}
export function cbor(v: Cbor): Buffer {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([head(3, b.length), b]);
  }
  if (v instanceof Uint8Array) return Buffer.concat([head(2, v.length), Buffer.from(v)]);
  const parts: Buffer[] = [head(5, v.size)];
  for (const [k, x] of v) parts.push(cbor(k), cbor(x));
  return Buffer.concat(parts);
}

const sha256 = (b: Buffer | string): Buffer => createHash('sha256').update(b).digest();
const b64u = (b: Buffer): string => b.toString('base64url');

/** A platform authenticator holding one ES256 passkey (resident), as a browser would answer for it. */
export class SoftAuthenticator {
  readonly credentialId = randomBytes(16);
  private readonly key: { privateKey: KeyObject; publicKey: KeyObject } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  private counter = 0;
  private userHandle: string | undefined;

  constructor(private readonly origin: string) {}

  get id(): string {
    return b64u(this.credentialId);
  }

  private authData(rpId: string, flags: number, attested?: Buffer): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(this.counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
  }

  /** navigator.credentials.create(): attestation "none" (§8.7) with the COSE EC2 key (RFC 9053 §7.1). */
  register(options: { challenge: string; rp: { id?: string }; user: { id: string } }, o: { origin?: string; rpId?: string } = {}): unknown {
    const rpId = o.rpId ?? options.rp.id ?? new URL(this.origin).hostname;
    this.userHandle = options.user.id;
    const jwk = this.key.publicKey.export({ format: 'jwk' }) as { x: string; y: string };
    const cose = cbor(
      new Map<Cbor, Cbor>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x, 'base64url')],
        [-3, Buffer.from(jwk.y, 'base64url')],
      ]),
    );
    const idLen = Buffer.alloc(2);
    idLen.writeUInt16BE(this.credentialId.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLen, this.credentialId, cose]);
    const authData = this.authData(rpId, 0x01 | 0x04 | 0x40, attested); // UP, UV, AT
    const clientData = Buffer.from(
      JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin: o.origin ?? this.origin, crossOrigin: false }),
    );
    const attestationObject = cbor(
      new Map<Cbor, Cbor>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: { clientDataJSON: b64u(clientData), attestationObject: b64u(attestationObject), transports: ['internal'] },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** navigator.credentials.get() with a discoverable credential: signature over authData ‖ SHA-256(clientDataJSON) (§6.3.3). */
  assert(options: { challenge: string; rpId?: string }, o: { origin?: string; rpId?: string; tamper?: boolean } = {}): unknown {
    const rpId = o.rpId ?? options.rpId ?? new URL(this.origin).hostname;
    this.counter++;
    const authData = this.authData(rpId, 0x01 | 0x04); // UP, UV
    const clientData = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin: o.origin ?? this.origin, crossOrigin: false }));
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), this.key.privateKey);
    if (o.tamper) signature[signature.length - 1] ^= 1;
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: { clientDataJSON: b64u(clientData), authenticatorData: b64u(authData), signature: b64u(signature), userHandle: this.userHandle },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}
