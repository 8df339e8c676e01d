/**
 * `mc status` over 2, 10 and 20 clusters (20 ms added latency per request),
 * and `mc connect --mesh` of 3 and 10 clusters (6 and 90 links), in one run.
 * Each figure is the median wall time of the whole mc process.
 *
 * Status: twenty test clusters in a ring, each mirroring both neighbours (so
 * every cluster has two links whatever N is), the simulated mirrors holding
 * their Leases and serving their gateway metrics; `mc status --contexts` of
 * the first N. Connect: fresh clusters with Linkerd and the extension; each
 * timed run is followed by an untimed `mc disconnect --mesh` so the next run
 * connects again from nothing.
 *
 * Budgets (issue 15): status of 20 clusters at most 2x status of 2; connect
 * of 10 clusters (90 links) under 3 s.
 *
 * `--baseline DIR[,DIR...]`: also time status with other checkouts' builds (DIR/bin/mc.js, e.g.
 * main's before a change), in the same rounds, so that before and after are measured in one run.
 * `--latency MS[,MS...]`: each added latency in turn (API servers are often 20-100 ms away);
 * `--sizes N[,N...]`: the numbers of clusters (the first is the ratios' base).
 *
 * Usage: node dist/bench/status-connect.js [--runs N] [--latency MS,...] [--sizes N,...] [--only status|connect] [--baseline DIR,...]
 */
import { startMeshClusters } from '../test/fixtures/mesh.js';
import type { TestEnv } from '../test/support/index.js';
import { startServiceMirrorSimulation } from '../test/support/linkerd-sim.js';
import path from 'node:path';
import { arg, loadAverage, MC, median, runsArg, timeNode } from './lib.js';

const RUNS = runsArg(3);
const numbers = (name: string, fallback: number[]) => arg(name)?.split(',').map(Number) ?? fallback;
const LATENCIES_MS = numbers('latency', [20]);
/** --only status|connect: one half (quicker, while working on it). */
const ONLY = arg('only');
const STATUS_SIZES = ONLY === 'connect' ? [] : numbers('sizes', [2, 10, 20]);
const CONNECT_SIZES = ONLY === 'status' ? [] : [3, 10];
const STATUS_BUDGET = 2;
/** The builds whose status is timed: this one, then --baseline's, each named by its folder. */
const STATUS_BUILDS: Array<[string, string]> = [['', MC], ...(arg('baseline')?.split(',') ?? []).map((dir): [string, string] => [`baseline ${path.basename(path.resolve(dir))} `, path.resolve(dir, 'bin', 'mc.js')])];
const CONNECT_BUDGET_MS = 3000;

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
const fmt = (ms: number) => `${ms.toFixed(0)} ms`.padStart(10);

const setupStart = Date.now();
const ring = names('s', Math.max(0, ...STATUS_SIZES));
const statusEnv = ring.length > 0 ? await startMeshClusters(ring) : undefined;
const connectEnvs = await Promise.all(CONNECT_SIZES.map((n) => startMeshClusters(names(`m${n}-`, n))));
const requestsOf = (env: TestEnv) => env.clusters.reduce((sum, c) => sum + c.requests, 0);
const connectionsOf = (env: TestEnv) => env.clusters.reduce((sum, c) => sum + c.connections, 0);
try {
  const mc = (kubeconfig: string, args: string[], bin = MC) => timeNode([bin, '--kubeconfig', kubeconfig, ...args], { allowFailure: true });
  if (statusEnv) {
    // The ring: s1 <-> s2 <-> ... <-> s20 <-> s1.
    for (let i = 0; i < ring.length; i++) {
      const r = await mc(statusEnv.kubeconfigPath, ['connect', ring[i]!, ring[(i + 1) % ring.length]!, '--allow-loopback']);
      if (r.code !== 0) throw new Error(`setup: mc connect failed:\n${r.stderrTail}`);
    }
    const sims = ring.map((n) => startServiceMirrorSimulation(statusEnv, n, { intervalMs: 0 }));
    for (let i = 0; i < 2; i++) await Promise.all(sims.map((s) => s.syncOnce()));
    sims.forEach((s) => s.stop());
  }
  console.log(`status-connect: setup of ${(statusEnv?.clusters.length ?? 0) + connectEnvs.reduce((a, e) => a + e.clusters.length, 0)} test clusters in ${((Date.now() - setupStart) / 1000).toFixed(1)}s`);

  // Per build and size: wall times, mc's CPU times, requests and TLS connections of each run.
  const statusRuns = new Map<string, { ms: number[]; cpuMs: number[]; requests: number[]; connections: number[] }>();
  const statusKey = (build: string, latencyMs: number, n: number) => `${build}${latencyMs} ${n}`;
  for (const [build] of STATUS_BUILDS) for (const l of LATENCIES_MS) for (const n of STATUS_SIZES) statusRuns.set(statusKey(build, l, n), { ms: [], cpuMs: [], requests: [], connections: [] });
  if (statusEnv) {
    const statusOnce = async (build: string, bin: string, latencyMs: number, n: number, record: boolean) => {
      for (const c of statusEnv.clusters) c.faults.latencyMs = latencyMs;
      for (const c of statusEnv.clusters) c.resetRequests();
      const r = await mc(statusEnv.kubeconfigPath, ['status', '--contexts', ring.slice(0, n).join(','), '-o', 'json', '--timeout', '20s'], bin);
      if (r.code !== 0) throw new Error(`${build}mc status of ${n} clusters failed (exit ${r.code}):\n${r.stdoutTail}${r.stderrTail}`);
      if (!record) return;
      const runs = statusRuns.get(statusKey(build, latencyMs, n))!;
      runs.ms.push(r.ms);
      runs.cpuMs.push(r.cpuMs);
      // Every cluster counts: the links of the first n reach their neighbours through the Links' credentials.
      runs.requests.push(requestsOf(statusEnv));
      runs.connections.push(connectionsOf(statusEnv));
    };
    const each = async (record: boolean) => {
      for (const l of LATENCIES_MS) for (const [build, bin] of STATUS_BUILDS) for (const n of STATUS_SIZES) await statusOnce(build, bin, l, n, record);
    };
    await each(false);
    for (let round = 0; round < RUNS; round++) await each(true);
  }

  const connectTimes = new Map<number, number[]>(CONNECT_SIZES.map((n) => [n, []]));
  const connectRequests = new Map<number, number[]>(CONNECT_SIZES.map((n) => [n, []]));
  for (let round = 0; round < RUNS; round++) {
    for (const [k, n] of CONNECT_SIZES.entries()) {
      const env = connectEnvs[k]!;
      const mesh = env.clusters.map((c) => c.name).join(',');
      for (const c of env.clusters) c.resetRequests();
      const r = await mc(env.kubeconfigPath, ['connect', '--mesh', mesh, '--allow-loopback']);
      if (r.code !== 0) throw new Error(`mc connect --mesh of ${n} failed (exit ${r.code}):\n${r.stderrTail}`);
      connectTimes.get(n)!.push(r.ms);
      connectRequests.get(n)!.push(requestsOf(env));
      const d = await mc(env.kubeconfigPath, ['disconnect', '--mesh', mesh]);
      if (d.code !== 0) throw new Error(`mc disconnect --mesh of ${n} failed:\n${d.stderrTail}`);
    }
  }

  console.log(`status-connect: median of ${RUNS} runs; node ${process.version}; load average ${loadAverage(1)}`);
  console.log('(the servers of all test clusters run in this process: their CPU time counts in the wall time, as load on a shared machine does)');
  if (statusEnv) {
    for (const l of LATENCIES_MS) {
      for (const [build, bin] of STATUS_BUILDS) {
        console.log(`${build ? `baseline (${bin}): ` : ''}mc status, ${l} ms added latency per request, two links per cluster:`);
        const base = median(statusRuns.get(statusKey(build, l, STATUS_SIZES[0]!))!.ms);
        for (const n of STATUS_SIZES) {
          const runs = statusRuns.get(statusKey(build, l, n))!;
          const m = median(runs.ms);
          console.log(`  ${`${n} clusters`.padEnd(12)}${fmt(m)}${`${(m / base).toFixed(2)}x`.padStart(8)}  mc CPU ${median(runs.cpuMs).toFixed(0)} ms, ${median(runs.requests)} requests, ${median(runs.connections)} TLS connections`);
        }
        const ratio = median(statusRuns.get(statusKey(build, l, Math.max(...STATUS_SIZES)))!.ms) / base;
        console.log(`${build}budget: status of ${Math.max(...STATUS_SIZES)} clusters at most ${STATUS_BUDGET}x status of ${STATUS_SIZES[0]} -> ${ratio.toFixed(2)}x ${ratio <= STATUS_BUDGET ? 'OK' : 'OVER BUDGET'}`);
      }
    }
  }
  if (CONNECT_SIZES.length > 0) {
    console.log(`mc connect --mesh (no added latency):`);
    for (const n of CONNECT_SIZES) {
      console.log(`  ${`${n} clusters`.padEnd(12)}${fmt(median(connectTimes.get(n)!))}  ${n * (n - 1)} links, ${median(connectRequests.get(n)!)} requests`);
    }
    const big = median(connectTimes.get(Math.max(...CONNECT_SIZES))!);
    console.log(`budget: connect of 10 clusters (90 links) under ${CONNECT_BUDGET_MS / 1000} s -> ${(big / 1000).toFixed(2)} s ${big < CONNECT_BUDGET_MS ? 'OK' : 'OVER BUDGET'}`);
  }
} finally {
  await Promise.all([...(statusEnv ? [statusEnv] : []), ...connectEnvs].map((e) => e.stop()));
}
