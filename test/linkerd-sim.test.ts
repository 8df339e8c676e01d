/**
 * The Linkerd simulations put test clusters into the state real ones would
 * be in, and the simulated service mirror follows upstream's naming.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import { linkerdSettings } from '../src/linkerd-config.js';
import { createCa } from './support/pki.js';
import { addAmbassadorGateway, addPodinfo, installSimulatedLinkerd, MirrorLabels, renewProxyCertificates, settleWorkloads, simulateIssuerReload, startServiceMirrorSimulation, type LinkerdCerts, type ServiceMirrorSimulation } from './support/linkerd-sim.js';
import { field, startTestClusters, type ConfigMap, type Deployment, type Endpoints, type Pod, type Secret, type Service, type TestCluster, type TestEnv } from './support/index.js';

let env: TestEnv;
let east: TestCluster;
let west: TestCluster;
let certs: LinkerdCerts;

before(async () => {
  env = await startTestClusters(['east', 'west']);
  east = env.cluster('east');
  west = env.cluster('west');
  const anchor = await createCa('root.linkerd.cluster.local');
  const issuer = await createCa('identity.linkerd.cluster.local');
  certs = { trustAnchorsPem: anchor.certPem, issuerCertPem: issuer.certPem, issuerKeyPem: issuer.keyPem };
});

after(async () => {
  await env?.stop();
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A manual-sync simulated service mirror in west, after a first sync without errors; stopped once `body` is done. */
async function withSyncedMirror(body: (sim: ServiceMirrorSimulation) => Promise<void>): Promise<void> {
  const sim = startServiceMirrorSimulation(env, 'west', { intervalMs: 0 });
  try {
    await sim.syncOnce();
    assert.deepEqual([...sim.errors], []);
    await body(sim);
  } finally {
    sim.stop();
  }
}

test('installSimulatedLinkerd: linkerd-config as upstream writes it, trust roots, issuer, policy CRDs, ready meshed control plane', () => {
  installSimulatedLinkerd(east, certs, { trustDomain: 'example.org' });
  installSimulatedLinkerd(west, certs);
  const cm = east.get('v1', 'ConfigMap', 'linkerd', 'linkerd-config');
  const settings = linkerdSettings(cm, 'ConfigMap linkerd/linkerd-config');
  assert.equal(settings.identityTrustDomain, 'example.org');
  assert.equal(settings.clusterDomain, 'cluster.local');
  assert.equal(settings.proxyOutboundPort, 4140);
  assert.equal(settings.values.identityTrustAnchorsPEM, certs.trustAnchorsPem);
  assert.deepEqual((settings.values.proxy as any).ports, { admin: 4191, control: 4190, inbound: 4143, outbound: 4140 });
  assert.ok(!JSON.stringify(settings.values).includes('PRIVATE KEY'), 'no key in linkerd-config');
  assert.equal(east.get<ConfigMap>('v1', 'ConfigMap', 'linkerd', 'linkerd-identity-trust-roots')!.data!['ca-bundle.crt'], certs.trustAnchorsPem);
  const issuer = east.get<Secret>('v1', 'Secret', 'linkerd', 'linkerd-identity-issuer')!;
  assert.equal(Buffer.from(issuer.data!['crt.pem'], 'base64').toString(), certs.issuerCertPem);
  for (const crd of ['servers.policy.linkerd.io', 'authorizationpolicies.policy.linkerd.io', 'meshtlsauthentications.policy.linkerd.io', 'networkauthentications.policy.linkerd.io']) {
    assert.ok(east.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, crd), crd);
  }
  east.put({ apiVersion: 'policy.linkerd.io/v1beta3', kind: 'Server', metadata: { name: 's', namespace: 'linkerd' }, spec: { port: 4191 } });
  const deploy = east.get<Deployment>('apps/v1', 'Deployment', 'linkerd', 'linkerd-destination')!;
  assert.equal(deploy.status!.readyReplicas, 1);
  const pods = east.list<Pod>('v1', 'Pod', 'linkerd');
  assert.equal(pods.length, 3);
  for (const p of pods) {
    assert.equal(p.status!.phase, 'Running');
    assert.equal(p.metadata.labels!['linkerd.io/control-plane-ns'], 'linkerd');
    assert.ok(p.spec.containers.some((c) => c.name === 'linkerd-proxy'));
    assert.ok(p.status!.containerStatuses!.every((c) => c.ready));
  }
});

test('addAmbassadorGateway and addPodinfo', () => {
  addAmbassadorGateway(east, { address: '203.0.113.7' });
  const gw = east.get<Service>('v1', 'Service', 'ambassador', 'ambassador')!;
  assert.equal(gw.spec.type, 'LoadBalancer');
  assert.equal(field(gw, 'status', 'loadBalancer', 'ingress', 0, 'ip'), '203.0.113.7');
  assert.deepEqual(
    gw.spec.ports!.filter((p) => p.name!.startsWith('mc-')).map((p) => [p.name, p.port]),
    [['mc-gateway', 4143], ['mc-probe', 4191]],
  );
  assert.equal(gw.metadata.annotations![MirrorLabels.gatewayIdentity], 'ambassador.ambassador.serviceaccount.identity.linkerd.example.org');
  assert.equal(gw.metadata.annotations![MirrorLabels.probePath], '/ready');

  addPodinfo(east, { exported: true });
  addPodinfo(west);
  const svc = east.get<Service>('v1', 'Service', 'test', 'podinfo')!;
  assert.equal(svc.spec.ports![0].port, 9898);
  assert.equal(svc.metadata.labels![MirrorLabels.exported], 'true');
  assert.equal(west.get('v1', 'Service', 'test', 'podinfo')!.metadata.labels![MirrorLabels.exported], undefined);
  const ep = east.get<Endpoints>('v1', 'Endpoints', 'test', 'podinfo')!;
  assert.equal(ep.subsets![0].addresses!.length, 2);
  assert.equal(ep.subsets![0].ports![0].port, 9898);
});

test('the simulated service mirror reads east with the Link credentials and keeps upstream-named mirrors in west', async () => {
  // remote access in east: a service account allowed to read services and endpoints
  east.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'remote', namespace: 'linkerd-multicluster' } });
  east.put({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'remote' }, rules: [{ apiGroups: [''], resources: ['services', 'endpoints', 'namespaces'], verbs: ['get', 'list', 'watch'] }] });
  east.put({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'remote' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'remote' }, subjects: [{ kind: 'ServiceAccount', name: 'remote', namespace: 'linkerd-multicluster' }] });
  // in west: the Link CRD, the credentials, the Link and its service mirror Deployment
  west.put({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'links.multicluster.linkerd.io' },
    spec: { group: 'multicluster.linkerd.io', scope: 'Namespaced', names: { kind: 'Link', plural: 'links', singular: 'link' }, versions: [{ name: 'v1alpha3', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
  });
  west.put({ apiVersion: 'v1', kind: 'Secret', type: 'mirror.linkerd.io/remote-kubeconfig', metadata: { name: 'cluster-credentials-east', namespace: 'linkerd-multicluster' }, data: { kubeconfig: b64(east.kubeconfigFor(east.serviceAccountToken('linkerd-multicluster', 'remote'), 'east')) } });
  west.put({
    apiVersion: 'multicluster.linkerd.io/v1alpha3',
    kind: 'Link',
    metadata: { name: 'east', namespace: 'linkerd-multicluster' },
    spec: {
      targetClusterName: 'east',
      targetClusterDomain: 'cluster.local',
      targetClusterLinkerdNamespace: 'linkerd',
      clusterCredentialsSecret: 'cluster-credentials-east',
      gatewayAddress: '203.0.113.7',
      gatewayPort: '4143',
      gatewayIdentity: 'ambassador.ambassador.serviceaccount.identity.linkerd.example.org',
      probeSpec: { path: '/ready', port: '4191', period: '3s' },
      selector: { matchLabels: { [MirrorLabels.exported]: 'true' } },
      remoteDiscoverySelector: { matchLabels: { [MirrorLabels.exported]: 'remote-discovery' } },
    },
  });
  west.put({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'linkerd-service-mirror-east', namespace: 'linkerd-multicluster' },
    spec: { selector: { matchLabels: { component: 'linkerd-service-mirror' } }, template: { metadata: { labels: { component: 'linkerd-service-mirror' }, annotations: { 'linkerd.io/inject': 'enabled' } }, spec: { containers: [{ name: 'service-mirror', image: 'x' }] } } },
  });

  await withSyncedMirror(async (sim) => {
    const mirror = west.get<Service>('v1', 'Service', 'test', 'podinfo-east');
    assert.ok(mirror, 'podinfo-east mirrored');
    const mirrorLabels = mirror.metadata.labels!;
    assert.equal(mirrorLabels[MirrorLabels.mirroredService], 'true');
    assert.equal(mirrorLabels[MirrorLabels.clusterName], 'east');
    assert.equal(mirrorLabels.app, 'podinfo', 'remote labels are copied');
    assert.equal(mirrorLabels[MirrorLabels.exported], undefined, 'mirror.linkerd.io labels are not');
    assert.equal(mirror.metadata.annotations![MirrorLabels.remoteSvcFqName], 'podinfo.test.svc.cluster.local');
    assert.equal(mirror.metadata.annotations![MirrorLabels.remoteResourceVersion], east.get('v1', 'Service', 'test', 'podinfo')!.metadata.resourceVersion);
    assert.deepEqual(mirror.spec.ports!.map((p) => [p.name, p.port]), [['http', 9898]]);
    const ep = west.get<Endpoints>('v1', 'Endpoints', 'test', 'podinfo-east')!;
    assert.deepEqual(ep.subsets, [{ addresses: [{ ip: '203.0.113.7' }], ports: [{ name: 'http', protocol: 'TCP', port: 4143 }] }]);
    assert.equal(ep.metadata.annotations![MirrorLabels.remoteGatewayIdentity], 'ambassador.ambassador.serviceaccount.identity.linkerd.example.org');
    const probe = west.get<Endpoints>('v1', 'Endpoints', 'linkerd-multicluster', 'probe-gateway-east')!;
    assert.equal(probe.subsets![0].ports![0].port, 4191);
    assert.equal(west.get<Deployment>('apps/v1', 'Deployment', 'linkerd-multicluster', 'linkerd-service-mirror-east')!.status!.readyReplicas, 1);
    assert.ok(west.list<Pod>('v1', 'Pod', 'linkerd-multicluster').some((p) => p.metadata.name.startsWith('linkerd-service-mirror-east-') && p.status!.phase === 'Running'));

    // a second round with nothing new changes nothing
    const rv = west.get('v1', 'Service', 'test', 'podinfo-east')!.metadata.resourceVersion;
    await sim.syncOnce();
    assert.equal(west.get('v1', 'Service', 'test', 'podinfo-east')!.metadata.resourceVersion, rv);

    // unexported: the mirror goes
    const svc = east.get('v1', 'Service', 'test', 'podinfo')!;
    delete svc.metadata.labels![MirrorLabels.exported];
    east.put(svc);
    await sim.syncOnce();
    assert.equal(west.get('v1', 'Service', 'test', 'podinfo-east'), undefined);

    // remote discovery: a mirror without gateway endpoints
    svc.metadata.labels![MirrorLabels.exported] = 'remote-discovery';
    east.put(svc);
    await sim.syncOnce();
    const rd = west.get('v1', 'Service', 'test', 'podinfo-east')!;
    assert.equal(rd.metadata.labels![MirrorLabels.remoteDiscovery], 'east');
    assert.equal(rd.metadata.labels![MirrorLabels.remoteService], 'podinfo');
    assert.equal(west.get('v1', 'Endpoints', 'test', 'podinfo-east'), undefined);

    // credentials that no longer work: an error, the mirrors stay
    east.remove('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', undefined, 'remote');
    await sim.syncOnce();
    assert.match(sim.errors.get('linkerd-multicluster/east') ?? '', /forbidden/);
    assert.ok(west.get('v1', 'Service', 'test', 'podinfo-east'));

    // the Link goes: so do its mirrors
    west.remove('multicluster.linkerd.io/v1alpha3', 'Link', 'linkerd-multicluster', 'east');
    await sim.syncOnce();
    assert.equal(west.get('v1', 'Service', 'test', 'podinfo-east'), undefined);
    assert.equal(sim.errors.size, 0);
  });
});

test('the simulation runs on its own until stopped', async () => {
  const sim = startServiceMirrorSimulation(env, 'east', { intervalMs: 20 });
  await new Promise((r) => setTimeout(r, 60));
  sim.stop();
  await sim.syncOnce();
});

test('settleWorkloads: Deployments applied over HTTP get ready Pods, Services get Endpoints', () => {
  east.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'settle' } });
  east.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'gw', namespace: 'settle' }, spec: { replicas: 2, selector: { matchLabels: { app: 'gw' } }, template: { metadata: { labels: { app: 'gw' }, annotations: { 'linkerd.io/inject': 'enabled' } }, spec: { containers: [{ name: 'gw', image: 'x' }] } } } });
  east.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'gw', namespace: 'settle' }, spec: { selector: { app: 'gw' }, ports: [{ name: 'mc-gateway', port: 4143 }] } });
  settleWorkloads(east, 'settle');
  assert.equal(east.get<Deployment>('apps/v1', 'Deployment', 'settle', 'gw')!.status!.availableReplicas, 2);
  const pods = east.list<Pod>('v1', 'Pod', 'settle');
  assert.equal(pods.length, 2);
  assert.ok(pods.every((p) => p.spec.containers[0].name === 'linkerd-proxy'), 'meshed: the template asks for injection');
  assert.equal(east.get<Endpoints>('v1', 'Endpoints', 'settle', 'gw')!.subsets![0].addresses!.length, 2);
  settleWorkloads(east, 'settle');
  assert.equal(east.list('v1', 'Pod', 'settle').length, 2, 'idempotent');
});

test('federated services: NAME-federated with remote-discovery and local-discovery members', async () => {
  east.put({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'remote' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'remote' }, subjects: [{ kind: 'ServiceAccount', name: 'remote', namespace: 'linkerd-multicluster' }] });
  west.put({
    apiVersion: 'multicluster.linkerd.io/v1alpha3',
    kind: 'Link',
    metadata: { name: 'east', namespace: 'linkerd-multicluster' },
    spec: {
      targetClusterName: 'east',
      clusterCredentialsSecret: 'cluster-credentials-east',
      gatewayAddress: '203.0.113.7',
      gatewayPort: '4143',
      selector: { matchLabels: { [MirrorLabels.exported]: 'true' } },
      federatedServiceSelector: { matchLabels: { 'mirror.linkerd.io/federated': 'member' } },
    },
  });
  for (const c of [east, west]) {
    const svc = c.get('v1', 'Service', 'test', 'podinfo')!;
    svc.metadata.labels = { app: 'podinfo', 'mirror.linkerd.io/federated': 'member' };
    c.put(svc);
  }
  await withSyncedMirror(async (sim) => {
    const fed = west.get('v1', 'Service', 'test', 'podinfo-federated');
    assert.ok(fed, 'podinfo-federated exists');
    assert.equal(fed.metadata.labels![MirrorLabels.mirroredService], 'true');
    assert.equal(fed.metadata.annotations!['multicluster.linkerd.io/remote-discovery'], 'podinfo@east');
    assert.equal(fed.metadata.annotations!['multicluster.linkerd.io/local-discovery'], 'podinfo');
    assert.equal(west.get('v1', 'Endpoints', 'test', 'podinfo-federated'), undefined, 'no endpoints for a federated service');
    assert.equal(west.get('v1', 'Service', 'test', 'podinfo-east'), undefined, 'federation alone does not mirror');
    // east leaves the federation, and so does west: the federated service goes
    for (const c of [east, west]) {
      const svc = c.get('v1', 'Service', 'test', 'podinfo')!;
      svc.metadata.labels = { app: 'podinfo' };
      c.put(svc);
    }
    await sim.syncOnce();
    assert.equal(west.get('v1', 'Service', 'test', 'podinfo-federated'), undefined);
  });
});

test('renewProxyCertificates: a proxy renews at 70% of its lifetime, from the issuer identity holds then, without a restart', async () => {
  const own = await startTestClusters(['renewing']);
  try {
    const c = own.cluster('renewing');
    // Whole seconds, as a certificate's validity is written.
    const start = new Date(Math.floor(Date.now() / 1000) * 1000);
    installSimulatedLinkerd(c, certs);
    addPodinfo(c);
    const podsIn = (ns: string) => c.list<Pod>('v1', 'Pod', ns).filter((p) => p.spec?.containers.some((k) => k.name === 'linkerd-proxy'));
    const running = () => [...podsIn('linkerd'), ...podsIn('test')].map((p) => `${p.metadata.namespace}/${p.metadata.name} ${p.metadata.uid}`).sort();
    /** The leaf the pod's proxy serves on its admin port (what a TLS handshake naming its identity gets). */
    const leaf = async (pod: Pod) => {
      const served = await c.apiServer.pods.tlsFor(pod, 4191)!.credentials();
      return new X509Certificate(served.certPem);
    };
    const first = await leaf(podsIn('test')[0]!);
    assert.equal(first.issuer, 'CN=identity.linkerd.cluster.local');
    assert.ok(first.verify(new X509Certificate(certs.issuerCertPem).publicKey), 'signed by the installed issuer');
    // identity takes a new issuer; the proxies keep what they hold until they renew.
    const next = await createCa('identity.linkerd.cluster.local');
    const secret = c.get<Secret>('v1', 'Secret', 'linkerd', 'linkerd-identity-issuer')!;
    c.put({ ...secret, data: { 'crt.pem': b64(next.certPem), 'key.pem': b64(next.keyPem) } });
    simulateIssuerReload(c);
    const before = running();
    const hour = 3_600_000;
    assert.deepEqual(renewProxyCertificates(c, { now: new Date(start.getTime() + 16 * hour) }), [], '16h of 24h is not 70% yet');
    assert.equal((await leaf(podsIn('test')[0]!)).serialNumber, first.serialNumber);
    const at = new Date(start.getTime() + 17 * hour);
    assert.deepEqual(renewProxyCertificates(c, { now: at, namespace: 'test' }), podsIn('test').map((p) => `test/${p.metadata.name}`).sort(), 'only the namespace asked');
    for (const pod of podsIn('test')) {
      const renewed = await leaf(pod);
      assert.ok(renewed.verify(new X509Certificate(next.certPem).publicKey), `${pod.metadata.name}: signed by the issuer identity holds now`);
      assert.equal(Date.parse(renewed.validFrom), at.getTime() - 60_000);
    }
    for (const pod of podsIn('linkerd')) assert.ok((await leaf(pod)).verify(new X509Certificate(certs.issuerCertPem).publicKey), `${pod.metadata.name} did not renew`);
    assert.deepEqual(running(), before, 'no pod restarted');
    // A restarted pod's proxy is new: the old one is gone, the new one renews on its own schedule.
    const d = c.get<Deployment>('apps/v1', 'Deployment', 'test', 'podinfo')!;
    c.put({ ...d, spec: { ...d.spec, template: { ...d.spec.template, metadata: { ...d.spec.template.metadata, annotations: { restartedAt: 'now' } } } } });
    settleWorkloads(c, 'test', { startedAt: at });
    assert.deepEqual(renewProxyCertificates(c, { now: new Date(at.getTime() + hour) }), podsIn('linkerd').map((p) => `linkerd/${p.metadata.name}`).sort());
  } finally {
    await own.stop();
  }
});
