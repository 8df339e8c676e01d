/**
 * `npm test`: every dist/test/*.test.js, run by a few worker processes rather
 * than one process per file.
 *
 * Why: a file in its own process paid node's start and the loading of mc, its
 * dependencies and the test server again: about 0.45 s of CPU per file, a fifth
 * of the suite's CPU on a 2-core machine. Each worker (queue-worker.ts) takes
 * the next file no other worker took, runs it as a suite named after the file
 * (its before/after hooks scoped to it, as in its own process), and takes the
 * next once it is done. The slowest files are queued first so that none of them
 * starts last. One file alone still runs as before: node --test dist/test/NAME.test.js.
 *
 *   node dist/test/helpers/run-all.js [node --test options...]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { QUEUE_ENV, type Queue } from './queue-worker.js';

/** Worker processes: as many as files ran at a time before (the test servers' waits overlap across them). */
const WORKERS = 4;

/** Files whose tests take longest, first (a file cannot finish before its slowest test); the rest follow by name. */
const SLOW_FIRST = ['test-server-demo', 'certs-rotate', 'connect-e2e', 'check', 'kube-hardening', 'test-server', 'adopt-gateway', 'export-live', 'test-server-pods', 'status-e2e', 'migration-e2e', 'export'].map((n) => `${n}.test.js`);

const testDir = dirname(dirname(fileURLToPath(import.meta.url)));
const rank = (name: string) => (SLOW_FIRST.includes(name) ? SLOW_FIRST.indexOf(name) : SLOW_FIRST.length);
const files = readdirSync(testDir)
  .filter((name) => name.endsWith('.test.js'))
  .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));

const work = mkdtempSync(join(tmpdir(), 'mc-test-run-'));
const queue: Queue = { files: files.map((name) => ({ name, url: pathToFileURL(join(testDir, name)).href })) };
writeFileSync(join(work, 'queue.json'), JSON.stringify(queue));
mkdirSync(join(work, 'claimed'));
mkdirSync(join(work, 'done'));
const workerUrl = pathToFileURL(join(testDir, 'helpers', 'queue-worker.js')).href;
const workers = Array.from({ length: Math.min(WORKERS, files.length) }, (_, i) => {
  const path = join(work, `worker-${i + 1}.mjs`);
  writeFileSync(path, `import { runQueue } from ${JSON.stringify(workerUrl)};\nawait runQueue();\n`);
  return path;
});

const child = spawn(process.execPath, ['--test', `--test-concurrency=${workers.length}`, ...process.argv.slice(2), ...workers], {
  stdio: 'inherit',
  env: { ...process.env, [QUEUE_ENV]: work },
});
// Ctrl-C reaches the workers too (same process group): wait for them to stop, then clean up.
process.on('SIGINT', () => {});
child.on('close', (code, signal) => {
  // A worker that died mid-queue leaves files unrun: say which, and fail.
  const notRun = files.filter((name) => !existsSync(join(work, 'done', name)));
  rmSync(work, { recursive: true, force: true });
  if (notRun.length > 0) console.error(`run-all: ${notRun.length} test file(s) did not run to the end: ${notRun.join(', ')}`);
  process.exitCode = code === 0 && !signal && notRun.length === 0 ? 0 : 1;
});
