/** Dispatch: which evidence was given decides what is verified; every path reports its checks as lines. */
import { Checks, type Check, type Verdict } from './checks';
import { entryWithProof, jsonObject, unwrapEvidence } from './documents';
import { parseAddress } from './abi';
import { verifyConsistencyProof } from './verify-consistency';
import { verifyInclusionProof } from './verify-proof';
import { verifyReceipt } from './verify-receipt';

export interface VerifyInput {
  document: string;
  evidence: string;
  rpcUrl: string;
  /** Needed only when the evidence names no contract (a proof whose checkpoint is not anchored yet). */
  contract: string;
  /** C2SP signed-note verifier key of the log (`<name>+<hex key id>+<base64 key>`). */
  vkey: string;
  timeoutMs: number;
}

export async function verify(input: VerifyInput, onChange?: (checks: Check[]) => void): Promise<Verdict> {
  const checks = new Checks(onChange);
  // An entry with its proof, given in either box (the other one empty or the same entry), stands for both.
  const entry = entryWithProof(jsonObject(input.evidence)) ?? (!input.evidence.trim() ? entryWithProof(jsonObject(input.document)) : null);
  if (entry) input = { ...input, ...entry };
  const parsed = jsonObject(input.evidence);
  const evidence = parsed && unwrapEvidence(parsed);
  if (!evidence) {
    const pending = parsed?.status === 'pending';
    checks.fail(
      'format',
      'Evidence',
      'malformed',
      pending
        ? 'the bridge says this is pending: no receipt or anchored proof yet; ask again later'
        : input.evidence.trim()
          ? 'not a fhir-anchor-receipt/1, fhir-anchor-proof/1 or fhir-anchor-consistency/1 JSON document'
          : 'no proof or receipt given',
    );
    return checks.verdict('none');
  }
  let contract: string | null = null;
  if (input.contract.trim()) {
    try {
      contract = parseAddress(input.contract);
    } catch (e) {
      checks.fail('contract-input', 'Contract address', 'malformed', (e as Error).message);
      return checks.verdict('none');
    }
  }
  const chain = { rpcUrl: input.rpcUrl, timeoutMs: input.timeoutMs, contract };
  switch (evidence.version) {
    case 'fhir-anchor-receipt/1':
      await verifyReceipt(checks, input.document, evidence, chain);
      return checks.verdict('receipt');
    case 'fhir-anchor-proof/1':
      await verifyInclusionProof(checks, input.document, evidence, input.vkey, chain);
      return checks.verdict('proof');
    case 'fhir-anchor-consistency/1':
      await verifyConsistencyProof(checks, input.document, evidence, input.vkey, chain);
      return checks.verdict('consistency');
    default:
      checks.fail('format', 'Evidence', 'malformed', `${String(evidence.version)} is not supported by this build of the verifier yet`);
      return checks.verdict('none');
  }
}
