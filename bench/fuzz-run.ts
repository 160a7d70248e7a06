/** Sends fuzz cases with several concurrent clients and checks each answer (no 5xx; every error an OperationOutcome). */
import type { FuzzCase } from './fuzz-cases';

export interface FuzzAnswer {
  kind: string;
  step: number;
  method: string;
  path: string;
  status: number;
  /** Why the answer is wrong (5xx, an error that is not an OperationOutcome), if it is. */
  problem?: string;
  diagnostics?: string;
  /** Sent twice: the first attempt's connection was reset before any answer. */
  retried?: boolean;
}

async function send(url: string, apiKey: string, c: FuzzCase): Promise<FuzzAnswer[]> {
  const out: FuzzAnswer[] = [];
  for (const [step, r] of c.steps.entries()) {
    let status = 0;
    let text = '';
    let retried = false;
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(`${url}${r.path}`, { method: r.method, headers: { authorization: `Bearer ${apiKey}`, ...r.headers }, body: r.body });
        status = res.status;
        text = await res.text();
        break;
      } catch (err) {
        const code = (err as { cause?: { code?: string } }).cause?.code ?? '';
        // A kept-alive connection the server closed as it was reused (the keep-alive race every HTTP client retries once).
        if (attempt === 1 && (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET')) {
          retried = true;
          continue;
        }
        status = 0;
        text = `${(err as Error).message} (${code})`;
        break;
      }
    }
    if (status === 0) {
      out.push({ kind: c.kind, step, method: r.method, path: r.path.slice(0, 80), status: 0, problem: `no answer: ${text}` });
      continue;
    }
    const a: FuzzAnswer = { kind: c.kind, step, method: r.method, path: r.path.slice(0, 80), status, ...(retried ? { retried } : {}) };
    if (status >= 400) {
      let body: { resourceType?: string; issue?: { diagnostics?: string }[] } | undefined;
      try {
        body = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      a.diagnostics = body?.issue
        ?.map((i) => i.diagnostics)
        .join('; ')
        .slice(0, 200);
      if (body?.resourceType !== 'OperationOutcome') a.problem = 'error is not an OperationOutcome';
    }
    if (status >= 500) a.problem = `status ${status}`;
    out.push(a);
  }
  return out;
}

/** Runs `cases` over `clients` concurrent connections; answers in case order. */
export async function runFuzz(url: string, apiKey: string, cases: FuzzCase[], clients: number, onProgress?: (done: number) => void): Promise<FuzzAnswer[][]> {
  const answers: FuzzAnswer[][] = new Array(cases.length);
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < cases.length) {
        const i = next++;
        answers[i] = await send(url, apiKey, cases[i]);
        if (++done % 500 === 0) onProgress?.(done);
      }
    }),
  );
  return answers;
}

/** Counts of answers by status, and by kind for the wrong ones. */
export function summarize(answers: FuzzAnswer[][]): { byStatus: Record<string, number>; problems: FuzzAnswer[]; retried: number } {
  const byStatus: Record<string, number> = {};
  const problems: FuzzAnswer[] = [];
  for (const a of answers.flat()) {
    byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
    if (a.problem) problems.push(a);
  }
  return { byStatus, problems, retried: answers.flat().filter((a) => a.retried).length };
}
