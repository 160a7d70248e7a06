#!/usr/bin/env node
// Runs the compiled CLI (npm ci builds it through the `prepare` script; `npm run build` rebuilds).
require('../dist/bridge/cli.js');
