import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as paging from '../../../bridge/fhir/paging';
import * as toolkit from '../../../bridge/http/toolkit';

const root = path.resolve(__dirname, '../../..');

describe('one paging-link builder for http/ and pull/', () => {
  test('the toolkit re-exports the pure fhir/paging builders', () => {
    expect(toolkit.pageLinks).toBe(paging.pageLinks);
    expect(toolkit.pagedUrl).toBe(paging.pagedUrl);
  });

  test('a middle page of a known total links self, next and previous (R4 http.html#paging)', () => {
    const url = paging.pagedUrl('https://b/fhir/Patient/p1/$everything', { _type: 'Observation' }, 10);
    expect(paging.pageLinks({ offset: 10, count: 10 }, { total: 25 }, url).map((l) => `${l.relation} ${l.url}`)).toEqual([
      'self https://b/fhir/Patient/p1/$everything?_type=Observation&_count=10&_offset=10',
      'next https://b/fhir/Patient/p1/$everything?_type=Observation&_count=10&_offset=20',
      'previous https://b/fhir/Patient/p1/$everything?_type=Observation&_count=10&_offset=0',
    ]);
    expect(paging.pageLinks({ offset: 20, count: 10 }, { total: 25 }, url).map((l) => l.relation)).toEqual(['self', 'previous']);
  });

  test('$everything builds its links with it, not its own copy', () => {
    const source = readFileSync(path.join(root, 'bridge/pull/everything.ts'), 'utf8');
    expect(source).toMatch(/import \{ pageLinks \} from '\.\.\/fhir\/paging'/);
    expect(source).not.toMatch(/relation: '(self|next|previous)'/);
  });
});
