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
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MC = path.join(ROOT, 'bin', 'mc.js');
const HELP_BUDGET_OVER_NODE_MS = 80;
const GENERATE_BUDGET_MS = 300;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const runs = Number(arg('--runs') ?? process.env.BENCH_RUNS ?? 15);
const diagnose = process.argv.includes('--diagnose');

/**
 * CPU time (user + sys, ms) of the children this process has waited for, from
 * /proc/self/stat (Linux; clock ticks of 10 ms). Less sensitive than wall time
 * to other processes on the machine. Undefined where /proc is missing.
 */
function childrenCpuMs(): number | undefined {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    // After "pid (comm) ": state is field 3, cutime 16 and cstime 17 (1-based).
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

let lastCpu = 0;
function timeOnce(args: string[], env: NodeJS.ProcessEnv = {}): number {
  const c0 = childrenCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) {
    throw new Error(`node ${args.join(' ')} exited with ${r.status}: ${r.stderr?.toString().slice(0, 500)}`);
  }
  const c1 = childrenCpuMs();
  lastCpu = c0 !== undefined && c1 !== undefined ? c1 - c0 : NaN;
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Case {
  label: string;
  args: () => string[];
  times: number[];
  cpu: number[];
}

const loadAtStart = loadavg().map((x) => x.toFixed(2)).join(' ');
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
  for (const c of cases) timeOnce(c.args());
  for (let i = 0; i < runs; i++) {
    for (const c of cases) {
      c.times.push(timeOnce(c.args()));
      c.cpu.push(lastCpu);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const base = median(cases[0]!.times);
const load = loadavg().map((x) => x.toFixed(2)).join(' ');
const fmt = (x: number) => `${x.toFixed(1)} ms`;
const width = Math.max(...cases.map((c) => c.label.length)) + 2;
console.log(`startup: median of ${runs} interleaved runs, node ${process.version}, ${process.platform}/${process.arch}`);
console.log(`load average at start ${loadAtStart}, at end ${load} (other processes slow every row alike; compare with node -e 0)`);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
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
  const rows = modules.map((f) => {
    const url = new URL(`file://${path.join(dir, f)}`).href;
    // Interleaved pairs: the import, and node -e 0 right after it.
    const diffs = Array.from({ length: importRuns }, () => timeOnce(['--input-type=module', '-e', `await import(${JSON.stringify(url)})`]) - timeOnce(['-e', '0']));
    return { f, t: median(diffs) };
  });
  for (const r of rows.sort((a, b) => b.t - a.t)) console.log(`  ${r.f.padEnd(28)} ${r.t >= 0 ? '+' : ''}${r.t.toFixed(1)} ms`);
}

// Figures, not assertions: the exit status stays 0 whatever the verdicts.
