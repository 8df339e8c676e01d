/**
 * Install benchmark: whole-process wall time of
 *   node -e 0                                (the floor: Node itself)
 *   node bin/mc.js --version                 (the CLI's own start-up, shared by every command)
 *   node bin/mc.js install --ignore-cluster  (templates precompiled and cached: every run but the first)
 *   the same with a fresh template cache     (Handlebars' compiler loaded and run)
 * Runs are interleaved (one of each per round) so load on the machine hits
 * all alike; medians over N rounds (default 15). Output goes to a pipe that
 * is read in full, as `| kubectl apply -f -` would.
 *
 * Budget (issue 4): `mc install --ignore-cluster` under 250 ms.
 *
 * Usage: node dist/bench/install.js [--runs N]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MC = path.join(ROOT, 'bin', 'mc.js');
const BUDGET_MS = 250;

const i = process.argv.indexOf('--runs');
const runs = Number(i >= 0 ? process.argv[i + 1] : (process.env.BENCH_RUNS ?? 15));

function timeOnce(args: string[], env: NodeJS.ProcessEnv = {}): { ms: number; bytes: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${r.status}: ${r.stderr?.toString().slice(0, 500)}`);
  return { ms, bytes: r.stdout.length };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const cacheDir = mkdtempSync(path.join(tmpdir(), 'mc-bench-cache-'));
const cases = [
  { label: 'node -e 0', run: () => timeOnce(['-e', '0']), times: [] as number[], bytes: 0 },
  { label: 'mc --version (CLI start-up, every command registered)', run: () => timeOnce([MC, '--version']), times: [] as number[], bytes: 0 },
  { label: 'mc install --ignore-cluster', run: () => timeOnce([MC, 'install', '--ignore-cluster'], { MC_CACHE_DIR: cacheDir }), times: [] as number[], bytes: 0 },
  {
    label: 'mc install --ignore-cluster (cold template cache)',
    run: () => {
      const fresh = mkdtempSync(path.join(tmpdir(), 'mc-bench-cold-'));
      try {
        return timeOnce([MC, 'install', '--ignore-cluster'], { MC_CACHE_DIR: fresh });
      } finally {
        rmSync(fresh, { recursive: true, force: true });
      }
    },
    times: [] as number[],
    bytes: 0,
  },
];

try {
  // Warm-up: fills the template cache and the OS file cache.
  for (const c of cases) c.run();
  for (let r = 0; r < runs; r++) {
    for (const c of cases) {
      const { ms, bytes } = c.run();
      c.times.push(ms);
      c.bytes = bytes;
    }
  }
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}

const floor = median(cases[0]!.times);
console.log(`install benchmark: medians over ${runs} interleaved rounds`);
for (const c of cases) {
  const m = median(c.times);
  const extra = c === cases[0] ? '' : `  (+${(m - floor).toFixed(0)} ms over node -e 0, ${(m / floor).toFixed(2)}x; ${c.bytes} bytes out)`;
  console.log(`  ${c.label.padEnd(56)} ${m.toFixed(0).padStart(5)} ms${extra}`);
}
const warm = median(cases[2]!.times);
console.log(`budget: mc install --ignore-cluster under ${BUDGET_MS} ms: ${warm < BUDGET_MS ? 'OK' : 'OVER'} (${warm.toFixed(0)} ms)`);
