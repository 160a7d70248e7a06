import { randomBytes } from 'node:crypto';
import { getAddress, Interface, keccak256, toUtf8Bytes } from 'ethers';
import { REGISTRY_ABI } from '../../../bridge/anchor/chain';
import { buildTree, closeMerkleWorker, leafHash } from '../../../bridge/anchor/merkle';
import { makeReceipt, parseReceipt as bridgeParseReceipt } from '../../../bridge/anchor/receipt';
import { bundleHash } from '../../../bridge/fhir/hash';
import * as nodeEd from '../../../bridge/log/ed25519';
import * as nodeSha from '../../../bridge/log/sha256';
import * as browserEd from '../../../web/verifier/browser/ed25519';
import * as browserSha from '../../../web/verifier/browser/sha256';
import { callData, checksumAddress, parseAddress } from '../../../web/verifier/abi';
import { bundleDocumentHash, classify, unwrapEvidence } from '../../../web/verifier/documents';
import { parseReceipt, receiptLeaf, receiptRoot } from '../../../web/verifier/receipt';
import { ANCHORER_ROLE, logIdOf, signatureOf } from '../../../web/verifier/registry';

/**
 * The verifier page encodes its chain calls, receipt leaves and bundle hashes by hand (no ethers in the page): each
 * encoding here is compared with the bridge's own (ethers, bridge/anchor/merkle.ts, bridge/fhir/hash.ts).
 */
const hex32 = (): string => '0x' + randomBytes(32).toString('hex');

afterAll(() => closeMerkleWorker());

test('call data of rootOf and hasRole equal ethers’ encoding from the artifact ABI', () => {
  const batch = hex32();
  const account = '0x' + randomBytes(20).toString('hex');
  const rootOf = signatureOf('rootOf')!;
  expect(callData(rootOf.signature, rootOf.inputs, [batch])).toBe(REGISTRY_ABI.encodeFunctionData('rootOf', [batch]));
  const hasRole = signatureOf('hasRole')!;
  expect(callData(hasRole.signature, hasRole.inputs, [ANCHORER_ROLE, account])).toBe(REGISTRY_ABI.encodeFunctionData('hasRole', [ANCHORER_ROLE, account]));
  expect(ANCHORER_ROLE).toBe(keccak256(toUtf8Bytes('ANCHORER_ROLE')));
  // uintN words and their bounds
  const i = new Interface(['function f(bytes32 a, uint64 b)']);
  expect(callData('f(bytes32,uint64)', ['bytes32', 'uint64'], [batch, 2n ** 64n - 1n])).toBe(i.encodeFunctionData('f', [batch, 2n ** 64n - 1n]));
  expect(() => callData('f(bytes32,uint64)', ['bytes32', 'uint64'], [batch, 2n ** 64n])).toThrow(/does not fit/);
  expect(() => callData('rootOf(bytes32)', ['bytes32'], ['0x12'])).toThrow(/bytes32/);
});

test('the log id is keccak256 of the origin; EIP-55 checksums as ethers; a mistyped checksum is refused', () => {
  expect(logIdOf('fhir-anchor-bridge/0123456789abcdef')).toBe(keccak256(toUtf8Bytes('fhir-anchor-bridge/0123456789abcdef')));
  for (let k = 0; k < 20; k++) {
    const a = '0x' + randomBytes(20).toString('hex');
    expect(checksumAddress(a)).toBe(getAddress(a));
    expect(parseAddress(a.toUpperCase().replace('0X', '0x'))).toBe(getAddress(a));
  }
  const good = getAddress('0x' + randomBytes(20).toString('hex'));
  const flipped = good.replace(/[a-f]/, (c) => c.toUpperCase());
  expect(() => parseAddress(flipped)).toThrow(/checksum/);
  expect(() => parseAddress('0x1234')).toThrow(/40 hex/);
});

test('receipt leaves and proofs agree with the bridge’s StandardMerkleTree; tampering a proof element changes the root', async () => {
  const leaves = Array.from({ length: 7 }, () => ({ bundleHash: hex32(), salt: hex32() }));
  const tree = await buildTree(leaves);
  leaves.forEach((l, i) => {
    expect(receiptLeaf(l.bundleHash, l.salt)).toBe(leafHash(l.bundleHash, l.salt));
    expect(receiptRoot(receiptLeaf(l.bundleHash, l.salt), tree.proofs[i])).toBe(tree.root);
  });
  const bad = [...tree.proofs[3]];
  bad[0] = bad[0].replace(/.$/, (c) => (c === '0' ? '1' : '0'));
  expect(receiptRoot(receiptLeaf(leaves[3].bundleHash, leaves[3].salt), bad)).not.toBe(tree.root);
});

test('receipt parsing accepts what the bridge makes and refuses what the bridge refuses', () => {
  const r = makeReceipt({
    bundleHash: hex32(),
    salt: hex32(),
    proof: [hex32()],
    batchId: hex32(),
    root: hex32(),
    leafCount: 2,
    chainId: 31337,
    contract: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
    txHash: hex32(),
    blockNumber: 3,
  });
  expect(parseReceipt(JSON.parse(JSON.stringify(r)))).toEqual(bridgeParseReceipt(JSON.parse(JSON.stringify(r))));
  for (const broken of [
    { ...r, extra: 1 },
    { ...r, salt: r.salt.toUpperCase() },
    { ...r, leafCount: 0 },
    { ...r, contract: '0x12' },
    { ...r, version: 'x' },
  ]) {
    expect(() => bridgeParseReceipt(broken)).toThrow();
    expect(() => parseReceipt(broken)).toThrow();
  }
});

test('document hashes equal the bridge’s bundle hash (root id and meta left out); evidence is told from documents', () => {
  const bundle = {
    resourceType: 'Bundle',
    id: 'x',
    meta: { lastUpdated: '2024-01-01' },
    type: 'transaction',
    entry: [{ resource: { resourceType: 'Patient', b: 'é', a: [1, 2.5e-7] } }],
  };
  expect(bundleDocumentHash(bundle)).toBe(bundleHash(bundle));
  expect(bundleDocumentHash({ ...bundle, id: 'other' })).toBe(bundleHash(bundle));
  expect(bundleDocumentHash({ ...bundle, type: 'batch' })).not.toBe(bundleHash(bundle));
  expect(classify(JSON.stringify(bundle))).toBe('document');
  expect(classify(JSON.stringify({ status: 'anchored', receipt: { version: 'fhir-anchor-receipt/1' } }))).toBe('evidence');
  expect(unwrapEvidence({ status: 'anchored', receipt: { version: 'fhir-anchor-receipt/1', a: 1 } })).toEqual({ version: 'fhir-anchor-receipt/1', a: 1 });
  expect(classify('origin\n1\nAAAA\n')).toBe('document');
});

describe('browser modules of the log core', () => {
  // Same exports and types as the Node modules they replace in the page build (a missing or changed one fails tsc).
  const sameShape: [typeof nodeSha, typeof nodeEd] = [browserSha, browserEd];

  test('SHA-256 agrees with node:crypto on empty, short and multi-part input', () => {
    expect(sameShape).toHaveLength(2);
    for (const parts of [[], [new Uint8Array(0)], [randomBytes(1)], [randomBytes(55), randomBytes(9)], [randomBytes(1000), randomBytes(3), randomBytes(64)]])
      expect(Buffer.from(browserSha.sha256(...parts)).toString('hex')).toBe(Buffer.from(nodeSha.sha256(...parts)).toString('hex'));
  });

  test('Ed25519: keys, signatures and verification agree both ways; a changed message or signature fails in both', () => {
    for (let i = 0; i < 5; i++) {
      const seed = new Uint8Array(randomBytes(32));
      const msg = new Uint8Array(randomBytes(40 + i));
      const pub = nodeEd.ed25519PublicKey(seed);
      expect(Buffer.from(browserEd.ed25519PublicKey(seed))).toEqual(Buffer.from(pub));
      const sig = nodeEd.ed25519Sign(seed, msg);
      expect(Buffer.from(browserEd.ed25519Sign(seed, msg))).toEqual(Buffer.from(sig)); // RFC 8032 signatures are deterministic
      expect(browserEd.ed25519Verify(pub, msg, sig)).toBe(true);
      const other = Uint8Array.from(msg);
      other[0] ^= 1;
      const bad = Uint8Array.from(sig);
      bad[10] ^= 1;
      for (const ed of [nodeEd, browserEd]) {
        expect(ed.ed25519Verify(pub, other, sig)).toBe(false);
        expect(ed.ed25519Verify(pub, msg, bad)).toBe(false);
        expect(ed.ed25519Verify(pub.subarray(1), msg, sig)).toBe(false);
      }
    }
    // S ≥ L (non-canonical): RFC 8032 §5.1.7 rejects it, as OpenSSL does; so must the page.
    const seed = new Uint8Array(randomBytes(32));
    const msg = new Uint8Array([1, 2, 3]);
    const sig = nodeEd.ed25519Sign(seed, msg);
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sig[32 + i]);
    let t = s + L;
    const malleated = Uint8Array.from(sig);
    for (let i = 0; i < 32; i++) {
      malleated[32 + i] = Number(t & 255n);
      t >>= 8n;
    }
    const pub = nodeEd.ed25519PublicKey(seed);
    expect(nodeEd.ed25519Verify(pub, msg, malleated)).toBe(false);
    expect(browserEd.ed25519Verify(pub, msg, malleated)).toBe(false);
    expect(browserEd.randomSeed()).toHaveLength(32);
  });
});
