/**
 * What an admin (the bridge's admin token, or the CLI on the database) may change: clinics and their API keys,
 * emergency access, SMART clients, person links. Every operation takes the admin session (a clinic's is refused,
 * 403); each change runs in one transaction with its audit record (clinicId null: an admin act), so a change is never
 * missing from the trail.
 */
import {
  Clinic,
  ClinicKey,
  createClinic as storeCreateClinic,
  findClinic,
  KeyActor,
  listClinicKeys,
  listClinics as storeListClinics,
  lockClinic,
  revokeClinicKeys,
  rotateClinicKey,
} from '../store/clinics';
import { setBreakGlass as storeSetBreakGlass } from '../store/break-glass';
import { Db, inTransaction } from '../store/db';
import { Candidate, confirmCandidate, listCandidates, rejectCandidate, unlinkPatient } from '../store/person-links';
import { JwksSource, setSmartClient as storeSetSmartClient } from '../store/smart';
import { outcomes } from '../fhir/outcome';
import { audit } from './audit';
import { actingAdmin, Session } from './session';

export type { Clinic, ClinicKey, KeyActor } from '../store/clinics';
export type { JwksSource } from '../store/smart';
export type { Candidate } from '../store/person-links';

/** What admin actions need: the database (the app's AccessServices, or `{ db }` from the CLI). */
export type AdminDeps = { readonly db: Db };

/** Creates a clinic and its first API key (returned once). */
export async function createClinic({ db }: AdminDeps, session: Session, name: string): Promise<Clinic & { apiKey: string; keyId: string }> {
  actingAdmin(session);
  return storeCreateClinic(db, name);
}

export async function listClinics({ db }: AdminDeps, session: Session): Promise<Clinic[]> {
  actingAdmin(session);
  return storeListClinics(db);
}

/** The clinic's API keys (ids and dates, never the keys); null when the clinic is unknown. */
export async function clinicKeys({ db }: AdminDeps, session: Session, clinicId: string): Promise<ClinicKey[] | null> {
  actingAdmin(session);
  return (await findClinic(db, clinicId)) ? listClinicKeys(db, clinicId) : null;
}

/** Rotates a clinic's key and audits it, in one transaction; null when the clinic is unknown. */
export async function rotateKey(
  { db }: AdminDeps,
  session: Session,
  clinicId: string,
  graceSeconds: number,
  via: KeyActor,
): Promise<{ clinicId: string; keyId: string; apiKey: string; revoked: ClinicKey[] } | null> {
  actingAdmin(session);
  return inTransaction(db, async (tx) => {
    if (!(await lockClinic(tx, clinicId))) return null;
    const r = await rotateClinicKey(tx, clinicId, graceSeconds);
    const ends = r.revoked.map((k) => `${k.keyId} until ${k.revokedAt}`).join(', ') || 'none';
    await audit(tx, {
      clinicId: null,
      action: 'key-rotate',
      outcome: 'success',
      detail: `clinic ${clinicId}: key ${r.keyId} issued; revoked ${ends}; via ${via}`,
    });
    return { clinicId, ...r };
  });
}

/**
 * Revokes now one key of a clinic (`keyId`), or all its live keys, and audits it; 'no-clinic' / 'no-key' when
 * unknown. Revoking an already revoked key changes nothing and is not an error (DELETE is idempotent, RFC 9110 §9.2.2).
 */
export async function revokeKey(
  { db }: AdminDeps,
  session: Session,
  clinicId: string,
  keyId: string | undefined,
  via: KeyActor,
): Promise<ClinicKey[] | 'no-clinic' | 'no-key'> {
  actingAdmin(session);
  return inTransaction(db, async (tx) => {
    if (!(await lockClinic(tx, clinicId))) return 'no-clinic';
    const revoked = await revokeClinicKeys(tx, clinicId, keyId);
    if (!revoked) return 'no-key';
    const ids = revoked.map((k) => k.keyId).join(', ') || 'none';
    await audit(tx, {
      clinicId: null,
      action: 'key-revoke',
      outcome: 'success',
      detail: `clinic ${clinicId}: revoked ${ids}${keyId ? '' : ' (all keys)'}; via ${via}`,
    });
    return revoked;
  });
}

/** Enables or disables break-glass for a clinic, audited; false when the clinic is unknown. */
export async function setBreakGlass({ db }: AdminDeps, session: Session, clinicId: string, enabled: boolean, via: KeyActor): Promise<boolean> {
  actingAdmin(session);
  return inTransaction(db, async (tx) => {
    if (!(await storeSetBreakGlass(tx, clinicId, enabled))) return false;
    await audit(tx, {
      clinicId: null,
      action: enabled ? 'break-glass-enable' : 'break-glass-disable',
      outcome: 'success',
      detail: `clinic ${clinicId}: break-glass ${enabled ? 'enabled' : 'disabled'}; via ${via}`,
    });
    return true;
  });
}

/**
 * Registers (or replaces) the clinic's SMART backend client keys; audited like API key changes (action key-rotate),
 * naming the client and key ids, never key material. Null when the clinic is unknown.
 */
export async function setSmartClient({ db }: AdminDeps, session: Session, clinicId: string, source: JwksSource, via: KeyActor): Promise<string | null> {
  actingAdmin(session);
  return inTransaction(db, async (tx) => {
    const clientId = await storeSetSmartClient(tx, clinicId, source);
    if (!clientId) return null;
    const what =
      'jwks' in source
        ? `public keys set (kids ${source.jwks.keys.map((k) => (typeof k.kid === 'string' ? k.kid.slice(0, 64) : '-')).join(',')})`
        : 'JWKS URL set';
    await audit(tx, { clinicId: null, action: 'key-rotate', outcome: 'success', detail: `clinic ${clinicId}: SMART client ${clientId} ${what}; via ${via}` });
    return clientId;
  });
}

/** Likely matches between patient records (status candidate, confirmed, rejected; undefined: all). */
export async function personCandidates({ db }: AdminDeps, session: Session, status: string | undefined, count: number, offset: number): Promise<Candidate[]> {
  actingAdmin(session);
  return listCandidates(db, status, count, offset);
}

/** Confirms a candidate link (the two records become one person), audited. */
export async function confirmLink(
  { db }: AdminDeps,
  session: Session,
  a: string,
  b: string,
): Promise<{ personId: string; mergedPersonId: string | null; patientIds: string[] }> {
  actingAdmin(session);
  return inTransaction(db, async (tx) => {
    const r = await confirmCandidate(tx, a, b);
    if (!r) throw outcomes.notFound(`candidate ${a}/${b} is not known`);
    await audit(tx, {
      clinicId: null,
      action: 'link',
      outcome: 'success',
      personId: r.personId,
      patientIds: r.patientIds,
      detail: r.mergedPersonId ? `person ${r.mergedPersonId} merged` : 'already one person',
    });
    return r;
  });
}

/** Rejects a candidate link, audited. */
export async function rejectLink({ db }: AdminDeps, session: Session, a: string, b: string): Promise<void> {
  actingAdmin(session);
  return inTransaction(db, async (tx) => {
    if (!(await rejectCandidate(tx, a, b))) throw outcomes.notFound(`candidate ${a}/${b} is not known`);
    await audit(tx, { clinicId: null, action: 'reject-link', outcome: 'success', patientIds: [a, b], detail: 'candidate rejected' });
  });
}

/** Unlinks a patient record from its person (it becomes a person of its own), audited. */
export async function unlink(
  { db }: AdminDeps,
  session: Session,
  patientId: string,
): Promise<{ personId: string; formerPersonId: string; formerPatientIds: string[] }> {
  actingAdmin(session);
  return inTransaction(db, async (tx) => {
    const r = await unlinkPatient(tx, patientId);
    if (r === 'unknown') throw outcomes.notFound(`Patient/${patientId} is not known`);
    if (r === 'alone') throw outcomes.conflict(`Patient/${patientId} is the only record of its person`);
    await audit(tx, {
      clinicId: null,
      action: 'unlink',
      outcome: 'success',
      personId: r.formerPersonId,
      patientIds: [patientId, ...r.formerPatientIds],
      detail: `new person ${r.personId}`,
    });
    return r;
  });
}
