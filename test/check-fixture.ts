/**
 * Multicluster setups on the test API server for the `mc check` tests and
 * benchmark: Linkerd's identity objects, the multicluster extension (upstream's
 * own install manifest, read from the reference directory at run time), and
 * for each link the objects `mc link` creates — credentials Secret holding a
 * kubeconfig with the remote-access service account's token, the Link, and
 * the service mirror (upstream's service-mirror manifest for that cluster
 * name) with ready, meshed pods.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import yaml from 'js-yaml';
import * as x509 from '@peculiar/x509';
import { REFERENCE_DIR } from './helpers.js';
import type { TestCluster } from './support/index.js';
import { markDeploymentReady } from './support/linkerd-sim.js';
import { serveMirrorAdmin, type GatewayProbe, type MirrorAdmin } from './support/mirror-admin.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface Pki {
  trustAnchorsPem: string;
  issuerCertPem: string;
  issuerKeyPem: string;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY = 24 * 3600 * 1000;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** A trust anchor and an issuer it signed, as `linkerd install` wants them. */
export async function makePki(options: { anchorDays?: number; issuerDays?: number; anchorName?: string } = {}): Promise<Pki> {
  const notBefore = new Date(Date.now() - 3600_000);
  const rootKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const issuerKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${options.anchorName ?? 'root.linkerd.cluster.local'}`,
    notBefore,
    notAfter: new Date(Date.now() + (options.anchorDays ?? 3650) * DAY),
    keys: rootKeys,
    signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  const issuer = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=identity.linkerd.cluster.local',
    issuer: root.subject,
    notBefore,
    notAfter: new Date(Date.now() + (options.issuerDays ?? 365) * DAY),
    signingKey: rootKeys.privateKey,
    publicKey: issuerKeys.publicKey,
    signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  return {
    trustAnchorsPem: root.toString('pem') + '\n',
    issuerCertPem: issuer.toString('pem') + '\n',
    issuerKeyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', issuerKeys.privateKey)),
  };
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** The Linkerd control plane objects mc check reads: linkerd-config, trust roots, issuer. */
export function putLinkerd(c: TestCluster, pki: Pki): void {
  const values = {
    identityTrustDomain: 'cluster.local',
    clusterDomain: 'cluster.local',
    identityTrustAnchorsPEM: pki.trustAnchorsPem,
    identity: { issuer: { scheme: 'linkerd.io/tls' } },
  };
  c.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'linkerd', labels: { 'linkerd.io/is-control-plane': 'true' } } });
  c.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'linkerd-config', namespace: 'linkerd', labels: { 'linkerd.io/control-plane-component': 'controller' } }, data: { values: yaml.dump(values) } });
  c.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'linkerd-identity-trust-roots', namespace: 'linkerd' }, data: { 'ca-bundle.crt': pki.trustAnchorsPem } });
  c.put({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'linkerd-identity-issuer', namespace: 'linkerd' },
    type: 'Opaque',
    data: { 'crt.pem': b64(pki.issuerCertPem), 'key.pem': b64(pki.issuerKeyPem) },
  });
}

let installDocs: any[] | undefined;
function upstreamInstall(): any[] {
  installDocs ??= (yaml.loadAll(readFileSync(join(REFERENCE_DIR, 'install_default.golden'), 'utf8')) as any[]).filter((d) => d && d.kind);
  return installDocs;
}

const GATEWAY_IDENTITY = 'linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.cluster.local';

/**
 * The multicluster extension as upstream installs it (namespace, Link CRD,
 * remote-access account and token, gateway Service and Deployment), the
 * gateway with a load-balancer address and ready, meshed pods.
 */
export function putMulticluster(c: TestCluster, gatewayAddress: string): void {
  const keep = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'ServiceAccount', 'Secret', 'Service']);
  const docs = upstreamInstall().filter((d) => keep.has(d.kind) || (d.kind === 'Deployment' && d.metadata.name === 'linkerd-gateway'));
  // The CRD first: nothing else depends on it, and Links need it.
  for (const d of [...docs].sort((a, b) => (a.kind === 'CustomResourceDefinition' ? -1 : b.kind === 'CustomResourceDefinition' ? 1 : 0))) {
    const obj = structuredClone(d);
    if (obj.kind === 'Service' && obj.metadata.name === 'linkerd-gateway') obj.status = { loadBalancer: { ingress: [{ ip: gatewayAddress }] } };
    c.put(obj);
  }
  markDeploymentReady(c, 'linkerd-multicluster', 'linkerd-gateway', { meshed: true });
}

/** The token of the remote-access service account (filled in by the token controller). */
export function remoteAccessToken(c: TestCluster, sa = 'linkerd-service-mirror-remote-access-default'): string {
  const secret = c.get('v1', 'Secret', 'linkerd-multicluster', `${sa}-token`);
  const t = secret?.data?.token;
  return t ? Buffer.from(t, 'base64').toString('utf8') : c.serviceAccountToken('linkerd-multicluster', sa);
}

let mirrorDocs: string | undefined;
/** Upstream's service-mirror objects for a link named `name` in namespace linkerd-multicluster. */
function serviceMirrorObjects(name: string): any[] {
  mirrorDocs ??= readFileSync(join(REFERENCE_DIR, 'service_mirror_default.golden'), 'utf8');
  const docs = (yaml.loadAll(mirrorDocs) as any[]).filter((d) => d && d.kind);
  const fix = (v: any): any => {
    if (typeof v === 'string') return v.replace(/test-cluster/g, name);
    if (Array.isArray(v)) return v.map(fix);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'namespace' && x === 'test' ? 'linkerd-multicluster' : fix(x)]));
    return v;
  };
  return docs.map(fix).map((d) => {
    // args say -namespace=test
    return JSON.parse(JSON.stringify(d).replace(/-namespace=test"/g, '-namespace=linkerd-multicluster"'));
  });
}

export interface LinkOptions {
  /** Token for the credentials kubeconfig (default: the remote-access account's). */
  token?: string;
  gatewayAddress: string;
  /** Serve the mirror pod's Lease and /metrics here (default); false when a service mirror simulation does it. */
  mirrorAdmin?: boolean;
}

/** Everything `mc link` puts into `local` for the remote cluster `remote`. */
export function putLink(local: TestCluster, remote: TestCluster, pki: Pki, options: LinkOptions): void {
  const name = remote.name;
  const token = options.token ?? remoteAccessToken(remote);
  local.put({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `cluster-credentials-${name}`, namespace: 'linkerd-multicluster', labels: { 'mirror.linkerd.io/cluster-name': name } },
    type: 'mirror.linkerd.io/remote-kubeconfig',
    data: { kubeconfig: b64(remote.kubeconfigFor(token, name)) },
  });
  local.put({
    apiVersion: 'multicluster.linkerd.io/v1alpha3',
    kind: 'Link',
    metadata: { name, namespace: 'linkerd-multicluster', annotations: { 'linkerd.io/created-by': 'linkerd/cli edge-26.8.3' }, labels: { 'linkerd.io/extension': 'multicluster' } },
    spec: {
      targetClusterName: name,
      targetClusterDomain: 'cluster.local',
      targetClusterLinkerdNamespace: 'linkerd',
      clusterCredentialsSecret: `cluster-credentials-${name}`,
      gatewayAddress: options.gatewayAddress,
      gatewayPort: '4143',
      gatewayIdentity: GATEWAY_IDENTITY,
      probeSpec: { path: '/ready', port: '4191', period: '3s', failureThreshold: '3', timeout: '30s' },
      selector: { matchLabels: { 'mirror.linkerd.io/exported': 'true' } },
      remoteDiscoverySelector: { matchLabels: { 'mirror.linkerd.io/exported': 'remote-discovery' } },
      federatedServiceSelector: { matchLabels: { 'mirror.linkerd.io/federated': 'member' } },
    },
  });
  for (const obj of serviceMirrorObjects(name)) {
    if (obj.kind === 'Deployment') obj.status = { replicas: 1, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1 };
    local.put(obj);
  }
  local.put({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `linkerd-service-mirror-${name}-5d8f7c9b4-x2x7q`,
      namespace: 'linkerd-multicluster',
      labels: { component: 'linkerd-service-mirror', 'mirror.linkerd.io/cluster-name': name, 'linkerd.io/control-plane-ns': 'linkerd', 'linkerd.io/extension': 'multicluster' },
    },
    spec: {
      containers: [
        { name: 'linkerd-proxy', image: 'cr.l5d.io/linkerd/proxy:edge-26.8.3', env: [{ name: 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS', value: pki.trustAnchorsPem }] },
        { name: 'service-mirror', image: 'cr.l5d.io/linkerd/controller:edge-26.8.3', ports: [{ name: 'svcmi-admin', containerPort: 9999 }] },
      ],
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [
        { name: 'linkerd-proxy', ready: true, restartCount: 0, image: 'cr.l5d.io/linkerd/proxy:edge-26.8.3', imageID: '', state: { running: { startedAt: new Date().toISOString() } } },
        { name: 'service-mirror', ready: true, restartCount: 0, image: 'cr.l5d.io/linkerd/controller:edge-26.8.3', imageID: '', state: { running: { startedAt: new Date().toISOString() } } },
      ],
    },
  });
  if (options.mirrorAdmin !== false) setGatewayProbe(local, name);
}

const admins = new WeakMap<object, MirrorAdmin>();

/**
 * The admin side of the mirrors of `local` (simulated): each Link's mirror pod
 * holds its Lease, and its /metrics says what `probe` says about the gateway
 * of `remoteName` (alive by default).
 */
export function setGatewayProbe(local: TestCluster, remoteName: string, probe: Partial<GatewayProbe> = {}): MirrorAdmin {
  let admin = admins.get(local.apiServer);
  if (!admin) {
    admin = serveMirrorAdmin(local);
    admins.set(local.apiServer, admin);
  }
  admin.probes.set(remoteName, { enabled: true, alive: true, latencyMs: 2, ...probe });
  admin.syncLeases([{ metadata: { namespace: 'linkerd-multicluster' }, spec: { targetClusterName: remoteName } }]);
  return admin;
}

/** An exported Service (with ready endpoints) in `c`. */
export function putExportedService(c: TestCluster, name: string, namespace = 'test', exported = 'true'): void {
  c.put({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { app: name, 'mirror.linkerd.io/exported': exported } },
    spec: { ports: [{ name: 'http', port: 9898, protocol: 'TCP' }], selector: { app: name } },
  });
  c.put({
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name, namespace, labels: { app: name } },
    subsets: [{ addresses: [{ ip: '10.42.0.7' }], ports: [{ name: 'http', port: 9898, protocol: 'TCP' }] }],
  });
}

/**
 * A mirror as the service mirror makes it (Service NAME-REMOTE plus Endpoints
 * at the gateway), for setups without the simulation.
 */
export function putMirror(local: TestCluster, remoteName: string, name: string, namespace: string, gatewayAddress: string, withEndpoints = true): void {
  const labels = { 'mirror.linkerd.io/mirrored-service': 'true', 'mirror.linkerd.io/cluster-name': remoteName };
  local.put({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `${name}-${remoteName}`, namespace, labels, annotations: { 'mirror.linkerd.io/remote-svc-fq-name': `${name}.${namespace}.svc.cluster.local` } },
    spec: { ports: [{ name: 'http', port: 9898, protocol: 'TCP' }] },
  });
  if (withEndpoints) {
    local.put({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: `${name}-${remoteName}`, namespace, labels },
      subsets: [{ addresses: [{ ip: gatewayAddress }], ports: [{ name: 'http', port: 4143, protocol: 'TCP' }] }],
    });
  }
}

/** The probe-gateway mirror's Endpoints (its Service comes with the service-mirror objects). */
export function putProbeEndpoints(local: TestCluster, remoteName: string, gatewayAddress: string): void {
  local.put({
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: `probe-gateway-${remoteName}`, namespace: 'linkerd-multicluster', labels: { 'mirror.linkerd.io/mirrored-gateway': 'true', 'mirror.linkerd.io/cluster-name': remoteName } },
    subsets: [{ addresses: [{ ip: gatewayAddress }], ports: [{ name: 'mc-probe', port: 4191, protocol: 'TCP' }] }],
  });
}

/**
 * The service mirror as the multicluster chart runs it for a `controllers`
 * entry (the current flow): what `mc install --set controllers[0].link.ref.name=NAME`
 * renders for it, the Deployment available, and its ready, meshed pod.
 */
export async function putManagedController(local: TestCluster, name: string, pki: Pki): Promise<any[]> {
  const put: any[] = [];
  const { renderInstall } = await import('../src/render/multicluster.js');
  const docs = await renderInstall({ linkerdVersion: 'edge-26.8.3', linkerdNamespace: 'linkerd', user: { set: [`controllers[0].link.ref.name=${name}`] } });
  for (const d of docs.map((x) => x.object as any)) {
    if (d.metadata.labels?.['mirror.linkerd.io/cluster-name'] !== name && !(d.kind === 'PodDisruptionBudget' && d.metadata.name === `controller-${name}`)) continue;
    if (d.kind === 'Deployment') d.status = { replicas: 1, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1 };
    put.push(d);
  }
  put.push({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `controller-${name}-7c4b9f8d6-q9w2e`,
      namespace: 'linkerd-multicluster',
      labels: { component: 'controller', 'mirror.linkerd.io/cluster-name': name, 'linkerd.io/control-plane-ns': 'linkerd', 'linkerd.io/extension': 'multicluster' },
    },
    spec: {
      containers: [
        { name: 'linkerd-proxy', image: 'cr.l5d.io/linkerd/proxy:edge-26.8.3', env: [{ name: 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS', value: pki.trustAnchorsPem }] },
        { name: 'controller', image: 'cr.l5d.io/linkerd/controller:edge-26.8.3', ports: [{ name: 'ctrl-admin', containerPort: 9999 }] },
      ],
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [
        { name: 'linkerd-proxy', ready: true, restartCount: 0, image: 'cr.l5d.io/linkerd/proxy:edge-26.8.3', imageID: '', state: { running: { startedAt: new Date().toISOString() } } },
        { name: 'controller', ready: true, restartCount: 0, image: 'cr.l5d.io/linkerd/controller:edge-26.8.3', imageID: '', state: { running: { startedAt: new Date().toISOString() } } },
      ],
    },
  });
  for (const o of put) local.put(o);
  return put;
}

/** Remove objects put by a fixture function. */
export function removeObjects(local: TestCluster, objects: any[]): void {
  for (const o of objects) local.remove(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name);
}

/** What `mc unlink --only-controller` removes: the legacy service mirror of link NAME (returned, to put back). */
export function removeLegacyMirror(local: TestCluster, name: string): any[] {
  const removed: any[] = [];
  for (const obj of serviceMirrorObjects(name)) {
    const o = local.get(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name);
    if (o && local.remove(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name)) removed.push(o);
  }
  const podName = `linkerd-service-mirror-${name}-5d8f7c9b4-x2x7q`;
  const pod = local.get('v1', 'Pod', 'linkerd-multicluster', podName);
  if (pod && local.remove('v1', 'Pod', 'linkerd-multicluster', podName)) removed.push(pod);
  return removed;
}

/** Put what `mc ARGS -o json` prints (with this kubeconfig) into a cluster, CRDs first, as kubectl apply would. */
export async function putFromMcWith(kubeconfig: string, c: TestCluster, args: string[]): Promise<void> {
  const { runMc } = await import('./helpers.js');
  const r = await runMc(['--kubeconfig', kubeconfig, ...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(`mc ${args.join(' ')}: ${r.stderr}`);
  const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  objs.sort((a, b) => Number(b.kind === 'CustomResourceDefinition') - Number(a.kind === 'CustomResourceDefinition'));
  for (const o of objs) c.put(o);
}

/**
 * East and west as the end-to-end tests start them: simulated Linkerd on both
 * (one trust anchor), Ambassador as east's gateway, podinfo in east, namespace
 * test in west, the extension in east without a gateway and in west with
 * `westInstall` (e.g. a `controllers` entry).
 */
export async function setupEastWest(env: { kubeconfigPath: string; cluster(name: string): TestCluster }, westInstall: string[] = []): Promise<void> {
  const { addAmbassadorGateway, addPodinfo, installSimulatedLinkerd } = await import('./support/linkerd-sim.js');
  const west = env.cluster('west');
  const east = env.cluster('east');
  const pki = await makePki();
  installSimulatedLinkerd(west, pki);
  installSimulatedLinkerd(east, pki);
  addAmbassadorGateway(east, { address: '203.0.113.10' });
  addPodinfo(east);
  // Mirrors go into existing namespaces only (as upstream without namespace creation).
  west.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'test' } });
  await putFromMcWith(env.kubeconfigPath, east, ['--context', 'east', 'install', '--gateway=false']);
  await putFromMcWith(env.kubeconfigPath, west, ['--context', 'west', 'install', ...westInstall]);
}
