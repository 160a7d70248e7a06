/**
 * Calls to the bridge from the pages. Same origin only (the CSP's connect-src 'self'). Errors carry the status and the
 * server's own words (an OperationOutcome's diagnostics or an RFC 6749 error), never the request: no personal data
 * goes to the console or into URLs.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
  /** 404/403/501 on a whole endpoint: the feature is not available on this bridge (yet). */
  get unavailable(): boolean {
    return this.status === 404 || this.status === 403 || this.status === 501 || this.status === 405;
  }
}

type Json = Record<string, unknown>;

function describe(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as Json;
    const issue = Array.isArray(b.issue) ? (b.issue[0] as Json | undefined) : undefined;
    if (issue && typeof issue.diagnostics === 'string') return issue.diagnostics;
    if (typeof b.error_description === 'string') return b.error_description;
    if (typeof b.error === 'string') return b.error;
  }
  return `the bridge answered ${status}`;
}

export async function request<T = Json>(
  path: string,
  init: { method?: string; token?: string; json?: unknown; form?: Record<string, string>; accept?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: init.accept ?? 'application/json, application/fhir+json' };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body: string | undefined;
  if (init.json !== undefined) {
    headers['content-type'] = init.json && (init.json as Json).resourceType ? 'application/fhir+json' : 'application/json';
    body = JSON.stringify(init.json);
  } else if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  let res: Response;
  try {
    res = await fetch(path, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'the bridge cannot be reached');
  }
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  // An expired or revoked token: the portal signs in again (it listens for this event).
  if (res.status === 401 && init.token) dispatchEvent(new Event('portal-unauthorized'));
  if (!res.ok) throw new ApiError(res.status, describe(res.status, parsed));
  return parsed as T;
}

/** Entries of a FHIR searchset (one page). */
export function resources<T = Json>(bundle: unknown): T[] {
  const entries = (bundle as { entry?: { resource?: T }[] } | undefined)?.entry ?? [];
  return entries.map((e) => e.resource).filter((r): r is T => r !== undefined);
}
