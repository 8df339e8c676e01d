/**
 * `mc gateways` against test clusters: west linked to east with upstream's
 * service mirror objects, the simulated mirror reading east through the
 * Link's credentials, holding the Lease and serving /metrics on its admin
 * port, reached through the API server (port-forward, or the pod proxy).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { putFromMc, runMc } from './helpers/index.js';
import { KubeClient } from '../src/kube/client.js';
import { readPodMetrics } from '../src/gateways/read.js';
import { httpsRequest } from './support/https-request.js';
import { makePki, putLink, putLinkerd, putMulticluster, type Pki } from './fixtures/check.js';
import { startTestClusters, type Deployment, type Lease, type Link, type Pod, type TestCluster, type TestEnv } from './support/index.js';
import { markDeploymentReady, startServiceMirrorSimulation, type ServiceMirrorSimulation } from './support/linkerd-sim.js';

let env: TestEnv;
let east: TestCluster;
let west: TestCluster;
let sim: ServiceMirrorSimulation;
let pki: Pki;

const NS = 'linkerd-multicluster';
const LEASE = 'service-mirror-write-east';

/** east's gateway: the Service from upstream's install with ready endpoints (what the simulated probe needs). */
function putGatewayEndpoints(c: TestCluster): void {
  c.put({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'linkerd-gateway', namespace: NS }, subsets: [{ addresses: [{ ip: '10.244.0.50' }], ports: [{ name: 'mc-probe', port: 4191, protocol: 'TCP' }] }] });
}

before(async () => {
  env = await startTestClusters(['east', 'west']);
  east = env.cluster('east');
  west = env.cluster('west');
  pki = await makePki();
  for (const c of [east, west]) {
    putLinkerd(c, pki);
    putMulticluster(c, c === east ? '203.0.113.10' : '203.0.113.20');
  }
  putGatewayEndpoints(east);
  east.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'test' } });
  west.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'test' } });
  east.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'podinfo', namespace: 'test', labels: { app: 'podinfo', 'mirror.linkerd.io/exported': 'true' } }, spec: { ports: [{ name: 'http', port: 9898 }] } });
  putLink(west, east, pki, { gatewayAddress: '203.0.113.10', mirrorAdmin: false });
  // putLink adds a hand-made mirror pod for setups without the simulation; here the simulation makes them.
  for (const p of west.list<Pod>('v1', 'Pod', NS)) west.remove('v1', 'Pod', NS, p.metadata.name);
  sim = startServiceMirrorSimulation(env, 'west', { intervalMs: 0 });
  await sim.syncOnce();
  assert.deepEqual([...sim.errors], []);
});

after(async () => {
  sim?.stop();
  await env?.stop();
});

const gateways = (...args: string[]) => runMc(['--kubeconfig', env.kubeconfigPath, '--context', 'west', 'gateways', ...args]);

function mirrorPods(): Pod[] {
  return west.list<Pod>('v1', 'Pod', NS).filter((p) => p.metadata.labels?.component === 'linkerd-service-mirror');
}

test('alive: upstream columns, east alive with its mirrored service and latency; JSON in upstream shape', async () => {
  const r = await gateways();
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0]!, /^CLUSTER  ALIVE    NUM_SVC      LATENCY  $/);
  assert.match(lines[1]!, /^east     True           1 +\d+ms  $/);
  assert.equal(lines.length, 3);
  const j = await gateways('-o', 'json');
  assert.equal(j.code, 0, j.stderr);
  const parsed = JSON.parse(j.stdout);
  assert.equal(parsed.length, 1);
  assert.deepEqual(Object.keys(parsed[0]), ['clusterName', 'alive', 'numberOfServices', 'latency']);
  assert.equal(parsed[0].clusterName, 'east');
  assert.equal(parsed[0].alive, true);
  assert.equal(parsed[0].numberOfServices, 1);
  assert.equal(typeof parsed[0].latency, 'number');
});

test('--verbose says which pod and port were read, through port-forward', async () => {
  const holder = west.get<Lease>('coordination.k8s.io/v1', 'Lease', NS, LEASE)!.spec!.holderIdentity!;
  const r = await gateways('--verbose');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`east: read pod ${NS}/${holder} port 9999 through port-forward`));
});

test('dead: east down makes its gateway not alive (latency "-"), exit 0', async () => {
  east.faults.down = true;
  try {
    await sim.syncOnce();
    const r = await gateways();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.split('\n')[1]!, /^east     False          1            -  $/);
    const j = JSON.parse((await gateways('-o', 'json')).stdout);
    assert.equal(j[0].alive, false);
  } finally {
    east.faults.down = false;
    await east.apiServer.ready();
    await sim.syncOnce();
  }
  const again = await gateways('-o', 'json');
  assert.equal(JSON.parse(again.stdout)[0].alive, true);
});

test('gateway disabled (a Link without gateway): left out, as upstream', async () => {
  const link = west.get<Link>('multicluster.linkerd.io/v1alpha3', 'Link', NS, 'east')!;
  west.put({ ...link, spec: { ...link.spec, gatewayAddress: '', probeSpec: {} } });
  try {
    await sim.syncOnce();
    const r = await gateways('-o', 'json', '--verbose');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), []);
    assert.match(r.stderr, /east: read pod .* \(gateway disabled: gateway_enabled is 0, left out\)/);
  } finally {
    west.put(link);
    await sim.syncOnce();
  }
});

test('two mirror pods, the second holding the Lease: its metrics are read (the other has no gateway series)', async () => {
  const deploy = west.get<Deployment>('apps/v1', 'Deployment', NS, 'linkerd-service-mirror-east')!;
  west.put({ ...deploy, spec: { ...deploy.spec, replicas: 2 } });
  try {
    await sim.syncOnce();
    const pods = mirrorPods().map((p) => p.metadata.name).sort();
    assert.equal(pods.length, 2);
    const lease = west.get<Lease>('coordination.k8s.io/v1', 'Lease', NS, LEASE)!;
    west.put({ ...lease, spec: { ...lease.spec, holderIdentity: pods[1] } });
    const r = await gateways('--verbose', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`read pod ${NS}/${pods[1]} port 9999`));
    assert.equal(JSON.parse(r.stdout)[0].alive, true);
    // the pod that does not hold the Lease does not probe: its metrics have no gateway series
    const other = await httpsRequest({ server: west.server, ca: west.caPem, token: west.adminToken }, 'GET', `/api/v1/namespaces/${NS}/pods/${pods[0]}:9999/proxy/metrics`, { accept: 'text/plain' });
    assert.equal(other.status, 200);
    assert.match(other.text, /go_goroutines/);
    assert.doesNotMatch(other.text, /gateway_alive/);
  } finally {
    west.put({ ...west.get<Deployment>('apps/v1', 'Deployment', NS, 'linkerd-service-mirror-east')!, spec: { ...deploy.spec, replicas: 1 } });
    await sim.syncOnce();
  }
});

test('a managed controller (mc install controllers entry: component controller, container controller, port ctrl-admin) is read like a legacy mirror', async () => {
  const link = west.get<Link>('multicluster.linkerd.io/v1alpha3', 'Link', NS, 'east')!;
  await putFromMc(west, ['install', '--ignore-cluster', '--set', 'controllers[0].link.ref.name=north'], (o) => o.kind === 'Deployment' && o.metadata.labels?.component === 'controller');
  west.put({ ...link, metadata: { name: 'north', namespace: NS }, spec: { ...link.spec, targetClusterName: 'north', clusterCredentialsSecret: 'cluster-credentials-north' } });
  try {
    await sim.syncOnce(); // north's credentials do not exist: the controller's probes of its gateway fail
    markDeploymentReady(west, NS, 'controller-north');
    await sim.syncOnce();
    const r = await gateways('--verbose');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^north    False          0            -  $/m);
    assert.match(r.stdout, /^east     True /m);
    assert.match(r.stderr, /north: read pod linkerd-multicluster\/controller-north-\S+ port 9999 through port-forward/);
  } finally {
    west.remove('multicluster.linkerd.io/v1alpha3', 'Link', NS, 'north');
    west.remove('apps/v1', 'Deployment', NS, 'controller-north');
    for (const p of west.list<Pod>('v1', 'Pod', NS)) if (p.metadata.name.startsWith('controller-north-')) west.remove('v1', 'Pod', NS, p.metadata.name);
    west.remove('coordination.k8s.io/v1', 'Lease', NS, 'service-mirror-write-north');
    await sim.syncOnce();
  }
});

test('no Lease holder: the error names the Lease, the pods and where to look; exit 1', async () => {
  const lease = west.get<Lease>('coordination.k8s.io/v1', 'Lease', NS, LEASE)!;
  west.remove('coordination.k8s.io/v1', 'Lease', NS, LEASE);
  try {
    const r = await gateways();
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`Lease ${NS}/${LEASE} does not exist \\(service mirror pods: linkerd-service-mirror-east-`));
    assert.match(r.stderr, /kubectl -n linkerd-multicluster logs -l mirror\.linkerd\.io\/cluster-name=east/);
    assert.equal(r.stdout, 'CLUSTER  ALIVE    NUM_SVC      LATENCY  \n', 'the table (empty) is still printed');
  } finally {
    west.put({ ...lease, metadata: { name: lease.metadata.name, namespace: NS } });
  }
});

test('metrics endpoint refusing: the error names pod, port and the refusal', async () => {
  sim.admin.faults.refuse = true;
  try {
    const r = await gateways('--cluster-name', 'east');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot read GET \/metrics of pod linkerd-multicluster\/linkerd-service-mirror-east-\S+ port 9999 for "east": the port-forward to pod .* failed: .*connection refused/);
  } finally {
    sim.admin.faults.refuse = false;
  }
});

test('slow metrics beyond --wait: said as a timeout, with the pod and port', async () => {
  sim.admin.faults.delayMs = 5000;
  try {
    const r = await gateways('--wait', '300ms');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /timed out reading GET \/metrics of pod linkerd-multicluster\/linkerd-service-mirror-east-\S+ port 9999 for "east" \(--wait\): no answer from .* within 0\.\d+s \(port-forward through context "west": waiting for the answer to GET \/metrics\)/);
    assert.match(r.stderr, /--wait/);
  } finally {
    sim.admin.faults.delayMs = 0;
  }
});

test('Ctrl-C while a mirror is slow: the run ends at once, nothing on stdout', async () => {
  sim.admin.faults.delayMs = 20_000;
  try {
    const ctrlC = new AbortController();
    const started = Date.now();
    const run = runMc(['--kubeconfig', env.kubeconfigPath, '--context', 'west', 'gateways'], { signal: ctrlC.signal });
    setTimeout(() => ctrlC.abort(new Error('interrupted (SIGINT)')), 300);
    const r = await run;
    assert.ok(Date.now() - started < 10_000, 'ended long before the mirror answered or --wait ran out');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: interrupted \(SIGINT\)/);
    assert.equal(r.stdout, '');
  } finally {
    sim.admin.faults.delayMs = 0;
  }
});

/** A kubeconfig for a service account of west with the given rules on top of what gateways reads. */
function limitedKubeconfig(name: string, podSubresources: Array<{ resources: string[]; verbs: string[] }>): string {
  const rbac = 'rbac.authorization.k8s.io/v1';
  west.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'default' } });
  west.put({
    apiVersion: rbac,
    kind: 'ClusterRole',
    metadata: { name },
    rules: [
      { apiGroups: [''], resources: ['namespaces', 'pods', 'services'], verbs: ['get', 'list'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list'] },
      ...podSubresources.map((r) => ({ apiGroups: [''], ...r })),
    ],
  });
  west.put({ apiVersion: rbac, kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects: [{ kind: 'ServiceAccount', name, namespace: 'default' }] });
  const path = join(env.dir, `${name}.kubeconfig`);
  writeFileSync(path, west.kubeconfigFor(west.serviceAccountToken('default', name), 'west'), { mode: 0o600 });
  return path;
}

test('port-forward refused by RBAC: falls back to the pod proxy, said with --verbose', async () => {
  const kubeconfig = limitedKubeconfig('proxy-only', [{ resources: ['pods/proxy'], verbs: ['get'] }]);
  const r = await runMc(['--kubeconfig', kubeconfig, 'gateways', '--verbose', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout)[0].alive, true);
  assert.match(r.stderr, /refused to port-forward to pod linkerd-multicluster\/linkerd-service-mirror-east-\S+ port 9999 \(HTTP 403\).*cannot get resource "pods\/portforward".*; reading \/metrics through the API server's pod proxy instead/);
  assert.match(r.stderr, /east: read pod \S+ port 9999 through pod proxy/);
  const quiet = await runMc(['--kubeconfig', kubeconfig, 'gateways']);
  assert.equal(quiet.code, 0);
  assert.equal(quiet.stderr, '', 'the fallback is said only with --verbose');
});

test('through the pod proxy the failures are named the same way (refused, slow)', async () => {
  const kubeconfig = limitedKubeconfig('proxy-only', [{ resources: ['pods/proxy'], verbs: ['get'] }]);
  sim.admin.faults.refuse = true;
  try {
    const r = await runMc(['--kubeconfig', kubeconfig, 'gateways']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot read GET \/metrics of pod linkerd-multicluster\/\S+ port 9999 for "east": .*error trying to reach service: dial tcp \S+:9999: connect: connection refused/);
  } finally {
    sim.admin.faults.refuse = false;
  }
  sim.admin.faults.delayMs = 5000;
  try {
    const r = await runMc(['--kubeconfig', kubeconfig, 'gateways', '-w', '300ms']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /timed out reading GET \/metrics of pod linkerd-multicluster\/\S+ port 9999 for "east"/);
  } finally {
    sim.admin.faults.delayMs = 0;
  }
});

test('pod proxy first (as check reads): where it is forbidden, a port-forward', async () => {
  const kubeconfig = limitedKubeconfig('forward-only', [{ resources: ['pods/portforward'], verbs: ['get', 'create'] }]);
  const client = await KubeClient.connect({ kubeconfig, env: {} });
  try {
    const holder = west.get<Lease>('coordination.k8s.io/v1', 'Lease', NS, LEASE)!.spec!.holderIdentity!;
    const lines: string[] = [];
    const r = await readPodMetrics(client, { namespace: NS, pod: holder, port: 9999 }, 5000, (l) => lines.push(l), undefined, 'pod proxy');
    assert.equal(r.via, 'port-forward');
    assert.match(r.body, /gateway_alive\{target_cluster_name="east"\} 1/);
    assert.match(lines.join('\n'), /cannot get resource "pods\/proxy".*; reading \/metrics through a port-forward instead/);
  } finally {
    client.close();
  }
});

test('neither port-forward nor pod proxy allowed: a 403 that names both grants', async () => {
  const kubeconfig = limitedKubeconfig('no-pod-access', []);
  const r = await runMc(['--kubeconfig', kubeconfig, 'gateways']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /forbidden: context "west" may neither port-forward to nor proxy to pod linkerd-multicluster\/\S+ \(port 9999\)/);
  assert.match(r.stderr, /Grant its identity "get" on pods\/proxy, or "get" and "create" on pods\/portforward, in namespace "linkerd-multicluster"/);
  assert.doesNotMatch(r.stderr, /eyJ|Bearer/, 'no token in the error');
});

test('no multicluster extension: an error that says how to install it, nothing on stdout', async () => {
  const ns = west.get('v1', 'Namespace', undefined, NS)!;
  west.put({ ...ns, metadata: { ...ns.metadata, labels: {} } });
  try {
    const r = await gateways();
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /the multicluster extension is not installed in context "west": no namespace is labelled linkerd\.io\/extension=multicluster/);
    assert.match(r.stderr, /mc --context west install \| kubectl --context west apply -f -/);
  } finally {
    west.put(ns);
  }
});

test('usage: bad -o, bad --wait, unknown --cluster-name', async () => {
  const bad = await gateways('-o', 'yaml');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unsupported output format "yaml"/);
  const wait = await gateways('--wait', 'soon');
  assert.equal(wait.code, 2);
  assert.match(wait.stderr, /invalid duration "soon" for --wait/);
  const unknown = await gateways('--cluster-name', 'north');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no service mirror for cluster "north" in namespace "linkerd-multicluster" of context "west"/);
  assert.equal(unknown.stdout, '');
});
