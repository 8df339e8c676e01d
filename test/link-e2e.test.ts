/**
 * mc link / unlink end to end on the test API server: east is linked, west
 * links to it (kubectl pipe, and --apply-to), west's Secret reaches east with
 * exactly the remote-access rights, errors name what is missing, and the
 * token never shows on stderr.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { KubeApiError, KubeClient } from '../src/kube/client.js';
import { clientFromUntrustedKubeconfig } from '../src/kube/untrusted-kubeconfig.js';
import { hasKubectl, REFERENCE_DIR, runKubectl, runMc } from './helpers/index.js';
import { startTestClusters, type Deployment, type KubeObject, type Link, type Secret, type TestCluster, type TestEnv } from './support/index.js';
import { putFromMc } from './helpers/index.js';

const SA = 'linkerd-service-mirror-remote-access-default';
const MC_NS = 'linkerd-multicluster';
const HAS_KUBECTL = hasKubectl();

/** A service account and its token Secret (the token controller of the test server fills it). */
function addAccount(c: TestCluster, namespace: string): void {
  c.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: SA, namespace } });
  c.put({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token', metadata: { name: `${SA}-token`, namespace, annotations: { 'kubernetes.io/service-account.name': SA } } });
}

function ambassador(annotations: Record<string, string> = {}, withIngress = true): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'ambassador',
      namespace: 'ambassador',
      annotations: {
        'mirror.linkerd.io/gateway-identity': 'ambassador.ambassador.serviceaccount.identity.linkerd.cluster.local',
        'mirror.linkerd.io/probe-path': '/ready',
        'mirror.linkerd.io/probe-period': '3',
        ...annotations,
      },
    },
    spec: { type: 'LoadBalancer', ports: [{ name: 'mc-gateway', port: 4143, protocol: 'TCP' }, { name: 'mc-probe', port: 4191, protocol: 'TCP' }] },
    status: withIngress ? { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } } : {},
  };
}

/** East: Linkerd's config, the remote-access account as `mc allow` makes it, Ambassador as the gateway. */
async function setupEast(c: TestCluster): Promise<void> {
  c.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'linkerd-config', namespace: 'linkerd' }, data: { values: 'identityTrustDomain: cluster.local\nclusterDomain: cluster.local\n' } });
  await putFromMc(c, ['allow', '--service-account-name', SA, '--ignore-cluster']);
  c.put(ambassador());
  c.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'private', namespace: 'default' }, data: { k: 'dg==' } });
}

/** West: the Linkerd namespace, and the namespace and Link CRD as `mc install` makes them. */
async function setupWest(c: TestCluster): Promise<void> {
  c.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'linkerd' } });
  await putFromMc(c, ['install', '--ignore-cluster'], (o) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition');
}

let env: TestEnv;
let west2: TestCluster;
let token: string;
const LINK_ARGS = ['link', '--cluster-name', 'east', '--gateway-name', 'ambassador', '--gateway-namespace', 'ambassador'];
const mc = (ctx: string, args: string[]) => runMc(['--kubeconfig', env.kubeconfigPath, '--context', ctx, ...args]);
const docsOf = (text: string) => yaml.loadAll(text).filter((d) => d) as any[];
/** Everything in `want` is in `got` (the server may add defaults). */
function contains(got: any, want: any): boolean {
  if (Array.isArray(want)) return Array.isArray(got) && want.length === got.length && want.every((w, i) => contains(got[i], w));
  if (want && typeof want === 'object') return !!got && typeof got === 'object' && Object.keys(want).every((k) => contains(got[k], want[k]));
  return got === want;
}
const keyOf = (d: any) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`;

before(async () => {
  env = await startTestClusters(['east', 'west', 'west2']);
  west2 = env.cluster('west2');
  await Promise.all([setupEast(env.cluster('east')), setupWest(env.cluster('west')), setupWest(west2)]);
  const secret = env.cluster('east').get<Secret>('v1', 'Secret', MC_NS, `${SA}-token`)!;
  token = Buffer.from(secret.data!.token, 'base64').toString('utf8');
  assert.ok(token.length > 20, 'the test server filled the token Secret');
});

after(async () => {
  await env?.stop();
});

/** kubectl apply as the README's pipelines run it: with kubectl's validation on (the test API server serves /openapi/v3). */
const kubectlApply = (input: string, ctx: string) => runKubectl(env.kubeconfigPath, ctx, ['apply', '-f', '-'], input);

test('link east: credentials Secrets, Link from the Ambassador gateway, service mirror; no token on stderr', async () => {
  const r = await mc('east', LINK_ARGS);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stderr.includes(token));
  const docs = docsOf(r.stdout);
  const secrets = docs.filter((d) => d.kind === 'Secret');
  assert.deepEqual(secrets.map((s) => `${s.metadata.namespace}/${s.metadata.name}`), [`${MC_NS}/cluster-credentials-east`, 'linkerd/cluster-credentials-east']);
  for (const s of secrets) assert.equal(s.type, 'mirror.linkerd.io/remote-kubeconfig');
  const kc = yaml.load(Buffer.from(secrets[0].data.kubeconfig, 'base64').toString('utf8')) as any;
  assert.equal(kc.clusters.length, 1);
  assert.equal(kc.clusters[0].cluster.server, env.cluster('east').server);
  assert.equal(Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString('utf8'), env.cluster('east').caPem);
  assert.deepEqual(kc.users, [{ name: SA, user: { token } }]);
  const link = docs.find((d) => d.kind === 'Link');
  assert.equal(link.apiVersion, 'multicluster.linkerd.io/v1alpha3');
  assert.deepEqual(link.spec, {
    targetClusterName: 'east',
    targetClusterDomain: 'cluster.local',
    targetClusterLinkerdNamespace: 'linkerd',
    clusterCredentialsSecret: 'cluster-credentials-east',
    gatewayAddress: '192.0.2.10',
    gatewayPort: '4143',
    gatewayIdentity: 'ambassador.ambassador.serviceaccount.identity.linkerd.cluster.local',
    probeSpec: { path: '/ready', port: '4191', period: '3s' },
    selector: { matchLabels: { 'mirror.linkerd.io/exported': 'true' } },
    remoteDiscoverySelector: { matchLabels: { 'mirror.linkerd.io/exported': 'remote-discovery' } },
    federatedServiceSelector: { matchLabels: { 'mirror.linkerd.io/federated': 'member' } },
  });
  assert.ok(docs.some((d) => d.kind === 'Deployment' && d.metadata.name === 'linkerd-service-mirror-east'));
  assert.ok(docs.some((d) => d.kind === 'Service' && d.metadata.name === 'probe-gateway-east'));

  const json = await mc('east', [...LINK_ARGS, '-o', 'json']);
  assert.equal(json.code, 0, json.stderr);
  const objs = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(objs.map(keyOf).sort(), docs.map(keyOf).sort());
});

async function assertRemoteAccess(westCluster: TestCluster): Promise<void> {
  const secret = westCluster.get<Secret>('v1', 'Secret', MC_NS, 'cluster-credentials-east')!;
  assert.ok(secret, 'the credentials Secret is in west');
  assert.ok(westCluster.get('v1', 'Secret', 'linkerd', 'cluster-credentials-east'));
  assert.ok(westCluster.get('multicluster.linkerd.io/v1alpha3', 'Link', MC_NS, 'east'));
  assert.ok(westCluster.get('apps/v1', 'Deployment', MC_NS, 'linkerd-service-mirror-east'));
  const text = Buffer.from(secret.data!.kubeconfig, 'base64').toString('utf8');
  const remote = await clientFromUntrustedKubeconfig(text, { source: 'the Link credentials' });
  try {
    const services = await remote.list({ apiVersion: 'v1', resource: 'services', namespace: 'ambassador' });
    assert.deepEqual(services.map((s) => s.metadata.name), ['ambassador']);
    await assert.rejects(remote.get({ apiVersion: 'v1', resource: 'secrets', namespace: 'default', name: 'private' }), (e: unknown) => e instanceof KubeApiError && e.code === 403);
    await assert.rejects(remote.list({ apiVersion: 'v1', resource: 'secrets', namespace: MC_NS }), (e: unknown) => e instanceof KubeApiError && e.code === 403);
  } finally {
    remote.close();
  }
}

test('link | kubectl apply: west holds the objects and its Secret reaches east with exactly the remote-access rights', async (t) => {
  if (!HAS_KUBECTL) {
    t.skip('kubectl not installed');
    return;
  }
  const r = await mc('east', LINK_ARGS);
  assert.equal(r.code, 0, r.stderr);
  const applied = await kubectlApply(r.stdout, 'west');
  assert.equal(applied.code, 0, applied.stderr);
  await assertRemoteAccess(env.cluster('west'));
  // The validation is real: a Link with a misspelt field is refused, as by a real API server.
  const link = docsOf(r.stdout).find((d) => d.kind === 'Link');
  const typo = await kubectlApply(yaml.dump({ ...link, spec: { ...link.spec, gatewayPrt: '4143' } }), 'west');
  assert.notEqual(typo.code, 0);
  assert.match(typo.stderr, /unknown field "spec\.gatewayPrt"/);
});

test('--apply-to applies the same objects by server-side apply (field manager mc), reporting each', async () => {
  const printed = docsOf((await mc('east', LINK_ARGS)).stdout);
  const r = await mc('east', [...LINK_ARGS, '--apply-to', 'west2']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.ok(!r.stderr.includes(token));
  for (const d of printed) {
    const group = d.apiVersion.includes('/') ? `.${d.apiVersion.split('/')[0]}` : '';
    assert.match(r.stderr, new RegExp(`^${d.kind.toLowerCase()}${group.replace(/\./g, '\\.')}/${d.metadata.name} serverside-applied$`, 'm'));
    const apiVersion = d.apiVersion;
    const got = west2.get(apiVersion, d.kind, d.metadata.namespace, d.metadata.name);
    assert.ok(got, `${keyOf(d)} is in west2`);
    assert.ok((got.metadata.managedFields ?? []).some((m) => m.manager === 'mc'), `${keyOf(d)} managed by mc`);
    for (const field of ['spec', 'data', 'rules', 'roleRef', 'subjects', 'type']) {
      if (d[field] !== undefined) assert.ok(contains(got[field], d[field]), `${keyOf(d)} ${field} as printed`);
    }
  }
  await assertRemoteAccess(west2);
});

test('a gateway Service without the needed fields: an error naming the Service, each field and its fix; nothing on stdout', async () => {
  const east = env.cluster('east');
  east.put({ ...ambassador({}, false), metadata: { name: 'bare', namespace: 'ambassador', annotations: {} } });
  const r = await mc('east', ['link', '--cluster-name', 'east', '--gateway-name', 'bare', '--gateway-namespace', 'ambassador']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /gateway Service "bare" in namespace "ambassador" \(context "east"\)/);
  assert.match(r.stderr, /status\.loadBalancer\.ingress is empty.*--gateway-addresses/);
  assert.match(r.stderr, /mirror\.linkerd\.io\/gateway-identity is missing/);
  assert.match(r.stderr, /mirror\.linkerd\.io\/probe-path is missing/);
  assert.ok(!r.stderr.includes(token));
  const missing = await mc('east', ['link', '--cluster-name', 'east', '--gateway-name', 'nope', '--gateway-namespace', 'ambassador']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no gateway Service "nope" in namespace "ambassador"/);
  assert.match(missing.stderr, /--gateway=false/);
  // --gateway-addresses fills in the address; --gateway=false needs no gateway at all
  const flat = await mc('east', ['link', '--cluster-name', 'east', '--gateway=false']);
  assert.equal(flat.code, 0, flat.stderr);
  const link = docsOf(flat.stdout).find((d) => d.kind === 'Link');
  assert.equal(link.spec.gatewayAddress, undefined);
  assert.ok(!docsOf(flat.stdout).some((d) => d.kind === 'Service'));
});

test('--verbose logs each step without the token; usage errors exit 2 before any request', async () => {
  const r = await mc('east', [...LINK_ARGS, '--verbose']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\[link\] found the token Secret/);
  assert.match(r.stderr, /\[link\] kubeconfig for the linking cluster: server https:/);
  assert.ok(!r.stderr.includes(token));
  assert.ok(!r.stderr.includes(Buffer.from(token).toString('base64')));
  env.cluster('east').resetRequests();
  for (const bad of [['--cluster-name', 'East_1'], ['--cluster-name', 'east', '--set', 'replica=2'], ['--cluster-name', 'east', '--log-format', 'xml'], ['--cluster-name', 'east', '--gateway=false', '--gateway-port', '1']]) {
    const u = await mc('east', ['link', ...bad]);
    assert.equal(u.code, 2, `${bad.join(' ')}: ${u.stderr}`);
    assert.equal(u.stdout, '');
  }
  assert.equal(env.cluster('east').requests, 0);
});

test('without --cluster-name the context name is used and said on stderr', async () => {
  const r = await mc('east', ['link', '--gateway-name', 'ambassador', '--gateway-namespace', 'ambassador']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Using cluster name "east" \(from context "east"\)/);
});

test('missing permissions are reported as the verb, resource and namespace refused', async () => {
  const east = env.cluster('east');
  east.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'nobody', namespace: 'default' } });
  const kcPath = join(env.dir, 'nobody.kubeconfig');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(kcPath, east.kubeconfigFor(east.serviceAccountToken('default', 'nobody'), 'east'));
  const r = await runMc(['--kubeconfig', kcPath, ...LINK_ARGS]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /forbidden: cannot get configmaps "linkerd-config" in namespace "linkerd"/);
});

test('the service mirror of --namespace test --cluster-name test-cluster equals service_mirror_default.golden (image tag aside)', async () => {
  addAccount(env.cluster('east'), 'test');
  const r = await mc('east', ['link', '--namespace', 'test', '--cluster-name', 'test-cluster', '--linkerd-version', 'linkerdVersionValue', '--gateway-name', 'ambassador', '--gateway-namespace', 'ambassador']);
  assert.equal(r.code, 0, r.stderr);
  const ours = docsOf(r.stdout).filter((d) => !(d.kind === 'Secret' || d.kind === 'Link'));
  const golden = docsOf(readFileSync(join(REFERENCE_DIR, 'service_mirror_default.golden'), 'utf8'));
  const dep = ours.find((d) => d.kind === 'Deployment');
  assert.equal(dep.spec.template.spec.containers[0].image, 'cr.l5d.io/linkerd/controller:linkerdVersionValue');
  // upstream's golden is rendered with its test build's version, dev-undefined
  dep.spec.template.spec.containers[0].image = 'cr.l5d.io/linkerd/controller:dev-undefined';
  const byKey = (ds: any[]) => Object.fromEntries(ds.map((d) => [keyOf(d), d]));
  assert.deepEqual(byKey(ours), byKey(golden));
});

test('unlink lists what link created in west and the services mirrored through it; an unknown link lists the existing ones', async () => {
  const west = west2;
  west.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'podinfo-east', namespace: 'test', labels: { 'mirror.linkerd.io/mirrored-service': 'true', 'mirror.linkerd.io/cluster-name': 'east' } }, spec: { ports: [{ port: 9898 }] } });
  west.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'podinfo-north', namespace: 'test', labels: { 'mirror.linkerd.io/mirrored-service': 'true', 'mirror.linkerd.io/cluster-name': 'north' } }, spec: { ports: [{ port: 9898 }] } });
  const r = await mc('west2', ['unlink', '--cluster-name', 'east']);
  assert.equal(r.code, 0, r.stderr);
  const keys = docsOf(r.stdout).map(keyOf);
  for (const k of [
    `Secret/${MC_NS}/cluster-credentials-east`,
    'Secret/linkerd/cluster-credentials-east',
    `Link/${MC_NS}/east`,
    `Service/${MC_NS}/probe-gateway-east`,
    '/linkerd-service-mirror-access-local-resources-east',
    `Deployment/${MC_NS}/linkerd-service-mirror-east`,
    'Service/test/podinfo-east',
  ]) {
    assert.ok(keys.some((x) => x.endsWith(k)), `${k} in ${keys.join(', ')}`);
  }
  assert.ok(!keys.includes('Service/test/podinfo-north'));
  assert.ok(!keys.some((k) => k.startsWith('PodDisruptionBudget')), 'objects that do not exist are left out');
  const unknown = await mc('west2', ['unlink', '--cluster-name', 'south']);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stdout, '');
  assert.match(unknown.stderr, /no Link "south".*\n.*Links there: east/);
});
