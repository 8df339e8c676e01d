/**
 * `mc check` against test API servers: a healthy east → west link passes every
 * check; each fault gives the right × or ‼ naming the link and the object.
 * One setup for the file; every fault is undone after its test.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { main } from '../src/cli.js';
import { runMc, testIO, type RunResult } from './helpers/index.js';
import { EAST_GATEWAY, makePki, putExportedService, putLink, putLinkerd, putManagedController, putMirror, putWestLinkedToEast, removeLegacyMirror, removeObjects, setGatewayProbe, type Pki } from './fixtures/check.js';
import { startTestClusters, type Deployment, type Endpoints, type KubeObject, type Link, type Pod, type Service, type TestCluster, type TestEnv } from './support/index.js';

let env: TestEnv;
let west: TestCluster;
let east: TestCluster;
let pki: Pki;

before(async () => {
  env = await startTestClusters(['west', 'east']);
  west = env.cluster('west');
  east = env.cluster('east');
  pki = await makePki();
  putWestLinkedToEast(west, east, pki, ['podinfo', 'frontend']);
  putExportedService(east, 'internal', 'test', 'false');
});

after(async () => {
  await env?.stop();
});

function check(...args: string[]): Promise<RunResult> {
  // --wait 300ms: a failing check is retried once, not for a second; tests of --wait itself pass their own
  return runMc(['--kubeconfig', env.kubeconfigPath, '--context', 'west', 'check', '--wait', '300ms', '--timeout', '2s', ...args]);
}

/** The line of a check and the lines under it up to the next check. */
function block(out: string, description: string): string {
  const lines = out.split('\n');
  const i = lines.findIndex((l) => l.slice(2).startsWith(description));
  assert.ok(i >= 0, `no line for "${description}" in:\n${out}`);
  const rest = lines.slice(i + 1);
  const end = rest.findIndex((l) => /^[√×‼] /.test(l) || l === '');
  return [lines[i], ...rest.slice(0, end < 0 ? rest.length : end)].join('\n');
}

const UPSTREAM_CHECKS = [
  'Link CRD exists',
  'Link resources are valid',
  'Link and CLI versions match',
  'remote cluster access credentials are valid',
  'clusters share trust anchors',
  'service mirror controller has required permissions',
  'service mirror controllers are running',
  'extension is managing controllers',
  'probe services able to communicate with all gateway mirrors',
  'all mirror services have endpoints',
  'all mirror services are part of a Link',
  'multicluster extension proxies are healthy',
  'multicluster extension proxies and cli versions match',
];

/** The east link's service mirror as the chart's `controllers` entry instead of the legacy `mc link` mirror, for one test. */
async function migrateToManaged(t: { after(fn: () => Promise<void> | void): void }): Promise<void> {
  const legacy = removeLegacyMirror(west, 'east');
  const managed = await putManagedController(west, 'east', pki);
  // the managed controller's probe Service gets the Endpoints its mirror writes
  const ep = west.get<Endpoints>('v1', 'Endpoints', 'linkerd-multicluster', 'probe-gateway-east')!;
  const probeEp = west.put({ ...ep, metadata: { ...ep.metadata, name: 'probe-east', resourceVersion: undefined, uid: undefined } });
  // the chart's controller takes the Lease over (its /metrics answer the probe check)
  setGatewayProbe(west, 'east');
  t.after(() => {
    removeObjects(west, [...managed, probeEp]);
    for (const o of legacy) west.put(o);
    setGatewayProbe(west, 'east');
  });
}

test('a healthy east → west link passes every check; the legacy `mc link` mirror is the one warning, as upstream', async () => {
  const r = await check();
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.ok(r.stdout.startsWith('linkerd-multicluster\n--------------------\n'), r.stdout);
  for (const d of UPSTREAM_CHECKS.filter((c) => c !== 'extension is managing controllers')) assert.match(r.stdout, new RegExp(`^√ ${d}$`, 'm'));
  assert.doesNotMatch(r.stdout, /×/);
  assert.deepEqual(r.stdout.match(/^‼ .*$/gm), ['‼ extension is managing controllers']);
  assert.match(block(r.stdout, 'extension is managing controllers'), /^‼ extension is managing controllers\n +\* using legacy service mirror controller for Link: east\n {4}see https:\/\/linkerd\.io\/2\/checks\/#l5d-multicluster-managed-controllers for hints/);
  // Per-link detail lines, as upstream.
  assert.equal(block(r.stdout, 'remote cluster access credentials are valid'), '√ remote cluster access credentials are valid\n\t* east');
  assert.match(block(r.stdout, 'trust anchors and issuer certificates'), /\t\* west: anchors until \d{4}-\d\d-\d\d, issuer until/);
  assert.match(block(r.stdout, 'all exported services are mirrored'), /\t\* east: 2 exported, all mirrored/);
  assert.match(block(r.stdout, 'Link gateway addresses match'), /\t\* east: 172\.18\.0\.42:4143 \(linkerd-multicluster\/linkerd-gateway\)/);
  assert.ok(r.stdout.endsWith('\nStatus check results are √\n'));
});

test('the current flow (a controllers entry runs the mirror): every check passes, with no warning', async (t) => {
  await migrateToManaged(t);
  const r = await check();
  assert.equal(r.code, 0, r.stdout + r.stderr);
  for (const d of UPSTREAM_CHECKS) assert.match(r.stdout, new RegExp(`^√ ${d}$`, 'm'));
  assert.doesNotMatch(r.stdout, /[×‼]/);
  assert.equal(block(r.stdout, 'extension is managing controllers'), '√ extension is managing controllers\n\t* east');
  const short = await check('-o', 'short');
  assert.equal(short.code, 0);
  assert.equal(short.stdout, 'Status check results are √\n');
});

test('during a migration (legacy mirror and controllers entry both running): too many controllers, as upstream; the chart\'s counts as managing', async (t) => {
  const managed = await putManagedController(west, 'east', pki);
  t.after(() => removeObjects(west, managed));
  const r = await check();
  assert.equal(r.code, 1);
  assert.match(block(r.stdout, 'service mirror controllers are running'), /^× service mirror controllers are running\n +\* too many service mirror controller deployments for Link east/);
  assert.equal(block(r.stdout, 'extension is managing controllers'), '√ extension is managing controllers\n\t* east');
  // both generations' RBAC exist: permissions are fine
  assert.match(r.stdout, /^√ service mirror controller has required permissions$/m);
});

test('-o short prints the warnings only; -o json has upstream shape', async () => {
  const short = await check('-o', 'short');
  assert.equal(short.code, 0);
  assert.match(short.stdout, /^linkerd-multicluster\n-+\n‼ extension is managing controllers\n/);
  assert.ok(short.stdout.endsWith('\n\nStatus check results are √\n'));
  const json = await check('-o', 'json');
  assert.equal(json.code, 0);
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.success, true);
  assert.equal(doc.categories[0].categoryName, 'linkerd-multicluster');
  const descs = doc.categories[0].checks.map((c: { description: string }) => c.description.split('\n')[0]);
  for (const d of UPSTREAM_CHECKS) assert.ok(descs.includes(d), d);
  assert.ok(doc.categories[0].checks.every((c: { result: string; description: string }) => c.result === (c.description.startsWith('extension is managing controllers') ? 'warning' : 'success')));
  assert.equal(doc.categories[0].checks[1].description, 'Link resources are valid\n\t* east');
});

test('remote cluster down: its link fails fast, the rest still runs', async (t) => {
  east.faults.down = true;
  t.after(() => {
    east.faults.down = false;
  });
  const started = Date.now();
  const r = await check('--timeout', '1s');
  assert.equal(r.code, 1);
  assert.ok(Date.now() - started < 15_000, 'a dead cluster must not hang the check');
  assert.match(block(r.stdout, 'remote cluster access credentials are valid'), /^× .*\n\s+\* failed to connect to API for cluster: \[east\]: .*unreachable/m);
  assert.match(block(r.stdout, 'clusters share trust anchors'), /\* east: unable to fetch anchors/);
  assert.match(r.stdout, /see https:\/\/linkerd\.io\/2\/checks\/#l5d-smc-target-clusters-access for hints/);
  // Local checks are unaffected.
  assert.match(r.stdout, /^√ service mirror controllers are running$/m);
  assert.match(r.stdout, /^√ all mirror services have endpoints$/m);
  assert.ok(r.stdout.endsWith('Status check results are ×\n'));
  const json = JSON.parse((await check('--timeout', '1s', '-o', 'json')).stdout);
  const access = json.categories[0].checks.find((c: { description: string }) => c.description.startsWith('remote cluster access'));
  assert.equal(access.result, 'error');
  assert.equal(access.hint, 'https://linkerd.io/2/checks/#l5d-smc-target-clusters-access');
  assert.match(access.error, /failed to connect to API for cluster: \[east\]/);
});

test('a token without rights in the remote cluster', async (t) => {
  // A service account with no bindings at all in east.
  east.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'nobody', namespace: 'linkerd-multicluster' } });
  putLink(west, east, pki, { gatewayAddress: EAST_GATEWAY, token: east.serviceAccountToken('linkerd-multicluster', 'nobody') });
  t.after(() => putLink(west, east, pki, { gatewayAddress: EAST_GATEWAY }));
  const r = await check();
  assert.equal(r.code, 1);
  const b = block(r.stdout, 'remote cluster access credentials are valid');
  for (const verb of ['get', 'list', 'watch']) assert.match(b, new RegExp(`\\* missing service permission \\[${verb}\\] for cluster \\[east\\]: not authorized to access services`));
  assert.match(block(r.stdout, 'clusters share trust anchors'), /\* east: unable to fetch anchors: forbidden/);
});

test('trust anchors that differ', async (t) => {
  const other = await makePki({ anchorName: 'other-root.linkerd.cluster.local' });
  putLinkerd(east, other);
  t.after(() => putLinkerd(east, pki));
  const r = await check();
  assert.equal(r.code, 1);
  const b = block(r.stdout, 'clusters share trust anchors');
  assert.match(b, /^× clusters share trust anchors\n {4}Problematic clusters:\n {4}\* east: its trust anchors \(ConfigMap linkerd\/linkerd-config in east: other-root\.linkerd\.cluster\.local\) and those of west \(root\.linkerd\.cluster\.local\) have none in common/);
  assert.match(b, /see https:\/\/linkerd\.io\/2\/checks\/#l5d-multicluster-clusters-share-anchors for hints/);
});

test('during a rotation bundles differ but share an anchor: √; a proxy that trusts only the anchor east dropped: ‼ naming it', async (t) => {
  const next = await makePki({ anchorName: 'new-root.linkerd.cluster.local' });
  // east finished its rotation (new anchor only, new issuer); west still trusts old + new.
  putLinkerd(east, next);
  putLinkerd(west, { ...pki, trustAnchorsPem: pki.trustAnchorsPem + next.trustAnchorsPem });
  t.after(() => {
    putLinkerd(east, pki);
    putLinkerd(west, pki);
  });
  // west's gateway and service mirror proxies were injected before west's bundle changed.
  const gatewayPod = west.list<Pod>('v1', 'Pod', 'linkerd-multicluster').find((p) => p.metadata.name.startsWith('linkerd-gateway-'))!.metadata.name as string;
  const stale = await check();
  assert.equal(stale.code, 0, stale.stdout);
  assert.match(
    block(stale.stdout, 'clusters share trust anchors'),
    new RegExp(`^‼ clusters share trust anchors\n\\s+Proxies to restart:\n\\s+\\* east: 2 proxies in west trust only anchors that east no longer trusts \\(root\\.linkerd\\.cluster\\.local\\): restart linkerd-multicluster/${gatewayPod}, linkerd-multicluster/${MIRROR_POD}`),
  );
  // Restarted with west's current bundle: no warning, the difference is shown.
  for (const pod of [gatewayPod, MIRROR_POD]) {
    changeInWest(t, 'v1', 'Pod', 'linkerd-multicluster', pod, (p: Pod) => {
      const proxy = p.spec.containers.find((c) => c.name === 'linkerd-proxy') ?? p.spec.containers[0];
      proxy.env = [{ name: 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS', value: pki.trustAnchorsPem + next.trustAnchorsPem }];
    });
  }
  const r = await check();
  assert.equal(r.code, 0, r.stdout);
  assert.equal(block(r.stdout, 'clusters share trust anchors'), '√ clusters share trust anchors\n\t* east (bundles differ, as during a rotation; shared: new-root.linkerd.cluster.local)');
});

test('a mirror service without endpoints', async (t) => {
  west.remove('v1', 'Endpoints', 'test', 'podinfo-east');
  t.after(() => putMirror(west, 'east', 'podinfo', 'test', EAST_GATEWAY));
  const r = await check();
  assert.equal(r.code, 1);
  assert.equal(
    block(r.stdout, 'all mirror services have endpoints'),
    '× all mirror services have endpoints\n    Some mirror services do not have endpoints:\n    podinfo-east.test mirrored from cluster [east]\n    see https://linkerd.io/2/checks/#l5d-multicluster-services-endpoints for hints',
  );
});

test('an orphaned mirror is a warning: exit 0', async (t) => {
  putMirror(west, 'north', 'legacy', 'test', '172.18.0.99');
  t.after(() => {
    west.remove('v1', 'Service', 'test', 'legacy-north');
    west.remove('v1', 'Endpoints', 'test', 'legacy-north');
  });
  const r = await check();
  assert.equal(r.code, 0, r.stdout);
  assert.match(block(r.stdout, 'all mirror services are part of a Link'), /^‼ all mirror services are part of a Link\n {8}mirror service legacy-north\.test is not part of any Link/);
  const short = await check('-o', 'short');
  assert.equal(short.code, 0);
  assert.match(short.stdout, /^linkerd-multicluster\n-+\n(‼ [^\n]*\n(?: {4,}[^\n]*\n)*)*‼ all mirror services are part of a Link\n/);
  assert.ok(short.stdout.endsWith('\n\nStatus check results are √\n'));
});

test('missing RBAC of the service mirror', async (t) => {
  const crb = west.get('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', undefined, 'linkerd-service-mirror-access-local-resources-east')!;
  const role = west.get('rbac.authorization.k8s.io/v1', 'Role', 'linkerd-multicluster', 'linkerd-service-mirror-read-remote-creds-east')!;
  west.remove('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', undefined, 'linkerd-service-mirror-access-local-resources-east');
  west.remove('rbac.authorization.k8s.io/v1', 'Role', 'linkerd-multicluster', 'linkerd-service-mirror-read-remote-creds-east');
  t.after(() => {
    west.put(crb);
    west.put(role);
  });
  const r = await check();
  assert.equal(r.code, 1);
  const b = block(r.stdout, 'service mirror controller has required permissions');
  assert.match(b, /\* east: missing ClusterRoleBindings: linkerd-service-mirror-access-local-resources-east/);
  assert.match(b, /\* east: missing Roles: linkerd-service-mirror-read-remote-creds-east in namespace linkerd-multicluster/);
  assert.doesNotMatch(b, /ServiceAccounts|RoleBindings: linkerd-service-mirror-read/);
});

test('a service mirror that is not ready: retried until --wait, then ×', async (t) => {
  const d = west.get<Deployment>('apps/v1', 'Deployment', 'linkerd-multicluster', 'linkerd-service-mirror-east')!;
  west.put({ ...d, status: { replicas: 1, availableReplicas: 0, unavailableReplicas: 1 } });
  t.after(() => west.put({ ...d, status: { replicas: 1, readyReplicas: 1, availableReplicas: 1 } }));
  const started = Date.now();
  const r = await check('--wait', '1s');
  assert.equal(r.code, 1);
  assert.ok(Date.now() - started >= 1000, 'retried until --wait');
  assert.match(block(r.stdout, 'service mirror controllers are running'), /\* service mirror controller is not available: linkerd-multicluster\/linkerd-service-mirror-east/);
});

test('an anchor expiring in 30 days is a warning naming cluster and object', async (t) => {
  const soon = await makePki({ anchorDays: 30 });
  putLinkerd(west, soon);
  putLinkerd(east, soon);
  t.after(() => {
    putLinkerd(west, pki);
    putLinkerd(east, pki);
  });
  // The mirror's proxy still has the old anchors: keep that check out of the picture.
  const r = await check('-o', 'json');
  const checks = JSON.parse(r.stdout).categories[0].checks as Array<{ description: string; result: string; error?: string }>;
  const certs = checks.find((c) => c.description.startsWith('trust anchors and issuer certificates'))!;
  assert.equal(certs.result, 'warning');
  assert.match(certs.error!, /\* west: trust anchor \(ConfigMap linkerd\/linkerd-config\) "root\.linkerd\.cluster\.local" expires in (29|30) days/);
  assert.match(certs.error!, /\* east: trust anchor \(ConfigMap linkerd\/linkerd-config\) "root\.linkerd\.cluster\.local" expires in (29|30) days/);
});

test('an exported service without its mirror, and a stale mirror', async (t) => {
  putExportedService(east, 'checkout');
  putMirror(west, 'east', 'gone', 'test', EAST_GATEWAY);
  t.after(() => {
    east.remove('v1', 'Service', 'test', 'checkout');
    west.remove('v1', 'Service', 'test', 'gone-east');
    west.remove('v1', 'Endpoints', 'test', 'gone-east');
  });
  const r = await check();
  assert.equal(r.code, 1);
  const b = block(r.stdout, 'all exported services are mirrored');
  assert.match(b, /\* east: exported service checkout\.test has no mirror checkout-east\.test in west/);
  assert.match(b, /\* east: mirror gone-east\.test is stale: gone\.test no longer exists in east/);
});

test('an exported service whose namespace does not exist here says so', async (t) => {
  putExportedService(east, 'ledger', 'payments');
  t.after(() => east.remove('v1', 'Service', 'payments', 'ledger'));
  const r = await check();
  assert.equal(r.code, 1);
  assert.match(block(r.stdout, 'all exported services are mirrored'), /\* east: exported service ledger\.payments has no mirror ledger-east\.payments in west \(namespace payments does not exist in west: create it\)/);
});

test('a Link gateway address that no longer matches the remote gateway', async (t) => {
  const gw = east.get<Service>('v1', 'Service', 'linkerd-multicluster', 'linkerd-gateway')!;
  east.put({ ...gw, status: { loadBalancer: { ingress: [{ ip: '172.18.0.99' }] } } });
  t.after(() => east.put({ ...gw, status: { loadBalancer: { ingress: [{ ip: EAST_GATEWAY }] } } }));
  const r = await check();
  assert.equal(r.code, 1);
  assert.match(
    block(r.stdout, 'Link gateway addresses match'),
    /\* east: the Link's gateway address 172\.18\.0\.42 is not an address of Service linkerd-multicluster\/linkerd-gateway in east \(172\.18\.0\.99\)/,
  );
});

test('a NodePort gateway (beyond upstream #14451): the Link on node ports agrees with the remote; a local probe Service on another port is ×, with its fix', async (t) => {
  const gw = east.get<Service>('v1', 'Service', 'linkerd-multicluster', 'linkerd-gateway')!;
  east.put({ ...gw, spec: { ...gw.spec, type: 'NodePort', ports: gw.spec.ports!.map((p) => ({ ...p, nodePort: p.name === 'mc-gateway' ? 30143 : p.name === 'mc-probe' ? 30191 : undefined })) }, status: {} });
  t.after(() => east.put(gw));
  // The Link as link/link-gen write it for that gateway: node ports (addresses from --gateway-addresses)
  changeInWest(t, 'multicluster.linkerd.io/v1alpha3', 'Link', 'linkerd-multicluster', 'east', (l: Link) => {
    l.spec!.gatewayPort = '30143';
    l.spec!.probeSpec!.port = '30191';
  });
  const r = await check();
  assert.equal(r.code, 1);
  const b = block(r.stdout, 'Link gateway addresses match');
  assert.match(b, /\* east: the probe Service linkerd-multicluster\/probe-gateway-east here listens on 4191, but the Link's probe port is 30191 \(the node port of the NodePort gateway Service linkerd-multicluster\/linkerd-gateway in east\): .*probe never succeeds; run `mc link` again/);
  assert.doesNotMatch(b, /is not an address of/, 'node addresses are not load balancer addresses');
  // The probe Service as mc link renders it for that Link: they agree
  changeInWest(t, 'v1', 'Service', 'linkerd-multicluster', 'probe-gateway-east', (s: Service) => {
    s.spec.ports = [{ name: 'mc-probe', port: 30191, protocol: 'TCP' }];
  });
  const ok = await check();
  assert.match(block(ok.stdout, 'Link gateway addresses match'), /^√ Link gateway addresses match the remote gateways\n\t\* east: 172\.18\.0\.42:30143 \(linkerd-multicluster\/linkerd-gateway, NodePort\)/);
});

const MIRROR_POD = 'linkerd-service-mirror-east-5d8f7c9b4-x2x7q';

/** Changes an object of west for one test; the original comes back after it. */
function changeInWest<T extends KubeObject>(t: { after(fn: () => void): void }, apiVersion: string, kind: string, namespace: string, name: string, change: (o: T) => void): void {
  const original = west.get<T>(apiVersion, kind, namespace, name);
  assert.ok(original, `${kind} ${namespace}/${name} in west`);
  const copy = structuredClone(original);
  change(copy);
  west.put(copy);
  t.after(() => west.put(original));
}

test('a Link made by another CLI version and a proxy of another version are warnings: exit 0', async (t) => {
  changeInWest(t, 'multicluster.linkerd.io/v1alpha3', 'Link', 'linkerd-multicluster', 'east', (link: Link) => {
    link.metadata.annotations!['linkerd.io/created-by'] = 'linkerd/cli edge-26.7.1';
  });
  changeInWest(t, 'v1', 'Pod', 'linkerd-multicluster', MIRROR_POD, (pod: Pod) => {
    pod.spec.containers[0].image = 'cr.l5d.io/linkerd/proxy:edge-26.7.1';
  });
  const r = await check();
  assert.equal(r.code, 0, r.stdout);
  assert.match(block(r.stdout, 'Link and CLI versions match'), /^‼ Link and CLI versions match\n\s+\* east: CLI version is edge-26\.8\.3 but Link version is edge-26\.7\.1\n\s+see https:\/\/linkerd\.io\/2\/checks\/#l5d-multicluster-links-version for hints/);
  assert.match(
    block(r.stdout, 'multicluster extension proxies and cli versions match'),
    new RegExp(`^‼ multicluster extension proxies and cli versions match\n\\s+${MIRROR_POD} running edge-26\\.7\\.1 but cli running edge-26\\.8\\.3\n\\s+see https://linkerd\\.io/2/checks/#l5d-multicluster-proxy-cli-version for hints`),
  );
  assert.ok(r.stdout.endsWith('Status check results are √\n'));
});

test('a Link the service mirror could not parse (gatewayPort "notaport", no address) fails "Link resources are valid", naming the Link, the fields and the fix', async (t) => {
  changeInWest(t, 'multicluster.linkerd.io/v1alpha3', 'Link', 'linkerd-multicluster', 'east', (link: Link) => {
    link.spec!.gatewayPort = 'notaport';
    delete link.spec!.gatewayAddress;
    link.spec!.probeSpec!.period = 'often';
    link.spec!.selector = { matchExpressions: [{ key: 'mirror.linkerd.io/exported', operator: 'In', values: [] }] };
  });
  const r = await check();
  assert.equal(r.code, 1);
  const b = block(r.stdout, 'Link resources are valid');
  assert.match(b, /^× Link resources are valid\n/);
  assert.match(b, /\* Link linkerd-multicluster\/east: spec\.gatewayPort "notaport" is not a port number \(1-65535\); expected the gateway's mc-gateway port, e\.g\. "4143"/);
  assert.match(b, /\* Link linkerd-multicluster\/east: spec\.gatewayAddress is missing, but the Link uses a gateway/);
  assert.match(b, /\* Link linkerd-multicluster\/east: spec\.probeSpec\.period "often" is not a positive duration/);
  assert.match(b, /\* Link linkerd-multicluster\/east: spec\.selector\.matchExpressions\[0\]\.values is empty, but operator In needs at least one value/);
  assert.match(b, /fix: `kubectl -n linkerd-multicluster edit link east`, or re-create it: `mc --context <east's context> link-gen --cluster-name east \| kubectl apply -f -`/);
  // fatal, as upstream: nothing after it runs
  assert.doesNotMatch(r.stdout, /remote cluster access credentials/);
});

test('a Link whose creator is unknown: the version check says so', async (t) => {
  changeInWest(t, 'multicluster.linkerd.io/v1alpha3', 'Link', 'linkerd-multicluster', 'east', (link: Link) => {
    delete link.metadata.annotations;
  });
  const r = await check();
  assert.equal(r.code, 0);
  assert.match(block(r.stdout, 'Link and CLI versions match'), /\* east: unable to determine version/);
});

test('the proxy as a native sidecar (init container) is healthy; a crash-looping pod is not', async (t) => {
  changeInWest(t, 'v1', 'Pod', 'linkerd-multicluster', MIRROR_POD, (pod: Pod) => {
    pod.spec.initContainers = [{ ...pod.spec.containers[0], restartPolicy: 'Always' }];
    pod.spec.containers = pod.spec.containers.slice(1);
    pod.status!.initContainerStatuses = [{ ...pod.status!.containerStatuses![0], started: true }];
    pod.status!.containerStatuses = pod.status!.containerStatuses!.slice(1);
    pod.status!.conditions!.push({ type: 'Initialized', status: 'True' });
  });
  const healthy = await check();
  assert.equal(healthy.code, 0, healthy.stdout);
  assert.match(healthy.stdout, /^√ multicluster extension proxies are healthy$/m);
  assert.match(healthy.stdout, /^√ multicluster extension proxies and cli versions match$/m);

  const pod = structuredClone(west.get<Pod>('v1', 'Pod', 'linkerd-multicluster', MIRROR_POD)!);
  pod.status!.containerStatuses![0] = { ...pod.status!.containerStatuses![0], ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } } };
  west.put(pod);
  const r = await check('--wait', '1s');
  assert.equal(r.code, 0, 'a warning, as upstream');
  assert.match(block(r.stdout, 'multicluster extension proxies are healthy'), new RegExp(`^‼ multicluster extension proxies are healthy\n\\s+pod "${MIRROR_POD}" status is CrashLoopBackOff`));
});

test('a proxy injected with an old trust bundle must be restarted: a warning naming the pod', async (t) => {
  const old = await makePki({ anchorName: 'old-root.linkerd.cluster.local' });
  changeInWest(t, 'v1', 'Pod', 'linkerd-multicluster', MIRROR_POD, (pod: Pod) => {
    pod.spec.containers[0].env = [{ name: 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS', value: old.trustAnchorsPem }];
  });
  const r = await check('--wait', '1s');
  assert.equal(r.code, 0, r.stdout);
  assert.match(
    block(r.stdout, 'multicluster extension proxies are healthy'),
    new RegExp(`^‼ multicluster extension proxies are healthy\n\\s+Some pods do not have the current trust bundle and must be restarted:\n\\s+\\* ${MIRROR_POD}\n`),
  );
});

test('no multicluster extension: an error and exit 1, nothing on stdout', async (t) => {
  const ns = west.get('v1', 'Namespace', undefined, 'linkerd-multicluster')!;
  west.put({ ...ns, metadata: { ...ns.metadata, labels: {} } });
  t.after(() => west.put(ns));
  const r = await check();
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /could not find the multicluster extension in context "west"/);
});

test('the local cluster down: an error that says it is unreachable (not "is Linkerd installed?"), nothing on stdout', async (t) => {
  west.faults.down = true;
  t.after(async () => {
    west.faults.down = false;
    await west.apiServer.ready();
  });
  const r = await check('--timeout', '1s');
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /Failed to fetch linkerd config: .*context "west".*unreachable/);
  assert.match(r.stderr, /Check that the cluster is running/);
  assert.doesNotMatch(r.stderr, /Is Linkerd installed/);
});

test('stdout that is not a terminal gets each result as its check completes; Ctrl-C leaves what completed', async (t) => {
  // East answers only after 20s: the local checks complete, the first remote one does not.
  east.faults.latencyMs = 20_000;
  t.after(() => {
    east.faults.latencyMs = 0;
  });
  const controller = new AbortController();
  const io = testIO({ signal: controller.signal });
  assert.equal(io.stdout.isTTY, false);
  let finished = false;
  const run = main(['--kubeconfig', env.kubeconfigPath, '--context', 'west', 'check', '--wait', '1s', '--timeout', '30s'], io).finally(() => {
    finished = true;
  });
  // Wait (by polling, not timing) until the first results are on stdout while the slow check is still running.
  while (!/^√ Link resources are valid$/m.test(io.stdout.text) && !finished) await new Promise((r) => setTimeout(r, 20));
  assert.equal(finished, false, `the run ended before its results reached stdout:\n${io.stdout.text}${io.stderr.text}`);
  assert.ok(io.stdout.text.startsWith('linkerd-multicluster\n--------------------\n√ Link CRD exists\n'), io.stdout.text);
  controller.abort();
  const code = await run;
  assert.equal(code, 1);
  // What completed stays, in upstream's order; the check in flight and the rest are not reported.
  assert.match(io.stdout.text, /^√ Link CRD exists\n√ Link resources are valid\n/m);
  assert.doesNotMatch(io.stdout.text, /remote cluster access credentials|Status check results/);
  assert.match(io.stderr.text, /^Error: interrupted: the remaining checks did not run$/m);
});

test('-o json stays one document, printed at the end (nothing on Ctrl-C)', async (t) => {
  east.faults.latencyMs = 20_000;
  t.after(() => {
    east.faults.latencyMs = 0;
  });
  const controller = new AbortController();
  const io = testIO({ signal: controller.signal });
  const run = main(['--kubeconfig', env.kubeconfigPath, '--context', 'west', 'check', '-o', 'json', '--wait', '1s', '--timeout', '30s'], io);
  setTimeout(() => controller.abort(), 500);
  assert.equal(await run, 1);
  assert.equal(io.stdout.text, '');
  east.faults.latencyMs = 0;
  const whole = await check('-o', 'json');
  assert.equal(JSON.parse(whole.stdout).success, true, whole.stdout);
});

test('bad flags are usage errors', async () => {
  assert.equal((await check('-o', 'yaml')).code, 2);
  assert.equal((await check('--wait', 'soon')).code, 2);
});

test('Ctrl-C (the IO signal) stops the requests in flight and the run', async (t) => {
  // East answers only after 20s; the run is interrupted long before.
  east.faults.latencyMs = 20_000;
  t.after(() => {
    east.faults.latencyMs = 0;
  });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 300);
  const r = await runMc(['--kubeconfig', env.kubeconfigPath, '--context', 'west', 'check', '--wait', '1s', '--timeout', '30s'], { signal: controller.signal });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  // Interrupted either while the run starts (a local read in flight) or between checks: both stop.
  assert.match(r.stderr, /^Error: (interrupted: the remaining checks did not run|.*: interrupted)$/m);
  assert.doesNotMatch(r.stdout, /Status check results/);
});
