/** Paging links of a searchset Bundle: pure, so http/ (via its toolkit) and pull/ build them the same way. */
import type { BundleLink } from '@medplum/fhirtypes';
import { boundedInteger, INT4_MAX } from './integers';
import { outcomes } from './outcome';

/** Page size when `_count` is not given, and the largest served (a larger `_count` is served as this: R4 lets the server choose). */
export const DEFAULT_COUNT = 50;
export const MAX_COUNT = 1000;

/** `_count` (R4 search.html#count): a non-negative integer, served up to MAX_COUNT; else 400. */
export function parseCount(raw: string, name = '_count'): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw outcomes.invalid('_count must be a non-negative integer', name);
  return Math.min(n, MAX_COUNT);
}

/** `_offset`: where the page starts, 0 to INT4_MAX; else 400. */
export function parseOffset(raw: string, name = '_offset'): number {
  const n = boundedInteger(raw);
  if (n === undefined) throw outcomes.invalid(`_offset must be an integer from 0 to ${INT4_MAX}`, name);
  return n;
}

export interface PageRequest {
  offset: number;
  count: number;
}

/**
 * `self`, `next` and `previous` links of one page of a Bundle (R4 http.html#paging), offset-based: `pageUrl(offset)`
 * gives the URL of the page that starts at `offset`. `next` when more rows follow (`hasMore`, or `total` known).
 */
export function pageLinks(page: PageRequest, more: { hasMore: boolean } | { total: number }, pageUrl: (offset: number) => string): BundleLink[] {
  const hasMore = 'hasMore' in more ? more.hasMore : page.offset + page.count < more.total;
  const link: BundleLink[] = [{ relation: 'self', url: pageUrl(page.offset) }];
  if (hasMore) link.push({ relation: 'next', url: pageUrl(page.offset + page.count) });
  if (page.offset > 0) link.push({ relation: 'previous', url: pageUrl(Math.max(0, page.offset - page.count)) });
  return link;
}

/**
 * A page URL builder that keeps the request's own query (every parameter as given, repeated ones included) and sets
 * `_count` and `_offset`: `pagedUrl(`${base}/Observation`, req.query, 50)`.
 */
export function pagedUrl(path: string, query: Record<string, unknown>, count: number): (offset: number) => string {
  return (offset: number): string => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (k === '_count' || k === '_offset') continue;
      for (const one of Array.isArray(v) ? v : [v]) if (typeof one === 'string') params.append(k, one);
    }
    params.set('_count', String(count));
    params.set('_offset', String(offset));
    return `${path}?${params.toString()}`;
  };
}
