/**
 * mc install / allow / uninstall end to end on the test API server: a
 * cluster with a simulated Linkerd control plane (linkerd-config with its
 * `values`, the policy CRDs), real kubectl apply/delete where kubectl exists.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { hasKubectl, runKubectl, runMc } from './helpers/index.js';
import { createTrustAnchor } from '../src/certs/anchor.js';
import { createIssuer } from '../src/certs/issuer.js';
import { startTestClusters, type TestCluster, type TestEnv } from './support/index.js';
import { installSimulatedLinkerd } from './support/linkerd-sim.js';

const HAS_KUBECTL = hasKubectl();
const NS = 'linkerd-multicluster';
const TRUST_DOMAIN = 'east.example.org';

type Doc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

/** A control plane as `linkerd install` leaves it, as far as mc reads it. */
function simulateLinkerd(c: TestCluster): void {
  c.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'linkerd', labels: { 'linkerd.io/is-control-plane': 'true' } } });
  c.put({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'linkerd-config', namespace: 'linkerd', labels: { 'linkerd.io/control-plane-component': 'controller' } },
    data: {
      values: yaml.dump({
        clusterDomain: 'cluster.local',
        identityTrustDomain: TRUST_DOMAIN,
        cniEnabled: false,
        proxy: { ports: { admin: 4191, control: 4190, inbound: 4143, outbound: 4140 } },
      }),
    },
  });
  for (const [kind, plural, versions] of [
    ['Server', 'servers', ['v1beta1', 'v1beta2', 'v1beta3']],
    ['AuthorizationPolicy', 'authorizationpolicies', ['v1alpha1']],
    ['MeshTLSAuthentication', 'meshtlsauthentications', ['v1alpha1']],
    ['NetworkAuthentication', 'networkauthentications', ['v1alpha1']],
  ] as const) {
    c.put({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${plural}.policy.linkerd.io`, labels: { 'linkerd.io/control-plane-ns': 'linkerd' } },
      spec: {
        group: 'policy.linkerd.io',
        scope: 'Namespaced',
        names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
        versions: versions.map((name, i) => ({ name, served: true, storage: i === versions.length - 1, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } })),
      },
    });
  }
}

const kubectl = (env: TestEnv, context: string, args: string[], input: string) => runKubectl(env.kubeconfigPath, context, args, input);

const docsOf = (text: string) => (yaml.loadAll(text) as Doc[]).filter(Boolean);

let env: TestEnv;
let east: TestCluster;
const mc = (args: string[]) => runMc(['--kubeconfig', env.kubeconfigPath, '--context', 'east', ...args]);

before(async () => {
  env = await startTestClusters(['east', 'bare', 'sim']);
  east = env.cluster('east');
  simulateLinkerd(east);
  // The shared simulation of `linkerd install` (its linkerd-config as upstream writes it), with real certificates.
  const day = 24 * 3600 * 1000;
  const anchor = await createTrustAnchor({ trustDomain: 'sim.example', lifetimeMs: 30 * day });
  const issuer = await createIssuer({ anchor, trustDomain: 'sim.example', lifetimeMs: 7 * day });
  installSimulatedLinkerd(env.cluster('sim'), { trustAnchorsPem: anchor.certPem, issuerCertPem: issuer.certPem, issuerKeyPem: issuer.keyPem }, { trustDomain: 'sim.example' });
});
after(async () => env?.stop());

test('install reads linkerd-config: the gateway identity carries the cluster\'s trust domain', async () => {
  const r = await mc(['install']);
  assert.equal(r.code, 0, r.stderr);
  const svc = docsOf(r.stdout).find((d) => d.kind === 'Service' && d.metadata.name === 'linkerd-gateway') as Doc & { metadata: { annotations: Record<string, string> } };
  assert.equal(svc.metadata.annotations['mirror.linkerd.io/gateway-identity'], `linkerd-gateway.${NS}.serviceaccount.identity.linkerd.${TRUST_DOMAIN}`);
});

test('install reads the linkerd-config of the shared simulated control plane', async () => {
  const r = await runMc(['--kubeconfig', env.kubeconfigPath, '--context', 'sim', 'install', '--gateway=false', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const docs = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Doc & { metadata: { labels?: Record<string, string> } });
  assert.ok(!docs.some((d) => d.kind === 'Deployment' && d.metadata.name === 'linkerd-gateway'));
  const ns = docs.find((d) => d.kind === 'Namespace')!;
  assert.match(ns.metadata.labels!['pod-security.kubernetes.io/enforce']!, /^(privileged|restricted)$/);
  const withGateway = await runMc(['--kubeconfig', env.kubeconfigPath, '--context', 'sim', 'install']);
  assert.match(withGateway.stdout, /mirror\.linkerd\.io\/gateway-identity: linkerd-gateway\.linkerd-multicluster\.serviceaccount\.identity\.linkerd\.sim\.example/);
});

test('install without Linkerd in the cluster: an error that suggests linkerd install or --ignore-cluster', async () => {
  const r = await runMc(['--kubeconfig', env.kubeconfigPath, '--context', 'bare', 'install']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /Linkerd is not installed in context "bare": no ConfigMap linkerd-config in namespace "linkerd"/);
  assert.match(r.stderr, /linkerd install/);
  assert.match(r.stderr, /--ignore-cluster/);
  const other = await runMc(['--kubeconfig', env.kubeconfigPath, '--context', 'east', '--linkerd-namespace', 'elsewhere', 'install']);
  assert.equal(other.code, 1);
  assert.match(other.stderr, /namespace "elsewhere"/);
});

test('mc install | kubectl apply, then mc uninstall | kubectl delete', async (t) => {
  const r = await mc(['install']);
  assert.equal(r.code, 0, r.stderr);
  const docs = docsOf(r.stdout);
  if (HAS_KUBECTL) {
    const applied = await kubectl(env, 'east', ['apply', '-f', '-'], r.stdout);
    assert.equal(applied.code, 0, applied.stderr);
  } else {
    t.diagnostic('kubectl not installed: objects stored directly instead of kubectl apply');
    for (const d of docs) east.put(d);
  }
  for (const d of docs) assert.ok(east.get(d.apiVersion, d.kind, d.metadata.namespace, d.metadata.name), `${d.kind} ${d.metadata.name} is in the cluster`);

  // allow: the default account exists now; a new one does not.
  const dup = await mc(['allow', '--service-account-name', 'linkerd-service-mirror-remote-access-default']);
  assert.equal(dup.code, 1);
  assert.equal(dup.stdout, '');
  assert.match(dup.stderr, /ServiceAccount "linkerd-service-mirror-remote-access-default" already exists in namespace "linkerd-multicluster" of context "east"/);
  assert.match(dup.stderr, /--ignore-cluster/);
  const forced = await mc(['allow', '--service-account-name', 'linkerd-service-mirror-remote-access-default', '--ignore-cluster']);
  assert.equal(forced.code, 0, forced.stderr);
  // -o json: one JSON document per line, which kubectl apply reads as well.
  const allow = await mc(['allow', '--service-account-name', 'west-mirror', '-o', 'json']);
  assert.equal(allow.code, 0, allow.stderr);
  const allowDocs = allow.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Doc);
  assert.deepEqual(allowDocs.map((d) => `${d.kind}/${d.metadata.name}`).sort(), ['ClusterRole/west-mirror', 'ClusterRoleBinding/west-mirror', 'Namespace/linkerd-multicluster', 'Secret/west-mirror-token', 'ServiceAccount/west-mirror']);
  if (HAS_KUBECTL) {
    const applied = await kubectl(env, 'east', ['apply', '-f', '-'], allow.stdout);
    assert.equal(applied.code, 0, applied.stderr);
  } else {
    for (const d of allowDocs) east.put(d);
  }

  // uninstall refuses while a Link remains, naming it.
  east.put({ apiVersion: 'multicluster.linkerd.io/v1alpha3', kind: 'Link', metadata: { name: 'west', namespace: NS }, spec: { targetClusterName: 'west' } });
  const refused = await mc(['uninstall']);
  assert.equal(refused.code, 1);
  assert.equal(refused.stdout, '');
  assert.match(refused.stderr, /: 1 Link remains:/);
  assert.match(refused.stderr, /\* west \(Link linkerd-multicluster\/west\)/);
  assert.match(refused.stderr, /mc unlink --cluster-name west/);
  east.remove('multicluster.linkerd.io/v1alpha3', 'Link', NS, 'west');

  const u = await mc(['uninstall']);
  assert.equal(u.code, 0, u.stderr);
  const toDelete = docsOf(u.stdout);
  const keys = new Set(toDelete.map((d) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`));
  for (const d of [...docs, ...allowDocs]) assert.ok(keys.has(`${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`), `uninstall lists ${d.kind} ${d.metadata.name}`);
  assert.equal(toDelete.at(-1)!.kind, 'Namespace', 'the namespace goes last');
  assert.ok(!toDelete.some((d) => d.metadata.namespace === 'linkerd'), 'nothing of the control plane');
  const json = await mc(['uninstall', '-o', 'json']);
  assert.equal(json.stdout.trimEnd().split('\n').length, toDelete.length);

  if (!HAS_KUBECTL) {
    t.skip('kubectl not installed');
    return;
  }
  // --wait=false: kubectl's wait for each object is throttled to 5 requests a second (4 s here); the
  // namespace deletion is finished at once instead of after namespaceFinalizeMs.
  const deleted = await kubectl(env, 'east', ['delete', '--wait=false', '-f', '-'], u.stdout);
  assert.equal(deleted.code, 0, deleted.stderr);
  east.flushNamespaceDeletions();
  for (const d of [...docs, ...allowDocs]) assert.equal(east.get(d.apiVersion, d.kind, d.metadata.namespace, d.metadata.name), undefined, `${d.kind} ${d.metadata.name} is gone`);
  assert.ok(east.get('v1', 'ConfigMap', 'linkerd', 'linkerd-config'), 'the control plane stays');
  const nothing = await mc(['uninstall']);
  assert.equal(nothing.code, 1);
  assert.match(nothing.stderr, /no resources of the multicluster extension/);
});
