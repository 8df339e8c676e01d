/**
 * `mc certs inspect` on one bundle of N certificates (N = 1,000 and 20,000):
 * a trust anchor, 10 issuers that share one name (as every Linkerd issuer
 * of a trust domain does, told apart by their key ids) and N - 11 leaves
 * spread over them. Prints per N the median wall time of the whole process,
 * the time per certificate, and the ratio of the two per-certificate times:
 * near 1 when chain building is linear (issue 10: before indexing by subject
 * and key id, 1,000 took 3.2 s and 20,000 took 5.5 min).
 *
 * Usage: node dist/bench/certs-inspect.js [--runs N] [--sizes 1000,20000]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { certificateBundle } from '../test/fixtures/certs.js';
import { arg, loadAverage, MC, median, runsArg, timeNode } from './lib.js';

const RUNS = runsArg(3);
const SIZES = (arg('sizes') ?? '1000,20000').split(',').map(Number);
const ISSUERS = 10;

const dir = mkdtempSync(path.join(tmpdir(), 'mc-bench-inspect-'));
try {
  const perCert = new Map<number, number>();
  for (const n of SIZES) {
    const file = path.join(dir, `bundle-${n}.pem`);
    const g0 = Date.now();
    writeFileSync(file, await certificateBundle(n, ISSUERS));
    process.stdout.write(`(${n} certificates made in ${((Date.now() - g0) / 1000).toFixed(1)} s)\n`);
    const times: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      // Leaves expire within 60 days: every one warns, so the exit code is 0 and the whole report is printed.
      const run = await timeNode([MC, 'certs', 'inspect', file]);
      if (!run.stdoutTail.includes(`${n} certificates: ${n - 1 - ISSUERS} warnings`)) throw new Error(`unexpected report for ${n}: ${run.stdoutTail.slice(-300)}`);
      times.push(run.ms);
    }
    const ms = median(times);
    perCert.set(n, ms / n);
    process.stdout.write(`certs inspect, ${n} certificates: median ${(ms / 1000).toFixed(2)} s over ${RUNS} run(s), ${((ms / n) * 1000).toFixed(0)} µs per certificate\n`);
  }
  if (SIZES.length >= 2) {
    const first = perCert.get(SIZES[0]!)!;
    const last = perCert.get(SIZES[SIZES.length - 1]!)!;
    process.stdout.write(`time per certificate, ${SIZES[SIZES.length - 1]} / ${SIZES[0]}: ${(last / first).toFixed(2)}x (1 = linear)\n`);
  }
  process.stdout.write(`load average: ${loadAverage()}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
