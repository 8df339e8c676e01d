#!/usr/bin/env node
// Launcher: the CLI itself is compiled TypeScript in dist/ (`npm run build`).
import { main } from '../dist/src/cli.js';

process.exitCode = await main(process.argv.slice(2));
