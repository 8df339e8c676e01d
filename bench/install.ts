/**
 * Install benchmark: whole-process wall time of
 *   node -e 0                                (the floor: Node itself)
 *   node bin/mc.js --version                 (the CLI's own start-up, shared by every command)
 *   node bin/mc.js install --ignore-cluster  (templates precompiled by `npm run build`)
 * Runs are interleaved (one of each per round) so load on the machine hits
 * all alike; medians over N rounds (default 15). Output goes to a pipe that
 * is read in full, as `| kubectl apply -f -` would.
 *
 * Budget (issue 4): `mc install --ignore-cluster` under 250 ms.
 *
 * Usage: node dist/bench/install.js [--runs N]
 */
import { loadAverage, MC, median, runsArg, timeNode } from './lib.js';

const BUDGET_MS = 250;
const runs = runsArg(15);

async function timeOnce(args: string[]): Promise<{ ms: number; bytes: number }> {
  const r = await timeNode(args);
  return { ms: r.ms, bytes: r.stdoutBytes };
}

const cases = [
  { label: 'node -e 0', run: () => timeOnce(['-e', '0']), times: [] as number[], bytes: 0 },
  { label: 'mc --version (CLI start-up)', run: () => timeOnce([MC, '--version']), times: [] as number[], bytes: 0 },
  { label: 'mc install --ignore-cluster', run: () => timeOnce([MC, 'install', '--ignore-cluster']), times: [] as number[], bytes: 0 },
];

// Warm-up: the OS file cache.
for (const c of cases) await c.run();
for (let r = 0; r < runs; r++) {
  for (const c of cases) {
    const { ms, bytes } = await c.run();
    c.times.push(ms);
    c.bytes = bytes;
  }
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
