/** Paging links of a searchset Bundle: pure, so http/ (via its toolkit) and pull/ build them the same way. */
import type { BundleLink } from '@medplum/fhirtypes';

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
