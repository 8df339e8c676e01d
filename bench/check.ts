/**
 * `mc check` on a cluster linked to N test clusters (N = 1, 10, 50), each
 * with 100 exported services mirrored into the checking cluster, and 20 ms
 * added latency per request on every cluster. Prints, per N, the median wall
 * time of the whole `mc check` process and the number of API requests it
 * made (all clusters together), and the ratio N=50 / N=1.
 *
 * Budget (issue 7): N = 50 takes at most 3x the time of N = 1.
 *
 * One set of remote clusters (east-1..east-50) serves all three cases; each N
 * has its own checking cluster (west-N) linked to the first N of them. Runs
 * are interleaved (one per N per round) so machine load hits all alike.
 *
 * Usage: node dist/bench/check.js [--runs N] [--latency MS] [--services N]
 */
import { makePki, putExportedService, putLink, putLinkerd, putMirror, putMulticluster, putProbeEndpoints } from '../test/fixtures/check.js';
import { startTestClusters } from '../test/support/index.js';
import { loadAverage, MC, median, numberArg, runsArg, timeNode } from './lib.js';

const RUNS = runsArg(3);
const LATENCY_MS = numberArg('latency', 20);
const SERVICES = numberArg('services', 100);
const SIZES = [1, 10, 50];
const BUDGET_RATIO = 3;

const maxN = Math.max(...SIZES);
const remoteNames = Array.from({ length: maxN }, (_, i) => `east-${i + 1}`);
const localNames = SIZES.map((n) => `west-${n}`);
const setupStart = Date.now();
const env = await startTestClusters([...localNames, ...remoteNames]);
try {
  const pki = await makePki();
  const gatewayOf = (i: number) => `172.18.${Math.floor(i / 250)}.${(i % 250) + 1}`;
  remoteNames.forEach((name, i) => {
    const c = env.cluster(name);
    putLinkerd(c, pki);
    putMulticluster(c, gatewayOf(i));
    for (let s = 0; s < SERVICES; s++) putExportedService(c, `svc-${s}`, `ns-${s % 10}`);
  });
  SIZES.forEach((n, k) => {
    const local = env.cluster(localNames[k]!);
    putLinkerd(local, pki);
    putMulticluster(local, '172.17.0.1');
    for (let i = 0; i < n; i++) {
      const remote = env.cluster(remoteNames[i]!);
      putLink(local, remote, pki, { gatewayAddress: gatewayOf(i) });
      putProbeEndpoints(local, remote.name, gatewayOf(i));
      for (let s = 0; s < SERVICES; s++) putMirror(local, remote.name, `svc-${s}`, `ns-${s % 10}`, gatewayOf(i));
    }
  });
  for (const c of env.clusters) c.faults.latencyMs = LATENCY_MS;
  console.log(`check: setup of ${env.clusters.length} test clusters in ${((Date.now() - setupStart) / 1000).toFixed(1)}s`);

  const times = new Map<number, number[]>(SIZES.map((n) => [n, []]));
  const requests = new Map<number, number[]>(SIZES.map((n) => [n, []]));
  const runOnce = async (n: number, k: number, record: boolean) => {
    for (const c of env.clusters) c.resetRequests();
    const r = await timeNode([MC, '--kubeconfig', env.kubeconfigPath, '--context', localNames[k]!, 'check', '--wait', '0s', '-o', 'short'], { allowFailure: true });
    const ms = r.ms;
    if (r.code !== 0) throw new Error(`mc check for N=${n} failed (exit ${r.code}):\n${r.stdoutTail}${r.stderrTail}`);
    if (record) {
      times.get(n)!.push(ms);
      requests.get(n)!.push(env.clusters.reduce((sum, c) => sum + c.requests, 0));
    }
  };
  // Warm-up (file cache, JIT of the servers), not counted.
  for (const [k, n] of SIZES.entries()) await runOnce(n, k, false);
  for (let round = 0; round < RUNS; round++) for (const [k, n] of SIZES.entries()) await runOnce(n, k, true);

  console.log(`check: median of ${RUNS} interleaved runs; ${SERVICES} exported + mirrored services per link; ${LATENCY_MS} ms added latency per request; node ${process.version}; load average ${loadAverage(1)}`);
  console.log('(the servers of all test clusters run in this process: their CPU time counts in the wall time, as load on a shared machine does)');
  console.log(`${'links'.padEnd(8)}${'wall time'.padStart(12)}${'min'.padStart(10)}${'max'.padStart(10)}${'requests'.padStart(10)}${'vs N=1'.padStart(9)}`);
  const base = median(times.get(SIZES[0]!)!);
  for (const n of SIZES) {
    const t = times.get(n)!;
    const m = median(t);
    console.log(
      `${`N=${n}`.padEnd(8)}${`${m.toFixed(0)} ms`.padStart(12)}${`${Math.min(...t).toFixed(0)}`.padStart(10)}${`${Math.max(...t).toFixed(0)}`.padStart(10)}${String(median(requests.get(n)!)).padStart(10)}${`${(m / base).toFixed(2)}x`.padStart(9)}`,
    );
  }
  const ratio = median(times.get(maxN)!) / base;
  console.log(`budget: N=${maxN} at most ${BUDGET_RATIO}x N=1 -> ${ratio.toFixed(2)}x ${ratio <= BUDGET_RATIO ? 'OK' : 'OVER BUDGET'}`);
} finally {
  await env.stop();
}
