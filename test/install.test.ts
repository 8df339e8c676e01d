import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import yaml from 'js-yaml';
import { runMc, REFERENCE_DIR } from './helpers/index.js';
import { assertValidBuiltIn } from './helpers/schema.js';

type Doc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: any };

const key = (d: Doc) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`;
const tmp = mkdtempSync(join(tmpdir(), 'mc-install-'));
let fileNo = 0;
function valuesFile(text: string): string {
  const p = join(tmp, `values-${fileNo++}.yaml`);
  writeFileSync(p, text);
  return p;
}

/** Run `mc install --ignore-cluster ARGS`, expect success, parse every document. */
async function install(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Map<string, Doc>> {
  const r = await runMc(['install', '--ignore-cluster', ...args], { env: { LINKERD_DOCKER_REGISTRY: '', ...env } });
  assert.equal(r.code, 0, r.stderr);
  const docs = (yaml.loadAll(r.stdout) as Doc[]).filter(Boolean);
  const map = new Map(docs.map((d) => [key(d), d]));
  assert.equal(map.size, docs.length, 'no duplicate documents');
  return map;
}
const get = (docs: Map<string, Doc>, k: string): Doc => docs.get(k) ?? assert.fail(`missing ${k}; have ${[...docs.keys()].join(', ')}`);
const NS = 'linkerd-multicluster';
const GW_DEPLOY = `Deployment/${NS}/linkerd-gateway`;
const GW_SVC = `Service/${NS}/linkerd-gateway`;
const LSM = `Deployment/${NS}/linkerd-local-service-mirror`;

test('parity: install --ignore-cluster equals upstream install_default.golden', async () => {
  const ours = await install(['--linkerd-version', 'linkerdVersionValue']);
  const golden = (yaml.loadAll(readFileSync(join(REFERENCE_DIR, 'install_default.golden'), 'utf8')) as Doc[]).filter(Boolean);
  assert.deepEqual([...ours.keys()].sort(), golden.map(key).sort());
  for (const g of golden) assert.deepEqual(ours.get(key(g)), g, key(g));
});

test('--gateway=false (and --no-gateway) drop exactly the gateway and its policy, nothing else changes', async () => {
  const all = await install([]);
  const without = await install(['--gateway=false']);
  const removed = [...all.keys()].filter((k) => !without.has(k)).sort();
  assert.deepEqual(removed, [
    `AuthorizationPolicy/${NS}/linkerd-gateway`,
    GW_DEPLOY,
    `MeshTLSAuthentication/${NS}/any-meshed`,
    `NetworkAuthentication/${NS}/source-cluster`,
    `Server/${NS}/linkerd-gateway`,
    GW_SVC,
    `ServiceAccount/${NS}/linkerd-gateway`,
  ]);
  for (const [k, d] of without) assert.deepEqual(d, all.get(k), k);
  assert.deepEqual(await install(['--no-gateway']), without);
});

test('gateway flags: ports, probe period, service type, health-check node port', async () => {
  const docs = await install(['--gateway-port', '5143', '--gateway-probe-port', '5191', '--gateway-probe-seconds', '9', '--gateway-service-type', 'NodePort', '--gateway-healthcheck-nodeport', '30000']);
  const svc = get(docs, GW_SVC);
  assert.deepEqual(svc.spec.ports.map((p: { port: number }) => p.port), [5143, 5191]);
  assert.equal(svc.spec.type, 'NodePort');
  assert.equal(svc.spec.healthCheckNodePort, 30000);
  assert.equal(svc.spec.externalTrafficPolicy, 'Local');
  assert.equal(svc.metadata.annotations!['mirror.linkerd.io/probe-period'], '9');
  assert.equal(get(docs, GW_DEPLOY).spec.template.metadata.annotations['config.linkerd.io/proxy-require-identity-inbound-ports'], '5143');
  const bad = await runMc(['install', '--ignore-cluster', '--gateway-port', 'http']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, '');
});

test('--set gateway.replicas=3, node ports only for NodePort/LoadBalancer', async () => {
  const docs = await install(['--set', 'gateway.replicas=3,gateway.nodePort=30143,gateway.probe.nodePort=30191']);
  assert.equal(get(docs, GW_DEPLOY).spec.replicas, 3);
  assert.deepEqual(get(docs, GW_SVC).spec.ports.map((p: { nodePort?: number }) => p.nodePort), [30143, 30191]);
  const cip = await install(['--set', 'gateway.serviceType=ClusterIP,gateway.nodePort=30143']);
  assert.equal(get(cip, GW_SVC).spec.type, 'ClusterIP');
  assert.equal(get(cip, GW_SVC).spec.ports[0].nodePort, undefined);
});

test('values file: service annotations, load balancer settings, node selector, tolerations, resources', async () => {
  const file = valuesFile(`
gateway:
  serviceAnnotations:
    service.beta.kubernetes.io/aws-load-balancer-type: nlb
  deploymentAnnotations:
    example.com/owner: team-a
  loadBalancerIP: 10.0.0.7
  loadBalancerClass: example.com/lb
  loadBalancerSourceRanges: [10.0.0.0/8]
  serviceExternalTrafficPolicy: Local
  terminationGracePeriodSeconds: "45"
  nodeSelector:
    kubernetes.io/os: linux
  tolerations:
  - key: dedicated
    operator: Equal
    value: gateway
    effect: NoSchedule
localServiceMirror:
  resources:
    limits: {memory: 250Mi}
    requests: {cpu: 100m}
`);
  const docs = await install(['-f', file]);
  const svc = get(docs, GW_SVC);
  assert.equal(svc.metadata.annotations!['service.beta.kubernetes.io/aws-load-balancer-type'], 'nlb');
  assert.equal(svc.metadata.annotations!['mirror.linkerd.io/gateway-identity'], 'linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.cluster.local');
  assert.equal(svc.spec.loadBalancerIP, '10.0.0.7');
  assert.equal(svc.spec.loadBalancerClass, 'example.com/lb');
  assert.deepEqual(svc.spec.loadBalancerSourceRanges, ['10.0.0.0/8']);
  assert.equal(svc.spec.externalTrafficPolicy, 'Local');
  const pod = get(docs, GW_DEPLOY).spec.template;
  assert.equal(pod.metadata.annotations['example.com/owner'], 'team-a');
  assert.equal(pod.spec.terminationGracePeriodSeconds, 45);
  assert.deepEqual(pod.spec.nodeSelector, { 'kubernetes.io/os': 'linux' });
  assert.deepEqual(pod.spec.tolerations, [{ key: 'dedicated', operator: 'Equal', value: 'gateway', effect: 'NoSchedule' }]);
  assert.deepEqual(get(docs, LSM).spec.template.spec.containers[0].resources, { limits: { memory: '250Mi' }, requests: { cpu: '100m' } });
});

test('commonLabels on every resource but the namespace; podLabels and podAnnotations on pods', async () => {
  const docs = await install(['--set', 'commonLabels.team=mesh,podLabels.tier=infra', '--set-string', 'podAnnotations.example\\.com/scrape=true', '--set', 'controllers[0].link.ref.name=east']);
  for (const [k, d] of docs) {
    if (d.kind === 'Namespace') continue;
    assert.equal(d.metadata.labels?.team, 'mesh', `commonLabels on ${k}`);
  }
  for (const k of [GW_DEPLOY, LSM, `Deployment/${NS}/controller-east`]) {
    assert.equal(get(docs, k).spec.template.metadata.labels.tier, 'infra', k);
  }
  for (const k of [LSM, `Deployment/${NS}/controller-east`]) {
    assert.equal(get(docs, k).spec.template.metadata.annotations['example.com/scrape'], 'true', k);
  }
});

test('imagePullSecrets go on every ServiceAccount', async () => {
  const docs = await install(['--set', 'imagePullSecrets[0].name=regcred']);
  const sas = [...docs.values()].filter((d) => d.kind === 'ServiceAccount');
  assert.ok(sas.length >= 3);
  for (const sa of sas) assert.deepEqual(sa.imagePullSecrets, [{ name: 'regcred' }], sa.metadata.name);
});

test('controllers list: a service mirror per Link, defaults from controllerDefaults', async () => {
  const file = valuesFile(`
controllers:
- link: {ref: {name: east}}
  logLevel: debug
- link: {ref: {name: west}}
  gateway: {enabled: false}
  replicas: 2
`);
  const docs = await install(['-f', file, '--set', 'controllerDefaults.enableHeadlessServices=true']);
  const east = get(docs, `Deployment/${NS}/controller-east`);
  const args = east.spec.template.spec.containers[0].args;
  assert.ok(args.includes('-log-level=debug'));
  assert.ok(args.includes('-enable-headless-services'));
  assert.ok(args.includes('-probe-service=probe-east'));
  assert.equal(args.at(-1), 'east');
  assert.equal(east.spec.replicas, 1);
  assert.equal(get(docs, `Deployment/${NS}/controller-west`).spec.replicas, 2);
  get(docs, `Service/${NS}/probe-east`);
  assert.equal(docs.has(`Service/${NS}/probe-west`), false, 'gateway.enabled=false: no probe service');
  for (const k of [`ServiceAccount/${NS}/controller-east`, `ClusterRoleBinding//linkerd-multicluster-controller-access-local-resources-east`, `Role/${NS}/controller-read-remote-creds-east`, `RoleBinding/${NS}/controller-read-remote-creds-east`]) get(docs, k);
  assert.deepEqual(get(docs, `Role/${NS}/controller-read-remote-creds-west`).rules[0].resourceNames, ['cluster-credentials-west']);
  const missing = await runMc(['install', '--ignore-cluster', '--set', 'controllers[0].logLevel=debug']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /controllers\[0\]\.link\.ref\.name is required/);
});

test('enablePSP adds the PSP Role and RoleBinding', async () => {
  const docs = await install(['--set', 'enablePSP=true']);
  assert.deepEqual(get(docs, `Role/${NS}/psp`).rules[0].resourceNames, ['linkerd-linkerd-control-plane']);
  // As upstream's template (and install_psp.golden): the gateway and the Helm-only namespace-metadata Job's account.
  const subjects = get(docs, `RoleBinding/${NS}/linkerd-multicluster-psp`).subjects.map((s: { name: string }) => s.name);
  assert.deepEqual(subjects, ['linkerd-gateway', 'namespace-metadata']);
});

test('enablePodAntiAffinity and --ha: anti-affinity, rolling strategy, disruption budgets; user values win over HA', async () => {
  const docs = await install(['--set', 'enablePodAntiAffinity=true']);
  const gw = get(docs, GW_DEPLOY);
  assert.equal(gw.spec.strategy.rollingUpdate.maxUnavailable, 1);
  assert.deepEqual(gw.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0], { key: 'app', operator: 'In', values: ['linkerd-gateway'] });
  assert.ok(get(docs, LSM).spec.template.spec.affinity.podAntiAffinity);
  get(docs, `PodDisruptionBudget/${NS}/linkerd-gateway`);
  get(docs, `PodDisruptionBudget/${NS}/linkerd-local-service-mirror`);
  const ha = await install(['--ha']);
  assert.equal(get(ha, GW_DEPLOY).spec.replicas, 3);
  get(ha, `PodDisruptionBudget/${NS}/linkerd-gateway`);
  const haUser = await install(['--ha', '--set', 'gateway.replicas=5']);
  assert.equal(get(haUser, GW_DEPLOY).spec.replicas, 5);
});

test('--service-mirror-credentials=false leaves out the remote-access account', async () => {
  const docs = await install(['--service-mirror-credentials=false']);
  assert.equal([...docs.keys()].some((k) => k.includes('remote-access')), false);
});

test('--linkerd-version, --registry and LINKERD_DOCKER_REGISTRY set the service mirror image', async () => {
  const image = (d: Map<string, Doc>) => get(d, LSM).spec.template.spec.containers[0].image;
  assert.equal(image(await install([])), 'cr.l5d.io/linkerd/controller:edge-26.8.3');
  assert.equal(image(await install(['--linkerd-version', 'edge-1.2.3'])), 'cr.l5d.io/linkerd/controller:edge-1.2.3');
  assert.equal(image(await install([], { LINKERD_DOCKER_REGISTRY: 'registry.example/mirror' })), 'registry.example/mirror/controller:edge-26.8.3');
  assert.equal(image(await install(['--registry', 'flag.example'], { LINKERD_DOCKER_REGISTRY: 'registry.example/mirror' })), 'flag.example/controller:edge-26.8.3');
});

test('unknown keys and wrong types: exit 2, the key and the source named, nothing on stdout', async () => {
  const file = valuesFile('gateway:\n  replicas: many\n');
  const cases: Array<[string[], RegExp]> = [
    [['--set', 'gateway.replica=3'], /unknown value "gateway\.replica" in --set gateway\.replica=3[\s\S]*Did you mean "replicas"/],
    [['-f', file], new RegExp(`"gateway\\.replicas" in values file ${file.replace(/[.]/g, '\\.')}: must be an integer`)],
    [['--set', 'gateway.enabled=maybe'], /"gateway\.enabled" in --set gateway\.enabled=maybe: must be a boolean/],
    [['--set', 'gateway.name=123'], /"gateway\.name".*must be a string[\s\S]*--set-string/],
    [['-f', join(tmp, 'missing.yaml')], /cannot read values file/],
    [['--gateway-service-type', 'Ingress'], /"gateway\.serviceType" in --gateway-service-type: "Ingress" is not one of "LoadBalancer", "NodePort", "ClusterIP"/],
    [['--set', 'localServiceMirror.logFormat=xml'], /"localServiceMirror\.logFormat" in --set localServiceMirror\.logFormat=xml: "xml" is not one of "plain", "json"/],
  ];
  for (const [args, re] of cases) {
    const r = await runMc(['install', '--ignore-cluster', ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.stdout, '');
    assert.match(r.stderr, re);
  }
});

test('-f - reads values from stdin', async () => {
  const r = await runMc(['install', '--ignore-cluster', '-f', '-'], { input: 'gateway:\n  replicas: 2\n' });
  assert.equal(r.code, 0, r.stderr);
  const gw = (yaml.loadAll(r.stdout) as Doc[]).find((d) => d && key(d) === GW_DEPLOY)!;
  assert.equal(gw.spec.replicas, 2);
});

test('a value repeating a key the template sets itself is a clear error, not half a manifest', async () => {
  const r = await runMc(['install', '--ignore-cluster', '--set', 'gateway.serviceAnnotations.component=x']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /gateway\.yaml\.hbs.*duplicated mapping key/);
});

test('-o json prints the same documents, one JSON object per line', async () => {
  const y = await install([]);
  const r = await runMc(['install', '--ignore-cluster', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, y.size);
  for (const line of lines) {
    const d = JSON.parse(line) as Doc;
    assert.deepEqual(d, y.get(key(d)));
  }
  const bad = await runMc(['install', '--ignore-cluster', '-o', 'xml']);
  assert.equal(bad.code, 2);
});

test('schema: every built-in document is valid for its Kubernetes kind; the Link CRD is a valid v1 CRD', async () => {
  const variants = [
    await install([]),
    await install(['--ha', '--set', 'enablePSP=true,controllers[0].link.ref.name=east,commonLabels.a=b,imagePullSecrets[0].name=r', '--gateway-service-type', 'NodePort', '--set', 'gateway.nodePort=30143,gateway.tolerations[0].operator=Exists,localServiceMirror.resources.limits.cpu=1']),
  ];
  let checked = 0;
  for (const docs of variants) {
    for (const [k, d] of docs) {
      if (d.apiVersion.startsWith('policy.linkerd.io/')) continue; // Linkerd's own CRDs: not in kubernetes-models
      await assertValidBuiltIn(d, k);
      checked++;
    }
  }
  assert.ok(checked > 30);
  const crd = get(variants[0]!, 'CustomResourceDefinition//links.multicluster.linkerd.io');
  assert.deepEqual(crd.spec.versions.map((v: { name: string; storage: boolean }) => [v.name, v.storage]), [['v1alpha1', false], ['v1alpha2', false], ['v1alpha3', true]]);
  assert.equal(crd.spec.names.kind, 'Link');
});
