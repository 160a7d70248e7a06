/**
 * One verification as a list of checks, each shown as a line with its outcome. A failed check names its reason from
 * the shared vocabulary (notes: contract.md, "Verification failure reasons"; the same words as `fhir-bridge verify`),
 * plus three for the chain connection that the offline core has no use for: `unreachable` (the RPC did not answer),
 * `wrong-chain` (it serves another chain than the evidence names) and `wrong-contract` (no AnchorRegistry there).
 */
import type { FailureReason } from '../../bridge/log/proof';

export type Reason = FailureReason | 'unreachable' | 'wrong-chain' | 'wrong-contract';

/** `skipped`: not checked (no key given, an earlier step it needs failed); never counted as passed. */
export type Outcome = 'ok' | 'fail' | 'skipped';

export interface Check {
  id: string;
  label: string;
  outcome: Outcome;
  reason?: Reason;
  detail: string;
}

export interface Verdict {
  /** What was verified: a receipt, an inclusion proof, a consistency proof. */
  kind: 'receipt' | 'proof' | 'consistency' | 'none';
  checks: Check[];
  /** Every check passed (a skipped one, such as an unchecked signature, makes it partial, not ok). */
  ok: boolean;
  partial: boolean;
}

export class Checks {
  readonly list: Check[] = [];
  constructor(private readonly onChange?: (checks: Check[]) => void) {}
  private push(c: Check): void {
    this.list.push(c);
    this.onChange?.([...this.list]);
  }
  ok(id: string, label: string, detail: string): void {
    this.push({ id, label, outcome: 'ok', detail });
  }
  fail(id: string, label: string, reason: Reason, detail: string): void {
    this.push({ id, label, outcome: 'fail', reason, detail });
  }
  skip(id: string, label: string, detail: string): void {
    this.push({ id, label, outcome: 'skipped', detail });
  }
  get failed(): boolean {
    return this.list.some((c) => c.outcome === 'fail');
  }
  verdict(kind: Verdict['kind']): Verdict {
    const failed = this.failed;
    const partial = !failed && this.list.some((c) => c.outcome === 'skipped');
    return { kind, checks: [...this.list], ok: !failed && !partial && this.list.length > 0, partial };
  }
}

export const short = (h: string): string => (h.length > 14 ? `${h.slice(0, 10)}…${h.slice(-4)}` : h);
