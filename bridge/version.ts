import fs from 'node:fs';
import path from 'node:path';

/** package.json sits two levels up from source (bridge/) and three from the build (dist/bridge/). */
function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    const file = path.resolve(__dirname, rel);
    if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return '0.0.0';
}

export const VERSION: string = readVersion();
