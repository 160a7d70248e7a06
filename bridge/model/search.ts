/** A parsed search request and conditional criteria, as fhir/ parses them and store/ runs them. Types only. */
import type { Withheld } from './sensitivity';

/** A parsed search request, ready for the store (pure parsing, no SQL). */
export interface SearchQuery {
  resourceType: string;
  ids: string[];
  /** One entry per parameter occurrence, all ANDed; each one's values are ORed (R4 search.html#combining). */
  filters: ParamFilter[];
  /** Bridge ids of the patients the search names by reference (`patient=`, `subject=Patient/…`): consent is asked for them. */
  patientIds: string[];
  lastUpdated: DateFilter[];
  /** `_sort` keys in order; none: newest first. */
  sort: SortKey[];
  /** `_include` and `_revinclude` (R4 search.html#include): what the page's matches reference, or are referenced by. */
  include: IncludeRule[];
  revinclude: IncludeRule[];
  count: number;
  offset: number;
  /** `_total=accurate` or `estimate` (served exactly): count every match; `none` or absent: only when known for free. */
  total?: 'none' | 'estimate' | 'accurate';
  /** `_summary=count`: the number of matches, no entries. */
  countOnly?: boolean;
  /** `_summary=true|text|data`: entries show that subset (R4 search.html#summary). */
  summary?: 'true' | 'text' | 'data';
  /** `_elements=a,b`: entries show those top-level elements (R4 search.html#elements). */
  elements?: string[];
}

/** Which index table holds a parameter's values. */
export type ValueTable = 'string' | 'token' | 'date' | 'reference' | 'quantity';

export type ParamFilter = (
  | { kind: 'missing'; param: string; table: ValueTable; missing: boolean }
  | { kind: 'string'; param: string; values: StringFilter[] }
  /** `code:text=x` (R4 search.html#modifiers): a text of the token parameter `param` starting with a value (folded). */
  | { kind: 'text'; param: string; values: { value: string }[] }
  | { kind: 'token'; param: string; not: boolean; values: TokenFilter[] }
  | { kind: 'date'; param: string; values: DateFilter[] }
  | { kind: 'reference'; param: string; values: ReferenceFilter[] }
  | { kind: 'quantity'; param: string; values: QuantityFilter[] }
  /** `subject.name=x` (one level, R4 search.html#chaining): a reference to a resource of `targetTypes` matching `filter`. */
  | { kind: 'chain'; param: string; targetTypes: string[]; filter: ParamFilter }
  /** `_has:Observation:patient:code=x` (R4 search.html#has): referenced by `param` of a `sourceType` matching `filter`. */
  | { kind: 'has'; sourceType: string; param: string; filter: ParamFilter }
) & {
  /**
   * The indexed parameters that answer it, when not `param` itself: a union parameter is not indexed, its parts are
   * (`combo-code` is `code` or `component-code`; fhir/search-definitions `indexedAs`).
   */
  indexed?: string[];
};

/** `Source:param[:Target]`, with `:iterate` also applied to what was included. */
export interface IncludeRule {
  sourceType: string;
  param: string;
  targetType?: string;
  iterate: boolean;
}

/**
 * Who searches, as the store filters it: a clinic (its own resources, shared entities, and the compartments of the
 * other clinics' patients it was granted, less what their consents withhold) or a patient (their person's records).
 */
export type SearchVisibility =
  { kind: 'clinic'; clinicId: string; grantedPatientIds: string[]; withheld: Withheld[] } | { kind: 'person'; patientIds: string[] };

/** `value` folded as indexed; `exact`: as sent (`:exact`); `contains`: anywhere (`:contains`); else starts with. */
export interface StringFilter {
  value: string;
  exact?: string;
  contains?: boolean;
}

/** `system` undefined = any, null = none (a list: any of them, the system as sent and its canonical URI); `code` undefined = any code of `system`. */
export interface TokenFilter {
  systems?: string[] | null;
  code?: string;
}

/** A reference to `id` of any of `targetTypes` (the one named, else every target the parameter allows). */
export interface ReferenceFilter {
  targetTypes: string[];
  id: string;
}

/** R4 search.html#quantity: `value` with its implicit precision range [low, high); units matched canonically when they convert. */
export interface QuantityFilter {
  prefix: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'sa' | 'eb' | 'ap';
  value: string;
  low: string;
  high: string;
  /** Compare `canonical_value` in this canonical unit. */
  canonicalUnit?: string;
  /** Else compare the value as sent, with this system and code (undefined: any). */
  system?: string;
  code?: string;
}

export interface SortKey {
  param: string;
  /** As ParamFilter.indexed. */
  indexed?: string[];
  table: ValueTable | 'id' | 'lastUpdated';
  descending: boolean;
}

export interface DateFilter {
  prefix: 'eq' | 'lt' | 'le' | 'gt' | 'ge' | 'ne' | 'sa' | 'eb';
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

/** The search index values of one resource version (fhir/search-values.ts extracts them, store/ writes them). */
export interface SearchValues {
  strings: { param: string; value: string; exact: string }[];
  /** The texts of token values (CodeableConcept.text, Coding.display, Identifier.type.text), folded, for `:text`. */
  texts: { param: string; value: string }[];
  /** token and uri parameters; a reference's identifier as `{param}:identifier` (R4 search.html#modifiers). */
  tokens: { param: string; system: string | null; code: string }[];
  dates: { param: string; start: string; end: string }[];
  references: { param: string; targetType: string | null; targetId: string }[];
  /** quantity and number parameters; `canonical*` when the unit converts (normalize/units.ts). */
  quantities: { param: string; value: number; system: string | null; code: string | null; canonicalValue: number | null; canonicalUnit: string | null }[];
}

/** A type- or system-level history request (R4 http.html#history, parsed by fhir/history-params). */
export interface HistoryQuery {
  count: number;
  offset: number;
  /** ISO instant: only versions whose lastUpdated is at or after it. */
  since?: string;
}
