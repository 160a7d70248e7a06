/** CapabilityStatement entries of the consent-request Tasks and their Subscriptions (routes/tasks.ts, routes/subscriptions.ts). */
import type { CapabilityStatementRestResource } from '@medplum/fhirtypes';

export const CONSENT_REQUEST_RESOURCES: Record<string, CapabilityStatementRestResource> = {
  Task: {
    type: 'Task',
    documentation:
      'Consent requests: POST a Task (intent proposal, code task-code#approve, for Patient/{$match handle}, focus a contained proposed Consent); home clinics decide with $approve / $decline, and may $revoke an approval.',
    interaction: [{ code: 'read' }, { code: 'search-type' }, { code: 'create' }],
    searchParam: [
      { name: '_id', type: 'token' },
      { name: 'status', type: 'token' },
    ],
    operation: [
      { name: 'approve', definition: 'https://fhir-anchor-bridge.dev/OperationDefinition/Task-approve' },
      { name: 'decline', definition: 'https://fhir-anchor-bridge.dev/OperationDefinition/Task-decline' },
      { name: 'revoke', definition: 'https://fhir-anchor-bridge.dev/OperationDefinition/Task-revoke' },
    ],
  },
  Subscription: {
    type: 'Subscription',
    documentation: "rest-hook on the caller's own Tasks: criteria Task, Task?_id=, Task?status=; payload application/fhir+json or none.",
    interaction: [{ code: 'read' }, { code: 'search-type' }, { code: 'create' }, { code: 'delete' }],
  },
};
