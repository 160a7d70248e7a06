import { loadConfig } from '../../../bridge/config';
import { ed25519PublicKey, randomSeed } from '../../../bridge/log/ed25519';
import { SIG_COSIGNATURE_V1, vkey } from '../../../bridge/log/note';

const key = (name: string) => vkey(name, ed25519PublicKey(randomSeed()), SIG_COSIGNATURE_V1);

test('LOG_WITNESSES: comma-separated <url>=<vkey> pairs; none by default; a bad pair is refused', () => {
  expect(loadConfig({}).log.witnesses).toEqual([]);
  const a = key('witness.example/a');
  const b = key('witness.example/b');
  expect(loadConfig({ LOG_WITNESSES: `https://a.example/w/=${a}, http://127.0.0.1:9000=${b}` }).log.witnesses).toEqual([
    { url: 'https://a.example/w', vkey: a },
    { url: 'http://127.0.0.1:9000', vkey: b },
  ]);
  expect(() => loadConfig({ LOG_WITNESSES: `ftp://a.example=${a}` })).toThrow(/LOG_WITNESSES/);
  expect(() => loadConfig({ LOG_WITNESSES: 'https://a.example=not-a-key' })).toThrow();
  expect(() => loadConfig({ LOG_WITNESSES: a })).toThrow(/LOG_WITNESSES/);
});
