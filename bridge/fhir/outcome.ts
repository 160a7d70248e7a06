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

export function fhirError(status: number, code: IssueCode, diagnostics: string, expression?: string): FhirError {
  return new FhirError(status, [{ code, diagnostics, expression }]);
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
