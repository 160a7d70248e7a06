/**
 * A reference SMART Health Links receiving application (HL7 SMART Health Cards and Links IG STU1, "SMART Health Links
 * Receiving Application processes a SMART Health Link"), for a clinic's software and the tests: decode the
 * `shlink:/` (bare or behind a viewer URL's `#`), POST the manifest request {recipient, passcode?, embeddedLengthMax?},
 * take each file embedded or GET its `location` (`application/jose`), decrypt it with the payload's key and parse it.
 * `openInternationalPatientSummary` also checks that the FHIR file is an IPS document Bundle. Nothing but `fetch`.
 *
 *   const ips = await openInternationalPatientSummary(link, { recipient: 'Hospital Clínic, Barcelona', passcode });
 */
import { decryptShlFile } from './jwe';
import { decodeShlink, payloadFlags, type ShlPayload } from './payload';

export interface OpenOptions {
  /** Who opens the link, shown to the patient in their access log (the IG: required). */
  recipient: string;
  /** Needed when the payload's flag has `P`. */
  passcode?: string;
  embeddedLengthMax?: number;
  fetch?: typeof fetch;
}

/** A refusal of the sharing server: its status, and for a wrong passcode the attempts left before the link is disabled. */
export class HealthLinkError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly remainingAttempts?: number,
  ) {
    super(message);
    this.name = 'HealthLinkError';
  }
}

export interface OpenedFile {
  contentType: string;
  /** The decrypted file: parsed JSON for the JSON content types. */
  content: unknown;
}

export interface OpenedLink {
  payload: ShlPayload;
  files: OpenedFile[];
}

interface ManifestJson {
  files?: { contentType?: unknown; embedded?: unknown; location?: unknown }[];
}

/** Opens a SMART Health Link: every file of its manifest, decrypted. Throws HealthLinkError on a refusal or a bad answer. */
export async function openHealthLink(link: string, opts: OpenOptions): Promise<OpenedLink> {
  const payload = decodeShlink(link);
  const http = opts.fetch ?? fetch;
  const flags = payloadFlags(payload);
  if (flags.has('P') && opts.passcode === undefined) throw new HealthLinkError('this SMART Health Link needs a passcode');
  if (payload.exp !== undefined && payload.exp * 1000 < Date.now()) throw new HealthLinkError('this SMART Health Link has expired', 404);
  let encrypted: { contentType: string; jwe: string }[];
  if (flags.has('U')) {
    // The U flag: the url is the one encrypted file, fetched with GET (recipient as a query parameter).
    const res = await http(`${payload.url}${payload.url.includes('?') ? '&' : '?'}recipient=${encodeURIComponent(opts.recipient)}`);
    if (!res.ok) throw new HealthLinkError(`the SMART Health Link file answered ${res.status}`, res.status);
    encrypted = [{ contentType: 'unknown', jwe: await res.text() }];
  } else {
    const res = await http(payload.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        recipient: opts.recipient,
        ...(opts.passcode !== undefined ? { passcode: opts.passcode } : {}),
        ...(opts.embeddedLengthMax !== undefined ? { embeddedLengthMax: opts.embeddedLengthMax } : {}),
      }),
    });
    if (res.status === 401) {
      const body = (await res.json().catch(() => ({}))) as { remainingAttempts?: number };
      throw new HealthLinkError('the passcode is not correct', 401, body.remainingAttempts);
    }
    if (!res.ok) throw new HealthLinkError(`the SMART Health Link manifest answered ${res.status}`, res.status);
    const manifest = (await res.json()) as ManifestJson;
    if (!Array.isArray(manifest.files)) throw new HealthLinkError('the manifest has no files');
    encrypted = [];
    for (const f of manifest.files) {
      const contentType = String(f.contentType);
      if (typeof f.embedded === 'string') encrypted.push({ contentType, jwe: f.embedded });
      else if (typeof f.location === 'string') {
        const file = await http(f.location);
        if (!file.ok) throw new HealthLinkError(`a SMART Health Link file answered ${file.status}`, file.status);
        encrypted.push({ contentType, jwe: await file.text() });
      } else throw new HealthLinkError('a manifest file has neither embedded nor location');
    }
  }
  const files: OpenedFile[] = [];
  for (const f of encrypted) {
    const { contentType, plaintext } = await decryptShlFile(f.jwe.trim(), payload.key);
    const type = contentType ?? f.contentType;
    files.push({ contentType: type, content: /json|smart-health-card|smart-api-access/.test(type) ? JSON.parse(plaintext) : plaintext });
  }
  return { payload, files };
}

const IPS_DOCUMENT = { system: 'http://loinc.org', code: '60591-5' };

/** True when `r` is an IPS document Bundle: type document, first entry a Composition typed LOINC 60591-5. */
export function isIpsBundle(r: unknown): boolean {
  const b = r as {
    resourceType?: string;
    type?: string;
    entry?: { resource?: { resourceType?: string; type?: { coding?: { system?: string; code?: string }[] } } }[];
  };
  const composition = b?.entry?.[0]?.resource;
  return (
    b?.resourceType === 'Bundle' &&
    b.type === 'document' &&
    composition?.resourceType === 'Composition' &&
    !!composition.type?.coding?.some((c) => c.system === IPS_DOCUMENT.system && c.code === IPS_DOCUMENT.code)
  );
}

/** Opens the link and answers its International Patient Summary (the first application/fhir+json file that is one). */
export async function openInternationalPatientSummary(link: string, opts: OpenOptions): Promise<Record<string, unknown>> {
  const { files } = await openHealthLink(link, opts);
  const ips = files.find((f) => f.contentType === 'application/fhir+json' && isIpsBundle(f.content));
  if (!ips) throw new HealthLinkError('the SMART Health Link holds no International Patient Summary');
  return ips.content as Record<string, unknown>;
}
