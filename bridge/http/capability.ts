import type { CapabilityStatement, CapabilityStatementRestResource, CapabilityStatementRestResourceSearchParam } from '@medplum/fhirtypes';
import { referringParams, searchParamsOf } from '../fhir/search-definitions';
import { CONSENT_REQUEST_RESOURCES } from './capability-consent';

/**
 * The search parameters of `type`: every R4 SearchParameter the bridge indexes (the same registry that parses
 * searches, fhir/search-definitions.ts), and `_id` and `_lastUpdated`.
 */
function searchParams(type: string): CapabilityStatementRestResourceSearchParam[] {
  return [
    { name: '_id', type: 'token', definition: 'http://hl7.org/fhir/SearchParameter/Resource-id' },
    { name: '_lastUpdated', type: 'date', definition: 'http://hl7.org/fhir/SearchParameter/Resource-lastUpdated' },
    ...[...searchParamsOf(type).values()].map((d) => ({ name: d.code, type: d.type, definition: d.url })),
  ];
}

/** AuditEvent is the bridge's own access log (routes/audit-events.ts): read and searched by patient, never written. */
const AUDIT_EVENT: CapabilityStatementRestResource = {
  type: 'AuditEvent',
  documentation:
    'The access log: GET AuditEvent?patient=Patient/{id} (clinics: the entries they may see; patients: their whole log, patient optional, paged with _lastUpdated=le…), GET AuditEvent/{id}, its $record and $proof. Written only by the bridge.',
  interaction: [{ code: 'read' }, { code: 'search-type' }],
  searchParam: [{ name: 'patient', type: 'reference', definition: 'http://hl7.org/fhir/SearchParameter/clinical-patient' }],
};
const SPECIAL_RESOURCES: Record<string, CapabilityStatementRestResource> = { ...CONSENT_REQUEST_RESOURCES, AuditEvent: AUDIT_EVENT };

/** Operations on every resource type (bridge/http/routes/fhir.ts): $validate (type and instance), $meta (instance). */
const RESOURCE_OPERATIONS = [
  { name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate' },
  { name: 'meta', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-meta' },
];

const PATIENT_OPERATIONS = [
  { name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' },
  { name: 'summary', definition: 'http://hl7.org/fhir/uv/ips/OperationDefinition/summary' },
  { name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export' },
  // IHE PDQm ITI-119 (bridge/http/routes/match.ts).
  { name: 'match', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-match' },
];

/** What this bridge really supports, nothing more: clients plan their calls on it. */
export function capabilityStatement(baseUrl: string, resourceTypes: string[], version: string): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-11-24',
    kind: 'instance',
    software: { name: 'fhir-anchor-bridge', version },
    implementation: { description: 'FHIR R4 bridge: universal schema on PostgreSQL, bundle hashes anchored on an EVM chain', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        documentation:
          "Bundles (transaction, batch, collection, document) are pushed to the base URL; searches are GET [type]?… or POST [type]/_search with a form body, over each type's R4 search parameters listed here (modifiers :missing; :exact and :contains on strings; :not and :text on tokens; :identifier and :[type] on references; quantities also in canonical UCUM units; one level of chaining and _has, through only what the reader may see; _include and _revinclude with :iterate, filtered the same way; _sort, _count, _offset, _total, _summary=count); `Prefer: return=minimal|representation|OperationOutcome` is honoured on create and update; PATCH takes a JSON Patch (application/json-patch+json, RFC 6902) or a FHIRPath Patch (a Parameters resource) with If-Match, also as transaction and batch entries; history at instance, type and system level (_since, _count, _offset) over what the reader may search; JSON only (_format or Accept asking for XML is 406); create, update and delete of one resource are pushed as a one-entry transaction Bundle (its hash in X-Bundle-Hash). Updates and deletes honour If-Match: W/\"n\" (request.ifMatch in bundles): 412 when n is not the current version. Resources are served with bridge ids; a clinic may also name its own resources by the ids it chose (PUT Type/{its id}, or the ids in its bundles) in reads, _history, _id searches and writes. Reads and searches return the calling clinic's own resources, shared entities (Organization, Practitioner, Location, Medication), and other clinics' patient records under an active permit Consent naming Organization/{clinic id} or by break-glass (X-Break-Glass: <reason> with X-Purpose-Of-Use: ETREAT, ERTREAT or BTG, for clinics an admin enabled, rate-limited). Every access is audited; GET AuditEvent?patient=Patient/{id} serves the trail to the person's home clinics.",
        // SMART App Launch 2.x conformance: the SMART-on-FHIR service code and the oauth-uris extension.
        security: {
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [
                { url: 'token', valueUri: `${baseUrl.replace(/\/fhir$/, '')}/auth/token` },
                { url: 'authorize', valueUri: `${baseUrl.replace(/\/fhir$/, '')}/auth/authorize` },
                { url: 'revoke', valueUri: `${baseUrl.replace(/\/fhir$/, '')}/auth/revoke` },
              ],
            },
          ],
          description:
            'Every request except GET /metadata and .well-known/smart-configuration needs Authorization: Bearer <clinic API key> or a SMART Backend Services access token from POST /auth/token (system/ scopes enforced), or a patient access token from the SMART App Launch standalone patient launch (patient/ scopes).',
        },
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'history-system' }],
        resource: resourceTypes.map(
          (type) =>
            SPECIAL_RESOURCES[type] ?? {
              type,
              interaction: [
                { code: 'read' },
                { code: 'vread' },
                { code: 'history-instance' },
                { code: 'history-type' },
                { code: 'search-type' },
                { code: 'create' },
                { code: 'update' },
                { code: 'patch' },
                { code: 'delete' },
              ],
              // If-Match / request.ifMatch honoured on update and delete (412 when stale): http.html#concurrency.
              versioning: 'versioned-update',
              readHistory: true,
              // PUT Type/{id} of an unknown id creates the resource; the clinic reads, searches and writes it by that id.
              updateCreate: true,
              conditionalCreate: true,
              conditionalUpdate: true,
              conditionalDelete: 'single',
              searchParam: searchParams(type),
              // R4 search.html#include: every reference parameter, forward and back (:iterate too).
              searchInclude: [...searchParamsOf(type).values()].filter((d) => d.type === 'reference').map((d) => `${type}:${d.code}`),
              searchRevInclude: referringParams(type),
              operation: type === 'Patient' ? [...RESOURCE_OPERATIONS, ...PATIENT_OPERATIONS] : RESOURCE_OPERATIONS,
            },
        ),
        operation: [
          { name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export' },
          { name: 'meta', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-meta' },
        ],
      },
    ],
  } as CapabilityStatement;
}
