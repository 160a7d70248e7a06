import { isBridgeId, newBridgeId } from '../../../bridge/model/ids';

describe('newBridgeId', () => {
  it('makes RFC 9562 version 7 UUIDs that are bridge ids', () => {
    const id = newBridgeId();
    expect(isBridgeId(id)).toBe(true);
    expect(id[14]).toBe('7'); // the version nibble
    expect('89ab').toContain(id[19]); // the RFC 9562 variant
  });

  it('sorts ids made in turn in turn, also within one millisecond (what keeps the B-trees keyed by them appending)', () => {
    const ids = Array.from({ length: 5000 }, () => newBridgeId());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('starts with the time it was made', () => {
    const before = Date.now();
    const id = newBridgeId();
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
  });
});
