/**
 * mc adopt-gateway: the pure plan (what an ingress needs, kept ports and
 * annotations, refusals, idempotence), then against the test API server:
 * Ambassador 1.x (getambassador.io/v2) printed and applied with real kubectl,
 * Emissary-ingress 3.x (v3alpha1) with --apply, a generic ingress, the
 * refusals, and `mc link` reading the adopted gateway back unchanged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import yaml from 'js-yaml';
import { hasKubectl, runKubectl, runMc, putFromMc } from './helpers/index.js';
import { createCa } from './support/pki.js';
import { field, startTestClusters, type Deployment, type Service, type TestCluster, type TestEnv } from './support/index.js';
import { addIngress, installSimulatedLinkerd, settleWorkloads } from './support/linkerd-sim.js';
import { strategicMerge } from './support/patch.js';
import { McError } from '../src/errors.js';
import { planAdoption, type AdoptionInput, type DeploymentLike, type ServiceLike } from '../src/gateway-adoption/plan.js';

// ------------------------------------------------------------------ the plan

function nginx(): { deployment: DeploymentLike; service: ServiceLike } {
  return {
    deployment: {
      metadata: { name: 'edge', namespace: 'ingress' },
      spec: {
        template: {
          metadata: { labels: { app: 'edge' }, annotations: { 'config.linkerd.io/skip-inbound-ports': '9000', keep: 'me' } },
          spec: { serviceAccountName: 'edge-sa', containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ name: 'web', containerPort: 8081 }, { name: 'tls', containerPort: 8443 }] }] },
        },
      },
    },
    service: {
      metadata: { name: 'edge', namespace: 'ingress', annotations: { other: 'kept' } },
      spec: { selector: { app: 'edge' }, ports: [{ name: 'http', port: 80, targetPort: 'web' }, { name: 'https', port: 443, targetPort: 8443 }] },
    },
  };
}

function input(over: Partial<AdoptionInput> = {}): AdoptionInput {
  return { ...nginx(), kind: 'generic', trustDomain: 'example.org', linkerdNamespace: 'linkerd', proxyInboundPort: 4143, proxyAdminPort: 4191, gatewayPort: 4143, probePort: 4191, ...over };
}

describe('planAdoption', () => {
  test('generic ingress: pod annotations, ports and gateway annotations, only what mc sets', () => {
    const plan = planAdoption(input());
    assert.equal(plan.identity, 'edge-sa.ingress.serviceaccount.identity.linkerd.example.org');
    assert.deepEqual(plan.skippedPorts, [8081, 8443]);
    const [deploy, svc] = plan.objects.map((p) => p.object);
    assert.deepEqual(plan.objects.map((p) => p.object.kind), ['Deployment', 'Service']);
    assert.deepEqual((deploy as any).spec, {
      template: {
        metadata: {
          annotations: {
            'linkerd.io/inject': 'enabled',
            'config.linkerd.io/enable-gateway': 'true',
            'config.linkerd.io/skip-inbound-ports': '9000,8081,8443',
            'config.linkerd.io/proxy-require-identity-inbound-ports': '4143',
          },
        },
      },
    });
    assert.deepEqual(svc!.metadata.annotations, {
      'mirror.linkerd.io/gateway-identity': 'edge-sa.ingress.serviceaccount.identity.linkerd.example.org',
      'mirror.linkerd.io/multicluster-gateway': 'true',
      'mirror.linkerd.io/probe-path': '/ready',
      'mirror.linkerd.io/probe-period': '3',
    });
    assert.deepEqual((svc as any).spec.ports, [
      { name: 'mc-gateway', port: 4143, targetPort: 4143, protocol: 'TCP' },
      { name: 'mc-probe', port: 4191, targetPort: 4191, protocol: 'TCP' },
    ]);
  });

  test('applying the plan, then planning again, changes nothing; existing ports and annotations survive', () => {
    const first = planAdoption(input());
    const { deployment, service } = nginx();
    const d2 = strategicMerge(deployment, first.objects[0]!.object) as DeploymentLike;
    const s2 = strategicMerge(service, first.objects[1]!.object) as ServiceLike;
    assert.deepEqual(s2.spec!.ports!.map((p) => p.name), ['http', 'https', 'mc-gateway', 'mc-probe']);
    assert.equal(s2.metadata.annotations!.other, 'kept');
    assert.equal(d2.spec!.template!.metadata!.annotations!.keep, 'me');
    const second = planAdoption(input({ deployment: d2, service: s2 }));
    assert.deepEqual(second.objects, []);
  });

  test('a Service port already taken by another port is refused, naming it and the flag', () => {
    const { deployment, service } = nginx();
    service.spec!.ports!.push({ name: 'metrics', port: 4191, targetPort: 9113 });
    assert.throws(() => planAdoption(input({ deployment, service })), (err: unknown) => {
      assert.ok(err instanceof McError);
      assert.match(err.message, /port 4191 of Service "edge" in namespace "ingress" is already taken by port "metrics"/);
      assert.match(err.hint!, /--probe-port/);
      return true;
    });
  });

  test('a container port the proxy needs is refused', () => {
    const { deployment, service } = nginx();
    deployment.spec!.template!.spec!.containers![0]!.ports!.push({ containerPort: 4143 });
    assert.throws(() => planAdoption(input({ deployment, service })), /container port 4143 of Deployment "edge".*Linkerd proxy needs/);
  });

  test('Ambassador: Module and probe Mapping in the served version; mc-probe to its HTTP listener', () => {
    const { deployment, service } = nginx();
    deployment.spec!.template!.spec!.containers![0]!.image = 'docker.io/datawire/ambassador:1.14.4';
    const v2 = planAdoption(input({ deployment, service, kind: 'ambassador', ambassador: { apiVersion: 'getambassador.io/v2' } }));
    assert.deepEqual(v2.objects.map((p) => `${p.object.apiVersion} ${p.object.kind}`), ['getambassador.io/v2 Module', 'getambassador.io/v2 Mapping', 'apps/v1 Deployment', 'v1 Service']);
    assert.deepEqual(v2.objects[1]!.object.spec, { prefix: '/-/ambassador/ready', rewrite: '/ambassador/v0/check_ready', service: 'localhost:8877', bypass_auth: true });
    assert.deepEqual(v2.probe, { port: 4191, path: '/-/ambassador/ready', periodSeconds: 3 });
    assert.equal((v2.objects[3]!.object as any).spec.ports[1].targetPort, 8081); // the port 80 -> "web" container port
    const v3 = planAdoption(input({ deployment, service, kind: 'ambassador', ambassador: { apiVersion: 'getambassador.io/v3alpha1' } }));
    assert.equal((v3.objects[1]!.object.spec as any).hostname, '*');
  });
});

// ------------------------------------------------------------------ against the test API server

// east: Ambassador 1.x (v2 CRDs) and nginx; em: Emissary-ingress 3.x (v3alpha1 CRDs); bare: no getambassador.io CRDs.
let env: TestEnv;
let east: TestCluster;
let em: TestCluster;
const kc = (context = 'east') => ['--kubeconfig', env.kubeconfigPath, '--context', context];

before(async () => {
  env = await startTestClusters(['east', 'em', 'bare']);
  [east, em] = [env.cluster('east'), env.cluster('em')];
  const [root, issuer] = await Promise.all([createCa('root.linkerd.cluster.local'), createCa('identity.linkerd.cluster.local')]);
  const certs = { trustAnchorsPem: root.certPem, issuerCertPem: issuer.certPem, issuerKeyPem: issuer.keyPem };
  for (const c of env.clusters) installSimulatedLinkerd(c, certs, { trustDomain: `${c.name}.example` });
  await putFromMc(east, ['install', '--ignore-cluster', '--gateway=false']);
  addIngress(east, { flavor: 'ambassador-1', address: '203.0.113.10' });
  addIngress(east, { flavor: 'nginx' });
  addIngress(em, { flavor: 'emissary-3' });
});

after(async () => {
  await env?.stop();
});

test('Ambassador 1.x: printed for kubectl (getambassador.io/v2), applied, idempotent, and `mc link` reads it back', { skip: !hasKubectl() && 'kubectl not installed' }, async () => {
  const args = [...kc(), 'adopt-gateway', '-n', 'ambassador', 'deploy/ambassador', 'svc/ambassador'];
  const r = await runMc(args);
  assert.equal(r.code, 0, r.stderr);
  const docs = (yaml.loadAll(r.stdout) as any[]).filter(Boolean);
  assert.deepEqual(docs.map((d) => `${d.apiVersion} ${d.kind}/${d.metadata.name}`), [
    'getambassador.io/v2 Module/ambassador',
    'getambassador.io/v2 Mapping/linkerd-multicluster-probe',
    'apps/v1 Deployment/ambassador',
    'v1 Service/ambassador',
  ]);
  assert.match(r.stderr, /Service ambassador\/ambassador: annotation mirror\.linkerd\.io\/gateway-identity=ambassador\.ambassador\.serviceaccount\.identity\.linkerd\.east\.example added/);

  const k = await runKubectl(env.kubeconfigPath, 'east', ['apply', '--server-side', '--field-manager', 'mc', '-f', '-'], r.stdout);
  assert.equal(k.code, 0, k.stderr);
  const svc = east.get<Service>('v1', 'Service', 'ambassador', 'ambassador')!;
  assert.deepEqual(svc.spec.ports!.map((p) => `${p.name}:${p.port}->${p.targetPort}`).sort(), ['http:80->8080', 'https:443->8443', 'mc-gateway:4143->4143', 'mc-probe:4191->8080']);
  assert.equal(svc.metadata.annotations!['service.beta.kubernetes.io/aws-load-balancer-type'], 'nlb', 'existing annotations are kept');
  const tmpl = east.get<Deployment>('apps/v1', 'Deployment', 'ambassador', 'ambassador')!.spec.template;
  assert.equal(tmpl.metadata!.annotations!['config.linkerd.io/skip-inbound-ports'], '8080,8443');
  assert.equal(tmpl.metadata!.annotations!['config.linkerd.io/enable-gateway'], 'true');
  assert.equal(tmpl.metadata!.annotations!['prometheus.io/scrape'], 'true');
  assert.equal(tmpl.spec!.containers[0].image, 'docker.io/datawire/ambassador:1.14.4', 'the rest of the Deployment is untouched');
  assert.equal(field(east.get('getambassador.io/v2', 'Module', 'ambassador', 'ambassador'), 'spec', 'config', 'add_linkerd_headers'), true);

  const again = await runMc(args);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, '');
  assert.match(again.stderr, /already serve as the multicluster gateway.*nothing to change/);

  settleWorkloads(east, 'ambassador');
  const link = await runMc([...kc(), 'link', '--cluster-name', 'east', '--gateway-name', 'ambassador', '--gateway-namespace', 'ambassador', '-o', 'json']);
  assert.equal(link.code, 0, link.stderr);
  const l = link.stdout.trim().split('\n').map((line) => JSON.parse(line)).find((o) => o.kind === 'Link');
  assert.equal(l.spec.gatewayAddress, '203.0.113.10');
  assert.equal(l.spec.gatewayPort, '4143');
  assert.equal(l.spec.gatewayIdentity, 'ambassador.ambassador.serviceaccount.identity.linkerd.east.example');
  assert.deepEqual(l.spec.probeSpec, { path: '/-/ambassador/ready', port: '4191', period: '3s' });
});

test('Emissary-ingress 3.x: --apply writes v3alpha1, keeps the Module\'s other config, and a rerun applies nothing', async () => {
  const args = [...kc('em'), 'adopt-gateway', '-n', 'emissary', 'deploy/emissary-ingress', '--apply'];
  const r = await runMc(args);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  const mapping = em.get('getambassador.io/v3alpha1', 'Mapping', 'emissary', 'linkerd-multicluster-probe')!;
  assert.deepEqual(mapping.spec, { hostname: '*', prefix: '/-/ambassador/ready', rewrite: '/ambassador/v0/check_ready', service: 'localhost:8877', bypass_auth: true });
  assert.deepEqual(field(em.get('getambassador.io/v3alpha1', 'Module', 'emissary', 'ambassador'), 'spec', 'config'), { diagnostics: { enabled: false }, add_linkerd_headers: true });
  const svc = em.get<Service>('v1', 'Service', 'emissary', 'emissary-ingress')!;
  assert.equal(svc.metadata.annotations!['mirror.linkerd.io/multicluster-gateway'], 'true');
  assert.deepEqual(svc.metadata.managedFields!.map((m) => m.manager).filter((m) => m === 'mc'), ['mc']);

  const again = await runMc(args);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /nothing to change/);
  assert.doesNotMatch(again.stderr, /applied/);
});

test('a generic ingress gets only the Deployment and Service part; plain `kubectl apply` takes it', { skip: !hasKubectl() && 'kubectl not installed' }, async () => {
  const r = await runMc([...kc(), 'adopt-gateway', '-n', 'ingress-nginx', 'deploy/ingress-nginx-controller', 'svc/ingress-nginx-controller', '--probe-period', '10s', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const docs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(docs.map((d) => d.kind), ['Deployment', 'Service']);
  const k = await runKubectl(env.kubeconfigPath, 'east', ['apply', '-f', '-'], r.stdout);
  assert.equal(k.code, 0, k.stderr);
  const svc = east.get<Service>('v1', 'Service', 'ingress-nginx', 'ingress-nginx-controller')!;
  assert.deepEqual(svc.spec.ports!.map((p) => p.name).sort(), ['http', 'https', 'mc-gateway', 'mc-probe']);
  assert.equal(svc.metadata.annotations!['mirror.linkerd.io/probe-period'], '10');
  assert.equal(svc.metadata.annotations!['mirror.linkerd.io/probe-path'], '/ready');
  const ann = east.get<Deployment>('apps/v1', 'Deployment', 'ingress-nginx', 'ingress-nginx-controller')!.spec.template.metadata!.annotations!;
  assert.equal(ann['config.linkerd.io/skip-inbound-ports'], '80,443', 'named targetPorts resolve to the container ports');
});

test('refusals: a taken port, Ambassador without its CRDs, a missing Deployment, bad arguments — nothing on stdout', async () => {
  east.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'taken' } });
  const labels = { app: 'gw' };
  east.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'gw', namespace: 'taken' }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'gw', image: 'envoyproxy/envoy:v1.31' }] } } } });
  east.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'gw', namespace: 'taken' }, spec: { selector: labels, ports: [{ name: 'grpc', port: 4143, targetPort: 9000, protocol: 'TCP' }] } });
  const taken = await runMc([...kc(), 'adopt-gateway', '-n', 'taken', 'deploy/gw']);
  assert.equal(taken.code, 1);
  assert.equal(taken.stdout, '');
  assert.match(taken.stderr, /port 4143 of Service "gw" in namespace "taken" is already taken by port "grpc"/);
  assert.match(taken.stderr, /--gateway-port/);
  const moved = await runMc([...kc(), 'adopt-gateway', '-n', 'taken', 'deploy/gw', '--gateway-port', '4144', '-o', 'json']);
  assert.equal(moved.code, 0, moved.stderr);

  const bare = env.cluster('bare');
  bare.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'gw', namespace: 'taken' }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'gw', image: 'envoyproxy/envoy:v1.31' }] } } } });
  bare.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'gw', namespace: 'taken' }, spec: { selector: labels, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
  const forced = await runMc([...kc('bare'), 'adopt-gateway', '-n', 'taken', 'deploy/gw', '--ingress', 'ambassador']);
  assert.equal(forced.code, 1);
  assert.equal(forced.stdout, '');
  assert.match(forced.stderr, /serves no getambassador\.io\/v2 or v3alpha1 API/);
  assert.match(forced.stderr, /--ingress generic/);

  const missing = await runMc([...kc(), 'adopt-gateway', '-n', 'ambassador', 'deploy/nope', 'svc/ambassador']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /there is no Deployment "nope" in namespace "ambassador" of context "east"/);

  east.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'other', namespace: 'taken' }, spec: { selector: { app: 'other' }, ports: [{ port: 80 }] } });
  const mismatch = await runMc([...kc(), 'adopt-gateway', '-n', 'taken', 'deploy/gw', 'svc/other']);
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.stderr, /Service "other" does not select the pods of Deployment "gw"/);

  for (const bad of [['pod/x'], ['deploy/ambassador', '--ingress', 'haproxy'], ['deploy/ambassador', '--probe-period', '1.5s'], ['deploy/ambassador', '--gateway-port', '70000']]) {
    const u = await runMc([...kc(), 'adopt-gateway', '-n', 'ambassador', ...bad]);
    assert.equal(u.code, 2, `${bad.join(' ')}: ${u.stderr}`);
    assert.equal(u.stdout, '');
  }
});

test('mc check validates the adopted Ambassador as it validates linkerd-gateway: pods in gateway mode, identity of their ServiceAccount', { skip: !hasKubectl() && 'kubectl not installed (the Ambassador test adopts it)' }, async () => {
  const west = env.cluster('bare');
  await putFromMc(west, ['install', '--ignore-cluster']);
  const link = await runMc([...kc(), 'link', '--cluster-name', 'east', '--gateway-name', 'ambassador', '--gateway-namespace', 'ambassador', '--apply-to', 'bare']);
  assert.equal(link.code, 0, link.stderr);
  let r = await runMc([...kc('bare'), 'check', '--wait', '1s']);
  assert.match(r.stdout, /√ remote gateways are meshed gateways with the identity they announce\n\t\* east: ambassador\/ambassador, 1 pod\(s\) in gateway mode, identity of ServiceAccount ambassador\n/);

  // The pods now run as another ServiceAccount: the announced identity is no longer theirs.
  const d = east.get<Deployment>('apps/v1', 'Deployment', 'ambassador', 'ambassador')!;
  east.put({ ...d, spec: { ...d.spec, template: { ...d.spec.template, spec: { ...d.spec.template.spec, serviceAccountName: 'edge' } } } });
  settleWorkloads(east, 'ambassador');
  r = await runMc([...kc('bare'), 'check', '--wait', '1s']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /× remote gateways are meshed gateways with the identity they announce\n\s+\* east: Service ambassador\/ambassador in east announces the identity ambassador\.ambassador\.serviceaccount\.identity\.linkerd\.east\.example, but its pods run as edge\.ambassador\.serviceaccount\.identity\.linkerd\.east\.example/);
});
