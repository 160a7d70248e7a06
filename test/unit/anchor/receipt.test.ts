import { makeReceipt, parseReceipt, RECEIPT_VERSION } from '../../../bridge/anchor/receipt';

const h = (c: string): string => '0x' + c.repeat(64);
const base = {
  bundleHash: h('A'),
  salt: h('b'),
  proof: [h('C')],
  batchId: h('d'),
  root: h('e'),
  leafCount: 2,
  chainId: 31337n,
  contract: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
  txHash: h('f'),
  blockNumber: 2,
};

describe('receipt', () => {
  it('normalizes hashes to lower case, chain id to a number, the contract to EIP-55', () => {
    const r = makeReceipt(base);
    expect(Object.keys(r).sort()).toEqual([
      'batchId',
      'blockNumber',
      'bundleHash',
      'canonicalization',
      'chainId',
      'contract',
      'leafCount',
      'proof',
      'root',
      'salt',
      'txHash',
      'version',
    ]);
    expect(r).toMatchObject({
      version: RECEIPT_VERSION,
      bundleHash: h('a'),
      proof: [h('c')],
      chainId: 31337,
      contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    });
    expect(r.canonicalization).toBe('http://hl7.org/fhir/canonicalization/json#document');
    expect(parseReceipt(JSON.parse(JSON.stringify(r)))).toEqual(r);
  });

  it.each([
    ['an unknown field', { extra: 1 }, /unknown field/],
    ['another version', { version: 'fhir-anchor-receipt/2' }, /version/],
    ['an upper-case hash', { root: h('E') }, /root/],
    ['a short proof element', { proof: ['0x12'] }, /proof\[0\]/],
    ['a zero leaf count', { leafCount: 0 }, /leafCount/],
    ['a bad address', { contract: '0x1234' }, /contract/],
  ])('rejects %s', (_what, change, message) => {
    expect(() => parseReceipt({ ...makeReceipt(base), ...change })).toThrow(message);
  });
});
