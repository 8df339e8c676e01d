/**
 * What every benchmark script shares: where mc is, reading `--runs`-style
 * arguments, timing a whole child process (wall time, children's CPU time,
 * bytes out), medians and the machine's load average. Not a benchmark itself
 * (bench/all.ts runs only the scripts it names).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** bin/mc.js, the launcher users run. */
export const MC = path.join(ROOT, 'bin', 'mc.js');

/** The word after `--name` on the command line, if any. */
export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name.replace(/^--/, '')}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** A number after `--name`, else `fallback`. */
export function numberArg(name: string, fallback: number): number {
  const v = arg(name);
  return v === undefined ? fallback : Number(v);
}

/** Rounds to run: `--runs N`, else $BENCH_RUNS, else `fallback`. */
export function runsArg(fallback: number): number {
  return numberArg('runs', Number(process.env.BENCH_RUNS ?? fallback));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** The load average (1, 5, 15 min) as "0.52 0.61 0.70". */
export function loadAverage(digits = 2): string {
  return loadavg()
    .map((x) => x.toFixed(digits))
    .join(' ');
}

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

export interface ProcessRun {
  /** Wall time from spawn to exit. */
  ms: number;
  /** CPU time of the child (NaN where it cannot be read, or when runs overlap). */
  cpuMs: number;
  code: number;
  /** Bytes the child wrote to stdout (read in full, as `| kubectl apply -f -` would). */
  stdoutBytes: number;
  /** The last 4 KB of stdout and of stderr, for error messages. */
  stdoutTail: string;
  stderrTail: string;
}

export interface TimeOptions {
  cwd?: string;
  /** Added to this process's environment (NO_COLOR=1 is always set). */
  env?: NodeJS.ProcessEnv;
  /** Resolve with a non-zero exit instead of rejecting. */
  allowFailure?: boolean;
}

const TAIL = 4096;
const keepTail = (s: string, d: Buffer) => (s + d.toString()).slice(-TAIL);

/**
 * Time one whole process. Asynchronous, so that test API servers living in
 * this process keep answering while it runs.
 */
export function timeProcess(cmd: string, args: string[], o: TimeOptions = {}): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const c0 = childrenCpuMs();
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: o.cwd ?? ROOT, env: { ...process.env, NO_COLOR: '1', ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdoutBytes = 0;
    let stdoutTail = '';
    let stderrTail = '';
    child.stdout.on('data', (d: Buffer) => {
      stdoutBytes += d.length;
      stdoutTail = keepTail(stdoutTail, d);
    });
    child.stderr.on('data', (d: Buffer) => (stderrTail = keepTail(stderrTail, d)));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const c1 = childrenCpuMs();
      const run = { ms, cpuMs: c0 !== undefined && c1 !== undefined ? c1 - c0 : NaN, code: code ?? -1, stdoutBytes, stdoutTail, stderrTail };
      if (code !== 0 && !o.allowFailure) reject(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal}: ${stderrTail.slice(-500)}`));
      else resolve(run);
    });
  });
}

/** Time `node ARGS` (e.g. `[MC, '--help']`, or `['-e', '0']` for the floor). */
export function timeNode(args: string[], o: TimeOptions = {}): Promise<ProcessRun> {
  return timeProcess(process.execPath, args, o);
}
