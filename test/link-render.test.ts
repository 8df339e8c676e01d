import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import yaml from 'js-yaml';
import { UsageError } from '../src/errors.js';
import { renderServiceMirror, serviceMirrorValues, type ServiceMirrorInput } from '../src/link/service-mirror.js';
import { GOLDEN_LINK_INPUT, REFERENCE_DIR } from './helpers/index.js';
import { assertValidBuiltIn, linkSchemaValidator } from './helpers/schema.js';

const golden = (file: string) => yaml.loadAll(readFileSync(join(REFERENCE_DIR, file), 'utf8')).filter((d) => d) as any[];
const key = (d: any) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`;
const byKey = (docs: any[]) => Object.fromEntries(docs.map((d) => [key(d), d]));

const input = (over: Partial<ServiceMirrorInput> = {}): ServiceMirrorInput => ({ ...GOLDEN_LINK_INPUT, valueOptions: {}, ...over });

async function render(over: Partial<ServiceMirrorInput> = {}): Promise<any[]> {
  return (await renderServiceMirror(input(over))).map((d) => d.object);
}

test('service mirror equals service_mirror_default.golden (upstream renders it with version dev-undefined)', async () => {
  assert.deepEqual(byKey(await render()), byKey(golden('service_mirror_default.golden')));
});

test('with --linkerd-version linkerdVersionValue only the image tag differs from the golden', async () => {
  const ours = byKey(await render({ version: 'linkerdVersionValue' }));
  const theirs = byKey(golden('service_mirror_default.golden'));
  const dep = 'Deployment/test/linkerd-service-mirror-test-cluster';
  assert.equal(ours[dep].spec.template.spec.containers[0].image, 'cr.l5d.io/linkerd/controller:linkerdVersionValue');
  ours[dep].spec.template.spec.containers[0].image = theirs[dep].spec.template.spec.containers[0].image;
  assert.deepEqual(ours, theirs);
});

test('--ha adds anti-affinity, the rollout strategy, 3 replicas and a PDB', async () => {
  const docs = byKey(await render({ ha: true }));
  const dep = docs['Deployment/test/linkerd-service-mirror-test-cluster'];
  assert.equal(dep.spec.replicas, 3);
  assert.deepEqual(dep.spec.strategy, { rollingUpdate: { maxUnavailable: 1 } });
  assert.equal(dep.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey, 'kubernetes.io/hostname');
  const pdb = docs['PodDisruptionBudget/test/linkerd-service-mirror-test-cluster'];
  assert.deepEqual(pdb.metadata.annotations, { 'linkerd.io/created-by': 'linkerd/cli dev-undefined' });
  // the user's values win over the HA values
  const two = byKey((await renderServiceMirror(input({ ha: true, valueOptions: { set: ['replicas=2'] } }))).map((d) => d.object));
  assert.equal(two['Deployment/test/linkerd-service-mirror-test-cluster'].spec.replicas, 2);
});

test("--gateway=false drops the probe Service but, as upstream's template, still passes -probe-service=probe-gateway-NAME", async () => {
  const docs = await render({ gateway: false });
  assert.ok(!docs.some((d) => d.kind === 'Service'));
  const args: string[] = docs.find((d) => d.kind === 'Deployment').spec.template.spec.containers[0].args;
  assert.deepEqual(args.slice(-2), ['-probe-service=probe-gateway-test-cluster', 'test-cluster']);
});

test("link chart keys upstream's templates read beyond values.yaml: enablePprof, serviceMirrorAdditionalEnv, serviceMirrorExperimentalEnv, cliVersion", async () => {
  const docs = await render({
    ha: true,
    valueOptions: { set: ['enablePprof=true', 'cliVersion=linkerd/cli custom'], setString: ['serviceMirrorAdditionalEnv[0].name=A,serviceMirrorAdditionalEnv[0].value=1', 'serviceMirrorExperimentalEnv[0].name=X,serviceMirrorExperimentalEnv[0].value=2'] },
  });
  const container = docs.find((d) => d.kind === 'Deployment').spec.template.spec.containers[0];
  assert.ok(container.args.includes('-enable-pprof=true'));
  assert.deepEqual(container.env, [{ name: 'A', value: '1' }, { name: 'X', value: '2' }]);
  assert.equal(docs.find((d) => d.kind === 'PodDisruptionBudget').metadata.annotations['linkerd.io/created-by'], 'linkerd/cli custom');
  // Fields of upstream's Values struct that the link chart does not read are taken, as Helm takes them.
  await render({ valueOptions: { set: ['gateway.name=x,linkerdNamespace=l5d,proxyOutboundPort=4140'] } });
});

test('values reach the documents: labels, pod metadata, namespaces, headless, resources, tolerations, pull secrets, PSP, probe port', async () => {
  const docs = await render({
    valueOptions: {
      set: [
        'commonLabels.team=mesh',
        'podAnnotations.a=b',
        'podLabels.c=d',
        'enableHeadlessServices=true',
        'enableNamespaceCreation=true',
        'resources.limits.memory=250Mi',
        'nodeSelector.kubernetes\\.io/os=linux',
        'tolerations[0].key=dedicated',
        'tolerations[0].operator=Exists',
        'imagePullSecrets[0].name=regcred',
        'enablePSP=true',
        'gateway.probe.port=4192',
        'serviceMirrorUID=3000',
      ],
    },
  });
  const m = byKey(docs);
  for (const d of docs.filter((x) => x.metadata.labels?.['linkerd.io/extension'])) assert.equal(d.metadata.labels.team, 'mesh', key(d));
  const dep = m['Deployment/test/linkerd-service-mirror-test-cluster'];
  const pod = dep.spec.template;
  assert.equal(pod.metadata.annotations.a, 'b');
  assert.equal(pod.metadata.labels.c, 'd');
  const c = pod.spec.containers[0];
  assert.ok(c.args.includes('-enable-headless-services') && c.args.includes('-enable-namespace-creation'));
  assert.deepEqual(c.resources, { limits: { memory: '250Mi' } });
  assert.equal(c.securityContext.runAsUser, 3000);
  assert.deepEqual(pod.spec.nodeSelector, { 'kubernetes.io/os': 'linux' });
  assert.deepEqual(pod.spec.tolerations, [{ key: 'dedicated', operator: 'Exists' }]);
  assert.deepEqual(m['ServiceAccount/test/linkerd-service-mirror-test-cluster'].imagePullSecrets, [{ name: 'regcred' }]);
  assert.ok(m['ClusterRole//linkerd-service-mirror-access-local-resources-test-cluster'].rules.some((r: any) => r.verbs.includes('create') && r.resources.includes('namespaces')));
  assert.equal(m['RoleBinding/test/linkerd-multicluster-link-psp-test-cluster'].subjects[0].name, 'linkerd-service-mirror-test-cluster');
  assert.equal(m['Service/test/probe-gateway-test-cluster'].spec.ports[0].port, 4192);
});

test('unknown keys and wrong types are usage errors', () => {
  assert.throws(() => serviceMirrorValues(input({ valueOptions: { set: ['replica=2'] } })), (e: unknown) => e instanceof UsageError && /unknown value "replica"/.test(e.message));
  assert.throws(() => serviceMirrorValues(input({ valueOptions: { set: ['replicas=many'] } })), UsageError);
});

test('schema: every link document is valid for its kind; the Link for the CRD that mc install ships', async () => {
  const { buildLinkObjects } = await import('../src/link/link.js');
  const { gatewaySpec } = await import('../src/link/gateway.js');
  const { parseLabelSelector } = await import('../src/multicluster/selectors.js');
  const { runMc } = await import('./helpers/index.js');
  const link = (gateway: boolean) =>
    buildLinkObjects({ trustDomain: 'cluster.local', clusterDomain: 'cluster.local' }, 'apiVersion: v1\nkind: Config\n', {
      clusterName: 'east',
      namespace: 'linkerd-multicluster',
      linkerdNamespace: 'linkerd',
      createdBy: 'linkerd/cli edge-26.8.3',
      selector: parseLabelSelector('mirror.linkerd.io/exported=true,tier in (a,b)'),
      remoteDiscoverySelector: parseLabelSelector('mirror.linkerd.io/exported=remote-discovery'),
      federatedServiceSelector: parseLabelSelector('mirror.linkerd.io/federated=member,!legacy'),
      excludedLabels: ['a'],
      excludedAnnotations: ['b'],
      gateway: gateway
        ? gatewaySpec({
            metadata: { name: 'gw', namespace: 'ns', annotations: { 'mirror.linkerd.io/gateway-identity': 'gw.ns.serviceaccount.identity.linkerd.cluster.local', 'mirror.linkerd.io/probe-path': '/ready', 'mirror.linkerd.io/probe-period': '90' } },
            spec: { ports: [{ name: 'mc-gateway', port: 4143 }, { name: 'mc-probe', port: 4191 }] },
            status: { loadBalancer: { ingress: [{ hostname: 'gw.example.com' }] } },
          })
        : undefined,
    });
  const docs: any[] = [
    ...link(true),
    ...link(false),
    ...(await render({ ha: true, valueOptions: { set: ['enablePSP=true,enableNamespaceCreation=true,commonLabels.a=b,imagePullSecrets[0].name=r,tolerations[0].operator=Exists,resources.limits.cpu=1,nodeSelector.x=y'] } })),
    ...(await render({ gateway: false })),
  ];
  // The Link CRD as mc install prints it; its v1alpha3 schema checks our Links.
  const install = await runMc(['install', '--ignore-cluster', '-o', 'json']);
  assert.equal(install.code, 0, install.stderr);
  const crd = install.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((o) => o.kind === 'CustomResourceDefinition' && o.metadata.name === 'links.multicluster.linkerd.io');
  const validateLink = await linkSchemaValidator(crd);
  const sample = link(true)[2]!;
  assert.ok(!validateLink({ ...sample, spec: { ...(sample.spec as object), gatewayPort: 4143 } }), 'the schema check is real: a numeric port fails');
  let checked = 0;
  for (const d of docs) {
    if (d.kind === 'Link') {
      assert.ok(validateLink(d), `${key(d)}: ${JSON.stringify(validateLink.errors)}`);
    } else {
      await assertValidBuiltIn(d, key(d));
    }
    checked++;
  }
  assert.ok(checked >= 20);
});
