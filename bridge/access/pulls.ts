/**
 * Pulls of a person's records across clinics as a session: `Patient/{id}/$everything` (FHIR R4 Patient-everything),
 * `Patient/{id}/$summary` (IPS summary operation) and the universal-schema timeline. Access is decided by
 * resolvePersonAccess for a clinic (own records, consent, admitted break-glass) and by patientPersonAccess for a
 * signed-in patient (every record of their own person); every outcome, refusals included, is audited here.
 *
 * Which records a pull discloses is chosen in ONE place, `personAccess` below (a PersonAccess: the patient records
 * and the basis of each); everything, summary and timeline read exactly those. Per-record restrictions (a patient's
 * restricted Consent) belong there, on the PersonAccess it returns.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle } from '@medplum/fhirtypes';
import { everything, EverythingPage, EverythingRequest, type EntryAnnotator } from '../pull/everything';
import { ipsBundle } from '../pull/summary';
import { timeline, Timeline } from '../pull/timeline';
import { personPatients } from '../store/person-links';
import { currentVersions, patientDemographics, summaryFacts, timelineFacts, type SourceVersions } from '../store/pull';
import { withheldGroups } from '../model/sensitivity';
import { accessOptions } from './admission';
import { isMatchHandle } from './handle-access';
import { accessRefused, auditAccess, auditRefusal, patientPersonAccess, resolvePersonAccess } from './person-access';
import { DERIVED_EVENT_NOTE, pageProofAnnotator, proofAnnotator, proofsOfServed } from './proofs';
import { readerOf } from './reader';
import { signSummary, sourceVersions } from './signed-summary';
import { inSnapshot } from '../store/db';
import type { Withheld } from '../model/sensitivity';
import type { AccessServices } from './services';
import type { Session } from './session';
import type { AuditRecord, PersonAccess } from './types';

export { EVERYTHING_DEFAULT_COUNT, EVERYTHING_MAX_COUNT, type EverythingRequest } from '../pull/everything';

/** The records of the person behind `patientId` the session may read; the record asked for must itself be readable. */
async function personAccess(svc: AccessServices, session: Session, patientId: string, action: AuditRecord['action']): Promise<PersonAccess> {
  const reader = readerOf(session);
  const options = { ...accessOptions(session), action };
  if (reader.kind === 'patient') return patientPersonAccess(svc.db, reader, patientId, options);
  const clinicId = reader.clinicId;
  const a = await resolvePersonAccess(svc.db, clinicId, patientId, options);
  // The record asked for must itself be readable, not only another record of the same person.
  // (a match handle: resolvePersonAccess checked the records behind it)
  if (!isMatchHandle(patientId) && !a.patients.some((p) => p.patientId === patientId)) {
    await auditRefusal(svc.db, clinicId, a.personId, [patientId], options);
    throw accessRefused(patientId); // the same 404 as an unknown id
  }
  return a;
}

const disclosed = (svc: AccessServices, session: Session, action: AuditRecord['action'], a: PersonAccess, resourceTypes: string[]): Promise<void> =>
  auditAccess(svc.db, readerOf(session), a, action, { resourceTypes, purpose: session.purpose });

/** One page of `$everything` (links built with `pageUrl`), audited with the types it disclosed. */
export async function everythingOf(
  svc: AccessServices,
  session: Session,
  patientId: string,
  request: EverythingRequest,
  base: string,
  pageUrl: (offset: number) => string,
  opts: { proofs?: false | 'entries' | 'page' } = {},
): Promise<EverythingPage> {
  const a = await personAccess(svc, session, patientId, 'everything');
  const annotate = opts.proofs === 'page' ? pageProofAnnotator(svc) : opts.proofs === 'entries' ? proofAnnotator(svc) : undefined;
  const page = await everything(svc.db, a, request, base, pageUrl, annotate as EntryAnnotator | undefined);
  await disclosed(svc, session, 'everything', a, page.resourceTypes);
  return page;
}

/**
 * The signed IPS document of `patientIds` (its subject `subjectPatientId`, else the first), minus what `withheld`
 * keeps back. Demographics, facts and the versions the entries name are read in ONE snapshot (store/db inSnapshot),
 * so no write committed in between can make an entry name a newer version than the one it was made from.
 */
async function summaryDocument(svc: AccessServices, patientIds: string[], withheld: Withheld[] | undefined, subjectPatientId?: string): Promise<Bundle> {
  const { bundle, versions } = await inSnapshot(svc.db, async (tx) => {
    const patients = await patientDemographics(tx, patientIds);
    const facts = await summaryFacts(tx, patientIds, withheld);
    const subject = patients.find((p) => p.id === subjectPatientId) ?? patients[0];
    const doc = ipsBundle({
      documentId: randomUUID(),
      compositionId: randomUUID(),
      timestamp: new Date().toISOString(),
      patient: subject,
      otherIdentifiers: patients.filter((p) => p !== subject).flatMap((p) => p.identifiers),
      facts,
    });
    return { bundle: doc, versions: svc.verifiableLog ? await sourceVersions(tx, doc) : undefined };
  });
  return signSummary(svc, bundle, versions);
}

const typesOf = (bundle: Bundle): string[] => [...new Set((bundle.entry ?? []).map((e) => e.resource!.resourceType))].sort();

/** The IPS document of the person (its subject the record asked for), audited with the types it disclosed. */
export async function summaryOf(svc: AccessServices, session: Session, patientId: string): Promise<Bundle> {
  const a = await personAccess(svc, session, patientId, 'summary');
  const bundle = await summaryDocument(
    svc,
    a.patients.map((p) => p.patientId),
    withheldGroups(a.patients),
    patientId,
  );
  await disclosed(svc, session, 'summary', a, typesOf(bundle));
  return bundle;
}

/** The universal-schema timeline of the person, audited with the types it disclosed. */
export async function timelineOf(svc: AccessServices, session: Session, patientId: string, opts: { proofs?: boolean } = {}): Promise<Timeline> {
  const a = await personAccess(svc, session, patientId, 'history');
  const patientIds = a.patients.map((p) => p.patientId);
  const named = opts.proofs || !!svc.verifiableLog;
  // Facts and the versions events name, in one snapshot (as summaryDocument): never a version newer than the fact.
  const { patients, facts, versions } = await inSnapshot(svc.db, async (tx) => {
    const patients = await patientDemographics(tx, patientIds);
    const facts = await timelineFacts(tx, patientIds, withheldGroups(a.patients));
    return { patients, facts, versions: named ? await currentVersions(tx, [...new Set(facts.map((f) => f.resourceId))]) : undefined };
  });
  await disclosed(svc, session, 'history', a, [...new Set(facts.map((f) => f.resourceType))].sort());
  const t = timeline(a, patients, facts);
  return versions ? withVersions(svc, t, versions, opts.proofs ?? false) : t;
}

/**
 * Each event names the version of its source resource (`version`), and with `proofs` carries that version's log
 * proof (`proof`, served form `derived`: an event is derived from the resource; one batched `proofs()` call).
 */
async function withVersions(svc: AccessServices, t: Timeline, versions: SourceVersions, proofs: boolean): Promise<Timeline> {
  for (const e of t.events) e.version = versions.get(e.resourceId)?.version ?? null;
  if (!proofs) return t;
  const ids = [...new Set(t.events.filter((e) => e.version !== null).map((e) => e.resourceId))];
  const answers = await proofsOfServed(
    svc,
    ids.map((id) => ({ id, version: versions.get(id)!.version })),
  );
  const byId = new Map(ids.map((id, i) => [id, answers[i]]));
  for (const e of t.events) {
    const a = byId.get(e.resourceId);
    e.proof = a && 'version' in a ? { ...a, served: { form: 'derived', note: DERIVED_EVENT_NOTE } } : (a ?? null);
  }
  return t;
}

/**
 * The IPS document of a person from every record of theirs at every clinic, as the patient sees it (their own records:
 * basis `own`), its subject `subjectPatientId` (else the oldest record); not audited here, the caller audits what it
 * discloses. Used by SMART Health Links (bridge/access/health-links.ts), which share a patient's own summary. Null
 * when the person has no records.
 */
export async function personSummary(
  svc: AccessServices,
  personId: string,
  subjectPatientId?: string,
): Promise<{ bundle: Bundle; access: PersonAccess; resourceTypes: string[] } | null> {
  const records = await personPatients(svc.db, personId);
  if (!records.length) return null;
  const access: PersonAccess = { personId, patients: records.map((p) => ({ patientId: p.patientId, clinicId: p.clinicId, basis: 'own' })) };
  // Signed like $summary: the recipient of a Health Link verifies it against /log/jwks.json.
  const bundle = await summaryDocument(
    svc,
    records.map((p) => p.patientId),
    undefined,
    subjectPatientId,
  );
  return { bundle, access, resourceTypes: typesOf(bundle) };
}
