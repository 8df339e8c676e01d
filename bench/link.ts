/**
 * Benchmark: a whole `mc link` (process start to exit) against a test API
 * server, with 0 ms and with 20 ms of added latency per request, beside
 * `node -e 0`. Runs are interleaved (node, link@0, link@20, ...) so machine
 * load hits all alike; medians over N rounds (default 9). Also counts the
 * requests each link made (cluster.requests).
 *
 * Budget (issue 5): one sequential round of independent reads, i.e.
 * link@20 − link@0 ≈ 1 × 20 ms (≤ 2 × 20 ms), and 3 requests. Since wall
 * times are noisy on a busy machine, the rounds are also counted exactly from
 * the order of requests and responses at the server.
 *
 * Usage: node dist/bench/link.js [--runs N]
 */
import { startTestClusters, type TestCluster } from '../test/support/index.js';
import { loadAverage, MC, median, runsArg, timeNode } from './lib.js';

const LATENCY_MS = 20;
const runs = runsArg(9);

const timeOnce = async (args: string[]): Promise<number> => (await timeNode(args)).ms;

function setupEast(c: TestCluster): void {
  const sa = 'linkerd-service-mirror-remote-access-default';
  c.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'linkerd-config', namespace: 'linkerd' }, data: { values: 'identityTrustDomain: cluster.local\nclusterDomain: cluster.local\n' } });
  c.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: 'linkerd-multicluster' } });
  c.put({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token', metadata: { name: `${sa}-token`, namespace: 'linkerd-multicluster', annotations: { 'kubernetes.io/service-account.name': sa } } });
  c.put({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'linkerd-gateway',
      namespace: 'linkerd-multicluster',
      annotations: {
        'mirror.linkerd.io/gateway-identity': 'linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.cluster.local',
        'mirror.linkerd.io/probe-path': '/ready',
        'mirror.linkerd.io/probe-period': '3',
      },
    },
    spec: { type: 'LoadBalancer', ports: [{ name: 'mc-gateway', port: 4143 }, { name: 'mc-probe', port: 4191 }] },
    status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } },
  });
}

const env = await startTestClusters(['east']);
const east = env.cluster('east');
setupEast(east);
// Requests and responses as the server sees them (it runs in this process).
// A request that arrives after a response was sent may have waited for it:
// sequential rounds = 1 + such waves. With parallel reads everything is sent
// before the first answer (20 ms later) comes back.
let arrivals: number[] = [];
let finishes: number[] = [];
(east.apiServer as unknown as { server: import('node:https').Server }).server.on('request', (_req, res) => {
  arrivals.push(performance.now());
  res.on('finish', () => finishes.push(performance.now()));
});
function rounds(): number {
  let n = 1;
  let boundary = Math.min(...finishes);
  for (const t of [...arrivals].sort((a, b) => a - b)) {
    if (t > boundary) {
      n++;
      boundary = Math.min(...finishes.filter((f) => f > t), Infinity);
    }
  }
  return n;
}
const roundCounts: number[] = [];
const linkArgs = [MC, '--kubeconfig', env.kubeconfigPath, '--context', 'east', 'link', '--cluster-name', 'east'];
const times = { node: [] as number[], link0: [] as number[], link20: [] as number[] };
const requests: number[] = [];
try {
  const linkAt = async (latency: number): Promise<number> => {
    east.faults.latencyMs = latency;
    east.resetRequests();
    arrivals = [];
    finishes = [];
    const ms = await timeOnce(linkArgs);
    requests.push(east.requests);
    if (latency > 0) roundCounts.push(rounds());
    return ms;
  };
  await timeOnce(['-e', '0']);
  await linkAt(0); // warm-up (file cache), not counted
  for (let i = 0; i < runs; i++) {
    times.node.push(await timeOnce(['-e', '0']));
    times.link0.push(await linkAt(0));
    times.link20.push(await linkAt(LATENCY_MS));
  }
} finally {
  east.faults.latencyMs = 0;
  await env.stop();
}

const fmt = (x: number) => `${x.toFixed(1)} ms`;
const rows: Array<[string, number[]]> = [
  ['node -e 0', times.node],
  ['mc link (0 ms latency)', times.link0],
  [`mc link (${LATENCY_MS} ms latency per request)`, times.link20],
];
console.log(`link: median of ${runs} interleaved runs, node ${process.version}, ${process.platform}/${process.arch}, load average ${loadAverage()}`);
const width = Math.max(...rows.map(([l]) => l.length)) + 2;
console.log(`${''.padEnd(width)}${'median'.padStart(11)}${'min'.padStart(11)}${'max'.padStart(11)}`);
for (const [label, xs] of rows) console.log(`${label.padEnd(width)}${fmt(median(xs)).padStart(11)}${fmt(Math.min(...xs)).padStart(11)}${fmt(Math.max(...xs)).padStart(11)}`);
const extra = median(times.link20) - median(times.link0);
const perRun = [...new Set(requests)].sort((a, b) => a - b).join('/');
console.log(`requests per mc link: ${perRun}; sequential rounds at ${LATENCY_MS} ms (server-side request/response order): ${[...new Set(roundCounts)].sort().join('/')}`);
console.log(`latency cost: +${extra.toFixed(1)} ms = ${(extra / LATENCY_MS).toFixed(2)} × ${LATENCY_MS} ms (budget: one sequential round of reads, ≤ 2 × ${LATENCY_MS} ms)`);
console.log(`mc link over node -e 0 (0 ms latency): +${(median(times.link0) - median(times.node)).toFixed(1)} ms`);
const ok = Math.max(...roundCounts) <= 1 && extra <= 2 * LATENCY_MS;
console.log(ok ? 'within budget' : 'OVER BUDGET');
process.exitCode = ok ? 0 : 1;
