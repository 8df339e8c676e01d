/**
 * `mc status` on test API servers: a mesh of three made by `mc connect`, the
 * simulated mirrors probing each gateway and serving their metrics, then one
 * cluster going down and another answering too slowly: each is a row that
 * says so, and the others are still read.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runConnect } from '../src/connect/index.js';
import { runStatus, type StatusOptions } from '../src/status/index.js';
import { CONNECTIONS_PER_SERVER, OWN_CONNECTIONS_PER_SERVER } from '../src/status/read.js';
import type { StatusReport } from '../src/status/model.js';
import { LINKERD_VERSION } from '../src/version.js';
import { MC_BIN, runCommand, runMc } from './helpers/index.js';
import { startMeshClusters, testIO } from './fixtures/mesh.js';
import type { TestEnv } from './support/index.js';
import { addPodinfo, startServiceMirrorSimulation, type ServiceMirrorSimulation } from './support/linkerd-sim.js';

let env: TestEnv;
const sims: ServiceMirrorSimulation[] = [];
const NAMES = ['east', 'west', 'north'];

before(async () => {
  env = await startMeshClusters(NAMES);
  addPodinfo(env.cluster('east'), { exported: true });
  for (const n of ['west', 'north']) env.cluster(n).put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'test' } });
  const io = testIO();
  const code = await runConnect(
    { kubeconfig: env.kubeconfigPath, linkerdNamespace: 'linkerd', pairs: { mesh: NAMES }, install: false, remoteDiscovery: false, legacy: false, apiServerAddresses: new Map(), allowLoopback: true, gateways: new Map(), dryRun: false, timeoutMs: 30_000, linkerdVersion: LINKERD_VERSION, verbose: false },
    io,
  );
  assert.equal(code, 0, io.err());
  for (const n of NAMES) sims.push(startServiceMirrorSimulation(env, n, { intervalMs: 0 }));
  await sync();
});

after(async () => {
  for (const s of sims) s.stop();
  await env?.stop();
});

/** Two rounds: the first makes the controllers' Pods, the second gives them the Leases and probes. */
async function sync(): Promise<void> {
  for (let i = 0; i < 2; i++) await Promise.all(sims.map((s) => s.syncOnce()));
}

async function status(extra: Partial<StatusOptions> = {}) {
  const io = testIO();
  const code = await runStatus({ kubeconfig: env.kubeconfigPath, contexts: NAMES, linkerdNamespace: 'linkerd', output: 'json', watch: false, intervalMs: 1000, timeoutMs: 20_000, ...extra }, io);
  return { code, stdout: io.out(), stderr: io.err() };
}

/** Every cluster of the mesh of three is healthy, with its two links. */
function assertMeshHealthy(report: StatusReport): void {
  assert.deepEqual(report.clusters.map((c) => [c.context, c.health, c.verdict]), [
    ['east', 'ok', 'ok (2 links)'],
    ['west', 'ok', 'ok (2 links)'],
    ['north', 'ok', 'ok (2 links)'],
  ]);
}

test('a healthy mesh of three: six links alive, credentials valid, mirrors counted, certificates dated', async () => {
  const r = await status();
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const report = JSON.parse(r.stdout) as StatusReport;
  assertMeshHealthy(report);
  for (const c of report.clusters) {
    assert.equal(c.linkerdVersion, 'edge-26.8.3');
    assert.match(c.gatewayAddress!, /^192\.0\.2\.\d$/);
    assert.ok(c.earliestExpiry!.daysLeft > 300, 'the issuer lives a year');
    assert.equal(c.earliestExpiry!.what, 'issuer');
    for (const l of c.links) {
      assert.equal(l.controller.kind, 'managed');
      assert.equal(l.credentials.valid, true);
      assert.equal(l.gateway.alive, true, `${c.context}→${l.target}`);
      assert.equal(typeof l.gateway.latencyMs, 'number');
      assert.equal(l.targetContext, l.target);
    }
  }
  const west = report.clusters.find((c) => c.context === 'west')!;
  assert.equal(west.links.find((l) => l.target === 'east')!.mirroredServices, 1, 'podinfo-east');
  // The default table: a matrix, every link √.
  const table = await status({ output: 'table' });
  assert.match(table.stdout, /^west\s+edge-26\.8\.3\s+192\.0\.2\.\d\s+\d+d\s+√ \d+ms\s+·\s+√ \d+ms\s+√ ok \(2 links\)$/m);
});

test('what grows with the clusters: each reads linkerd-config once, and the mirrors\' metrics over its kept-alive connections', async () => {
  const seen = new Map(NAMES.map((n) => [n, [] as string[]]));
  for (const n of NAMES) env.cluster(n).faults.failRequest = (method, path) => void seen.get(n)!.push(`${method} ${path}`);
  try {
    const r = await status();
    assert.equal(r.code, 0, r.stdout + r.stderr);
  } finally {
    for (const n of NAMES) env.cluster(n).faults.failRequest = undefined;
  }
  for (const [name, requests] of seen) {
    // Its own reading once (the settings and the trust share it), and once by each of the two clusters that check their Link's credentials with it.
    assert.equal(requests.filter((q) => q === 'GET /api/v1/namespaces/linkerd/configmaps/linkerd-config').length, 1 + 2, `${name}: linkerd-config read once for itself`);
    // The pod proxy: plain GETs on the client's connections (a port-forward would be a WebSocket, a connection of its own, per mirror).
    const metrics = requests.filter((q) => /^GET \/api\/v1\/namespaces\/linkerd-multicluster\/pods\/[^/]+:\d+\/proxy\/metrics$/.test(q));
    assert.equal(metrics.length, 2, `${name}: the metrics of its two links' mirrors through the pod proxy`);
  }
});

test('one pool of connections per cluster and identity: its own burst of reads, and the Links\' credentials to it, take a few TLS connections, not one per read in flight', async () => {
  for (const n of NAMES) env.cluster(n).resetRequests();
  const r = await status();
  assert.equal(r.code, 0, r.stdout + r.stderr);
  for (const n of NAMES) {
    const c = env.cluster(n);
    // The context's own reads (its client certificate), and the two Links' credentials to it (tokens, one pool).
    assert.ok(c.requests >= 15, `${n}: ${c.requests} requests`);
    assert.ok(c.connections <= OWN_CONNECTIONS_PER_SERVER + CONNECTIONS_PER_SERVER, `${n}: ${c.connections} TLS connections for ${c.requests} requests`);
  }
});

test('the kubeconfig is read once per run, not once per context: status reads it from a pipe (bash\'s <(...)), which can be read only once', async () => {
  // A second read of the pipe finds it empty: the clusters read after the first would have no context to connect with.
  const r = await runCommand('bash', ['-c', 'exec "$1" "$2" status --kubeconfig <(cat "$3") --contexts east,west,north -o json --timeout 20s', 'bash', process.execPath, MC_BIN, env.kubeconfigPath], {
    env: { ...process.env, NO_COLOR: '1' },
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const report = JSON.parse(r.stdout) as StatusReport;
  assertMeshHealthy(report);
});

test('north down: its row says unreachable, links to it fail, the others are still read', async () => {
  env.cluster('north').faults.down = true;
  try {
    await sync();
    const r = await status();
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as StatusReport;
    const north = report.clusters.find((c) => c.context === 'north')!;
    assert.equal(north.reachable, false);
    assert.match(north.verdict, /^unreachable: /);
    for (const name of ['east', 'west']) {
      const c = report.clusters.find((x) => x.context === name)!;
      assert.equal(c.reachable, true);
      const toNorth = c.links.find((l) => l.target === 'north')!;
      assert.equal(toNorth.health, 'fail');
      assert.equal(toNorth.gateway.alive, false);
      assert.match(c.verdict, /1 of 2 links failing: north \(gateway down/);
      assert.equal(c.links.find((l) => l.target !== 'north')!.health, 'ok');
    }
    const mermaid = await status({ output: 'mermaid' });
    assert.match(mermaid.stdout, /\["<b>north<\/b><br\/>unreachable"\]:::fail/);
  } finally {
    env.cluster('north').faults.down = false;
    await env.cluster('north').apiServer.ready();
    await sync(); // the mirrors see north's gateway again
  }
});

test('a cluster slower than the deadline is a row that says so; the others do not wait for it', async () => {
  env.cluster('west').faults.latencyMs = 30_000;
  try {
    const r = await status({ timeoutMs: 4000, output: 'wide' });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^west\s+-\s+-\s+-\s+\?\s+× unreachable: (no answer within 4s|no answer in time)$/m);
    assert.match(r.stdout, /^east\s+edge-26\.8\.3/m);
  } finally {
    env.cluster('west').faults.latencyMs = 0;
  }
});

test('the CLI: default contexts are those with the extension; bad flags are usage errors', async () => {
  const r = await runMc(['--kubeconfig', env.kubeconfigPath, 'status', '-o', 'dot', '--timeout', '20s']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^digraph mc \{/);
  for (const n of NAMES) assert.match(r.stdout, new RegExp(`\\n  "${n}" \\[label=`));
  const bad = await runMc(['--kubeconfig', env.kubeconfigPath, 'status', '-o', 'yaml']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, '');
  const unknown = await runMc(['--kubeconfig', env.kubeconfigPath, 'status', '--contexts', 'east,nope']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /context "nope" not in the kubeconfig/);
});
