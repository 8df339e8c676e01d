#!/usr/bin/env node
// Launcher: the CLI itself is compiled TypeScript, bundled into dist/bundle/ (`npm run build`).
import { runProcess } from '../dist/bundle/cli.js';

await runProcess();
