/**
 * mc link-gen on the test API server: the Secrets and the Link equal what
 * upstream's link-gen (edge-26.8.3, multicluster/cmd/link-gen.go) prints for
 * the default gateway, an Ambassador gateway, no gateway and custom
 * selectors; --apply-to and `| kubectl apply`; the cluster name from the
 * context; every problem at once; the token never on stderr.
 *
 * The expected objects are written out here from upstream's getCreds and
 * getLink. Go's marshaller also prints two zero values that carry nothing,
 * `metadata.creationTimestamp: null` and the Link's `status: {}`; they are
 * dropped from upstream's side before comparing (see upstreamDoc).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { KubeClient } from '../src/kube/client.js';
import { linkGenObjects, loopbackWarning } from '../src/link/link-gen.js';
import { parseLabelSelector } from '../src/multicluster/selectors.js';
import { hasKubectl, runKubectl, runMc } from './helpers/index.js';
import { startTestClusters, type Deployment, type Link, type Secret, type Service, type TestCluster, type TestEnv } from './support/index.js';
import { addAmbassadorGateway } from './support/linkerd-sim.js';
import { putFromMc } from './helpers/index.js';

const SA = 'linkerd-service-mirror-remote-access-default';
const MC_NS = 'linkerd-multicluster';
const GATEWAY_IDENTITY = 'linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.cluster.local';

let env: TestEnv;
let token: string;
const mc = (ctx: string, args: string[]) => runMc(['--kubeconfig', env.kubeconfigPath, '--context', ctx, ...args]);
const docsOf = (text: string) => yaml.loadAll(text).filter((d) => d) as any[];
/** A Link spec as the server stores it: the CRD defaults the probe's failureThreshold and timeout. */
const withCrdDefaults = (spec: any) => (spec.gatewayAddress ? { ...spec, probeSpec: { ...spec.probeSpec, failureThreshold: '3', timeout: '30s' } } : spec);

/** East as `linkerd install` + `mc install` leave it: linkerd-config, the remote-access account, the gateway with its load balancer address. */
async function setupEast(c: TestCluster): Promise<void> {
  c.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'linkerd-config', namespace: 'linkerd' }, data: { values: 'identityTrustDomain: cluster.local\nclusterDomain: cluster.local\n' } });
  await putFromMc(c, ['install', '--ignore-cluster'], (o) => ['Namespace', 'ServiceAccount', 'Secret', 'Service'].includes(o.kind));
  const gw = c.get<Service>('v1', 'Service', MC_NS, 'linkerd-gateway')!;
  c.put({ ...gw, status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }, { hostname: 'gw.east.example' }] } } });
  addAmbassadorGateway(c);
}

before(async () => {
  env = await startTestClusters(['east', 'west', 'bare']);
  await setupEast(env.cluster('east'));
  const west = env.cluster('west');
  west.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'linkerd' } });
  await putFromMc(west, ['install', '--ignore-cluster'], (o) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition');
  const secret = env.cluster('east').get<Secret>('v1', 'Secret', MC_NS, `${SA}-token`)!;
  token = Buffer.from(secret.data!.token, 'base64').toString('utf8');
  assert.ok(token.length > 20, 'the test server filled the token Secret');
});

after(async () => {
  await env?.stop();
});

/** Upstream's getCreds: a mirror.linkerd.io/remote-kubeconfig Secret named cluster-credentials-NAME. */
function upstreamCreds(name: string, namespace: string, kubeconfigB64: string, labels?: object, annotations?: object): object {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'mirror.linkerd.io/remote-kubeconfig',
    metadata: { name: `cluster-credentials-${name}`, namespace, creationTimestamp: null, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
    data: { kubeconfig: kubeconfigB64 },
  };
}

const DEFAULT_SELECTORS = {
  remoteDiscoverySelector: { matchLabels: { 'mirror.linkerd.io/exported': 'remote-discovery' } },
  federatedServiceSelector: { matchLabels: { 'mirror.linkerd.io/federated': 'member' } },
};

/** Upstream's getLink: the spec fields it sets (those left empty are omitted by its omitempty tags). */
function upstreamLink(name: string, spec: object): object {
  return {
    apiVersion: 'multicluster.linkerd.io/v1alpha3',
    kind: 'Link',
    metadata: { name, namespace: MC_NS, creationTimestamp: null, annotations: { 'linkerd.io/created-by': 'linkerd/cli edge-26.8.3' } },
    spec: {
      targetClusterName: name,
      targetClusterDomain: 'cluster.local',
      targetClusterLinkerdNamespace: 'linkerd',
      clusterCredentialsSecret: `cluster-credentials-${name}`,
      ...spec,
    },
    status: {},
  };
}

/** Upstream's three documents, without Go's empty creationTimestamp and status. */
function upstreamDocs(name: string, kubeconfigB64: string, linkSpec: object): object[] {
  const drop = (d: any) => {
    const { status: _status, ...rest } = d;
    const { creationTimestamp: _ts, ...metadata } = rest.metadata;
    return { ...rest, metadata };
  };
  return [
    upstreamCreds(name, MC_NS, kubeconfigB64),
    upstreamCreds(name, 'linkerd', kubeconfigB64, { 'multicluster.linkerd.io/cluster-name': name }, { 'multicluster.linkerd.io/trust-domain': 'cluster.local', 'multicluster.linkerd.io/cluster-domain': 'cluster.local' }),
    upstreamLink(name, linkSpec),
  ].map(drop);
}

/** The kubeconfig in the Secret: only east, its CA as data, the remote-access token as the only user. */
function assertKubeconfig(b64: string, contextName = 'east'): void {
  const kc = yaml.load(Buffer.from(b64, 'base64').toString('utf8')) as any;
  const east = env.cluster('east');
  assert.deepEqual(kc.clusters, [{ name: 'east', cluster: { server: east.server, 'certificate-authority-data': Buffer.from(east.caPem).toString('base64') } }]);
  assert.deepEqual(kc.users, [{ name: SA, user: { token } }]);
  assert.deepEqual(kc.contexts, [{ name: contextName, context: { cluster: 'east', user: SA } }]);
  assert.equal(kc['current-context'], contextName);
}

const CASES: Array<{ title: string; args: string[]; spec: object }> = [
  {
    title: 'default gateway',
    args: [],
    spec: {
      gatewayAddress: '203.0.113.7,gw.east.example',
      gatewayPort: '4143',
      gatewayIdentity: GATEWAY_IDENTITY,
      probeSpec: { path: '/ready', port: '4191', period: '3s' },
      selector: { matchLabels: { 'mirror.linkerd.io/exported': 'true' } },
      ...DEFAULT_SELECTORS,
    },
  },
  {
    title: 'Ambassador gateway',
    args: ['--gateway-name', 'ambassador', '--gateway-namespace', 'ambassador'],
    spec: {
      gatewayAddress: '192.0.2.10',
      gatewayPort: '4143',
      gatewayIdentity: 'ambassador.ambassador.serviceaccount.identity.linkerd.cluster.local',
      probeSpec: { path: '/ready', port: '4191', period: '3s' },
      selector: { matchLabels: { 'mirror.linkerd.io/exported': 'true' } },
      ...DEFAULT_SELECTORS,
    },
  },
  {
    // No gateway: upstream leaves the gateway fields and the selector out; its ProbeSpec struct still prints as {}.
    title: 'no gateway',
    args: ['--gateway=false'],
    spec: { probeSpec: {}, ...DEFAULT_SELECTORS },
  },
  {
    title: 'custom selectors, excluded labels and annotations, gateway addresses and port',
    args: [
      '-l', 'app=web,tier in (b,a),!legacy',
      '--remote-discovery-selector', 'discovery notin (off)',
      '--federated-service-selector', '',
      '--excluded-labels', 'team,owner', '--excluded-labels', 'cost',
      '--excluded-annotations', 'note',
      '--gateway-addresses', '198.51.100.1,198.51.100.2',
      '--gateway-port', '10143',
    ],
    spec: {
      gatewayAddress: '198.51.100.1,198.51.100.2',
      gatewayPort: '10143',
      gatewayIdentity: GATEWAY_IDENTITY,
      probeSpec: { path: '/ready', port: '4191', period: '3s' },
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'legacy', operator: 'DoesNotExist' }, { key: 'tier', operator: 'In', values: ['a', 'b'] }] },
      remoteDiscoverySelector: { matchExpressions: [{ key: 'discovery', operator: 'NotIn', values: ['off'] }] },
      federatedServiceSelector: {},
      excludedAnnotations: ['note'],
      excludedLabels: ['team', 'owner', 'cost'],
    },
  },
];

for (const c of CASES) {
  test(`link-gen, ${c.title}: the Secrets and the Link as upstream's link-gen; yaml and json alike; no token on stderr`, async () => {
    const r = await mc('east', ['link-gen', '--cluster-name', 'east', ...c.args]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stderr.includes(token));
    const docs = docsOf(r.stdout);
    assert.equal(docs.length, 3, 'two Secrets and the Link, no service mirror');
    assertKubeconfig(docs[0].data.kubeconfig);
    assert.deepEqual(docs, upstreamDocs('east', docs[0].data.kubeconfig, c.spec));
    const json = await mc('east', ['link-gen', '--cluster-name', 'east', ...c.args, '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(json.stdout.trim().split('\n').map((l) => JSON.parse(l)), docs);
  });
}

test('link-gen | kubectl apply: west holds the Link and both Secrets as printed', async (t) => {
  if (!hasKubectl()) {
    t.skip('kubectl not installed');
    return;
  }
  const r = await mc('east', ['link-gen', '--cluster-name', 'east']);
  assert.equal(r.code, 0, r.stderr);
  const applied = await runKubectl(env.kubeconfigPath, 'west', ['apply', '-f', '-'], r.stdout);
  assert.equal(applied.code, 0, applied.stderr);
  const west = env.cluster('west');
  const [s1, s2, link] = docsOf(r.stdout);
  assert.deepEqual(west.get<Secret>('v1', 'Secret', MC_NS, 'cluster-credentials-east')!.data, s1.data);
  assert.deepEqual(west.get<Secret>('v1', 'Secret', 'linkerd', 'cluster-credentials-east')!.metadata.labels, s2.metadata.labels);
  assert.deepEqual(west.get<Link>('multicluster.linkerd.io/v1alpha3', 'Link', MC_NS, 'east')!.spec, withCrdDefaults(link.spec));
  assert.equal(west.get('apps/v1', 'Deployment', MC_NS, 'linkerd-service-mirror-east'), undefined, 'link-gen brings no service mirror');
});

test('--apply-to: the same three objects by server-side apply, each reported; stdout empty; no token on stderr', async () => {
  const west = env.cluster('west');
  for (const [ns, name] of [[MC_NS, 'cluster-credentials-ambassador'], ['linkerd', 'cluster-credentials-ambassador']]) west.remove('v1', 'Secret', ns!, name!);
  const args = ['link-gen', '--cluster-name', 'ambassador', '--gateway-name', 'ambassador', '--gateway-namespace', 'ambassador'];
  const printed = docsOf((await mc('east', args)).stdout);
  const r = await mc('east', [...args, '--apply-to', 'west']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.ok(!r.stderr.includes(token));
  for (const d of printed) {
    const group = d.apiVersion.includes('/') ? `.${d.apiVersion.split('/')[0]}` : '';
    assert.match(r.stderr, new RegExp(`^${d.kind.toLowerCase()}${group.replace(/\./g, '\\.')}/${d.metadata.name} serverside-applied$`, 'm'));
    const got = west.get<Secret | Link>(d.apiVersion, d.kind, d.metadata.namespace, d.metadata.name)!;
    assert.ok(got.metadata.managedFields!.some((m) => m.manager === 'mc'));
    if (d.kind === 'Link') assert.deepEqual(got.spec, withCrdDefaults(d.spec));
    else assert.deepEqual([got.type, got.data], [d.type, d.data]);
  }
});

test('without --cluster-name the context name is used (made a DNS-1123 label) and said on stderr', async () => {
  const r = await mc('east', ['link-gen']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Using cluster name "east" \(from context "east"\)/);
  assert.equal(docsOf(r.stdout)[2].metadata.name, 'east');
  // A context whose name is not a label: the name made from it.
  const { writeFileSync } = await import('node:fs');
  const path = `${env.dir}/prod.kubeconfig`;
  writeFileSync(path, env.cluster('east').kubeconfigFor(env.cluster('east').adminToken, 'Prod_East.1'));
  const p = await runMc(['--kubeconfig', path, 'link-gen', '--gateway=false']);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stderr, /Using cluster name "prod-east-1" \(from context "Prod_East\.1"\)/);
  const [s1, , link] = docsOf(p.stdout);
  assert.equal(link.metadata.name, 'prod-east-1');
  assert.equal(s1.metadata.name, 'cluster-credentials-prod-east-1');
});

test('every problem at once, each with its fix; nothing on stdout; usage errors before any request', async () => {
  const bare = env.cluster('bare');
  const r = await mc('bare', ['link-gen', '--cluster-name', 'bare']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /3 problems in context "bare"/);
  assert.match(r.stderr, /Linkerd is not installed in context "bare"/);
  assert.match(r.stderr, /service account "linkerd-service-mirror-remote-access-default" does not exist.*\n.*Fix: .*mc --context bare allow/);
  assert.match(r.stderr, /no gateway Service "linkerd-gateway".*\n.*Fix: .*--gateway=false/);

  bare.resetRequests();
  for (const bad of [['--cluster-name', 'Bad_Name'], ['--gateway=false', '-l', 'app=x'], ['--gateway-port', '70000'], ['--selector', 'a in ('], ['--selector', 'rank>1'], ['-o', 'wide'], ['--log-level', 'debug']]) {
    const u = await mc('bare', ['link-gen', ...bad]);
    assert.equal(u.code, 2, `${bad.join(' ')}: ${u.stderr}`);
    assert.equal(u.stdout, '');
    // A Link's selector is a LabelSelector object: export-service -l takes `>`, a Link does not.
    if (bad[1] === 'rank>1') assert.match(u.stderr, /operator ">" is not supported in a label selector/);
  }
  assert.equal(bare.requests, 0);
});

test('a token Secret gone while its account stays: the suggested command brings it back and link-gen works again', async (t) => {
  const east = env.cluster('east');
  const original = east.get<Secret>('v1', 'Secret', MC_NS, `${SA}-token`)!;
  east.remove('v1', 'Secret', MC_NS, `${SA}-token`);
  t.after(() => {
    if (!east.get<Secret>('v1', 'Secret', MC_NS, `${SA}-token`)) east.put(original);
  });
  const r = await mc('east', ['link-gen', '--cluster-name', 'east']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /no token Secret for service account "linkerd-service-mirror-remote-access-default"/);
  // The fix is a pipeline: mc ... | kubectl ... apply -f -
  const fix = /`(mc [^`|]+)\| (kubectl [^`]+)`/.exec(r.stderr);
  assert.ok(fix, r.stderr);
  assert.match(fix[1]!, /allow --service-account-name linkerd-service-mirror-remote-access-default --ignore-cluster/);
  const [mcWord, ...mcArgs] = fix[1]!.trim().split(/\s+/);
  assert.equal(mcWord, 'mc');
  const printed = await runMc(['--kubeconfig', env.kubeconfigPath, ...mcArgs]);
  assert.equal(printed.code, 0, printed.stderr);
  if (hasKubectl()) {
    const kubectlArgs = fix[2]!.trim().split(/\s+/);
    assert.deepEqual(kubectlArgs.slice(0, 3), ['kubectl', '--context', 'east']);
    const applied = await runKubectl(env.kubeconfigPath, 'east', kubectlArgs.slice(3), printed.stdout);
    assert.equal(applied.code, 0, applied.stderr);
  } else {
    t.diagnostic('kubectl not installed: the printed objects are put into the store as apply would');
    for (const doc of docsOf(printed.stdout)) east.put(doc);
  }
  const again = await mc('east', ['link-gen', '--cluster-name', 'east']);
  assert.equal(again.code, 0, again.stderr);
  // the account was not replaced: the same one, now with a token Secret again
  assert.equal(east.get('v1', 'ServiceAccount', MC_NS, SA)!.metadata.uid, east.get<Secret>('v1', 'Secret', MC_NS, `${SA}-token`)!.metadata.annotations!['kubernetes.io/service-account.uid']);
});

test('--verbose logs each read without the token', async () => {
  const r = await mc('east', ['link-gen', '--cluster-name', 'east', '--verbose']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\[link-gen\] found the token Secret/);
  assert.match(r.stderr, /\[link-gen\] gateway linkerd-multicluster\/linkerd-gateway: 203\.0\.113\.7,gw\.east\.example:4143/);
  assert.ok(!r.stderr.includes(token));
  assert.ok(!r.stderr.includes(Buffer.from(token).toString('base64')));
});

test('linkGenObjects (what connect calls): a client and typed options in, the three objects and the warnings out', async () => {
  const client = await KubeClient.connect({ kubeconfig: env.kubeconfigPath, context: 'east', env: {} });
  try {
    const r = await linkGenObjects(client, {
      namespace: MC_NS,
      linkerdNamespace: 'linkerd',
      serviceAccountName: SA,
      gateway: { name: 'linkerd-gateway', namespace: MC_NS },
      apiServerAddress: 'https://localhost:6443',
      selector: parseLabelSelector('mirror.linkerd.io/exported=true'),
      remoteDiscoverySelector: parseLabelSelector('mirror.linkerd.io/exported=remote-discovery'),
      federatedServiceSelector: parseLabelSelector('mirror.linkerd.io/federated=member'),
      excludedLabels: [],
      excludedAnnotations: [],
    });
    assert.equal(r.clusterName, 'east');
    assert.ok(r.clusterNameFromContext);
    assert.deepEqual(r.objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`), [`Secret/${MC_NS}/cluster-credentials-east`, 'Secret/linkerd/cluster-credentials-east', `Link/${MC_NS}/east`]);
    assert.equal(r.server, 'https://localhost:6443');
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /https:\/\/localhost:6443 \(--api-server-address\) is a loopback address/);
  } finally {
    client.close();
  }
});

test('a loopback API server address is warned about, naming --api-server-address; others are not', async () => {
  for (const s of ['https://127.0.0.1:6443', 'https://localhost:39123', 'https://[::1]:6443', 'https://api.localhost', 'https://0.0.0.0:6443']) {
    assert.match(loopbackWarning(s, 'kind-east', false) ?? '', /loopback address.*--api-server-address/, s);
  }
  for (const s of ['https://10.0.0.1:6443', 'https://east.example.com', 'https://[2001:db8::1]:6443', 'https://127.example.com']) {
    assert.equal(loopbackWarning(s, 'east', false), undefined, s);
  }
  // The test clusters listen on 127.0.0.1: link-gen warns, and still prints.
  const r = await mc('east', ['link-gen', '--cluster-name', 'east']);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /Warning: the API server address https:\/\/127\.0\.0\.1:\d+ \(context "east"\) is a loopback address/);
  const ok = await mc('east', ['link-gen', '--cluster-name', 'east', '--api-server-address', 'https://east.example.com:6443']);
  assert.doesNotMatch(ok.stderr, /loopback/);
});

/** A NodePort gateway: reached on node addresses and node ports (mc-gateway 30143, mc-probe 30191). */
function putNodePortGateway(): void {
  const gw = env.cluster('east').get<Service>('v1', 'Service', MC_NS, 'linkerd-gateway')!;
  env.cluster('east').put({
    ...gw,
    metadata: { ...gw.metadata, name: 'np-gateway', uid: undefined, resourceVersion: undefined },
    spec: { type: 'NodePort', selector: gw.spec.selector, ports: [{ name: 'mc-gateway', port: 4143, nodePort: 30143, protocol: 'TCP' }, { name: 'mc-probe', port: 4191, nodePort: 30191, protocol: 'TCP' }] },
    status: {},
  });
}

test('NodePort gateway (beyond upstream #14451): link-gen says which controllers entry port makes the probe Service agree; link renders it agreeing', async () => {
  putNodePortGateway();
  const args = ['--cluster-name', 'east', '--gateway-name', 'np-gateway', '--gateway-addresses', '198.51.100.7'];
  const r = await mc('east', ['link-gen', ...args]);
  assert.equal(r.code, 0, r.stderr);
  const link = docsOf(r.stdout)[2];
  assert.equal(link.spec.gatewayPort, '30143');
  assert.equal(link.spec.probeSpec.port, '30191');
  assert.match(r.stderr, /Warning: the Link's probe port is 30191 .* listens on 4191 .*mc install --set 'controllers\[N\]\.link\.ref\.name=east' --set 'controllers\[N\]\.gateway\.probe\.port=30191'/);
  // the default gateway (LoadBalancer, probe on 4191) gives no such warning
  assert.doesNotMatch((await mc('east', ['link-gen', '--cluster-name', 'east'])).stderr, /probe port/);

  const legacy = await mc('east', ['link', ...args]);
  assert.equal(legacy.code, 0, legacy.stderr);
  const probe = docsOf(legacy.stdout).find((d) => d.kind === 'Service' && d.metadata.name === 'probe-gateway-east');
  assert.deepEqual(probe.spec.ports, [{ name: 'mc-probe', port: 30191, protocol: 'TCP' }], 'the probe Service listens on the Link probe port');
  assert.doesNotMatch(legacy.stderr, /probe port/);
});
