/**
 * Patient/$match for a clinic session (IHE PDQm ITI-119): the policy and the audit around the search of every clinic's
 * people. Finding is not reading: the answer holds only handles (bridge/store/match-handles.ts) and what the caller
 * sent; access to the records behind a handle still needs consent (or break-glass), decided elsewhere in this layer.
 *
 * Every request is audited (action `match`): the caller, the outcome, how many candidates and the patient records
 * behind the handles (so their home clinics see in their AuditEvent trail that their patient was matched), never the
 * demographics asked for. At most MATCH_LIMIT answered requests per clinic and hour, counted in the audit trail so
 * every bridge process agrees (concurrent requests may each pass the count once); more: 429 with Retry-After, audited.
 */
import { matchQueryOf, type MatchRequest } from '../fhir/match-params';
import { rankPeople, type RankedPerson } from '../fhir/match-score';
import type { MatchAnswer } from '../fhir/match-bundle';
import { outcomes } from '../fhir/outcome';
import { inTransaction } from '../store/db';
import { audit } from './audit';
import type { AccessServices } from './services';
import { blockingKeys, findMatchCandidates, matchUsage } from '../store/match';
import { issueMatchHandles } from '../store/match-handles';
import { sessionClinicId, type Session } from './session';

export const DEFAULT_MATCH_LIMIT = 60;
export const DEFAULT_MATCH_HANDLE_TTL_SECONDS = 7 * 24 * 3600;
const WINDOW_SECONDS = 3600;

export interface MatchOptions {
  personSystems: readonly string[];
  /** Answered $match requests per clinic and hour (MATCH_LIMIT); 0: none. */
  limit: number;
  /** Life of the handles issued (MATCH_HANDLE_TTL_SECONDS). */
  handleTtlSeconds: number;
}

export interface MatchResult {
  answers: MatchAnswer[];
  /** Said to the caller in an informational OperationOutcome entry (e.g. why onlyCertainMatches found none). */
  note?: string;
}

/** Which ranked persons to answer with: onlyCertainMatches gives the one certain person, or none when several are. */
export function selectCandidates(ranked: RankedPerson[], req: Pick<MatchRequest, 'onlyCertainMatches' | 'count'>): { chosen: RankedPerson[]; note?: string } {
  if (!req.onlyCertainMatches) return { chosen: ranked.slice(0, req.count) };
  const certain = ranked.filter((p) => p.grade === 'certain');
  // FHIR R4 patient-operation-match: with onlyCertainMatches, several potential matches are not returned.
  if (certain.length > 1)
    return { chosen: [], note: `onlyCertainMatches: ${certain.length} persons match with certainty, so none is returned; refine the query` };
  return { chosen: certain.slice(0, req.count) };
}

const gradeCounts = (ps: RankedPerson[]): string =>
  (['certain', 'probable', 'possible'] as const).map((g) => `${ps.filter((p) => p.grade === g).length} ${g}`).join(', ');

/** Patient/$match as `session`, with the limits and identifier systems of `svc` unless `opts` says otherwise. */
export async function matchPatients(
  svc: AccessServices,
  session: Session,
  req: MatchRequest,
  opts: MatchOptions = {
    personSystems: svc.personSystems,
    limit: svc.matchLimit,
    handleTtlSeconds: svc.matchHandleTtlSeconds,
  },
): Promise<MatchResult> {
  const db = svc.db;
  const clinicId = sessionClinicId(session);
  if (!clinicId) throw outcomes.forbidden('Patient/$match is for clinics');
  const query = matchQueryOf(req.patient, opts.personSystems);
  // The count and the search run side by side (two connections): one round trip less; over the limit, what was found is dropped unseen.
  const [usage, found] = await Promise.all([
    opts.limit > 0 ? matchUsage(db, clinicId, WINDOW_SECONDS) : { count: 0, freesInSeconds: WINDOW_SECONDS },
    findMatchCandidates(db, blockingKeys(query)).catch((err: unknown) => err as Error),
  ]);
  if (usage.count >= opts.limit) {
    await audit(db, {
      clinicId,
      action: 'match',
      outcome: 'refused',
      purpose: session.purpose,
      detail: `Patient/$match refused: limit of ${opts.limit} per hour reached`,
    });
    throw outcomes.throttled(`Patient/$match limit of ${opts.limit} per hour reached; retry after ${usage.freesInSeconds} s`, {
      retryAfterSeconds: usage.freesInSeconds,
    });
  }
  try {
    if (found instanceof Error) throw found;
    const ranked = rankPeople(query, found);
    const { chosen, note } = selectCandidates(ranked, req);
    const answers = await inTransaction(db, async (tx) => {
      const handles = await issueMatchHandles(
        tx,
        clinicId,
        chosen.map((p) => ({
          patientIds: p.records.map((r) => r.patientId).sort(),
          grade: p.grade,
          score: p.score,
        })),
        opts.handleTtlSeconds,
      );
      const out: MatchAnswer[] = chosen.map((p, i) => ({
        handle: handles[i].handle,
        grade: p.grade,
        score: p.score,
        matchedIdentifiers: p.matchedIdentifiers,
        comparisons: p.comparisons,
        ownPatientIds: p.records
          .filter((r) => r.clinicId === clinicId)
          .map((r) => r.patientId)
          .sort(),
        recordPhones: p.best.phones,
        recordEmails: p.best.emails,
      }));
      await audit(tx, {
        clinicId,
        action: 'match',
        outcome: 'success',
        purpose: session.purpose,
        patientIds: chosen.flatMap((p) => p.records.map((r) => r.patientId)),
        resourceTypes: chosen.length ? ['Patient'] : [],
        detail: `Patient/$match: ${chosen.length} candidate(s) (${gradeCounts(chosen)}); onlyCertainMatches=${req.onlyCertainMatches}, count=${req.count}`,
      });
      return out;
    });
    return { answers, note };
  } catch (err) {
    await audit(db, { clinicId, action: 'match', outcome: 'error', purpose: session.purpose, detail: 'Patient/$match failed' }).catch(() => undefined);
    throw err;
  }
}
