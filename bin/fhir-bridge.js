#!/usr/bin/env node
// Runs the compiled CLI (npm ci builds it through the `prepare` script; `npm run build` rebuilds).
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const entry = path.join(root, 'dist', 'bridge', 'cli.js');

/** Newest modification time of the TypeScript sources under dir (a source checkout; absent in a package). */
function newestSource(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

if (!fs.existsSync(entry)) {
  console.error('fhir-bridge: dist/ is missing; run `npm run build` (npm ci does it) first');
  process.exit(1);
}
const sources = path.join(root, 'bridge');
const stamp = path.join(root, 'dist', '.built'); // written by `npm run build` after tsc
if (fs.existsSync(sources) && fs.existsSync(stamp) && newestSource(sources) > fs.statSync(stamp).mtimeMs) {
  // Not fatal: the sources may only have been touched. Running stale code silently would be worse.
  console.error('fhir-bridge: warning: bridge/ has changed since dist/ was built; run `npm run build` (npm start does)');
}
require(entry);
