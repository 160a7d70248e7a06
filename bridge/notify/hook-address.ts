/**
 * Where a Subscription rest-hook may be delivered: public unicast addresses only, unless NOTIFY_ALLOW_PRIVATE_HOSTS
 * is set (development, tests, a hook inside the same private network). Without this a clinic could point the bridge at
 * internal hosts (SSRF, OWASP A10:2021). Checked at creation and again at connect time (`lookup` of the socket), so a
 * name that later resolves elsewhere (DNS rebinding) is refused too. Ranges: IANA IPv4 and IPv6 Special-Purpose
 * Address Registries (RFC 6890), IPv4-mapped and embedding IPv6 forms checked as their IPv4 address (RFC 4291, 6052, 3056).
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
  ['2001::', 23],
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv6');

/** The 16 bytes of an IPv6 address (valid per isIP), or null. */
function ipv6Bytes(address: string): number[] | null {
  let text = address.replace(/^\[|\]$/g, '').split('%')[0];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1].split('.').map(Number);
    text = `${text.slice(0, -v4[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return null;
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

/** The IPv4 address an IPv6 address stands for (mapped, compatible, NAT64 64:ff9b::/96, 6to4 2002::/16), or null. */
function embeddedIpv4(bytes: number[]): string | null {
  const zero = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  const v4 = (at: number) => bytes.slice(at, at + 4).join('.');
  if (zero(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return v4(12); // ::ffff:a.b.c.d
  if (zero(0, 12) && !zero(12, 14)) return v4(12); // ::a.b.c.d (deprecated compatible form)
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zero(4, 12)) return v4(12);
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return v4(2);
  return null;
}

/** Whether `address` (an IP literal) is one a hook may not reach by default: loopback, private, link-local, multicast… */
export function isNonPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 4) return BLOCKED.check(bare, 'ipv4');
  if (family !== 6) return true; // not an address: refuse rather than guess
  const bytes = ipv6Bytes(bare);
  if (!bytes) return true;
  const v4 = embeddedIpv4(bytes);
  return (v4 !== null && BLOCKED.check(v4, 'ipv4')) || BLOCKED.check(bare, 'ipv6');
}

/** What a refused destination reports (Subscription.error, creation's OperationOutcome): no resolved address in it. */
export const NON_PUBLIC = 'endpoint refused: it does not resolve to a public address';

export class NonPublicAddressError extends Error {
  readonly code = 'ENONPUBLIC';
  constructor() {
    super(NON_PUBLIC);
  }
}

/**
 * A socket `lookup` that resolves as dns.lookup does and fails with NonPublicAddressError when any address it would
 * return is not public (so neither the first nor a fallback address of a dual-stack name can reach an internal host).
 */
export function publicOnlyLookup(allowPrivate: boolean): LookupFunction {
  return ((
    hostname: string,
    options: LookupOneOptions | LookupAllOptions,
    callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, options.all ? [] : '', 0);
      if (!allowPrivate && (!addresses.length || addresses.some((a) => isNonPublicAddress(a.address))))
        return callback(new NonPublicAddressError(), options.all ? [] : '', 0);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  }) as LookupFunction;
}

/** Whether the host of `url` is allowed now: an IP literal by its value, a name by every address it resolves to. */
export async function hookHostAllowed(url: string, allowPrivate: boolean): Promise<boolean> {
  if (allowPrivate) return true;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return !isNonPublicAddress(host);
  const lookup = publicOnlyLookup(false);
  return new Promise((resolve) => {
    (lookup as unknown as (h: string, o: LookupAllOptions, cb: (err: Error | null) => void) => void)(host, { all: true }, (err) => resolve(!err));
  });
}
