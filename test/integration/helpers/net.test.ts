import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../helpers/net';

test('freePort never hands one port out twice, within a process or across processes asking at once', async () => {
  const script = `const { freePort } = require(${JSON.stringify(path.resolve(__dirname, '../../helpers/net.ts'))});
    (async () => { const ports = []; for (let i = 0; i < 25; i++) ports.push(await freePort()); console.log(JSON.stringify(ports)); })();`;
  const children = Array.from({ length: 4 }, () =>
    promisify(execFile)(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script]).then((r) => JSON.parse(r.stdout) as number[]),
  );
  const mine = await Promise.all(Array.from({ length: 25 }, () => freePort()));
  const all = [...mine, ...(await Promise.all(children)).flat()];
  expect(all).toHaveLength(125);
  expect(new Set(all).size).toBe(125);
  // Each is below the kernel's ephemeral range and can be listened on.
  expect(all.every((p) => p >= 1024 && p < 32768)).toBe(true);
  const s = createServer();
  await new Promise<void>((resolve, reject) => s.once('error', reject).listen(mine[0], '127.0.0.1', resolve));
  await new Promise((r) => s.close(r));
});
