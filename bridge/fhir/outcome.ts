import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

export type IssueCode = OperationOutcomeIssue['code'];

export interface Issue {
  severity?: OperationOutcomeIssue['severity'];
  code: IssueCode;
  diagnostics: string;
  /** FHIRPath of the offending element, e.g. `Bundle.entry[2].resource.birthDate`. */
  expression?: string;
}

/** A client-visible failure: leaves the HTTP layer as an OperationOutcome with `status`. */
export class FhirError extends Error {
  constructor(
    readonly status: number,
    readonly issues: Issue[],
    /** Sent as `Retry-After` (seconds), for a 503 that will pass. */
    readonly retryAfterSeconds?: number,
  ) {
    super(issues.map((i) => i.diagnostics).join('; '));
  }
}

export function operationOutcome(issues: Issue[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => ({
      severity: i.severity ?? 'error',
      code: i.code,
      diagnostics: i.diagnostics,
      ...(i.expression ? { expression: [i.expression] } : {}),
    })),
  };
}

export function informational(diagnostics: string): OperationOutcome {
  return operationOutcome([{ severity: 'information', code: 'informational', diagnostics }]);
}

/**
 * The one catalogue of client-visible failures. Each kind has exactly one HTTP status and one OperationOutcome issue
 * code, so a status is derived from what went wrong and never typed at a call site (the shape of fastify's
 * `lib/errors.js` and Medplum's `core/src/outcomes.ts`). Statuses follow FHIR R4 http.html: 404 for a resource type
 * the server does not serve in the URL, 405 for a known path with an unsupported method, 412 for a failed If-Match or a
 * conditional operation with several matches, 422 for a business rule.
 */
export const OUTCOME_KINDS = {
  invalid: [400, 'invalid'],
  structure: [400, 'structure'],
  required: [400, 'required'],
  value: [400, 'value'],
  invariant: [400, 'invariant'],
  codeInvalid: [400, 'code-invalid'],
  tooLong: [400, 'too-long'],
  /** A body whose shape costs too much to process (JSON nested too deep), whatever its size. */
  tooComplex: [400, 'too-costly'],
  duplicate: [400, 'duplicate'],
  incomplete: [400, 'incomplete'],
  /** A parameter, element or option the bridge does not implement. */
  notSupported: [400, 'not-supported'],
  unauthenticated: [401, 'login'],
  forbidden: [403, 'forbidden'],
  notFound: [404, 'not-found'],
  /** A resource type in the URL that the bridge does not serve (R4 http.html: 404). */
  unknownType: [404, 'not-supported'],
  methodNotAllowed: [405, 'not-supported'],
  notAcceptable: [406, 'not-supported'],
  conflict: [409, 'conflict'],
  gone: [410, 'deleted'],
  /** If-Match names a version that is not current. */
  versionConflict: [412, 'conflict'],
  multipleMatches: [412, 'multiple-matches'],
  tooLarge: [413, 'too-costly'],
  unsupportedMediaType: [415, 'not-supported'],
  businessRule: [422, 'business-rule'],
  throttled: [429, 'throttled'],
  internal: [500, 'exception'],
  unavailable: [503, 'transient'],
} as const satisfies Record<string, readonly [number, IssueCode]>;

export type OutcomeKind = keyof typeof OUTCOME_KINDS;

export interface OutcomeOptions {
  /** FHIRPath of the offending element or the name of the offending parameter. */
  expression?: string;
  /** Sent as `Retry-After` (seconds): with throttled and unavailable. */
  retryAfterSeconds?: number;
}

/** The issue of `kind` (for answers that gather several issues, see `outcomeWithIssues`). */
export function issueOf(kind: OutcomeKind, diagnostics: string, expression?: string): Issue {
  return { code: OUTCOME_KINDS[kind][1], diagnostics, ...(expression ? { expression } : {}) };
}

/** The status of `kind` from the catalogue. */
export const statusOf = (kind: OutcomeKind): number => OUTCOME_KINDS[kind][0];

/** A failure of `kind` carrying several issues (validation reports every problem it found at once). */
export function outcomeWithIssues(kind: OutcomeKind, issues: Issue[], retryAfterSeconds?: number): FhirError {
  return new FhirError(statusOf(kind), issues, retryAfterSeconds);
}

type OutcomeFactory = (diagnostics: string, opts?: OutcomeOptions | string) => FhirError;

/**
 * Named factories, one per kind: `throw outcomes.notFound('Patient/x is not known')`,
 * `throw outcomes.invalid('_count must be an integer', '_count')`. The second argument is the expression, or options.
 */
export const outcomes = Object.fromEntries(
  (Object.keys(OUTCOME_KINDS) as OutcomeKind[]).map((kind) => [
    kind,
    (diagnostics: string, opts?: OutcomeOptions | string): FhirError => {
      const o = typeof opts === 'string' ? { expression: opts } : (opts ?? {});
      return new FhirError(statusOf(kind), [issueOf(kind, diagnostics, o.expression)], o.retryAfterSeconds);
    },
  ]),
) as { readonly [K in OutcomeKind]: OutcomeFactory };

/** A failure as plain data, for crossing a worker boundary (structured clone keeps no class). */
export interface WireOutcome {
  status: number;
  issues: Issue[];
  retryAfterSeconds?: number;
}

export const toWire = (err: FhirError): WireOutcome => ({
  status: err.status,
  issues: err.issues,
  ...(err.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.retryAfterSeconds } : {}),
});

/** The failure `toWire` sent: its status was taken from the catalogue where it was raised. */
export const fromWire = (w: WireOutcome): FhirError => new FhirError(w.status, w.issues, w.retryAfterSeconds);
