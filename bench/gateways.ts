/**
 * `mc gateways` on a cluster linked to N clusters (N = 1, 10, 50): N service
 * mirror pods, each holding its link's Lease and serving /metrics on its
 * admin port (the simulation's mirror admin), with 20 ms added latency per
 * API request (port-forward upgrades included). Prints per N the median wall
 * time of the whole `mc gateways` process and its API requests, and the
 * ratio N=50 / N=1.
 *
 * Budget (issue 13): N = 50 takes at most 2x the time of N = 1 (upstream
 * scrapes one pod after another; mc reads them all at once).
 *
 * Each N has its own cluster (west-N); runs are interleaved (one per N per
 * round) so machine load hits all alike.
 *
 * Usage: node dist/bench/gateways.js [--runs N] [--latency MS]
 */
import { serveMirrorAdmin } from '../test/support/mirror-admin.js';
import { startTestClusters, type TestCluster } from '../test/support/index.js';
import { loadAverage, MC, median, numberArg, runsArg, timeNode } from './lib.js';

const RUNS = runsArg(5);
const LATENCY_MS = numberArg('latency', 20);
const SIZES = [1, 10, 50];
const BUDGET_RATIO = 2;
const NS = 'linkerd-multicluster';

/** What `mc install` and N `mc link`s leave that gateways reads: the namespace, mirror pods, Leases, one mirrored service per link. */
function linkedCluster(c: TestCluster, n: number): void {
  c.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { 'linkerd.io/extension': 'multicluster' } } });
  const links = [];
  for (let i = 1; i <= n; i++) {
    const target = `east-${i}`;
    c.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `linkerd-service-mirror-${target}-7c9d8f6b5-q${i}`, namespace: NS, labels: { component: 'linkerd-service-mirror', 'mirror.linkerd.io/cluster-name': target } },
      spec: { containers: [{ name: 'service-mirror', image: 'cr.l5d.io/linkerd/controller:edge-26.8.3', ports: [{ name: 'svcmi-admin', containerPort: 9999 }] }] },
      status: { phase: 'Running', podIP: `10.244.1.${i}` },
    });
    c.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: `podinfo-${target}`, namespace: 'test', labels: { 'mirror.linkerd.io/mirrored-service': 'true', 'mirror.linkerd.io/cluster-name': target } }, spec: { ports: [{ port: 9898 }] } });
    links.push({ metadata: { namespace: NS }, spec: { targetClusterName: target } });
  }
  const admin = serveMirrorAdmin(c);
  for (let i = 1; i <= n; i++) admin.probes.set(`east-${i}`, { enabled: true, alive: true, latencyMs: 3 });
  admin.syncLeases(links);
}

const names = SIZES.map((n) => `west-${n}`);
const env = await startTestClusters(names);
try {
  SIZES.forEach((n, k) => linkedCluster(env.cluster(names[k]!), n));
  for (const c of env.clusters) c.faults.latencyMs = LATENCY_MS;

  const times = new Map<number, number[]>(SIZES.map((n) => [n, []]));
  const requests = new Map<number, number[]>(SIZES.map((n) => [n, []]));
  const cpu = new Map<number, number[]>(SIZES.map((n) => [n, []]));
  const runOnce = async (n: number, k: number, record: boolean) => {
    const c = env.cluster(names[k]!);
    c.resetRequests();
    const r = await timeNode([MC, '--kubeconfig', env.kubeconfigPath, '--context', names[k]!, 'gateways'], { allowFailure: true });
    if (r.code !== 0) throw new Error(`mc gateways for N=${n} failed (exit ${r.code}):\n${r.stderrTail}`);
    const alive = r.stdoutTail.split('\n').filter((l) => /^east-\d+ +True /.test(l)).length;
    if (alive !== n) throw new Error(`mc gateways for N=${n} printed ${alive} alive gateways, not ${n}:\n${r.stdoutTail}`);
    if (record) {
      times.get(n)!.push(r.ms);
      requests.get(n)!.push(c.requests);
      cpu.get(n)!.push(r.cpuMs);
    }
  };
  // Warm-up (file cache, JIT of the servers), not counted.
  for (const [k, n] of SIZES.entries()) await runOnce(n, k, false);
  for (let round = 0; round < RUNS; round++) for (const [k, n] of SIZES.entries()) await runOnce(n, k, true);

  console.log(`gateways: median of ${RUNS} interleaved runs; ${LATENCY_MS} ms added latency per API request; node ${process.version}; load average ${loadAverage(1)}`);
  console.log('(the test API servers and simulated mirrors run in this process: their CPU time counts in the wall time)');
  console.log(`${'links'.padEnd(8)}${'wall time'.padStart(12)}${'min'.padStart(10)}${'max'.padStart(10)}${'mc CPU'.padStart(10)}${'requests'.padStart(10)}${'vs N=1'.padStart(9)}`);
  const base = median(times.get(SIZES[0]!)!);
  for (const n of SIZES) {
    const t = times.get(n)!;
    const m = median(t);
    console.log(`${`N=${n}`.padEnd(8)}${`${m.toFixed(0)} ms`.padStart(12)}${`${Math.min(...t).toFixed(0)}`.padStart(10)}${`${Math.max(...t).toFixed(0)}`.padStart(10)}${`${median(cpu.get(n)!).toFixed(0)} ms`.padStart(10)}${String(median(requests.get(n)!)).padStart(10)}${`${(m / base).toFixed(2)}x`.padStart(9)}`);
  }
  const ratio = median(times.get(SIZES[SIZES.length - 1]!)!) / base;
  console.log(`budget: N=${SIZES[SIZES.length - 1]} at most ${BUDGET_RATIO}x N=1: ${ratio.toFixed(2)}x ${ratio <= BUDGET_RATIO ? 'OK' : 'OVER BUDGET'}`);
} finally {
  await env.stop();
}
