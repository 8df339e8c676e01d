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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadAverage, MC, median, runsArg, timeNode } from './lib.js';

const BUDGET_MS = 250;
const runs = runsArg(15);

async function timeOnce(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ ms: number; bytes: number }> {
  const r = await timeNode(args, { env });
  return { ms: r.ms, bytes: r.stdoutBytes };
}

const cacheDir = mkdtempSync(path.join(tmpdir(), 'mc-bench-cache-'));
const cases = [
  { label: 'node -e 0', run: () => timeOnce(['-e', '0']), times: [] as number[], bytes: 0 },
  { label: 'mc --version (CLI start-up, every command registered)', run: () => timeOnce([MC, '--version']), times: [] as number[], bytes: 0 },
  { label: 'mc install --ignore-cluster', run: () => timeOnce([MC, 'install', '--ignore-cluster'], { MC_CACHE_DIR: cacheDir }), times: [] as number[], bytes: 0 },
  {
    label: 'mc install --ignore-cluster (cold template cache)',
    run: async () => {
      const fresh = mkdtempSync(path.join(tmpdir(), 'mc-bench-cold-'));
      try {
        return await timeOnce([MC, 'install', '--ignore-cluster'], { MC_CACHE_DIR: fresh });
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
  for (const c of cases) await c.run();
  for (let r = 0; r < runs; r++) {
    for (const c of cases) {
      const { ms, bytes } = await c.run();
      c.times.push(ms);
      c.bytes = bytes;
    }
  }
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}

const floor = median(cases[0]!.times);
console.log(`install benchmark: medians over ${runs} interleaved rounds; load average ${loadAverage()}`);
for (const c of cases) {
  const m = median(c.times);
  const extra = c === cases[0] ? '' : `  (+${(m - floor).toFixed(0)} ms over node -e 0, ${(m / floor).toFixed(2)}x; ${c.bytes} bytes out)`;
  console.log(`  ${c.label.padEnd(56)} ${m.toFixed(0).padStart(5)} ms${extra}`);
}
const warm = median(cases[2]!.times);
console.log(`budget: mc install --ignore-cluster under ${BUDGET_MS} ms: ${warm < BUDGET_MS ? 'OK' : 'OVER'} (${warm.toFixed(0)} ms)`);
