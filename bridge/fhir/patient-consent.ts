/**
 * Patient-authored Consents (FHIR R4 consent.html) as the bridge evaluates them (pure). Accepted shape:
 * - status `active` (create; `active` or `inactive` on update: `inactive` revokes), patient `Patient/<own id>`;
 * - scope (default consentscope `patient-privacy`; `treatment` also accepted), category (default LOINC 59284-0);
 * - provision.type `permit`, exactly one provision.actor with reference `Organization/<clinicId>` and role v3
 *   ParticipationType `IRCP` (information recipient; the default), optional provision.period, optional action (must
 *   include access, disclose or use of consentaction);
 * - optional nested provision.provision[] of type `deny` with securityLabel only: HL7 v3 ActCode sensitivity codes
 *   (http://terminology.hl7.org/CodeSystem/v3-ActCode) of normalize/sensitivity.ts SENSITIVITY_CODES.
 * Any other criterion (data, class, code, dataPeriod, purpose, a deny of other elements, deeper nesting, other
 * codes) cannot be evaluated and is refused with 422, rather than stored and half-enforced. The stored Consent is
 * rebuilt from what was evaluated (other elements are not kept).
 */
import type { Consent, ConsentProvision } from '@medplum/fhirtypes';
import { outcomes } from './outcome';
import { fhirTimeRange } from '../normalize/time';
import { ACT_CODE, SENSITIVITY_CODES, withheldLabels } from '../normalize/sensitivity';

const CONSENT_SCOPE = 'http://terminology.hl7.org/CodeSystem/consentscope';
const CONSENT_ACTION = 'http://terminology.hl7.org/CodeSystem/consentaction';
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
const LOINC = 'http://loinc.org';
const SHARING = new Set(['access', 'disclose', 'use']);
const SCOPES = new Set(['patient-privacy', 'treatment']);
const PROVISION_KEYS = new Set(['type', 'period', 'actor', 'action', 'provision']);
const UNEVALUATED = ['data', 'class', 'code', 'dataPeriod', 'securityLabel', 'purpose'];

/** The deny presets a portal offers: "everything" (none) and "everything except" these categories. */
export const EVERYTHING_EXCEPT_SENSITIVE = ['ETH', 'MH', 'SEX'] as const;

export interface PatientConsentInput {
  status: 'active' | 'inactive';
  patientId: string;
  clinicId: string;
  period: { start?: string; end?: string } | null;
  periodStart: string | null;
  periodEnd: string | null;
  scope: string;
  action: ConsentProvision['action'] | undefined;
  /** The deny provisions' securityLabel codes as given (sorted, unique). */
  denyCodes: string[];
  /** What they withhold (normalize/sensitivity.ts withheldLabels). */
  excludedLabels: string[];
}

const unprocessable = (msg: string, expression: string) => outcomes.businessRule(msg, expression);
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** `Type/<id>` (relative, or an absolute URL ending so) → id; null otherwise. */
export function referencedId(ref: unknown, type: string): string | null {
  if (typeof ref !== 'string') return null;
  const m = new RegExp(`(?:^|/)${type}/([A-Za-z0-9\\-.]{1,64})$`).exec(ref);
  return m ? m[1] : null;
}

function codings(cc: unknown, where: string): { system?: string; code?: string }[] {
  if (cc === undefined) return [];
  if (!isObject(cc) || (cc.coding !== undefined && !Array.isArray(cc.coding))) throw outcomes.invalid(`${where} must be a CodeableConcept`, where);
  return (cc.coding as { system?: string; code?: string }[] | undefined) ?? [];
}

function dateOf(v: unknown, where: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !fhirTimeRange(v).start) throw outcomes.invalid(`${where} must be a FHIR date or dateTime`, where);
  return v;
}

function parseDeny(p: unknown, i: number): string[] {
  const where = `Consent.provision.provision[${i}]`;
  if (!isObject(p)) throw outcomes.invalid(`${where} must be an object`, where);
  if (p.type !== 'deny') throw unprocessable(`${where}.type must be deny: nested provisions only withhold categories`, `${where}.type`);
  const extra = Object.keys(p).filter((k) => k !== 'type' && k !== 'securityLabel');
  if (extra.length) throw unprocessable(`${where}.${extra[0]} cannot be evaluated: a deny provision names securityLabel codes only`, `${where}.${extra[0]}`);
  if (!Array.isArray(p.securityLabel) || !p.securityLabel.length)
    throw unprocessable(`${where}.securityLabel must list HL7 v3 ActCode sensitivity codes`, `${where}.securityLabel`);
  return p.securityLabel.map((c: unknown, j: number) => {
    const at = `${where}.securityLabel[${j}]`;
    const coding = c as { system?: unknown; code?: unknown };
    const system = coding?.system === 'urn:oid:2.16.840.1.113883.5.4' ? ACT_CODE : coding?.system;
    if (system !== ACT_CODE || typeof coding.code !== 'string' || !(SENSITIVITY_CODES as readonly string[]).includes(coding.code))
      throw unprocessable(`${at} is not a sensitivity code the bridge recognises (${ACT_CODE}: ${SENSITIVITY_CODES.join(', ')})`, at);
    return coding.code;
  });
}

/** Checks a patient's Consent body; `mode` create needs status active, update allows inactive (revocation). */
export function parsePatientConsent(body: unknown, mode: 'create' | 'update'): PatientConsentInput {
  if (!isObject(body) || body.resourceType !== 'Consent') throw outcomes.invalid('the body must be a FHIR R4 Consent', 'Consent');
  const allowed = mode === 'create' ? ['active'] : ['active', 'inactive'];
  if (typeof body.status !== 'string' || !allowed.includes(body.status))
    throw unprocessable(
      mode === 'create' ? 'Consent.status must be active (revoke later with status inactive)' : 'Consent.status must be active or inactive',
      'Consent.status',
    );
  const scopeCodes = codings(body.scope, 'Consent.scope').filter((c) => c.system === CONSENT_SCOPE);
  if (body.scope !== undefined && !scopeCodes.some((c) => c.code && SCOPES.has(c.code)))
    throw unprocessable('Consent.scope must be consentscope patient-privacy or treatment', 'Consent.scope');
  if (body.category !== undefined && !Array.isArray(body.category)) throw outcomes.invalid('Consent.category must be an array', 'Consent.category');
  const patientId = referencedId((body.patient as { reference?: unknown } | undefined)?.reference, 'Patient');
  if (!patientId) throw outcomes.required('Consent.patient.reference must be Patient/<your Patient id>', 'Consent.patient');

  const prov = body.provision;
  if (!isObject(prov)) throw outcomes.required('Consent.provision is required: type permit, actor Organization/<clinicId>', 'Consent.provision');
  if (prov.type !== 'permit') throw unprocessable('Consent.provision.type must be permit', 'Consent.provision.type');
  for (const e of UNEVALUATED)
    if (prov[e] !== undefined)
      throw unprocessable(`Consent.provision.${e} cannot be evaluated: withhold categories with nested deny provisions`, `Consent.provision.${e}`);
  const unknown = Object.keys(prov).find((k) => !PROVISION_KEYS.has(k));
  if (unknown) throw unprocessable(`Consent.provision.${unknown} cannot be evaluated`, `Consent.provision.${unknown}`);
  if (!Array.isArray(prov.actor) || prov.actor.length !== 1)
    throw unprocessable('Consent.provision.actor must name exactly one clinic (Organization/<clinicId>)', 'Consent.provision.actor');
  const actor = prov.actor[0] as { role?: unknown; reference?: { reference?: unknown } };
  const clinicId = referencedId(actor?.reference?.reference, 'Organization');
  if (!clinicId) throw unprocessable('Consent.provision.actor[0].reference must be Organization/<clinicId>', 'Consent.provision.actor[0].reference');
  if (actor.role !== undefined && !codings(actor.role, 'Consent.provision.actor[0].role').some((c) => c.system === PARTICIPATION && c.code === 'IRCP'))
    throw unprocessable('Consent.provision.actor[0].role must be v3 ParticipationType IRCP (information recipient)', 'Consent.provision.actor[0].role');

  let period: PatientConsentInput['period'] = null;
  if (prov.period !== undefined) {
    if (!isObject(prov.period)) throw outcomes.invalid('Consent.provision.period must be a Period', 'Consent.provision.period');
    const start = dateOf(prov.period.start, 'Consent.provision.period.start');
    const end = dateOf(prov.period.end, 'Consent.provision.period.end');
    period = { ...(start ? { start } : {}), ...(end ? { end } : {}) };
  }
  const periodStart = period?.start ? fhirTimeRange(period.start).start : null;
  const periodEnd = period?.end ? fhirTimeRange(period.end).end : null;
  if (periodStart && periodEnd && periodEnd < periodStart) throw unprocessable('Consent.provision.period.end is before its start', 'Consent.provision.period');

  let action: PatientConsentInput['action'];
  if (prov.action !== undefined) {
    if (!Array.isArray(prov.action)) throw outcomes.invalid('Consent.provision.action must be an array', 'Consent.provision.action');
    const codes = prov.action.flatMap((a, i) => codings(a, `Consent.provision.action[${i}]`)).filter((c) => c.system === CONSENT_ACTION);
    if (!codes.some((c) => c.code && SHARING.has(c.code)))
      throw unprocessable('Consent.provision.action must include consentaction access, disclose or use', 'Consent.provision.action');
    action = prov.action as ConsentProvision['action'];
  }
  if (prov.provision !== undefined && !Array.isArray(prov.provision))
    throw outcomes.invalid('Consent.provision.provision must be an array', 'Consent.provision.provision');
  const denyCodes = [...new Set(((prov.provision as unknown[] | undefined) ?? []).flatMap(parseDeny))].sort();
  return {
    status: body.status as 'active' | 'inactive',
    patientId,
    clinicId,
    period,
    periodStart,
    periodEnd,
    scope: scopeCodes.find((c) => c.code && SCOPES.has(c.code))?.code ?? 'patient-privacy',
    action,
    denyCodes,
    excludedLabels: withheldLabels(denyCodes),
  };
}

/** The Consent as the bridge stores and serves it. */
export function patientConsentResource(
  c: PatientConsentInput & { id: string; version: number; lastUpdated: string; dateTime: string; clinicName: string | null },
): Consent {
  const provision: ConsentProvision = {
    type: 'permit',
    ...(c.period ? { period: c.period } : {}),
    actor: [
      {
        role: { coding: [{ system: PARTICIPATION, code: 'IRCP', display: 'information recipient' }] },
        reference: { reference: `Organization/${c.clinicId}`, ...(c.clinicName ? { display: c.clinicName } : {}) },
      },
    ],
    ...(c.action ? { action: c.action } : {}),
    ...(c.denyCodes.length ? { provision: [{ type: 'deny', securityLabel: c.denyCodes.map((code) => ({ system: ACT_CODE, code })) }] } : {}),
  };
  return {
    resourceType: 'Consent',
    id: c.id,
    meta: { versionId: String(c.version), lastUpdated: c.lastUpdated },
    status: c.status,
    scope: { coding: [{ system: CONSENT_SCOPE, code: c.scope }] },
    category: [{ coding: [{ system: LOINC, code: '59284-0', display: 'Patient Consent' }] }],
    patient: { reference: `Patient/${c.patientId}` },
    dateTime: c.dateTime,
    performer: [{ reference: `Patient/${c.patientId}` }],
    policyRule: { coding: [{ system: ACT_CODE, code: 'OPTIN' }] },
    provision,
  };
}

/** The Consent a patient's approval of a consent request creates: everything, or everything but `denyCodes`. */
export function approvalConsentBody(patientId: string, clinicId: string, period: { start?: string; end?: string }, denyCodes: string[]): unknown {
  return {
    resourceType: 'Consent',
    status: 'active',
    patient: { reference: `Patient/${patientId}` },
    provision: {
      type: 'permit',
      period,
      actor: [{ reference: { reference: `Organization/${clinicId}` } }],
      ...(denyCodes.length ? { provision: [{ type: 'deny', securityLabel: denyCodes.map((code) => ({ system: ACT_CODE, code })) }] } : {}),
    },
  };
}
