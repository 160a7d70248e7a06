import { hookHostAllowed, isNonPublicAddress, NonPublicAddressError, publicOnlyLookup } from '../../../bridge/notify/hook-address';

describe('which addresses a rest-hook may reach by default (RFC 6890 special-purpose ranges refused)', () => {
  test.each([
    '127.0.0.1',
    '127.8.9.10',
    '10.0.0.1',
    '172.16.5.4',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.251',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '[::ffff:10.0.0.1]',
    '::ffff:a9fe:a9fe',
    '64:ff9b::a9fe:a9fe',
    '2002:7f00:1::',
    '::127.0.0.1',
    'not-an-ip',
  ])('%s is refused', (address) => expect(isNonPublicAddress(address)).toBe(true));

  test.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2a00:1450:4001:80b::200e'])('%s is public', (address) => {
    expect(isNonPublicAddress(address)).toBe(false);
  });
});

describe('the connect-time lookup and the creation check', () => {
  const resolve = (allowPrivate: boolean, host: string, all: boolean) =>
    new Promise<{ err: Error | null; address: unknown }>((done) => {
      (publicOnlyLookup(allowPrivate) as any)(host, { all }, (err: Error | null, address: unknown) => done({ err, address }));
    });

  test('a name resolving to loopback is refused when the socket connects, in both callback forms', async () => {
    for (const all of [false, true]) {
      const { err } = await resolve(false, 'localhost', all);
      expect(err).toBeInstanceOf(NonPublicAddressError);
    }
  });

  test('NOTIFY_ALLOW_PRIVATE_HOSTS lets it through, resolved as dns.lookup does', async () => {
    const one = await resolve(true, 'localhost', false);
    expect(one.err).toBeNull();
    expect(isNonPublicAddress(one.address as string)).toBe(true);
    const all = await resolve(true, 'localhost', true);
    expect(Array.isArray(all.address) && all.address.length).toBeGreaterThan(0);
  });

  test('creation: literals by value, names by what they resolve to', async () => {
    expect(await hookHostAllowed('https://10.0.0.1/h', false)).toBe(false);
    expect(await hookHostAllowed('https://[::ffff:127.0.0.1]/h', false)).toBe(false);
    expect(await hookHostAllowed('http://localhost:9000/h', false)).toBe(false);
    expect(await hookHostAllowed('https://93.184.215.14/h', false)).toBe(true);
    expect(await hookHostAllowed('http://127.0.0.1:9000/h', true)).toBe(true);
  });
});
