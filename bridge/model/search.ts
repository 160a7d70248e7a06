/** A parsed search request and conditional criteria, as fhir/ parses them and store/ runs them. Types only. */

/** A parsed search request, ready for the store (pure parsing, no SQL). */
export interface SearchQuery {
  resourceType: string;
  ids: string[];
  /** AND of OR-alternatives; `system` undefined = any, null = none; `code` undefined = any code of `system`. */
  tokens: TokenFilter[][];
  patientIds: string[];
  dates: DateFilter[];
  lastUpdated: DateFilter[];
  count: number;
  offset: number;
  /** `_total=accurate` or `estimate` (served exactly): count every match; `none` or absent: only when known for free. */
  total?: 'none' | 'estimate' | 'accurate';
  /** `_summary=count`: the number of matches, no entries. */
  countOnly?: boolean;
}

export interface TokenFilter {
  param: 'identifier' | 'code';
  system?: string | null;
  code?: string;
}

export interface DateFilter {
  prefix: 'eq' | 'lt' | 'le' | 'gt' | 'ge' | 'ne';
  start: string;
  end: string;
}

/**
 * One condition of conditional criteria, as FHIR R4 token search means it (search.html#token):
 * `identifier=code` any system; `identifier=system|code` that system; `identifier=|code` NO system;
 * `identifier=system|` any code of that system. `_id=x` names one resource.
 * `system`: undefined = any system, null = no system. `code`: undefined = any code (only with a system).
 */
export interface Condition {
  param: 'identifier' | '_id';
  system?: string | null;
  code?: string;
}

/**
 * A key that serializes conditional operations that could match the same resource (taken as a transaction-scoped
 * lock by the store). A resource matched by criteria holds every identifier value the criteria name, so locking
 * values (and `_id`s) is enough; criteria naming only a system (`system|`) lock that system.
 */
export interface MatchLock {
  resourceType: string;
  key: string;
  exclusive: boolean;
}
