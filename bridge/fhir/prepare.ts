import type { Bundle } from '@medplum/fhirtypes';
import { canonicalBundleJson, sha256Hex } from './hash';
import { FhirError, Issue, outcomeWithIssues, statusOf } from './outcome';
import { parseLimitedJson } from './json-limits';
import { checkEntryCount, planBundle } from './plan';
import { validateBundle } from './validate';

/** The CPU-heavy, pure part of a push: parse, validate, canonicalize, hash. */
export interface PreparedBundle {
  /** The parsed, validated bundle (not modified by canonicalization). */
  bundle: Bundle;
  hash: string;
  canonical: string;
  /** batch only: entries refused by validation, each with its own problems. */
  entryIssues: [number, Issue[]][];
}

/** Validates; when that fails, also reports what the planner finds (request rules), so one answer names every problem. */
function validateOrExplain(body: unknown, maxEntries: number): ReturnType<typeof validateBundle> {
  try {
    return validateBundle(body);
  } catch (err) {
    if (!(err instanceof FhirError) || err.status !== 400) throw err;
    try {
      planBundle(body as Bundle, maxEntries);
    } catch (planErr) {
      if (planErr instanceof FhirError) {
        const seen = new Set(err.issues.map((i) => `${i.expression}|${i.diagnostics}`));
        throw outcomeWithIssues(planErr.status === statusOf('tooLarge') ? 'tooLarge' : 'invalid', [
          ...err.issues,
          ...planErr.issues.filter((i) => !seen.has(`${i.expression}|${i.diagnostics}`)),
        ]);
      }
    }
    throw err;
  }
}

/** Parses a pushed body within the limits of json-limits (depth, storable strings): a 400 otherwise. */
export function parseJsonBody(text: string): unknown {
  return parseLimitedJson(text);
}

/** Throws FhirError for a client mistake; nothing here touches the database. */
export function prepareBundle(text: string, maxEntries: number): PreparedBundle {
  const body = parseJsonBody(text);
  // Refuse an oversized bundle before paying for its validation.
  const entries = typeof body === 'object' && body !== null ? (body as { entry?: unknown }).entry : undefined;
  if (Array.isArray(entries)) checkEntryCount(entries.length, maxEntries);
  const { bundle, entryIssues } = validateOrExplain(body, maxEntries);
  const canonical = canonicalBundleJson(bundle as unknown as Record<string, unknown>);
  return { bundle, hash: sha256Hex(canonical), canonical, entryIssues: [...entryIssues] };
}
