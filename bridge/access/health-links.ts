/**
 * SMART Health Links (HL7 SMART Health Cards and Links IG STU1, links-specification.html): a signed-in patient shares
 * their International Patient Summary with someone who has no account (a clinic abroad), by a `shlink:/` URI or its QR.
 *
 * Design choice (the IG allows either): the IPS is built once, when the link is made, from the patient's own records
 * at every clinic, and encrypted at once with a fresh 32-byte key (JWE dir/A256GCM, cty application/fhir+json). The
 * key goes into the `shlink:/` payload and is never stored, so the bridge keeps no way to read the snapshot and the
 * link's `shlink:/` can be shown only once (in the creation answer). The summary is therefore the one of the moment of
 * sharing (`status: finalized`, no `L` flag); a patient wanting a newer one makes a new link. Keeping the key (even
 * encrypted under a bridge secret) to regenerate the IPS at every access was rejected: a database and that secret
 * together would then disclose every shared summary.
 *
 * Public side: `POST <manifest url>` {recipient, passcode?, embeddedLengthMax?} → the manifest (files[] with either the
 * JWE `embedded` or a single-use `location` valid 10 minutes, the IG allows at most one hour), 401 {remainingAttempts}
 * for a wrong passcode (a lifetime count: the link is disabled when it reaches 0), 404 for an unknown, expired,
 * revoked or disabled link (one answer for all). Every manifest and file access is audited (clinicId null, agent
 * health-link with the recipient's self-given name), refusals of a known link included; the creation is audited as
 * the patient's own summary read.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { argon2id, argon2Verify } from 'hash-wasm';
import { outcomes } from '../fhir/outcome';
import { isBridgeId } from '../model/ids';
import { encryptShlFile, newShlKey } from '../shl/jwe';
import { encodeShlink, flagString, LABEL_MAX, MANIFEST_URL_MAX, type ShlFlag } from '../shl/payload';
import { inTransaction, type Tx } from '../store/db';
import {
  accountHealthLinks,
  countHealthLinkAccess,
  countWrongPasscode,
  type HealthLinkSummary,
  insertHealthLink,
  insertHealthLinkTicket,
  type LockedHealthLink,
  lockHealthLinkByManifest,
  redeemHealthLinkTicket,
  revokeHealthLink,
} from '../store/health-links';
import { audit } from './audit';
import { auditedAs } from './reader';
import { personSummary } from './pulls';
import { checkScope } from './scope-check';
import type { AccessServices } from './services';
import { actingPatient, type Session } from './session';

/** Wrong passcodes a link survives in its lifetime (the IG: SHALL enforce a total lifetime count). */
export const SHL_PASSCODE_ATTEMPTS = 5;
export const SHL_DEFAULT_DAYS = 30;
export const SHL_MAX_DAYS = 365;
/** Life of a manifest's `files.location` URL (the IG: SHALL NOT exceed one hour); each is single-use. */
export const SHL_FILE_TTL_SECONDS = 600;
export const SHL_DEFAULT_LABEL = 'International Patient Summary';
const RECIPIENT_MAX = 200;
const PASSCODE_MIN = 4;
const PASSCODE_MAX = 128;
const DAY_MS = 86_400_000;
/** Manifest ids and file tickets: 32 random bytes base64url (256 bits of entropy, as the IG asks of the manifest URL). */
const SECRET = /^[A-Za-z0-9_-]{43}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
export const IPS_CONTENT_TYPE = 'application/fhir+json';

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
const newSecret = (): string => randomBytes(32).toString('base64url');
/** Argon2id at OWASP's minimum (19 MiB, 2 passes, 1 lane): a short passcode's hash is costly to search offline. */
const hashPasscode = (passcode: string): Promise<string> =>
  argon2id({ password: passcode, salt: randomBytes(16), parallelism: 1, iterations: 2, memorySize: 19_456, hashLength: 32, outputType: 'encoded' });

export interface HealthLinkRequest {
  label: string;
  passcode?: string;
  /** Epoch seconds (the payload's `exp`). */
  exp: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function refuseUnknown(body: Record<string, unknown>, allowed: string[], what: string): void {
  const extra = Object.keys(body).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw outcomes.notSupported(`${what} does not take "${extra.slice(0, 40)}"; it takes ${allowed.join(', ')}`, extra.slice(0, 40));
}

/** `POST /shl` body {label?, passcode?, expiresAt?} checked (400 naming the member); expiry defaults to 30 days. Pure. */
export function parseHealthLinkRequest(body: unknown, now: Date): HealthLinkRequest {
  if (body === undefined || body === null) body = {};
  if (!isObject(body)) throw outcomes.structure('send a JSON object {label?, passcode?, expiresAt?}');
  refuseUnknown(body, ['label', 'passcode', 'expiresAt'], 'a Health Link request');
  const { label, passcode, expiresAt } = body;
  // The IG: a label of at most 80 characters (counted as Unicode code points, after trimming).
  if (label !== undefined && (typeof label !== 'string' || !label.trim() || CONTROL.test(label) || [...label.trim()].length > LABEL_MAX)) {
    throw outcomes.invalid(`label must be a non-empty text of at most ${LABEL_MAX} characters (SMART Health Links)`, 'label');
  }
  if (passcode !== undefined && (typeof passcode !== 'string' || passcode.length < PASSCODE_MIN || passcode.length > PASSCODE_MAX)) {
    throw outcomes.invalid(`passcode must be a text of ${PASSCODE_MIN} to ${PASSCODE_MAX} characters`, 'passcode');
  }
  let expires = new Date(now.getTime() + SHL_DEFAULT_DAYS * DAY_MS);
  if (expiresAt !== undefined) {
    // An instant with its time zone (FHIR instant / RFC 3339), so the expiry means one moment everywhere.
    const ok = typeof expiresAt === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(expiresAt);
    expires = new Date(ok ? expiresAt : NaN);
    if (Number.isNaN(expires.getTime())) throw outcomes.invalid('expiresAt must be an instant with a time zone, e.g. 2026-12-31T23:00:00Z', 'expiresAt');
    if (expires.getTime() <= now.getTime()) throw outcomes.invalid('expiresAt must be in the future', 'expiresAt');
    if (expires.getTime() > now.getTime() + SHL_MAX_DAYS * DAY_MS) throw outcomes.invalid(`expiresAt may be at most ${SHL_MAX_DAYS} days ahead`, 'expiresAt');
  }
  return {
    label: typeof label === 'string' ? label.trim() : SHL_DEFAULT_LABEL,
    ...(passcode !== undefined ? { passcode } : {}),
    exp: Math.floor(expires.getTime() / 1000),
  };
}

export interface ManifestRequest {
  recipient: string;
  passcode?: string;
  embeddedLengthMax?: number;
}

/** The manifest request body of the IG {recipient, passcode?, embeddedLengthMax?} checked (400 naming the member). Pure. */
export function parseManifestRequest(body: unknown): ManifestRequest {
  if (!isObject(body)) throw outcomes.structure('send the SMART Health Link manifest request as a JSON object {recipient, passcode?, embeddedLengthMax?}');
  const { recipient, passcode, embeddedLengthMax } = body;
  if (typeof recipient !== 'string' || !recipient.trim() || recipient.length > RECIPIENT_MAX || CONTROL.test(recipient)) {
    throw outcomes.required(`recipient is required: who opens the link (e.g. the clinic's name), at most ${RECIPIENT_MAX} characters`, 'recipient');
  }
  if (passcode !== undefined && (typeof passcode !== 'string' || passcode.length > PASSCODE_MAX)) throw outcomes.invalid('passcode must be a text', 'passcode');
  if (embeddedLengthMax !== undefined && !(Number.isSafeInteger(embeddedLengthMax) && (embeddedLengthMax as number) >= 0)) {
    throw outcomes.invalid('embeddedLengthMax must be a non-negative integer', 'embeddedLengthMax');
  }
  return {
    recipient: recipient.trim(),
    ...(passcode !== undefined ? { passcode } : {}),
    ...(embeddedLengthMax !== undefined ? { embeddedLengthMax: embeddedLengthMax as number } : {}),
  };
}

export interface HealthLinkCreated {
  id: string;
  /** `shlink:/…`: shown once (the key in it is not kept by the bridge). */
  shlink: string;
  /** `<origin>/shl/view#shlink:/…` (the fragment never reaches a server). */
  viewerUrl: string;
  createdAt: string;
  expiresAt: string;
  hasPasscode: boolean;
  label: string;
}

/** The manifest URL of a manifest id (the IG: at most 128 characters). */
export function manifestUrl(origin: string, manifestId: string): string {
  const url = `${origin}/shl/manifest/${manifestId}`;
  if (url.length > MANIFEST_URL_MAX) throw outcomes.internal('the public base URL is too long for a SMART Health Link manifest URL (128 characters at most)');
  return url;
}

/**
 * `POST /shl`: the patient's IPS (own records at every clinic) encrypted for a new link; answers the `shlink:/` once.
 * Needs read on every type (patient/*.r), as $summary does.
 */
export async function createHealthLink(svc: AccessServices, session: Session, body: unknown, origin: string): Promise<HealthLinkCreated> {
  const me = actingPatient(session);
  await checkScope(svc, session, '*', 'read');
  const req = parseHealthLinkRequest(body, new Date());
  const summary = await personSummary(svc, me.personId, me.patientId);
  if (!summary) throw outcomes.notFound('no records of yours are known to the bridge');
  const key = newShlKey();
  const manifestId = newSecret();
  const url = manifestUrl(origin, manifestId);
  const fileJwe = await encryptShlFile(JSON.stringify(summary.bundle), key, IPS_CONTENT_TYPE);
  const id = randomUUID();
  const expiresAt = new Date(req.exp * 1000).toISOString();
  const patientIds = summary.access.patients.map((p) => p.patientId);
  const { createdAt } = await inTransaction(svc.db, async (tx) => {
    const row = await insertHealthLink(tx, {
      id,
      accountId: me.accountId,
      manifestHash: sha256(manifestId),
      label: req.label,
      passcodeHash: req.passcode !== undefined ? await hashPasscode(req.passcode) : null,
      attemptsLeft: req.passcode !== undefined ? SHL_PASSCODE_ATTEMPTS : null,
      expiresAt,
      patientIds,
      resourceTypes: summary.resourceTypes,
      fileJwe,
    });
    await audit(tx, {
      ...auditedAs(me),
      action: 'summary',
      outcome: 'success',
      personId: me.personId,
      patientIds,
      resourceTypes: summary.resourceTypes,
      detail: 'SMART Health Link created: the summary was encrypted for the link',
    });
    return row;
  });
  const flags: ShlFlag[] = req.passcode !== undefined ? ['P'] : [];
  const shlink = encodeShlink({ url, key, exp: req.exp, flag: flagString(flags), label: req.label });
  return { id, shlink, viewerUrl: `${origin}/shl/view#${shlink}`, createdAt, expiresAt, hasPasscode: req.passcode !== undefined, label: req.label };
}

export interface HealthLinkInfo {
  id: string;
  label: string | null;
  createdAt: string;
  expiresAt: string;
  status: 'active' | 'expired' | 'revoked' | 'disabled';
  revokedAt: string | null;
  hasPasscode: boolean;
  /** Wrong passcodes still allowed (null without passcode). */
  passcodeAttemptsLeft: number | null;
  accessCount: number;
  lastAccessAt: string | null;
}

const info = (l: HealthLinkSummary): HealthLinkInfo => ({
  id: l.id,
  label: l.label,
  createdAt: l.createdAt,
  expiresAt: l.expiresAt,
  status: l.revokedAt ? 'revoked' : l.disabledAt ? 'disabled' : l.expired ? 'expired' : 'active',
  revokedAt: l.revokedAt,
  hasPasscode: l.hasPasscode,
  passcodeAttemptsLeft: l.attemptsLeft,
  accessCount: l.accessCount,
  lastAccessAt: l.lastAccessAt,
});

/** `GET /shl`: the patient's own links, newest first. */
export async function listHealthLinks(svc: AccessServices, session: Session): Promise<HealthLinkInfo[]> {
  const me = actingPatient(session);
  return (await accountHealthLinks(svc.db, me.accountId)).map(info);
}

/** `DELETE /shl/{id}`: revokes one of the patient's links; another patient's link answers the 404 of an unknown id. */
export async function revokeHealthLinkOf(svc: AccessServices, session: Session, id: string): Promise<void> {
  const me = actingPatient(session);
  const done = isBridgeId(id) ? await inTransaction(svc.db, (tx) => revokeHealthLink(tx, me.accountId, id)) : 'unknown';
  if (done === 'unknown') throw outcomes.notFound(`Health Link ${id.slice(0, 64)} is not known`);
}

/** One file of a manifest (the IG's ShlManifest `files[]` entry). */
export interface ManifestFile {
  contentType: string;
  embedded?: string;
  location?: string;
  lastUpdated: string;
  status: 'finalized';
  fhirVersion: '4.0.1';
}

export type ManifestAnswer = { kind: 'manifest'; manifest: { files: ManifestFile[] } } | { kind: 'passcode'; remainingAttempts: number };

/** The one answer for an unknown, expired, revoked or disabled link (the IG: 404 when no longer active). */
const inactive = () => outcomes.notFound('this SMART Health Link is not active (unknown, expired or revoked)');

const linkAgent = (linkId: string, recipient: string) => ({ kind: 'health-link' as const, linkId, recipient });

function auditLinkRefusal(tx: Tx, l: LockedHealthLink, recipient: string, why: string): Promise<unknown> {
  return audit(tx, {
    clinicId: null,
    agent: linkAgent(l.id, recipient),
    action: 'refused',
    outcome: 'refused',
    personId: l.personId,
    patientIds: l.patientIds,
    resourceTypes: l.resourceTypes,
    detail: `summary refused: ${why}`,
  });
}

/**
 * `POST /shl/manifest/{manifestId}`. The link row is locked for the request, so parallel wrong passcodes are counted
 * one after the other (the IG's design note on monitoring remaining attempts). `fileUrl` builds a `location` from a ticket.
 */
export async function openManifest(svc: AccessServices, manifestId: string, body: unknown, fileUrl: (ticket: string) => string): Promise<ManifestAnswer> {
  const req = parseManifestRequest(body);
  if (!SECRET.test(manifestId)) throw inactive();
  const answer = await inTransaction(svc.db, async (tx): Promise<ManifestAnswer | null> => {
    const l = await lockHealthLinkByManifest(tx, sha256(manifestId));
    if (!l) return null;
    if (l.state !== 'active' || !l.personId || !l.fileJwe) {
      await auditLinkRefusal(tx, l, req.recipient, `the SMART Health Link is ${l.state === 'active' ? 'no longer available' : l.state}`);
      return null;
    }
    if (l.passcodeHash) {
      if (req.passcode === undefined) {
        await auditLinkRefusal(tx, l, req.recipient, 'no passcode given');
        return { kind: 'passcode', remainingAttempts: l.attemptsLeft ?? 0 };
      }
      if (!(await argon2Verify({ password: req.passcode, hash: l.passcodeHash }))) {
        const left = await countWrongPasscode(tx, l.id);
        await auditLinkRefusal(tx, l, req.recipient, `wrong passcode (${left} attempts left${left === 0 ? ': the link is disabled' : ''})`);
        return { kind: 'passcode', remainingAttempts: left };
      }
    }
    const embed = req.embeddedLengthMax !== undefined && l.fileJwe.length <= req.embeddedLengthMax;
    const file: ManifestFile = { contentType: IPS_CONTENT_TYPE, lastUpdated: l.createdAt, status: 'finalized', fhirVersion: '4.0.1' };
    if (embed) file.embedded = l.fileJwe;
    else {
      const ticket = newSecret();
      await insertHealthLinkTicket(tx, { tokenHash: sha256(ticket), linkId: l.id, recipient: req.recipient, ttlSeconds: SHL_FILE_TTL_SECONDS });
      file.location = fileUrl(ticket);
    }
    await countHealthLinkAccess(tx, l.id);
    await audit(tx, {
      clinicId: null,
      agent: linkAgent(l.id, req.recipient),
      action: 'summary',
      outcome: 'success',
      personId: l.personId,
      patientIds: l.patientIds,
      resourceTypes: l.resourceTypes,
      detail: embed ? 'SMART Health Link opened: manifest with the summary embedded' : 'SMART Health Link opened: manifest with a file location',
    });
    return { kind: 'manifest', manifest: { files: [file] } };
  });
  if (!answer) throw inactive();
  return answer;
}

/** `GET /shl/file/{ticket}`: the encrypted IPS (compact JWE) for a live, unused ticket of an active link; else 404. */
export async function openFile(svc: AccessServices, ticket: string): Promise<string> {
  if (!SECRET.test(ticket)) throw outcomes.notFound('this file location is not valid (unknown, used or expired): request the manifest again');
  const jwe = await inTransaction(svc.db, async (tx) => {
    const t = await redeemHealthLinkTicket(tx, sha256(ticket));
    if (!t || !t.personId) return null;
    await audit(tx, {
      clinicId: null,
      agent: linkAgent(t.linkId, t.recipient),
      action: 'summary',
      outcome: 'success',
      personId: t.personId,
      patientIds: t.patientIds,
      resourceTypes: t.resourceTypes,
      detail: 'SMART Health Link file downloaded',
    });
    return t.fileJwe;
  });
  if (!jwe) throw outcomes.notFound('this file location is not valid (unknown, used or expired): request the manifest again');
  return jwe;
}
