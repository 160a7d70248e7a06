/**
 * Who reads patient data: a clinic (its own records, others' under consent or break-glass) or the patient themself
 * (every record of their own person, at every clinic, whatever the clinics' consents say). Every read, search and pull
 * of bridge/access takes a Reader, so the clinic and the patient paths share one policy and one audit: a clinic is
 * audited as `clinicId`, a patient as `clinicId: null, agent: {kind: 'patient', accountId}` (model/audit.ts).
 */
import type { AuditRecord } from './types';
import { actingClinic, Session } from './session';

export type Reader = { kind: 'clinic'; clinicId: string } | { kind: 'patient'; accountId: string; personId: string; patientId: string };

export type PatientReader = Extract<Reader, { kind: 'patient' }>;

/** The reader a session reads as; 403 (actingClinic) for a session that is neither a clinic nor a patient (the admin). */
export function readerOf(session: Session): Reader {
  const p = session.principal;
  if (p.kind === 'patient') return { kind: 'patient', accountId: p.accountId, personId: p.personId, patientId: p.patientId };
  return { kind: 'clinic', clinicId: actingClinic(session) };
}

/** A clinic id stands for that clinic (the form every clinic-only caller of the audit helpers passes). */
export const asReader = (by: string | Reader): Reader => (typeof by === 'string' ? { kind: 'clinic', clinicId: by } : by);

/** The agent fields of an audit record written for `by` (a clinic's records keep exactly the form they had). */
export function auditedAs(by: string | Reader): Pick<AuditRecord, 'clinicId' | 'agent'> {
  const r = asReader(by);
  return r.kind === 'clinic' ? { clinicId: r.clinicId } : { clinicId: null, agent: { kind: 'patient', accountId: r.accountId } };
}
