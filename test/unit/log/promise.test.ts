import { ed25519PublicKey } from '../../../bridge/log/ed25519';
import { parseNote, parseVkey, vkey } from '../../../bridge/log/note';
import { formatPromise, parsePromise, promiseFromHeader, promiseHeader, signPromise, verifyPromise } from '../../../bridge/log/promise';

const seed = new Uint8Array(32).fill(3);
const origin = 'bridge.example.org/log';
const key = { name: origin, seed };
const vk = parseVkey(vkey(origin, ed25519PublicKey(seed)));
const promise = { origin, auditId: '0b9f7f3e-6a53-4c4e-9d3c-2f8e0d1c9a11', hash: `0x${'ab'.repeat(32)}`, deadline: 1_700_000_060 };

describe('signed inclusion promises', () => {
  it('formats exactly the five lines of fhir-anchor-promise/v1 and parses them back', () => {
    const text = formatPromise(promise);
    expect(text).toBe(`fhir-anchor-promise/v1\n${origin}\naudit ${promise.auditId}\nhash ${Buffer.alloc(32, 0xab).toString('base64')}\nby 1700000060\n`);
    expect(parsePromise(text)).toEqual(promise);
  });

  it('verifies a signed promise through its header form, and refuses a changed one or another key', () => {
    const note = signPromise(promise, key);
    expect(parseNote(note).text).toBe(formatPromise(promise));
    expect(verifyPromise(promiseFromHeader(promiseHeader(note)), vk)).toEqual(promise);
    expect(() => verifyPromise(note.replace('by 1700000060', 'by 1800000060'), vk)).toThrow(/not signed/);
    const other = parseVkey(vkey(origin, ed25519PublicKey(new Uint8Array(32).fill(4))));
    expect(() => verifyPromise(note, other)).toThrow(/not signed/);
    const elsewhere = parseVkey(vkey('other.example/log', ed25519PublicKey(seed)));
    expect(() => verifyPromise(note, elsewhere)).toThrow(/another log/);
  });

  it('refuses malformed promise text', () => {
    const ok = formatPromise(promise);
    for (const bad of [
      ok.replace('fhir-anchor-promise/v1', 'fhir-anchor-promise/v2'),
      ok.replace(/^audit .*$/m, 'audit nope'),
      ok.replace(/^hash .*$/m, 'hash AAAA'),
      ok.replace(/^by .*$/m, 'by -1'),
      ok.replace(/^by .*$/m, 'by 01'),
      ok + 'extra\n',
      ok.slice(0, -1),
    ])
      expect(() => parsePromise(bad)).toThrow();
    expect(() => formatPromise({ ...promise, hash: '0x12' })).toThrow();
  });
});
