#!/usr/bin/env node
// Launcher: the CLI itself is compiled TypeScript, bundled into dist/bundle/mc.cjs (`npm run build`), loaded by load-cli.js.
const { cacheName, loadCli } = require('./load-cli.js');

loadCli(cacheName(process.argv.slice(2))).runProcess();
