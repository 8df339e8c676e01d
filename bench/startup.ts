/**
 * Startup benchmark: whole-process wall time of
 *   node -e 0                                   (the floor: Node itself)
 *   node bin/mc.js --help
 *   node bin/mc.js certs generate --cluster a --cluster b --dir <fresh dir>
 * Runs are interleaved (one of each per round) so that load on the machine
 * hits all three alike; medians over N rounds (default 15).
 *
 * Budgets (issue 2): --help at most 80 ms more than `node -e 0`; certs
 * generate for two clusters under 300 ms.
 *
 * Usage: node dist/bench/startup.js [--runs N] [--diagnose]
 *   --diagnose  also time the import of each command module (done
 *               automatically when --help is over budget)
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadAverage, MC, mean, median, ROOT, runsArg, timeNode } from './lib.js';

const HELP_BUDGET_OVER_NODE_MS = 80;
const GENERATE_BUDGET_MS = 300;

const runs = runsArg(15);
const diagnose = process.argv.includes('--diagnose');

let lastCpu = 0;
async function timeOnce(args: string[]): Promise<number> {
  const r = await timeNode(args);
  lastCpu = r.cpuMs;
  return r.ms;
}

interface Case {
  label: string;
  args: () => string[];
  times: number[];
  cpu: number[];
}

const loadAtStart = loadAverage();
const work = mkdtempSync(path.join(tmpdir(), 'mc-bench-'));
let n = 0;
const cases: Case[] = [
  { label: 'node -e 0', args: () => ['-e', '0'], times: [], cpu: [] },
  { label: 'mc --help', args: () => [MC, '--help'], times: [], cpu: [] },
  {
    label: 'mc certs generate --cluster a --cluster b',
    args: () => [MC, 'certs', 'generate', '--cluster', 'a', '--cluster', 'b', '--dir', path.join(work, `run-${n++}`)],
    times: [],
    cpu: [],
  },
];

try {
  // One warm-up round (file cache), not counted.
  for (const c of cases) await timeOnce(c.args());
  for (let i = 0; i < runs; i++) {
    for (const c of cases) {
      c.times.push(await timeOnce(c.args()));
      c.cpu.push(lastCpu);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const base = median(cases[0]!.times);
const load = loadAverage();
const fmt = (x: number) => `${x.toFixed(1)} ms`;
const width = Math.max(...cases.map((c) => c.label.length)) + 2;
console.log(`startup: median of ${runs} interleaved runs, node ${process.version}, ${process.platform}/${process.arch}`);
console.log(`load average at start ${loadAtStart}, at end ${load} (other processes slow every row alike; compare with node -e 0)`);
console.log(`${''.padEnd(width)}${'median'.padStart(11)}${'min'.padStart(11)}${'max'.padStart(11)}${'vs node -e 0'.padStart(15)}${'CPU (mean)'.padStart(13)}`);
for (const c of cases) {
  const m = median(c.times);
  const diff = c === cases[0] ? '—' : `+${(m - base).toFixed(1)} ms`;
  const cpu = mean(c.cpu);
  const cpuText = Number.isNaN(cpu) ? 'n/a' : fmt(cpu);
  console.log(`${c.label.padEnd(width)}${fmt(m).padStart(11)}${fmt(Math.min(...c.times)).padStart(11)}${fmt(Math.max(...c.times)).padStart(11)}${diff.padStart(15)}${cpuText.padStart(13)}`);
}

const help = median(cases[1]!.times) - base;
const gen = median(cases[2]!.times);
const helpOk = help <= HELP_BUDGET_OVER_NODE_MS;
const genOk = gen < GENERATE_BUDGET_MS;
console.log('');
console.log(`budget mc --help: at most +${HELP_BUDGET_OVER_NODE_MS} ms over node -e 0: +${help.toFixed(1)} ms  ${helpOk ? 'OK' : 'OVER BUDGET'}`);
console.log(`budget mc certs generate (2 clusters): under ${GENERATE_BUDGET_MS} ms: ${gen.toFixed(1)} ms  ${genOk ? 'OK' : 'OVER BUDGET'}`);

if (!helpOk || diagnose) {
  // Which command module makes --help slow? Time importing each one alone.
  const dir = path.join(ROOT, 'dist', 'src', 'commands');
  const modules = readdirSync(dir).filter((f) => f.endsWith('.js'));
  const importRuns = Math.max(3, Math.min(runs, 5));
  console.log('');
  console.log(`import cost of each command module (median of ${importRuns}, minus node -e 0; commander and cli-kit are shared):`);
  const rows: Array<{ f: string; t: number }> = [];
  for (const f of modules) {
    const url = new URL(`file://${path.join(dir, f)}`).href;
    // Interleaved pairs: the import, and node -e 0 right after it.
    const diffs: number[] = [];
    for (let i = 0; i < importRuns; i++) diffs.push((await timeOnce(['--input-type=module', '-e', `await import(${JSON.stringify(url)})`])) - (await timeOnce(['-e', '0'])));
    rows.push({ f, t: median(diffs) });
  }
  for (const r of rows.sort((a, b) => b.t - a.t)) console.log(`  ${r.f.padEnd(28)} ${r.t >= 0 ? '+' : ''}${r.t.toFixed(1)} ms`);
}

// Figures, not assertions: the exit status stays 0 whatever the verdicts.
