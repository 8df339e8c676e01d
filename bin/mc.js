#!/usr/bin/env node
// Launcher: the CLI itself is compiled TypeScript, bundled into dist/bundle/mc.cjs (`npm run build`), loaded by load-cli.js.
import { cacheName, loadCli } from './load-cli.js';

const { runProcess } = loadCli(cacheName(process.argv.slice(2)));
await runProcess();
