/**
 * Startup benchmark: whole-process wall time of
 *   node -e 0                                   (the floor: Node itself)
 *   node bin/mc.js --help
 *   node bin/mc.js certs generate --cluster a --cluster b --dir <fresh dir>
 *   node bin/mc.js install --ignore-cluster
 * Runs are interleaved (one of each per round) so that load on the machine
 * hits all alike; medians over N rounds (default 15).
 *
 * Budgets (issues 2 and 4): --help at most 80 ms more than `node -e 0`; certs
 * generate for two clusters under 300 ms; install --ignore-cluster under 250 ms
 * (bench/install.ts times it too, against --version).
 *
 * Usage: node dist/bench/startup.js [--runs N] [--diagnose]
 *   --diagnose  also time each mc row without the launcher's bundle (dist/src,
 *               one file per module), to show what the bundle saves; done
 *               automatically when a budget is over
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadAverage, MC, mean, median, ROOT, runsArg, timeNode } from './lib.js';

const HELP_BUDGET_OVER_NODE_MS = 80;
const GENERATE_BUDGET_MS = 300;
const INSTALL_BUDGET_MS = 250;

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
let work = mkdtempSync(path.join(tmpdir(), 'mc-bench-'));
let n = 0;
const mcCases = (label: string, launch: string[]): Case[] => [
  { label: `${label} --help`, args: () => [...launch, '--help'], times: [], cpu: [] },
  {
    label: `${label} certs generate --cluster a --cluster b`,
    args: () => [...launch, 'certs', 'generate', '--cluster', 'a', '--cluster', 'b', '--dir', path.join(work, `run-${n++}`)],
    times: [],
    cpu: [],
  },
  { label: `${label} install --ignore-cluster`, args: () => [...launch, 'install', '--ignore-cluster'], times: [], cpu: [] },
];
const cases: Case[] = [{ label: 'node -e 0', args: () => ['-e', '0'], times: [], cpu: [] }, ...mcCases('mc', [MC])];

async function measure(list: Case[]): Promise<void> {
  // One warm-up round (file cache), not counted.
  for (const c of list) await timeOnce(c.args());
  for (let i = 0; i < runs; i++) {
    for (const c of list) {
      c.times.push(await timeOnce(c.args()));
      c.cpu.push(lastCpu);
    }
  }
}

try {
  await measure(cases);
} finally {
  rmSync(work, { recursive: true, force: true });
}

const load = loadAverage();
const fmt = (x: number) => `${x.toFixed(1)} ms`;
const width = 50;
function printRows(list: Case[]): void {
  const base = median(list[0]!.times);
  console.log(`${''.padEnd(width)}${'median'.padStart(11)}${'min'.padStart(11)}${'max'.padStart(11)}${'vs node -e 0'.padStart(15)}${'CPU (mean)'.padStart(13)}`);
  for (const c of list) {
    const m = median(c.times);
    const diff = c === list[0] ? '—' : `+${(m - base).toFixed(1)} ms`;
    const cpu = mean(c.cpu);
    const cpuText = Number.isNaN(cpu) ? 'n/a' : fmt(cpu);
    console.log(`${c.label.padEnd(width)}${fmt(m).padStart(11)}${fmt(Math.min(...c.times)).padStart(11)}${fmt(Math.max(...c.times)).padStart(11)}${diff.padStart(15)}${cpuText.padStart(13)}`);
  }
}

const base = median(cases[0]!.times);
console.log(`startup: median of ${runs} interleaved runs, node ${process.version}, ${process.platform}/${process.arch}`);
console.log(`load average at start ${loadAtStart}, at end ${load} (other processes slow every row alike; compare with node -e 0)`);
printRows(cases);

const help = median(cases[1]!.times) - base;
const gen = median(cases[2]!.times);
const install = median(cases[3]!.times);
const helpOk = help <= HELP_BUDGET_OVER_NODE_MS;
const genOk = gen < GENERATE_BUDGET_MS;
const installOk = install < INSTALL_BUDGET_MS;
console.log('');
console.log(`budget mc --help: at most +${HELP_BUDGET_OVER_NODE_MS} ms over node -e 0: +${help.toFixed(1)} ms  ${helpOk ? 'OK' : 'OVER BUDGET'}`);
console.log(`budget mc certs generate (2 clusters): under ${GENERATE_BUDGET_MS} ms: ${gen.toFixed(1)} ms  ${genOk ? 'OK' : 'OVER BUDGET'}`);
console.log(`budget mc install --ignore-cluster: under ${INSTALL_BUDGET_MS} ms: ${install.toFixed(1)} ms  ${installOk ? 'OK' : 'OVER BUDGET'}`);

if (!helpOk || !genOk || !installOk || diagnose) {
  // What the launcher's bundle saves: the same rows run from dist/src (Node loads each module's file).
  const unbundled = pathToFileURL(path.join(ROOT, 'dist', 'src', 'cli.js')).href;
  const floor: Case = { label: 'node -e 0', args: () => ['-e', '0'], times: [], cpu: [] };
  // `-e` puts its first argument at argv[1], where runProcess expects the script.
  const rows = [floor, ...mcCases('unbundled', ['--input-type=module', '-e', `(await import(${JSON.stringify(unbundled)})).runProcess()`, 'mc'])];
  const dir = mkdtempSync(path.join(tmpdir(), 'mc-bench-'));
  work = dir;
  try {
    await measure(rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('');
  console.log('without the bundle (dist/src, one file per module; bin/mc.js runs dist/bundle):');
  printRows(rows);
}

// Figures, not assertions: the exit status stays 0 whatever the verdicts.
