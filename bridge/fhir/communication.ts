/**
 * What a patient is told, as a FHIR R4 Communication (communication.html), pure: status completed, category
 * `break-glass` | `consent-request` (system NOTIFICATION_CATEGORY), subject the patient, sent, payload[0].contentString
 * the message, about the audit event or the consent request (Task) it is about.
 */
import type { Communication } from '@medplum/fhirtypes';

export const NOTIFICATION_CATEGORY = 'https://fhir-anchor-bridge.dev/CodeSystem/patient-notification';

export function communicationResource(
  n: { id: string; category: string; message: string; about: string | null; sent: string | Date },
  subjectPatientId: string,
): Communication {
  const sent = n.sent instanceof Date ? n.sent.toISOString() : new Date(n.sent).toISOString();
  return {
    resourceType: 'Communication',
    id: n.id,
    meta: { lastUpdated: sent },
    status: 'completed',
    category: [{ coding: [{ system: NOTIFICATION_CATEGORY, code: n.category }] }],
    subject: { reference: `Patient/${subjectPatientId}` },
    sent,
    payload: [{ contentString: n.message }],
    ...(n.about ? { about: [{ reference: n.about }] } : {}),
  };
}
