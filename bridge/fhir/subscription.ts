/**
 * FHIR R4 Subscription (https://hl7.org/fhir/R4/subscription.html), pure: reading what a clinic posts and the resource
 * it reads back. Supported: `channel.type` rest-hook only; `criteria` on the subscriber's own Tasks:
 * `Task`, `Task?_id={id}`, `Task?status={code}[,{code}]`, or both (`Task?_id=…&status=…`);
 * `channel.payload` absent (POST with no body) or `application/fhir+json` (PUT of the Task to `{endpoint}/Task/{id}`,
 * R4 subscription.html "rest-hook"); `channel.header` lines sent with each notification.
 */
import type { Subscription } from '@medplum/fhirtypes';
import { outboundUrl } from './outbound-url';
import { issueOf, outcomes, outcomeWithIssues, type Issue } from './outcome';

export const TASK_STATUSES = ['requested', 'accepted', 'rejected', 'cancelled'] as const;
export const FHIR_JSON_PAYLOAD = 'application/fhir+json';

export interface SubscriptionInput {
  reason: string;
  criteria: string;
  taskId: string | null;
  taskStatuses: string[] | null;
  endpoint: string;
  payload: string | null;
  headers: string[];
}

/** An outbound URL (fhir/outbound-url.ts) with no credentials in it, without a trailing slash. */
export function hookEndpoint(value: unknown): string | null {
  const url = outboundUrl(value);
  return url && !url.username && !url.password ? url.href.replace(/\/$/, '') : null;
}

/** `Task[?_id=x][&status=a,b]` → the Task id and statuses it is limited to (null: any). */
export function parseTaskCriteria(criteria: string): { taskId: string | null; taskStatuses: string[] | null } | string {
  const m = /^Task(?:\?(.*))?$/.exec(criteria);
  if (!m) return "criteria must be Task, Task?_id={id} or Task?status={code}: only the subscriber's own Tasks can be watched";
  let taskId: string | null = null;
  let taskStatuses: string[] | null = null;
  for (const [name, value] of new URLSearchParams(m[1] ?? '')) {
    if (name === '_id' && taskId === null && /^[A-Za-z0-9\-.]{1,64}$/.test(value)) taskId = value;
    else if (name === 'status' && taskStatuses === null) {
      taskStatuses = value.split(',');
      if (!taskStatuses.every((s) => (TASK_STATUSES as readonly string[]).includes(s))) return `criteria status must be among ${TASK_STATUSES.join(', ')}`;
    } else return `criteria parameter "${name}" is not supported (supported: _id once, status once)`;
  }
  return { taskId, taskStatuses };
}

const HEADER = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}:[ \t]*[^\r\n]{0,1000}$/;

/**
 * `watch` task: a clinic's Subscription on its Tasks; communication: a patient's on their notifications, criteria
 * exactly `Communication` (each notification PUT as a Communication to `{endpoint}/Communication/{id}` with a payload).
 */
export function parseSubscription(body: unknown, watch: 'task' | 'communication' = 'task'): SubscriptionInput {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untrusted JSON: every field is type-checked before use
  const s = body as Record<string, any>;
  if (!s || typeof s !== 'object' || s.resourceType !== 'Subscription') throw outcomes.invalid('the body must be a FHIR Subscription', 'Subscription');
  const issues: Issue[] = [];
  const bad = (why: string, where: string): void => void issues.push(issueOf('invalid', why, where));
  if (s.status !== 'requested' && s.status !== 'active') bad('Subscription.status must be "requested" (the bridge activates it)', 'Subscription.status');
  if (typeof s.reason !== 'string' || !s.reason.trim() || s.reason.length > 1000)
    bad('Subscription.reason is required (at most 1000 characters)', 'Subscription.reason');
  const criteria =
    typeof s.criteria !== 'string'
      ? 'Subscription.criteria is required'
      : watch === 'task'
        ? parseTaskCriteria(s.criteria)
        : s.criteria === 'Communication'
          ? { taskId: null, taskStatuses: null }
          : 'criteria must be Communication: a patient watches their own notifications';
  if (typeof criteria === 'string') bad(criteria, 'Subscription.criteria');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
  const ch = s.channel as Record<string, any> | undefined;
  if (!ch || ch.type !== 'rest-hook') bad('Subscription.channel.type must be "rest-hook"', 'Subscription.channel.type');
  const endpoint = hookEndpoint(ch?.endpoint);
  if (!endpoint) bad('Subscription.channel.endpoint must be an https URL (http only on the loopback interface)', 'Subscription.channel.endpoint');
  const payload = ch?.payload === undefined || ch?.payload === '' ? null : ch.payload;
  if (payload !== null && payload !== FHIR_JSON_PAYLOAD)
    bad(`Subscription.channel.payload must be ${FHIR_JSON_PAYLOAD} or absent`, 'Subscription.channel.payload');
  const headers = ch?.header === undefined ? [] : ch.header;
  if (!Array.isArray(headers) || headers.length > 10 || !headers.every((h) => typeof h === 'string' && HEADER.test(h))) {
    bad('Subscription.channel.header must be at most 10 lines "Name: value" without line breaks', 'Subscription.channel.header');
  }
  if (s.end !== undefined) bad('Subscription.end is not supported: delete the Subscription to end it', 'Subscription.end');
  if (issues.length) throw outcomeWithIssues('invalid', issues);
  const { taskId, taskStatuses } = criteria as Exclude<typeof criteria, string>;
  return { reason: s.reason, criteria: s.criteria, taskId, taskStatuses, endpoint: endpoint!, payload, headers };
}

export function subscriptionResource(
  row: SubscriptionInput & { id: string; status: Subscription['status']; error: string | null; lastModified: string },
): Subscription {
  return {
    resourceType: 'Subscription',
    id: row.id,
    meta: { lastUpdated: row.lastModified },
    status: row.status,
    reason: row.reason,
    criteria: row.criteria,
    ...(row.error ? { error: row.error } : {}),
    channel: {
      type: 'rest-hook',
      endpoint: row.endpoint,
      ...(row.payload ? { payload: row.payload } : {}),
      ...(row.headers.length ? { header: row.headers } : {}),
    },
  };
}
