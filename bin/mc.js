#!/usr/bin/env node
// Launcher: the CLI itself is compiled TypeScript in dist/ (`npm run build`).
import { runProcess } from '../dist/src/cli.js';

await runProcess();
