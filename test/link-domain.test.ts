import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import yaml from 'js-yaml';
import { McError, UsageError } from '../src/errors.js';
import { findServiceAccountToken } from '../src/link/cluster-facts.js';
import { linkerdSettings } from '../src/linkerd-config.js';
import { checkClusterName, suggestClusterName } from '../src/link/cluster-name.js';
import { secondsToGoDuration } from '../src/duration.js';
import { gatewaySpec, type GatewayService } from '../src/link/gateway.js';
import { buildLinkObjects } from '../src/link/link.js';
import { buildRemoteKubeconfig } from '../src/link/remote-kubeconfig.js';
import { parseLinkSpec } from '../src/multicluster/link.js';
import { parseLabelSelector } from '../src/multicluster/selectors.js';
import { linkCreatedObjects, unlinkPlan } from '../src/link/unlink.js';

test('label selectors become matchLabels / matchExpressions as metav1.ParseToLabelSelector makes them', () => {
  assert.deepEqual(parseLabelSelector('mirror.linkerd.io/exported=true'), { matchLabels: { 'mirror.linkerd.io/exported': 'true' } });
  assert.deepEqual(parseLabelSelector(''), {});
  assert.deepEqual(parseLabelSelector('b==2, a=1,tier in (web, api),!legacy,env notin (dev),x!=y,has'), {
    matchLabels: { a: '1', b: '2' },
    matchExpressions: [
      { key: 'env', operator: 'NotIn', values: ['dev'] },
      { key: 'has', operator: 'Exists' },
      { key: 'legacy', operator: 'DoesNotExist' },
      { key: 'tier', operator: 'In', values: ['api', 'web'] },
      { key: 'x', operator: 'NotIn', values: ['y'] },
    ],
  });
  for (const bad of ['a=b=c', 'in (x', 'a in x', 'Bad Key=1', 'a>1', 'a=' + 'x'.repeat(64), ',=', 'a=1,', 'a=1,,b=2']) {
    assert.throws(() => parseLabelSelector(bad, '--selector'), (e: unknown) => e instanceof UsageError && /--selector/.test(e.message), bad);
  }
});

test('cluster names: DNS-1123 labels short enough for probe-gateway-NAME; context names are made into one', () => {
  assert.equal(checkClusterName('east'), 'east');
  for (const bad of ['East', 'east_1', '-east', 'east-', 'a'.repeat(50), '']) assert.throws(() => checkClusterName(bad), UsageError, bad);
  assert.equal(checkClusterName('a'.repeat(49)), 'a'.repeat(49));
  assert.equal(suggestClusterName('kind-east'), 'kind-east');
  assert.equal(suggestClusterName('arn:aws:eks:us-west-2:1234:cluster/Prod_1'), 'arn-aws-eks-us-west-2-1234-cluster-prod-1');
  assert.equal(suggestClusterName('gke_proj_europe-west1_c'.padEnd(80, '_')), 'gke-proj-europe-west1-c');
  assert.equal(suggestClusterName('___'), undefined);
  const long = suggestClusterName('x'.repeat(48) + '--yyy')!;
  assert.ok(long.length <= 49 && !long.endsWith('-'));
});

test('probe periods in seconds become Go durations', () => {
  assert.equal(secondsToGoDuration(3), '3s');
  assert.equal(secondsToGoDuration(90), '1m30s');
  assert.equal(secondsToGoDuration(3600), '1h0m0s');
});

function gw(over: Partial<GatewayService> = {}): GatewayService {
  return {
    metadata: {
      name: 'ambassador',
      namespace: 'ambassador',
      annotations: {
        'mirror.linkerd.io/gateway-identity': 'ambassador.ambassador.serviceaccount.identity.linkerd.cluster.local',
        'mirror.linkerd.io/probe-path': '/ready',
        'mirror.linkerd.io/probe-period': '3',
      },
    },
    spec: { type: 'LoadBalancer', ports: [{ name: 'mc-gateway', port: 4143, nodePort: 30143 }, { name: 'mc-probe', port: 4191, nodePort: 30191 }] },
    status: { loadBalancer: { ingress: [{ ip: '10.0.0.5' }, { hostname: 'gw.example.com' }] } },
    ...over,
  };
}

test('gateway spec: addresses, ports, identity and probe from the Service; flags override', () => {
  assert.deepEqual(gatewaySpec(gw()), {
    gatewayAddress: '10.0.0.5,gw.example.com',
    gatewayPort: '4143',
    gatewayIdentity: 'ambassador.ambassador.serviceaccount.identity.linkerd.cluster.local',
    probeSpec: { path: '/ready', port: '4191', period: '3s' },
  });
  const nodePort = gatewaySpec(gw({ spec: { ...gw().spec, type: 'NodePort' }, status: {} }), { addresses: '192.168.1.10', port: 0 });
  assert.equal(nodePort.gatewayAddress, '192.168.1.10');
  assert.equal(nodePort.gatewayPort, '30143');
  assert.equal(nodePort.probeSpec.port, '30191');
  assert.equal(gatewaySpec(gw(), { port: 8443, addresses: 'a,b' }).gatewayPort, '8443');
  assert.equal(gatewaySpec(gw(), { addresses: 'a, b' }).gatewayAddress, 'a,b');
});

test('gateway spec: every missing field is named, with the Service and the fix', () => {
  const bare: GatewayService = { metadata: { name: 'ambassador', namespace: 'ambassador' }, spec: { type: 'ClusterIP', ports: [{ name: 'http', port: 80 }] } };
  assert.throws(
    () => gatewaySpec(bare, { context: 'east', trustDomain: 'example.org' }),
    (e: unknown) => {
      assert.ok(e instanceof McError);
      const m = e.message;
      assert.match(m, /gateway Service "ambassador" in namespace "ambassador" \(context "east"\)/);
      assert.match(m, /status\.loadBalancer\.ingress is empty.*--gateway-addresses/);
      assert.match(m, /no port named "mc-gateway".*--gateway-port/);
      assert.match(m, /mirror\.linkerd\.io\/gateway-identity is missing.*kubectl --context east -n ambassador annotate svc\/ambassador .*identity\.linkerd\.example\.org/);
      assert.match(m, /mirror\.linkerd\.io\/probe-path is missing/);
      assert.match(m, /no port named "mc-probe"/);
      assert.match(m, /mirror\.linkerd\.io\/probe-period is missing/);
      assert.match(e.hint ?? '', /--gateway=false/);
      return true;
    },
  );
  const badPeriod = gw();
  badPeriod.metadata.annotations!['mirror.linkerd.io/probe-period'] = 'soon';
  assert.throws(() => gatewaySpec(badPeriod), /probe-period is "soon"/);
  badPeriod.metadata.annotations!['mirror.linkerd.io/probe-period'] = '1m30s';
  assert.equal(gatewaySpec(badPeriod).probeSpec.period, '1m30s');
});

test('remote kubeconfig: only the linked cluster, CA file embedded as data, the token as the only user', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-link-'));
  const caPath = join(dir, 'ca.crt');
  writeFileSync(caPath, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const local = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'east-cluster', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority': caPath, extensions: [] } }],
    users: [{ name: 'admin', user: { exec: { command: 'aws' }, 'client-certificate': '/x' } }],
    contexts: [{ name: 'east', context: { cluster: 'east-cluster', user: 'admin', namespace: 'apps' } }],
    'current-context': 'east',
  };
  const out = buildRemoteKubeconfig({ local, contextName: 'east', serviceAccountName: 'sa', token: 'TOKEN-123' });
  const cfg = yaml.load(out.text) as any;
  assert.equal(out.server, 'https://127.0.0.1:6443');
  assert.deepEqual(cfg.clusters, [{ name: 'east-cluster', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64') } }]);
  assert.deepEqual(cfg.users, [{ name: 'sa', user: { token: 'TOKEN-123' } }]);
  assert.deepEqual(cfg.contexts, [{ name: 'east', context: { cluster: 'east-cluster', user: 'sa', namespace: 'apps' } }]);
  assert.equal(cfg['current-context'], 'east');
  const moved = yaml.load(buildRemoteKubeconfig({ local, contextName: 'east', serviceAccountName: 'sa', token: 't', apiServerAddress: 'https://east.example:443' }).text) as any;
  assert.equal(moved.clusters[0].cluster.server, 'https://east.example:443');
  local.clusters[0]!.cluster['certificate-authority'] = join(dir, 'missing.crt');
  assert.throws(() => buildRemoteKubeconfig({ local, contextName: 'east', serviceAccountName: 'sa', token: 'TOKEN-123' }), (e: unknown) => e instanceof McError && /missing\.crt/.test(e.message) && !/TOKEN-123/.test(e.message));
});

test('token: found by the service-account annotation, decoded; a missing one is an error without secrets', () => {
  const secrets = [
    { metadata: { name: 'other', annotations: { 'kubernetes.io/service-account.name': 'other' } }, data: { token: Buffer.from('NOPE').toString('base64') } },
    { metadata: { name: 'sa-token', annotations: { 'kubernetes.io/service-account.name': 'sa' } }, data: { token: Buffer.from('SECRET').toString('base64') } },
  ];
  assert.equal(findServiceAccountToken(secrets, 'sa', 'here', 'hint'), 'SECRET');
  assert.throws(() => findServiceAccountToken(secrets, 'nobody', 'namespace "x"', 'hint'), (e: unknown) => e instanceof McError && /"nobody"/.test(e.message) && !/NOPE|SECRET/.test(e.message));
  assert.throws(() => findServiceAccountToken([{ metadata: { name: 'empty', annotations: { 'kubernetes.io/service-account.name': 'sa' } } }], 'sa', 'here', 'hint'), /holds no token yet/);
});

test('linkerd-config values give the trust and cluster domains', () => {
  // As link reads them: a trust domain that is not set is cluster.local.
  const facts = (values: string) => {
    const s = linkerdSettings({ data: { values } }, 'x', { defaultTrustDomain: 'cluster.local' });
    return { trustDomain: s.identityTrustDomain, clusterDomain: s.clusterDomain };
  };
  assert.deepEqual(facts('identityTrustDomain: example.org\nclusterDomain: east.local\n'), { trustDomain: 'example.org', clusterDomain: 'east.local' });
  assert.deepEqual(facts('cniEnabled: false\n'), { trustDomain: 'cluster.local', clusterDomain: 'cluster.local' });
  // No values key (Linkerd before 2.10): an error, as upstream's link ("Linkerd values not found in ConfigMap").
  assert.throws(() => linkerdSettings({ data: {} }, 'x', { defaultTrustDomain: 'cluster.local' }), /x has no "values" key/);
});

test('Link and credentials Secrets carry upstream names, labels, annotations and every spec field', () => {
  const [a, b, link] = buildLinkObjects({ trustDomain: 'example.org', clusterDomain: 'cluster.local' }, 'KUBECONFIG', {
    clusterName: 'east',
    namespace: 'linkerd-multicluster',
    linkerdNamespace: 'linkerd',
    createdBy: 'linkerd/cli edge-26.8.3',
    selector: parseLabelSelector('mirror.linkerd.io/exported=true'),
    remoteDiscoverySelector: parseLabelSelector('mirror.linkerd.io/exported=remote-discovery'),
    federatedServiceSelector: parseLabelSelector('mirror.linkerd.io/federated=member'),
    excludedLabels: ['a'],
    excludedAnnotations: [],
    gateway: gatewaySpec(gw()),
  });
  assert.deepEqual(a, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cluster-credentials-east', namespace: 'linkerd-multicluster' }, type: 'mirror.linkerd.io/remote-kubeconfig', data: { kubeconfig: Buffer.from('KUBECONFIG').toString('base64') } });
  assert.deepEqual(b!.metadata, {
    name: 'cluster-credentials-east',
    namespace: 'linkerd',
    labels: { 'multicluster.linkerd.io/cluster-name': 'east' },
    annotations: { 'multicluster.linkerd.io/trust-domain': 'example.org', 'multicluster.linkerd.io/cluster-domain': 'cluster.local' },
  });
  assert.equal(link!.apiVersion, 'multicluster.linkerd.io/v1alpha3');
  assert.deepEqual(link!.metadata, { name: 'east', namespace: 'linkerd-multicluster', annotations: { 'linkerd.io/created-by': 'linkerd/cli edge-26.8.3' } });
  assert.deepEqual(link!.spec, {
    targetClusterName: 'east',
    targetClusterDomain: 'cluster.local',
    targetClusterLinkerdNamespace: 'linkerd',
    clusterCredentialsSecret: 'cluster-credentials-east',
    gatewayAddress: '10.0.0.5,gw.example.com',
    gatewayPort: '4143',
    gatewayIdentity: 'ambassador.ambassador.serviceaccount.identity.linkerd.cluster.local',
    probeSpec: { path: '/ready', port: '4191', period: '3s' },
    selector: { matchLabels: { 'mirror.linkerd.io/exported': 'true' } },
    remoteDiscoverySelector: { matchLabels: { 'mirror.linkerd.io/exported': 'remote-discovery' } },
    federatedServiceSelector: { matchLabels: { 'mirror.linkerd.io/federated': 'member' } },
    excludedLabels: ['a'],
  });
});

test('parseLinkSpec reads a Link as the service mirror parses it; link never writes one it rejects', () => {
  const [, , link] = buildLinkObjects({ trustDomain: 'cluster.local', clusterDomain: 'cluster.local' }, 'K', {
    clusterName: 'east',
    namespace: 'linkerd-multicluster',
    linkerdNamespace: 'linkerd',
    createdBy: 'linkerd/cli edge-26.8.3',
    selector: parseLabelSelector('mirror.linkerd.io/exported=true'),
    remoteDiscoverySelector: {},
    federatedServiceSelector: {},
    excludedLabels: [],
    excludedAnnotations: [],
    gateway: gatewaySpec(gw()),
  });
  assert.deepEqual(parseLinkSpec(link.spec), {
    spec: {
      targetClusterName: 'east',
      clusterCredentialsSecret: 'cluster-credentials-east',
      gateway: { addresses: ['10.0.0.5', 'gw.example.com'], port: 4143, identity: 'ambassador.ambassador.serviceaccount.identity.linkerd.cluster.local', probePort: 4191, probe: { path: '/ready', periodMs: 3000, timeoutMs: undefined, failureThreshold: undefined } },
    },
    problems: [],
  });
  // No gateway (flat network, remote discovery only): nothing of a gateway is needed.
  assert.deepEqual(parseLinkSpec({ targetClusterName: 'east', clusterCredentialsSecret: 'c', probeSpec: {}, remoteDiscoverySelector: { matchLabels: { a: 'b' } } }).problems, []);
  const fields = (spec: unknown) => parseLinkSpec(spec).problems.map((p) => `${p.field} ${p.problem}`);
  const base = { ...link.spec, probeSpec: { ...link.spec.probeSpec } };
  assert.deepEqual(fields({ ...base, gatewayPort: 'notaport', gatewayAddress: undefined }), ['spec.gatewayAddress is missing, but the Link uses a gateway (it has a gateway port, identity or selector)', 'spec.gatewayPort "notaport" is not a port number (1-65535)']);
  for (const port of ['0', '70000', '-1', '4143 ', '0x10']) assert.deepEqual(fields({ ...base, gatewayPort: port }), [`spec.gatewayPort "${port}" is not a port number (1-65535)`], port);
  assert.deepEqual(fields({ ...base, gatewayPort: 4143 }), ['spec.gatewayPort is 4143, not a string']);
  assert.deepEqual(fields({ ...base, gatewayAddress: 'http://x y,10.0.0.1' }), ['spec.gatewayAddress "http://x y" is not an IP address or DNS name']);
  assert.deepEqual(fields({ ...base, probeSpec: { path: '/ready', port: '4191', period: '0s', timeout: 'soon', failureThreshold: '-3' } }), [
    'spec.probeSpec.period "0s" is not a positive duration',
    'spec.probeSpec.timeout "soon" is not a duration',
    'spec.probeSpec.failureThreshold "-3" is not a whole number',
  ]);
  assert.deepEqual(fields({ ...base, selector: { matchLabels: { 'bad key': 'x' }, matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }, { key: 'b', operator: 'Gt', values: ['1'] }] } }), [
    'spec.selector.matchLabels has "bad key", which is not a valid label key',
    'spec.selector.matchExpressions[0].values must be empty for operator Exists',
    'spec.selector.matchExpressions[1].operator "Gt" is not a selector operator (In, NotIn, Exists, DoesNotExist)',
  ]);
  // No probe path: the mirror starts no probe worker and never reads the period, timeout or threshold;
  // the probe port still makes the gateway's mirror Endpoints.
  const unprobed = parseLinkSpec({ ...base, probeSpec: { port: '4191', period: '0s', timeout: 'soon', failureThreshold: '-3' } });
  assert.deepEqual(unprobed.problems, []);
  assert.deepEqual(unprobed.spec?.gateway, { addresses: ['10.0.0.5', 'gw.example.com'], port: 4143, identity: 'ambassador.ambassador.serviceaccount.identity.linkerd.cluster.local', probePort: 4191 });
  assert.deepEqual(fields({ ...base, probeSpec: { path: '', port: 'x' } }), ['spec.probeSpec.port "x" is not a port number (1-65535)']);
  assert.deepEqual(fields({ ...base, probeSpec: { path: '/ready', port: '4191' } }), ['spec.probeSpec.period is missing']);
  assert.deepEqual(fields({ clusterCredentialsSecret: 'c' }), ['spec.targetClusterName is missing']);
  assert.deepEqual(fields(undefined), ['spec is missing']);
  // link refuses to write a Link its mirror could not parse
  assert.throws(
    () =>
      buildLinkObjects({ trustDomain: 'cluster.local', clusterDomain: 'cluster.local' }, 'K', {
        clusterName: 'east',
        namespace: 'linkerd-multicluster',
        linkerdNamespace: 'linkerd',
        createdBy: 'x',
        selector: {},
        remoteDiscoverySelector: {},
        federatedServiceSelector: {},
        excludedLabels: [],
        excludedAnnotations: [],
        gateway: { ...gatewaySpec(gw()), gatewayAddress: 'not an address' },
      }),
    (e: unknown) => e instanceof McError && /spec\.gatewayAddress "not an address" is not an IP address or DNS name/.test(e.message),
  );
});

test('unlink plan: existing objects of the link, then mirrored services, without duplicates', () => {
  const ids = linkCreatedObjects('east', 'linkerd-multicluster', 'linkerd');
  assert.ok(ids.some((i) => i.kind === 'Secret' && i.namespace === 'linkerd'));
  const probe = ids.find((i) => i.kind === 'Service')!;
  const plan = unlinkPlan([probe], [probe, { apiVersion: 'v1', kind: 'Service', name: 'podinfo-east', namespace: 'test' }]);
  assert.deepEqual(plan, [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'probe-gateway-east', namespace: 'linkerd-multicluster' } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'podinfo-east', namespace: 'test' } },
  ]);
});

test('our link values defaults equal upstream link-values.yaml and link-values-ha.yaml', async () => {
  const { readFileSync } = await import('node:fs');
  const { REFERENCE_DIR } = await import('./helpers/index.js');
  const ours = (f: string) => yaml.load(readFileSync(new URL(`../../templates/link/${f}`, import.meta.url), 'utf8'));
  const theirs = (f: string) => yaml.load(readFileSync(join(REFERENCE_DIR, f), 'utf8'));
  assert.deepEqual(ours('values.yaml'), theirs('link-values.yaml'));
  assert.deepEqual(ours('values-ha.yaml'), theirs('link-values-ha.yaml'));
});

test('kube client fast path: token, certificate and CA users are read directly; plugin users are not', async () => {
  const { clusterTls, staticUser } = await import('../src/kube/static-credentials.js');
  const caPem = '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n';
  const t = staticUser({ token: 'abc' }, 'user "u"')!;
  assert.equal(t.headers.Authorization, 'Bearer abc');
  assert.equal(clusterTls({ server: 'https://k:6443', 'certificate-authority-data': Buffer.from(caPem).toString('base64') }, 'cluster "c"').ca!.toString(), caPem);
  const dir = mkdtempSync(join(tmpdir(), 'mc-cred-'));
  writeFileSync(join(dir, 'tok'), 'from-file\n');
  writeFileSync(join(dir, 'ca'), 'CAFILE');
  assert.equal(staticUser({ tokenFile: join(dir, 'tok') }, 'user "u"')!.headers.Authorization, 'Bearer from-file');
  const f = clusterTls({ server: 'https://k', 'certificate-authority': join(dir, 'ca'), 'insecure-skip-tls-verify': true }, 'cluster "c"');
  assert.equal(f.ca!.toString(), 'CAFILE');
  assert.equal(f.rejectUnauthorized, false);
  assert.equal(staticUser({ exec: { command: 'aws' } }, 'user "u"'), undefined);
  assert.equal(staticUser({ 'auth-provider': { name: 'oidc' } }, 'user "u"'), undefined);
});

test('the command contract: link flags to one typed LinkOptions, every usage error before any request', async () => {
  const { linkOptionsOf } = await import('../src/link/run.js');
  const flags = {
    clusterName: 'east',
    namespace: 'linkerd-multicluster',
    serviceAccountName: 'linkerd-service-mirror-remote-access-default',
    gatewayName: 'linkerd-gateway',
    gatewayNamespace: 'linkerd-multicluster',
    gateway: true,
    gatewayPort: '4143',
    gatewayAddresses: '192.0.2.10',
    selector: 'mirror.linkerd.io/exported=true',
    remoteDiscoverySelector: 'mirror.linkerd.io/exported=remote-discovery',
    federatedServiceSelector: 'mirror.linkerd.io/federated=member',
    excludedLabels: [],
    excludedAnnotations: [],
    ha: false,
    logLevel: 'info',
    logFormat: 'plain',
    serviceMirrorRetryLimit: '3',
    linkerdVersion: 'edge-26.8.3',
    set: ['replicas=2'],
    setString: [],
    setFile: [],
    values: [],
  };
  const globals = { kubeconfig: '/k', context: 'east', requestTimeoutMs: 5000, verbose: false, linkerdNamespace: 'linkerd' };
  const o = linkOptionsOf(flags, globals);
  assert.equal(o.context, 'east');
  assert.deepEqual(o.linkGen.gateway, { name: 'linkerd-gateway', namespace: 'linkerd-multicluster', addresses: '192.0.2.10', port: 4143 });
  // The environment ($LINKERD_DOCKER_REGISTRY) is the IO's, read by runLink: not in the options.
  assert.deepEqual(o.mirror, { version: 'edge-26.8.3', registry: undefined, logLevel: 'info', logFormat: 'plain', retryLimit: 3, ha: false });
  assert.deepEqual(o.values, { values: [], set: ['replicas=2'], setString: [], setFile: [] });
  for (const bad of [{ logLevel: 'loud' }, { logFormat: 'xml' }, { serviceMirrorRetryLimit: '-1' }, { linkerdVersion: 'a b' }, { gatewayPort: '0' }]) {
    assert.throws(() => linkOptionsOf({ ...flags, ...bad }, globals), UsageError, JSON.stringify(bad));
  }
});
