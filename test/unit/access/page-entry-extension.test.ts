import { randomBytes, randomUUID } from 'node:crypto';
import { LOG_PAGE_ENTRY_EXTENSION, pageEntryExtension, pageEntryExtensionJson } from '../../../bridge/access/proofs';
import { LOG_FORMAT, type LeafDoc } from '../../../bridge/log/entry';
import { PAGE_ENTRY_VERSION, type PageEntry } from '../../../bridge/log/page-proof';

const hex = (): string => '0x' + randomBytes(32).toString('hex');
const resourceEntry = (over: Partial<Record<string, unknown>> = {}, at: Partial<PageEntry> = {}): PageEntry => ({
  version: PAGE_ENTRY_VERSION,
  leaf: {
    log: LOG_FORMAT,
    hash: hex(),
    salt: hex(),
    kind: 'resource',
    clinic: randomUUID(),
    type: 'Observation',
    id: randomUUID(),
    version: 3,
    ...over,
  } as LeafDoc,
  index: 1_234_567,
  page: 0,
  ...at,
});

test('the template writes exactly the text of serializing the entry twice, for every served form and position', () => {
  for (const served of ['as-committed', 'redacted'])
    for (const at of [{}, { index: 0, page: 0 }, { index: 2 ** 40, page: 7 }])
      for (const over of [{}, { version: 1 }, { type: 'MedicationRequest', version: 9_007_199_254_740_991 }]) {
        const e = resourceEntry(over, at);
        const text = pageEntryExtension(e, served);
        expect(text).toBe(pageEntryExtensionJson(e, served));
        expect(JSON.parse(`{${text}}`)).toEqual({ extension: [{ url: LOG_PAGE_ENTRY_EXTENSION, valueString: JSON.stringify({ ...e, served }) }] });
      }
});

test('a value that needs escaping, or any other shape, is serialized the slow way (still the same text)', () => {
  const odd = [
    resourceEntry({ type: 'Obs"ervation' }),
    resourceEntry({ id: 'a\\b' }),
    resourceEntry({ clinic: null }),
    resourceEntry({ version: 1.5 }),
    resourceEntry({ extra: 'x' }),
    { version: PAGE_ENTRY_VERSION, leaf: { log: LOG_FORMAT, hash: hex(), salt: hex(), kind: 'bundle' }, index: 5, page: 1 } as PageEntry,
    { ...resourceEntry(), served: 'redacted' } as PageEntry,
  ];
  for (const e of odd) {
    const text = pageEntryExtension(e, 'as-committed');
    expect(text).toBe(pageEntryExtensionJson(e, 'as-committed'));
    expect(JSON.parse(JSON.parse(`{${text}}`).extension[0].valueString)).toEqual({ ...e, served: 'as-committed' });
  }
  expect(JSON.parse(JSON.parse(`{${pageEntryExtension(odd[0], 'as-committed')}}`).extension[0].valueString).leaf.type).toBe('Obs"ervation');
});

test('every character JSON escapes sends the entry the slow way: a quote, a backslash, a control, a lone surrogate', () => {
  for (const bad of ['"', '\\', '\n', '\u0000', '\u001f', '\ud800', '\udfff'])
    for (const field of ['type', 'id', 'clinic', 'hash']) {
      const e = resourceEntry({ [field]: `x${bad}y` });
      expect(pageEntryExtension(e, 'as-committed')).toBe(pageEntryExtensionJson(e, 'as-committed'));
    }
  const e = resourceEntry();
  expect(pageEntryExtension(e, 'a"b')).toBe(pageEntryExtensionJson(e, 'a"b'));
});
