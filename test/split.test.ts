/**
 * mc split: the pure parts (weights, API choice, objects), then against the
 * test API server: the API picked from what the cluster serves, validation of
 * the backends (missing, wrong port, mirrors without endpoints), SMI and
 * linkerd-failover TrafficSplits, offline output, and real `kubectl apply` of
 * every kind of object (CRDs created here from minimal definitions).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import yaml from 'js-yaml';
import { hasKubectl, putFromMc, runKubectl, runMc } from './helpers/index.js';
import { createCa } from './support/pki.js';
import { field, startTestClusters, type KubeObject, type TestCluster, type TestEnv } from './support/index.js';
import { addPodinfo, installSimulatedLinkerd } from './support/linkerd-sim.js';
import { parseBackend, pickRouteApi, splitObject, splitSpec } from '../src/split/plan.js';
import { UsageError } from '../src/errors.js';

describe('split plan', () => {
  test('weights: NAME=WEIGHT, whole numbers, not all zero, no duplicates', () => {
    assert.deepEqual(parseBackend('podinfo-east=50', false), { name: 'podinfo-east', weight: 50 });
    for (const bad of ['podinfo', 'podinfo=-1', 'podinfo=1.5', 'Podinfo=1', '=3']) assert.throws(() => parseBackend(bad, false), UsageError, bad);
    const base = { service: 'podinfo', namespace: 'test', failover: false };
    assert.throws(() => splitSpec({ ...base, to: ['a=0', 'b=0'] }), /every weight is 0/);
    assert.throws(() => splitSpec({ ...base, to: ['a=1', 'a=2'] }), /given twice/);
    assert.throws(() => splitSpec({ ...base, to: [] }), /no backends/);
  });

  test('failover: the primary gets 1, the others 0, unless weights are given', () => {
    const s = splitSpec({ service: 'podinfo', namespace: 'test', failover: true, to: ['podinfo', 'podinfo-east'] });
    assert.deepEqual(s.backends, [{ name: 'podinfo', weight: 1 }, { name: 'podinfo-east', weight: 0 }]);
    assert.equal(s.primary, 'podinfo');
    assert.throws(() => splitSpec({ service: 'podinfo', namespace: 'test', failover: true, to: ['a'], primary: 'b' }), /primary "b" is not one of the backends/);
    const ts = splitObject(s, 'smi', 'split.smi-spec.io/v1alpha2');
    assert.deepEqual(ts.metadata, { name: 'podinfo', namespace: 'test', labels: { 'app.kubernetes.io/managed-by': 'linkerd-failover' }, annotations: { 'failover.linkerd.io/primary-service': 'podinfo' } });
  });

  test('the API: gateway API when served, else Linkerd\'s; --api must be served; failover is SMI', () => {
    const served = (entries: Array<[string, string[]]>) => new Map(entries);
    assert.equal(pickRouteApi('auto', served([['policy.linkerd.io', ['v1alpha1', 'v1beta1', 'v1beta2', 'v1beta3']]]), false).apiVersion, 'policy.linkerd.io/v1beta3');
    assert.equal(pickRouteApi('auto', served([['policy.linkerd.io', ['v1beta3']], ['gateway.networking.k8s.io', ['v1beta1', 'v1']]]), false).apiVersion, 'gateway.networking.k8s.io/v1');
    assert.throws(() => pickRouteApi('smi', served([['policy.linkerd.io', ['v1beta3']]]), false), /does not serve TrafficSplit of split\.smi-spec\.io/);
    assert.throws(() => pickRouteApi('linkerd', undefined, true), UsageError);
    assert.equal(pickRouteApi('auto', undefined, false).apiVersion, 'policy.linkerd.io/v1beta3');
    assert.equal(pickRouteApi('auto', undefined, true).apiVersion, 'split.smi-spec.io/v1alpha2');
  });

  test('HTTPRoute: the Service as parent on its port, the weights on the backendRefs', () => {
    const s = splitSpec({ service: 'podinfo', namespace: 'test', failover: false, to: ['podinfo=50', 'podinfo-east=50'], port: 9898 });
    assert.deepEqual(splitObject(s, 'gateway', 'gateway.networking.k8s.io/v1').spec, {
      parentRefs: [{ name: 'podinfo', kind: 'Service', group: 'core', port: 9898 }],
      rules: [{ backendRefs: [{ name: 'podinfo', port: 9898, weight: 50 }, { name: 'podinfo-east', port: 9898, weight: 50 }] }],
    });
    assert.throws(() => splitObject({ ...s, port: undefined }, 'linkerd', 'policy.linkerd.io/v1beta3'), /needs the port/);
  });
});

// ------------------------------------------------------------------ against the test API server

/** A minimal CRD for a routing kind (served versions, schema left open), as its chart would install it. */
function routeCrd(group: string, kind: string, versions: string[]): KubeObject {
  const plural = `${kind.toLowerCase()}s`;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: versions.map((name, i) => ({ name, served: true, storage: i === versions.length - 1, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } })),
    },
  };
}

/** A mirror of `name` from `cluster`, as the service mirror makes it (with or without endpoints). */
function putMirror(c: TestCluster, name: string, cluster: string, port: number, withEndpoints: boolean): void {
  const labels = { 'mirror.linkerd.io/mirrored-service': 'true', 'mirror.linkerd.io/cluster-name': cluster };
  c.put({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'test', labels }, spec: { ports: [{ name: 'http', port, protocol: 'TCP', targetPort: port }] } });
  c.put({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: 'test', labels }, subsets: withEndpoints ? [{ addresses: [{ ip: '203.0.113.10' }], ports: [{ name: 'http', port: 4143, protocol: 'TCP' }] }] : [] });
}

let env: TestEnv;
let west: TestCluster;
const kc = () => ['--kubeconfig', env.kubeconfigPath, '--context', 'west'];
const split = (...args: string[]) => runMc([...kc(), 'split', 'podinfo', '-n', 'test', ...args]);

before(async () => {
  env = await startTestClusters(['west']);
  west = env.cluster('west');
  const [root, issuer] = await Promise.all([createCa('root.linkerd.cluster.local'), createCa('identity.linkerd.cluster.local')]);
  installSimulatedLinkerd(west, { trustAnchorsPem: root.certPem, issuerCertPem: issuer.certPem, issuerKeyPem: issuer.keyPem });
  await putFromMc(west, ['install', '--ignore-cluster']);
  addPodinfo(west, { namespace: 'test' });
  putMirror(west, 'podinfo-east', 'east', 9898, true);
  putMirror(west, 'podinfo-north', 'north', 9898, false);
  putMirror(west, 'podinfo-south', 'south', 8080, true);
});

after(async () => {
  await env?.stop();
});

test('on Linkerd alone: policy.linkerd.io HTTPRoute on the Service\'s only port; kubectl applies it', { skip: !hasKubectl() && 'kubectl not installed' }, async () => {
  const r = await split('--to', 'podinfo=50', '--to', 'podinfo-east=50');
  assert.equal(r.code, 0, r.stderr);
  const route = yaml.load(r.stdout) as any;
  assert.equal(route.apiVersion, 'policy.linkerd.io/v1beta3');
  assert.deepEqual(route.spec.parentRefs, [{ name: 'podinfo', kind: 'Service', group: 'core', port: 9898 }]);
  assert.match(r.stderr, /HTTPRoute test\/podinfo \(policy\.linkerd\.io\/v1beta3; the cluster serves/);
  assert.match(r.stderr, /podinfo 50%, podinfo-east 50% \[podinfo-east: mirror from cluster east\]/);
  const k = await runKubectl(env.kubeconfigPath, 'west', ['apply', '-f', '-'], r.stdout);
  assert.equal(k.code, 0, k.stderr);
  assert.equal(field(west.get('policy.linkerd.io/v1beta3', 'HTTPRoute', 'test', 'podinfo'), 'spec', 'rules', 0, 'backendRefs', 1, 'weight'), 50);
});

test('the backends are checked: missing, wrong port, a mirror without endpoints — all at once, nothing printed', async () => {
  const r = await split('--to', 'podinfo=1', '--to', 'podinfo-gone=1', '--to', 'podinfo-north=1', '--to', 'podinfo-south=1');
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /backend "podinfo-gone" does not exist/);
  assert.match(r.stderr, /backend "podinfo-north" is a mirror from cluster north without endpoints/);
  assert.match(r.stderr, /backend "podinfo-south" does not serve port 9898 \(it serves 8080\)/);
  const zero = await split('--to', 'podinfo=1', '--to', 'podinfo-north=0', '-o', 'json');
  assert.equal(zero.code, 0, zero.stderr);
  assert.match(zero.stderr, /Warning: backend "podinfo-north" \(mirror from cluster north\) has no endpoints/);
  const noParent = await runMc([...kc(), 'split', 'nothing', '-n', 'test', '--to', 'podinfo=1']);
  assert.equal(noParent.code, 1);
  assert.match(noParent.stderr, /there is no Service "nothing" in namespace "test" of context "west"/);
});

test('SMI: refused until linkerd-smi serves TrafficSplit; then the talk\'s split and linkerd-failover\'s, applied by kubectl', { skip: !hasKubectl() && 'kubectl not installed' }, async () => {
  const refused = await split('--to', 'podinfo=50', '--to', 'podinfo-east=50', '--api', 'smi');
  assert.equal(refused.code, 1);
  assert.equal(refused.stdout, '');
  assert.match(refused.stderr, /linkerd-smi/);

  west.put(routeCrd('split.smi-spec.io', 'TrafficSplit', ['v1alpha1', 'v1alpha2']));
  const r = await split('--to', 'podinfo=50', '--to', 'podinfo-east=50', '--api', 'smi', '--name', 'podinfo-talk');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(yaml.load(r.stdout), {
    apiVersion: 'split.smi-spec.io/v1alpha2',
    kind: 'TrafficSplit',
    metadata: { name: 'podinfo-talk', namespace: 'test' },
    spec: { service: 'podinfo', backends: [{ service: 'podinfo', weight: 50 }, { service: 'podinfo-east', weight: 50 }] },
  });
  const fo = await split('--failover', '--to', 'podinfo', '--to', 'podinfo-east');
  assert.equal(fo.code, 0, fo.stderr);
  const both = `${r.stdout}---\n${fo.stdout}`;
  const k = await runKubectl(env.kubeconfigPath, 'west', ['apply', '-f', '-'], both);
  assert.equal(k.code, 0, k.stderr);
  const ts = west.get('split.smi-spec.io/v1alpha2', 'TrafficSplit', 'test', 'podinfo')!;
  assert.equal(ts.metadata.annotations!['failover.linkerd.io/primary-service'], 'podinfo');
  assert.equal(ts.metadata.labels!['app.kubernetes.io/managed-by'], 'linkerd-failover');
  assert.deepEqual(field(ts, 'spec', 'backends'), [{ service: 'podinfo', weight: 1 }, { service: 'podinfo-east', weight: 0 }]);
});

test('with the Gateway API served, auto picks gateway.networking.k8s.io; kubectl applies it', { skip: !hasKubectl() && 'kubectl not installed' }, async () => {
  west.put(routeCrd('gateway.networking.k8s.io', 'HTTPRoute', ['v1beta1', 'v1']));
  const r = await split('--to', 'podinfo=90,podinfo-east=10', '--name', 'podinfo-gw');
  assert.equal(r.code, 0, r.stderr);
  const route = yaml.load(r.stdout) as any;
  assert.equal(route.apiVersion, 'gateway.networking.k8s.io/v1');
  assert.deepEqual(route.spec.rules[0].backendRefs.map((b: any) => b.weight), [90, 10]);
  const k = await runKubectl(env.kubeconfigPath, 'west', ['apply', '-f', '-'], r.stdout);
  assert.equal(k.code, 0, k.stderr);
  assert.ok(west.get('gateway.networking.k8s.io/v1', 'HTTPRoute', 'test', 'podinfo-gw'));
  const linkerd = await split('--to', 'podinfo=1', '--api', 'linkerd', '-o', 'json');
  assert.equal(JSON.parse(linkerd.stdout).apiVersion, 'policy.linkerd.io/v1beta3');
});

test('offline: --offline or no cluster prints without validating and says so; usage errors exit 2', async () => {
  const off = await runMc(['split', 'podinfo', '-n', 'test', '--to', 'podinfo=50', '--to', 'podinfo-gone=50', '--port', '9898', '--offline']);
  assert.equal(off.code, 0, off.stderr);
  assert.equal((yaml.load(off.stdout) as any).spec.rules[0].backendRefs[1].name, 'podinfo-gone');
  assert.match(off.stderr, /Not validated against a cluster \(--offline\)/);

  const none = await runMc(['split', 'podinfo', '--to', 'podinfo=1', '--api', 'smi'], { env: { KUBECONFIG: `${env.dir}/no-such-kubeconfig`, HOME: env.dir } });
  assert.equal(none.code, 0, none.stderr);
  assert.equal((yaml.load(none.stdout) as any).metadata.namespace, 'default');
  assert.match(none.stderr, /Not validated against a cluster \(no cluster/);

  for (const bad of [['--to', 'podinfo=0'], ['--to', 'podinfo'], ['--to', 'podinfo=1', '--api', 'istio'], ['--to', 'podinfo=1', '--failover', '--api', 'linkerd'], ['--to', 'podinfo=1', '--offline']]) {
    const u = await split(...bad);
    assert.equal(u.code, 2, `${bad.join(' ')}: ${u.stderr}`);
    assert.equal(u.stdout, '');
  }
});

test('mc check warns about a route or split that sends traffic to a mirror without endpoints', async () => {
  const route = (name: string, to: string) => runMc(['split', 'podinfo', '-n', 'test', '--name', name, '--port', '9898', '--to', `podinfo=1,${to}`, '--api', 'linkerd', '--offline', '-o', 'json']);
  const healthy = await route('to-east', 'podinfo-east=1');
  west.put(JSON.parse(healthy.stdout));
  let r = await runMc([...kc(), 'check', '--wait', '1s']);
  assert.match(r.stdout, /√ traffic splits send traffic only to mirrors with endpoints\n\t\* \d+ route backend\(s\) on mirrors, all with endpoints/);

  west.put(routeCrd('split.smi-spec.io', 'TrafficSplit', ['v1alpha1', 'v1alpha2']));
  const dead = await route('to-north', 'podinfo-north=1');
  west.put(JSON.parse(dead.stdout));
  west.put({ apiVersion: 'split.smi-spec.io/v1alpha2', kind: 'TrafficSplit', metadata: { name: 'ts-north', namespace: 'test' }, spec: { service: 'podinfo', backends: [{ service: 'podinfo', weight: 0 }, { service: 'podinfo-north', weight: 100 }] } });
  west.put({ apiVersion: 'split.smi-spec.io/v1alpha2', kind: 'TrafficSplit', metadata: { name: 'ts-north-idle', namespace: 'test' }, spec: { service: 'podinfo', backends: [{ service: 'podinfo', weight: 1 }, { service: 'podinfo-north', weight: 0 }] } });
  r = await runMc([...kc(), 'check', '--wait', '1s']);
  assert.match(r.stdout, /‼ traffic splits send traffic only to mirrors with endpoints/);
  assert.match(r.stdout, /HTTPRoute test\/to-north \(policy\.linkerd\.io\/v1beta3\) sends traffic to test\/podinfo-north, a mirror without endpoints/);
  assert.match(r.stdout, /TrafficSplit test\/ts-north \(split\.smi-spec\.io\/v1alpha2\) sends traffic to test\/podinfo-north/);
  assert.doesNotMatch(r.stdout, /ts-north-idle/, 'a weight-0 backend gets no traffic');
  assert.doesNotMatch(r.stdout, /to-east/);
});
