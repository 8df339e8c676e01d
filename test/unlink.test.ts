/**
 * mc unlink on the test API server: the Lease among what it lists,
 * --only-controller (upstream's migration path: only the legacy service
 * mirror), and a Link whose service mirror the extension's `controllers`
 * entry runs (unlink says which entry to remove).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { UsageError } from '../src/errors.js';
import { runUnlink, unlinkOptionsOf } from '../src/link/run-unlink.js';
import { runMc, testIO } from './helpers/index.js';
import { startTestClusters, type TestCluster, type TestEnv } from './support/index.js';

const NS = 'linkerd-multicluster';
let env: TestEnv;
let west: TestCluster;
const mc = (args: string[]) => runMc(['--kubeconfig', env.kubeconfigPath, '--context', 'west', ...args]);
const keysOf = (text: string) => (yaml.loadAll(text).filter(Boolean) as any[]).map((d) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`);

/** What `mc link` leaves in west for link NAME (the objects unlink looks for), plus the Lease its mirror holds. */
function legacyLink(name: string): void {
  const rbac = 'rbac.authorization.k8s.io/v1';
  west.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `cluster-credentials-${name}`, namespace: NS }, type: 'mirror.linkerd.io/remote-kubeconfig' });
  west.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `cluster-credentials-${name}`, namespace: 'linkerd', labels: { 'multicluster.linkerd.io/cluster-name': name } } });
  west.put({ apiVersion: 'multicluster.linkerd.io/v1alpha3', kind: 'Link', metadata: { name, namespace: NS }, spec: { targetClusterName: name, probeSpec: { path: '/ready', port: '4191', period: '3s' } } });
  west.put({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: `service-mirror-write-${name}`, namespace: NS }, spec: { holderIdentity: `linkerd-service-mirror-${name}-abc` } });
  west.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: `probe-gateway-${name}`, namespace: NS, labels: { 'mirror.linkerd.io/cluster-name': name } }, spec: { ports: [{ port: 4191 }] } });
  west.put({ apiVersion: rbac, kind: 'ClusterRole', metadata: { name: `linkerd-service-mirror-access-local-resources-${name}` }, rules: [] });
  west.put({ apiVersion: rbac, kind: 'ClusterRoleBinding', metadata: { name: `linkerd-service-mirror-access-local-resources-${name}` }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'x' }, subjects: [] });
  west.put({ apiVersion: rbac, kind: 'Role', metadata: { name: `linkerd-service-mirror-read-remote-creds-${name}`, namespace: NS }, rules: [] });
  west.put({ apiVersion: rbac, kind: 'RoleBinding', metadata: { name: `linkerd-service-mirror-read-remote-creds-${name}`, namespace: NS }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'x' }, subjects: [] });
  west.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: `linkerd-service-mirror-${name}`, namespace: NS } });
  west.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `linkerd-service-mirror-${name}`, namespace: NS }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } });
  west.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: `podinfo-${name}`, namespace: 'test', labels: { 'mirror.linkerd.io/mirrored-service': 'true', 'mirror.linkerd.io/cluster-name': name } }, spec: { ports: [{ port: 9898 }] } });
}

before(async () => {
  env = await startTestClusters(['west']);
  west = env.cluster('west');
  await runMc(['install', '--ignore-cluster', '-o', 'json']).then((r) => {
    for (const line of r.stdout.trim().split('\n')) {
      const o = JSON.parse(line);
      if (o.kind === 'CustomResourceDefinition' || o.kind === 'Namespace') west.put(o);
    }
  });
  west.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'linkerd' } });
  west.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'test' } });
  legacyLink('east');
  legacyLink('north');
});

after(async () => {
  await env?.stop();
});

const CONTROLLER = [
  `Service/${NS}/probe-gateway-east`,
  'ClusterRole//linkerd-service-mirror-access-local-resources-east',
  'ClusterRoleBinding//linkerd-service-mirror-access-local-resources-east',
  `Role/${NS}/linkerd-service-mirror-read-remote-creds-east`,
  `RoleBinding/${NS}/linkerd-service-mirror-read-remote-creds-east`,
  `ServiceAccount/${NS}/linkerd-service-mirror-east`,
  `Deployment/${NS}/linkerd-service-mirror-east`,
];
const LINK = [`Secret/${NS}/cluster-credentials-east`, 'Secret/linkerd/cluster-credentials-east', `Link/${NS}/east`, `Lease/${NS}/service-mirror-write-east`];

test('unlink lists the link (Secrets, Link, the service-mirror-write Lease), its legacy mirror and its mirrored services', async () => {
  const r = await mc(['unlink', '--cluster-name', 'east']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(keysOf(r.stdout).sort(), [...LINK, ...CONTROLLER, 'Service/test/podinfo-east'].sort());
  assert.doesNotMatch(r.stderr, /controllers/);
});

test('-n is --namespace: the extension\'s namespace of the Link (default linkerd-multicluster, not the context\'s), validated', async () => {
  const long = await mc(['unlink', '--cluster-name', 'east', '--namespace', NS]);
  const short = await mc(['unlink', '--cluster-name', 'east', '-n', NS]);
  assert.equal(short.code, 0, short.stderr);
  assert.equal(short.stdout, long.stdout);
  const elsewhere = await mc(['unlink', '--cluster-name', 'east', '-n', 'test']);
  // No Link in "test": only what a partial link may have left elsewhere is listed, not the Link, Lease or mirror Deployment in NS.
  assert.equal(elsewhere.code, 0, elsewhere.stderr);
  assert.match(elsewhere.stderr, /There is no Link "east" in namespace "test" of context "west"/);
  assert.ok(!keysOf(elsewhere.stdout).some((k) => /^(Link|Lease|Deployment)\//.test(k)), elsewhere.stdout);
  const bad = await mc(['unlink', '--cluster-name', 'east', '-n', 'Not_A_Namespace']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^Error: invalid --namespace "Not_A_Namespace": a namespace is a DNS-1123 label/);
});

test('the command contract: flags to one typed UnlinkOptions (usage errors first), runUnlink(options, io) does the reading', async () => {
  const globals = { kubeconfig: env.kubeconfigPath, context: 'west', requestTimeoutMs: 10_000, verbose: false, linkerdNamespace: 'linkerd' };
  assert.throws(() => unlinkOptionsOf({ namespace: NS }, globals), (e: unknown) => e instanceof UsageError && e.message === '--cluster-name is required');
  assert.throws(() => unlinkOptionsOf({ clusterName: 'east', namespace: NS, output: 'xml' }, globals), UsageError);
  const options = unlinkOptionsOf({ clusterName: 'east', namespace: NS }, globals);
  assert.deepEqual(options, { ...globals, clusterName: 'east', namespace: NS, onlyController: false, output: 'yaml' });
  const io = testIO();
  assert.equal(await runUnlink(options, io), 0);
  assert.equal(io.stdout.text, (await mc(['unlink', '--cluster-name', 'east'])).stdout);
});

test('--only-controller lists only the legacy service mirror and its RBAC: the Link, Secrets, Lease and mirrors stay', async () => {
  const r = await mc(['unlink', '--cluster-name', 'east', '--only-controller']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(keysOf(r.stdout).sort(), [...CONTROLLER].sort());
  const json = await mc(['unlink', '--cluster-name', 'east', '--only-controller=true', '-o', 'json']);
  assert.deepEqual(json.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((d) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`).sort(), [...CONTROLLER].sort());
});

test('a Link whose mirror is a controllers entry: unlink names the entry to remove; --only-controller says there is no legacy mirror', async () => {
  // north migrated: the legacy mirror is gone, the chart's controller-north runs
  for (const k of CONTROLLER) {
    const [kind, ns, name] = k.replace(/east/g, 'north').split('/');
    const apiVersion = kind === 'Deployment' ? 'apps/v1' : kind!.includes('Role') ? 'rbac.authorization.k8s.io/v1' : 'v1';
    assert.ok(west.remove(apiVersion, kind!, ns || undefined, name!), k);
  }
  west.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'controller-north', namespace: NS, labels: { component: 'controller', 'mirror.linkerd.io/cluster-name': 'north' } }, spec: { selector: { matchLabels: { component: 'controller' } }, template: { metadata: { labels: { component: 'controller' } }, spec: { containers: [{ name: 'controller', image: 'i' }] } } } });
  const r = await mc(['unlink', '--cluster-name', 'north']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(keysOf(r.stdout).sort(), [...LINK.map((k) => k.replace(/east/g, 'north')), 'Service/test/podinfo-north'].sort());
  assert.match(r.stderr, /run by the multicluster extension \(Deployment linkerd-multicluster\/controller-north, from the `controllers` entry with link\.ref\.name: north\)\. Remove that entry/);
  const only = await mc(['unlink', '--cluster-name', 'north', '--only-controller']);
  assert.equal(only.code, 0, only.stderr);
  assert.equal(only.stdout, '');
  assert.match(only.stderr, /There is no legacy service mirror .* for Link "north"/);
});
