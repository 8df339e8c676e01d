/**
 * SIMULATIONS of Linkerd for the test API server — test doubles only, never
 * shipped in the CLI. They put a test cluster into the state a real cluster
 * would be in: a control plane installed from given certificates, an
 * Ambassador-style gateway, a podinfo workload, and a service mirror that
 * does what upstream's controller (multicluster/service-mirror) does for each
 * Link: read the target cluster with the Link's credentials (real HTTPS, the
 * token from the credentials Secret) and keep mirrors of the exported services.
 *
 * Names, labels and annotations follow upstream (pkg/k8s/labels.go,
 * multicluster/service-mirror/cluster_watcher.go).
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { Agent } from 'node:https';
import { isIP } from 'node:net';
import yaml from 'js-yaml';
import type { TestCluster, TestEnv } from './index.js';
import { httpsRequest, type HttpsTarget } from './https-request.js';
import { parseLabelSelector } from './selectors.js';
import { gatewayAnswers, gatewayEnabled, serveMirrorAdmin, type MirrorAdmin } from './mirror-admin.js';
import { proxyCert } from './pki.js';
import { field, type KubeObject } from './kube-object.js';
import type { ConfigMap, Container, Deployment, Endpoints, EndpointSubset, EnvVar, LabelSelector, Link, Pod, Secret, Service, ServicePort } from './kinds.js';

export const SIM_LINKERD_VERSION = 'edge-26.8.3';

export interface LinkerdCerts {
  trustAnchorsPem: string;
  issuerCertPem: string;
  issuerKeyPem: string;
}

const MIRROR = 'mirror.linkerd.io';
export const MirrorLabels = {
  mirroredService: `${MIRROR}/mirrored-service`,
  mirroredGateway: `${MIRROR}/mirrored-gateway`,
  clusterName: `${MIRROR}/cluster-name`,
  remoteDiscovery: `${MIRROR}/remote-discovery`,
  remoteService: `${MIRROR}/remote-service`,
  exported: `${MIRROR}/exported`,
  remoteResourceVersion: `${MIRROR}/remote-resource-version`,
  remoteSvcFqName: `${MIRROR}/remote-svc-fq-name`,
  remoteGatewayIdentity: `${MIRROR}/remote-gateway-identity`,
  gatewayIdentity: `${MIRROR}/gateway-identity`,
  probePath: `${MIRROR}/probe-path`,
  probePeriod: `${MIRROR}/probe-period`,
} as const;

/** Federation (upstream: multicluster.linkerd.io annotations on NAME-federated Services). */
const FEDERATED = `${MIRROR}/federated`;
const REMOTE_DISCOVERY_ANN = 'multicluster.linkerd.io/remote-discovery';
const LOCAL_DISCOVERY_ANN = 'multicluster.linkerd.io/local-discovery';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const fromB64 = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8'));

// ------------------------------------------------------------------ workloads

const podIpCounters = new WeakMap<object, number>();

function nextPodIp(cluster: TestCluster): string {
  const n = (podIpCounters.get(cluster.apiServer) ?? 10) + 1;
  podIpCounters.set(cluster.apiServer, n);
  return `10.244.${Math.floor(n / 250)}.${(n % 250) + 1}`;
}

function hashOf(v: unknown, len: number): string {
  return createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, len);
}

export interface ReadyOptions {
  /** Add a ready linkerd-proxy container and the control-plane-ns label (default: template says linkerd.io/inject: enabled). */
  meshed?: boolean;
  linkerdNamespace?: string;
  /** Pods' (and proxies') start time; default now. */
  startedAt?: Date;
}

const TRUST_ANCHORS_ENV = 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS';
const TRUST_ROOT_SHA = 'linkerd.io/trust-root-sha256';
const PROXY_ADMIN_PORT = 4191;
const ISSUANCE_LIFETIME_MS = 24 * 3_600_000;

/** A proxy asks identity for a new certificate once its current one has lived 70% of its lifetime (upstream's proxy identity client). */
const RENEW_AT_SHARE_OF_LIFETIME = 0.7;

/**
 * Identity, as far as proxies' certificates go: the issuer the identity
 * controller holds (loaded at install and at each simulateIssuerReload), and
 * per meshed pod the issuer it held when the pod's proxy last asked for its
 * certificate (at start, and at each renewal: renewProxyCertificates), and
 * when. The proxy's admin port answers a TLS handshake naming the proxy's
 * identity with that certificate (and its issuer), as upstream's `linkerd
 * identity` reads it. Certificates are made at the first handshake.
 */
interface ProxyIdentity {
  identity: string;
  issuer: { certPem: string; keyPem: string };
  issuedAt: Date;
  credentials?: Promise<{ certPem: string; keyPem: string }>;
}
const loadedIssuer = new WeakMap<object, { certPem: string; keyPem: string }>();
const proxyIdentities = new WeakMap<object, Map<string, ProxyIdentity>>();

function proxyIdentitiesOf(cluster: TestCluster): Map<string, ProxyIdentity> {
  let m = proxyIdentities.get(cluster.apiServer);
  if (!m) {
    const map = new Map<string, ProxyIdentity>();
    proxyIdentities.set(cluster.apiServer, (m = map));
    cluster.apiServer.pods.serveTls((pod, port) => {
      const p = port === PROXY_ADMIN_PORT ? map.get(`${pod.metadata.namespace}/${pod.metadata.name}`) : undefined;
      if (!p) return undefined;
      return {
        serverName: p.identity,
        credentials: () => {
          // What this proxy holds now: a renewal between handshakes replaces it.
          const { issuer, issuedAt } = p;
          return (p.credentials ??= proxyCert(issuer, p.identity, issuedAt, ISSUANCE_LIFETIME_MS).then((leaf) => ({ certPem: `${leaf.certPem.trim()}\n${issuer.certPem.trim()}\n`, keyPem: leaf.keyPem })));
        },
      };
    });
  }
  return m;
}

/**
 * What the meshed proxies' identity clients do as time passes, on a clock the
 * caller controls (no timers): at `now`, every proxy whose certificate has
 * lived 70% of its lifetime asks identity for a new one, and identity signs it
 * with the issuer it holds now (the installed one, or the one the last
 * simulateIssuerReload loaded), valid from `now`. No pod restarts. Only the
 * proxies in `namespace` when given. Returns the renewed pods as
 * "namespace/name", sorted.
 */
export function renewProxyCertificates(cluster: TestCluster, options: { now: Date; namespace?: string }): string[] {
  const issuer = loadedIssuer.get(cluster.apiServer);
  if (!issuer) return [];
  const renewed: string[] = [];
  const identities = proxyIdentitiesOf(cluster);
  for (const [key, p] of identities) {
    const [namespace, name] = key.split('/') as [string, string];
    if (!cluster.get<Pod>('v1', 'Pod', namespace, name)) {
      identities.delete(key); // the pod is gone (restarted, scaled down): no proxy left to renew
      continue;
    }
    if (options.namespace !== undefined && namespace !== options.namespace) continue;
    if (options.now.getTime() < p.issuedAt.getTime() + RENEW_AT_SHARE_OF_LIFETIME * ISSUANCE_LIFETIME_MS) continue;
    p.issuer = issuer;
    p.issuedAt = options.now;
    p.credentials = undefined;
    renewed.push(key);
  }
  return renewed.sort();
}

interface LinkerdValues {
  identityTrustAnchorsPEM?: string;
  identityTrustDomain?: string;
}

/** Parsed linkerd-config values by their text: every pod made ready reads them, and they seldom change. */
const parsedValues = new Map<string, LinkerdValues | undefined>();

/** The values of the cluster's linkerd-config (undefined when missing or not YAML). */
function linkerdValues(cluster: TestCluster, linkerdNamespace: string): LinkerdValues | undefined {
  const text = cluster.get<ConfigMap>('v1', 'ConfigMap', linkerdNamespace, 'linkerd-config')?.data?.values ?? '';
  if (!parsedValues.has(text)) {
    let values: LinkerdValues | undefined;
    try {
      values = (yaml.load(text) ?? undefined) as LinkerdValues | undefined;
    } catch {
      values = undefined;
    }
    if (parsedValues.size >= 32) parsedValues.delete(parsedValues.keys().next().value!);
    parsedValues.set(text, values);
  }
  return parsedValues.get(text);
}

/** identityTrustAnchorsPEM of the cluster's linkerd-config: what the proxy injector puts into proxies. */
function injectedTrustAnchors(cluster: TestCluster, linkerdNamespace: string): string | undefined {
  return linkerdValues(cluster, linkerdNamespace)?.identityTrustAnchorsPEM;
}

/**
 * The proxy's trust as upstream sets it: injected pods carry the bundle as an
 * env value (and its digest as annotation); control-plane pods read it from
 * ConfigMap linkerd-identity-trust-roots at start (their template carries the digest).
 */
function proxyTrust(cluster: TestCluster, namespace: string, linkerdNamespace: string): { env: EnvVar; annotations: Record<string, string> } {
  if (namespace === linkerdNamespace) {
    return { env: { name: TRUST_ANCHORS_ENV, valueFrom: { configMapKeyRef: { name: 'linkerd-identity-trust-roots', key: 'ca-bundle.crt' } } }, annotations: {} };
  }
  const pem = injectedTrustAnchors(cluster, linkerdNamespace) ?? '';
  return { env: { name: TRUST_ANCHORS_ENV, value: pem }, annotations: { [TRUST_ROOT_SHA]: createHash('sha256').update(pem).digest('hex') } };
}

/**
 * Mark a Deployment ready the way the deployment controller and kubelet
 * would: status counters and conditions, and ready Pods built from its
 * template (meshed ones carry the linkerd-proxy container). Idempotent.
 */
export function markDeploymentReady(cluster: TestCluster, namespace: string, name: string, options: ReadyOptions = {}): void {
  const d = cluster.get<Deployment>('apps/v1', 'Deployment', namespace, name);
  if (!d) throw new Error(`markDeploymentReady: no Deployment ${namespace}/${name} in ${cluster.name}`);
  const replicas: number = d.spec?.replicas ?? 1;
  const tmpl = d.spec?.template ?? {};
  const lnsp = options.linkerdNamespace ?? 'linkerd';
  const injectAnn = tmpl.metadata?.annotations?.['linkerd.io/inject'];
  const meshed = options.meshed ?? (injectAnn === 'enabled' || injectAnn === 'ingress');
  const podHash = hashOf(tmpl, 10);
  const labels: Record<string, string> = { ...(tmpl.metadata?.labels ?? {}), 'pod-template-hash': podHash };
  if (meshed) {
    labels['linkerd.io/control-plane-ns'] = lnsp;
    labels['linkerd.io/proxy-deployment'] = name;
    labels['linkerd.io/workload-ns'] = namespace;
  }
  const owned = cluster.list<Pod>('v1', 'Pod', namespace).filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === d.metadata.uid));
  // a new template replaces the Pods of the old one, as a finished rollout does
  for (const p of owned) if (p.metadata.labels?.['pod-template-hash'] !== podHash) cluster.remove('v1', 'Pod', namespace, p.metadata.name);
  const existing = owned.filter((p) => p.metadata.labels?.['pod-template-hash'] === podHash);
  for (const p of existing.slice(replicas)) cluster.remove('v1', 'Pod', namespace, p.metadata.name);
  const now = (options.startedAt ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z');
  const trust = meshed ? proxyTrust(cluster, namespace, lnsp) : undefined;
  for (let i = existing.length; i < replicas; i++) {
    const containers: Container[] = [...(tmpl.spec?.containers ?? [])];
    if (meshed && !containers.some((c) => c.name === 'linkerd-proxy')) {
      containers.unshift({
        name: 'linkerd-proxy',
        image: `cr.l5d.io/linkerd/proxy:${SIM_LINKERD_VERSION}`,
        env: [
          { name: '_pod_ns', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: '_pod_sa', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
          trust!.env,
          { name: 'LINKERD2_PROXY_IDENTITY_LOCAL_NAME', value: `$(_pod_sa).$(_pod_ns).serviceaccount.identity.${lnsp}.${trustDomainOf(cluster, lnsp)}` },
        ],
        ports: [{ name: 'linkerd-proxy', containerPort: 4143 }, { name: 'linkerd-admin', containerPort: PROXY_ADMIN_PORT }],
      });
    }
    const ip = nextPodIp(cluster);
    const podName = `${name}-${podHash}-${randomBytes(3).toString('hex').slice(0, 5)}`;
    const issuer = loadedIssuer.get(cluster.apiServer);
    if (meshed && issuer) {
      const sa = tmpl.spec?.serviceAccountName ?? 'default';
      proxyIdentitiesOf(cluster).set(`${namespace}/${podName}`, { identity: `${sa}.${namespace}.serviceaccount.identity.${lnsp}.${trustDomainOf(cluster, lnsp)}`, issuer, issuedAt: options.startedAt ?? new Date() });
    }
    cluster.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName,
        namespace,
        labels,
        annotations: { ...(tmpl.metadata?.annotations ?? {}), ...(meshed ? { 'linkerd.io/proxy-version': SIM_LINKERD_VERSION, 'linkerd.io/created-by': `linkerd/proxy-injector ${SIM_LINKERD_VERSION}`, ...trust!.annotations } : {}) },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-${podHash}`, uid: d.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec: { ...(tmpl.spec ?? {}), containers, serviceAccountName: tmpl.spec?.serviceAccountName ?? 'default', nodeName: `${cluster.name}-node` },
      status: {
        phase: 'Running',
        podIP: ip,
        podIPs: [{ ip }],
        hostIP: '172.18.0.2',
        startTime: now,
        conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastTransitionTime: now })),
        containerStatuses: containers.map((c) => ({ name: c.name, image: c.image, ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } })),
      },
    });
  }
  const status = {
    observedGeneration: d.metadata.generation ?? 1,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    conditions: [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: now, lastTransitionTime: now },
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${name}-${podHash}" has successfully progressed.`, lastUpdateTime: now, lastTransitionTime: now },
    ],
  };
  const same = (a: object, b: object) => JSON.stringify({ ...a, conditions: undefined }) === JSON.stringify({ ...b, conditions: undefined });
  if (!same(d.status ?? {}, status)) cluster.put({ ...d, status });
}

/** Mark every Deployment of a namespace ready (see markDeploymentReady). */
export function markDeploymentsReady(cluster: TestCluster, namespace: string, options: ReadyOptions = {}): void {
  for (const d of cluster.list('apps/v1', 'Deployment', namespace)) markDeploymentReady(cluster, namespace, d.metadata.name, options);
}

/** Endpoints + EndpointSlice of a Service from the ready Pods its selector matches. */
export function syncEndpoints(cluster: TestCluster, namespace: string, service: string): void {
  const svc = cluster.get<Service>('v1', 'Service', namespace, service);
  if (!svc?.spec?.selector) return;
  const sel = svc.spec.selector;
  const pods = cluster.list<Pod>('v1', 'Pod', namespace).filter((p) => Object.entries(sel).every(([k, v]) => p.metadata.labels?.[k] === v) && p.status?.podIP);
  const ports = (svc.spec.ports ?? []).map((p) => ({ ...(p.name ? { name: p.name } : {}), port: typeof p.targetPort === 'number' ? p.targetPort : p.port, protocol: p.protocol ?? 'TCP' }));
  const addresses = pods.map((p) => ({ ip: p.status!.podIP!, nodeName: p.spec?.nodeName, targetRef: { kind: 'Pod', name: p.metadata.name, namespace, uid: p.metadata.uid } }));
  cluster.put({
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: service, namespace, labels: svc.metadata.labels ?? {} },
    subsets: addresses.length > 0 ? [{ addresses, ports }] : [],
  });
  cluster.put({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-${hashOf(service, 5)}`, namespace, labels: { ...(svc.metadata.labels ?? {}), 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
    addressType: 'IPv4',
    endpoints: addresses.map((a) => ({ addresses: [a.ip], conditions: { ready: true, serving: true, terminating: false }, nodeName: a.nodeName, targetRef: a.targetRef })),
    ports,
  });
}

/**
 * What the deployment and endpoints controllers and the kubelet would do for
 * objects applied over HTTP (e.g. `mc install | kubectl apply -f -`): every
 * Deployment of the namespace (or of all namespaces) gets ready Pods, every
 * Service with a selector gets Endpoints/EndpointSlices.
 */
export function settleWorkloads(cluster: TestCluster, namespace?: string, options: ReadyOptions = {}): void {
  const namespaces = namespace ? [namespace] : cluster.list('v1', 'Namespace').map((n) => n.metadata.name);
  for (const ns of namespaces) {
    markDeploymentsReady(cluster, ns, options);
    for (const svc of cluster.list<Service>('v1', 'Service', ns)) if (svc.spec?.selector) syncEndpoints(cluster, ns, svc.metadata.name);
  }
}

// ------------------------------------------------------------------ control plane

function crd(group: string, kind: string, plural: string, versions: string[], scope: 'Namespaced' | 'Cluster' = 'Namespaced', extra: { shortNames?: string[]; labels?: Record<string, string> } = {}): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}`, labels: { 'linkerd.io/control-plane-ns': 'linkerd', ...(extra.labels ?? {}) }, annotations: { 'linkerd.io/created-by': `linkerd/helm ${SIM_LINKERD_VERSION}` } },
    spec: {
      group,
      scope,
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List`, ...(extra.shortNames ? { shortNames: extra.shortNames } : {}), categories: ['policy'] },
      versions: versions.map((name, i) => ({
        name,
        served: true,
        storage: i === versions.length - 1,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        ...(kind === 'HTTPRoute' ? { subresources: { status: {} } } : {}),
      })),
    },
  };
}

/** The CRDs `linkerd install --crds` puts in (the ones our manifests use, and their neighbours). */
export function linkerdCrds(): KubeObject[] {
  return [
    crd('policy.linkerd.io', 'Server', 'servers', ['v1alpha1', 'v1beta1', 'v1beta2', 'v1beta3'], 'Namespaced', { shortNames: ['srv'] }),
    crd('policy.linkerd.io', 'ServerAuthorization', 'serverauthorizations', ['v1alpha1', 'v1beta1'], 'Namespaced', { shortNames: ['saz', 'serverauthz'] }),
    crd('policy.linkerd.io', 'AuthorizationPolicy', 'authorizationpolicies', ['v1alpha1'], 'Namespaced', { shortNames: ['authzpolicy'] }),
    crd('policy.linkerd.io', 'MeshTLSAuthentication', 'meshtlsauthentications', ['v1alpha1'], 'Namespaced', { shortNames: ['meshtlsauthn'] }),
    crd('policy.linkerd.io', 'NetworkAuthentication', 'networkauthentications', ['v1alpha1'], 'Namespaced', { shortNames: ['netauthn', 'networkauthn'] }),
    crd('policy.linkerd.io', 'HTTPRoute', 'httproutes', ['v1alpha1', 'v1beta1', 'v1beta2', 'v1beta3']),
    crd('policy.linkerd.io', 'HTTPLocalRateLimitPolicy', 'httplocalratelimitpolicies', ['v1alpha1']),
    crd('policy.linkerd.io', 'EgressNetwork', 'egressnetworks', ['v1alpha1']),
    crd('linkerd.io', 'ServiceProfile', 'serviceprofiles', ['v1alpha1', 'v1alpha2'], 'Namespaced', { shortNames: ['sp'] }),
    crd('workload.linkerd.io', 'ExternalWorkload', 'externalworkloads', ['v1alpha1', 'v1beta1']),
  ];
}

/** linkerd-config's `values`: the control plane's Helm values as upstream writes them (keys left out where we do not need them). */
export function linkerdConfigValues(certs: LinkerdCerts, trustDomain: string, clusterDomain: string): object {
  return {
    clusterDomain,
    clusterNetworks: '10.0.0.0/8,100.64.0.0/10,172.16.0.0/12,192.168.0.0/16,fd00::/8',
    cniEnabled: false,
    controlPlaneTracing: false,
    controlPlaneTracingNamespace: 'linkerd-jaeger',
    controllerImage: 'cr.l5d.io/linkerd/controller',
    controllerLogFormat: 'plain',
    controllerLogLevel: 'info',
    controllerReplicas: 1,
    controllerUID: 2103,
    controllerGID: -1,
    debugContainer: { image: { name: 'cr.l5d.io/linkerd/debug', pullPolicy: '', version: SIM_LINKERD_VERSION } },
    deploymentStrategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    disableHeartBeat: false,
    enableEndpointSlices: true,
    enablePodAntiAffinity: false,
    enablePodDisruptionBudget: false,
    highAvailability: false,
    identity: {
      externalCA: false,
      issuer: {
        clockSkewAllowance: '20s',
        issuanceLifetime: '24h0m0s',
        scheme: 'linkerd.io/tls',
        tls: { crtPEM: certs.issuerCertPem },
      },
      kubeAPI: { clientBurst: 200, clientQPS: 100 },
      serviceAccountTokenProjection: true,
    },
    identityTrustAnchorsPEM: certs.trustAnchorsPem,
    identityTrustDomain: trustDomain,
    imagePullPolicy: 'IfNotPresent',
    imagePullSecrets: [],
    linkerdVersion: SIM_LINKERD_VERSION,
    policyController: { image: { name: 'cr.l5d.io/linkerd/policy-controller', pullPolicy: '', version: '' }, logLevel: 'info' },
    podAnnotations: {},
    podLabels: {},
    proxy: {
      image: { name: 'cr.l5d.io/linkerd/proxy', pullPolicy: '', version: '' },
      logLevel: 'warn,linkerd=info,hickory=error',
      logFormat: 'plain',
      ports: { admin: 4191, control: 4190, inbound: 4143, outbound: 4140 },
      uid: 2102,
      gid: -1,
      opaquePorts: '25,587,3306,4444,5432,6379,9300,11211',
      outboundConnectTimeout: '1000ms',
      inboundConnectTimeout: '100ms',
      enableExternalProfiles: false,
      requireIdentityOnInboundPorts: '',
      waitBeforeExitSeconds: 0,
    },
    proxyInit: {
      image: { name: 'cr.l5d.io/linkerd/proxy-init', pullPolicy: '', version: 'v2.4.3' },
      ignoreInboundPorts: '4567,4568',
      ignoreOutboundPorts: '4567,4568',
      logFormat: '',
      logLevel: '',
      runAsRoot: false,
      runAsUser: 65534,
      skipSubnets: '',
      xtMountPath: { mountPath: '/run', name: 'linkerd-proxy-init-xtables-lock' },
    },
    proxyInjector: { externalSecret: false, namespaceSelector: { matchExpressions: [{ key: 'config.linkerd.io/admission-webhooks', operator: 'NotIn', values: ['disabled'] }, { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'cert-manager'] }] } },
    webhookFailurePolicy: 'Ignore',
  };
}

/**
 * A Linkerd control plane as `linkerd install` leaves it, from the files
 * `mc certs generate` writes: namespace, linkerd-config, the trust roots,
 * the issuer Secret, the policy CRDs, and ready control-plane workloads.
 */
export function installSimulatedLinkerd(cluster: TestCluster, certs: LinkerdCerts, options: { trustDomain?: string; clusterDomain?: string; namespace?: string } = {}): void {
  const ns = options.namespace ?? 'linkerd';
  const trustDomain = options.trustDomain ?? 'cluster.local';
  const clusterDomain = options.clusterDomain ?? 'cluster.local';
  const createdBy = { 'linkerd.io/created-by': `linkerd/cli ${SIM_LINKERD_VERSION}` };
  // The identity controller starts with the installed issuer.
  loadedIssuer.set(cluster.apiServer, { certPem: certs.issuerCertPem, keyPem: certs.issuerKeyPem });
  for (const c of linkerdCrds()) cluster.put(c);
  cluster.put({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: ns,
      annotations: { 'linkerd.io/inject': 'disabled' },
      labels: { 'linkerd.io/is-control-plane': 'true', 'config.linkerd.io/admission-webhooks': 'disabled', 'linkerd.io/control-plane-ns': ns, 'pod-security.kubernetes.io/enforce': 'privileged' },
    },
  });
  const cpLabels = (component: string) => ({ 'linkerd.io/control-plane-component': component, 'linkerd.io/control-plane-ns': ns });
  cluster.put({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'linkerd-config', namespace: ns, labels: cpLabels('controller'), annotations: createdBy },
    data: {
      'linkerd-crds-chart-version': 'linkerd-crds-1.0.0-edge',
      values: yaml.dump(linkerdConfigValues(certs, trustDomain, clusterDomain), { lineWidth: -1, sortKeys: true }),
    },
  });
  cluster.put({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'linkerd-identity-trust-roots', namespace: ns, labels: cpLabels('identity'), annotations: createdBy },
    data: { 'ca-bundle.crt': certs.trustAnchorsPem },
  });
  cluster.put({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'linkerd-identity-issuer', namespace: ns, labels: cpLabels('identity'), annotations: { ...createdBy, 'linkerd.io/identity-issuer-expiry': issuerExpiry(certs.issuerCertPem) } },
    data: { 'crt.pem': b64(certs.issuerCertPem), 'key.pem': b64(certs.issuerKeyPem) },
  });
  const components: Array<{ name: string; component: string; sa: string; ports: Array<{ name: string; port: number }> }> = [
    { name: 'linkerd-identity', component: 'identity', sa: 'linkerd-identity', ports: [{ name: 'grpc', port: 8080 }] },
    { name: 'linkerd-destination', component: 'destination', sa: 'linkerd-destination', ports: [{ name: 'grpc', port: 8086 }] },
    { name: 'linkerd-proxy-injector', component: 'proxy-injector', sa: 'linkerd-proxy-injector', ports: [{ name: 'proxy-injector', port: 443 }] },
  ];
  for (const c of components) {
    cluster.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: c.sa, namespace: ns, labels: cpLabels(c.component) } });
    const podLabels = { ...cpLabels(c.component), 'linkerd.io/workload-ns': ns };
    cluster.put({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: c.name, namespace: ns, labels: { ...cpLabels(c.component), 'app.kubernetes.io/name': c.component, 'app.kubernetes.io/part-of': 'Linkerd', 'app.kubernetes.io/version': SIM_LINKERD_VERSION }, annotations: createdBy },
      spec: {
        replicas: 1,
        selector: { matchLabels: { 'linkerd.io/control-plane-component': c.component, 'linkerd.io/control-plane-ns': ns, 'linkerd.io/proxy-deployment': c.name } },
        template: {
          metadata: { labels: { ...podLabels, 'linkerd.io/proxy-deployment': c.name }, annotations: { 'linkerd.io/inject': 'enabled', ...createdBy, [TRUST_ROOT_SHA]: createHash('sha256').update(certs.trustAnchorsPem).digest('hex') } },
          spec: { serviceAccountName: c.sa, containers: [{ name: c.component, image: `cr.l5d.io/linkerd/controller:${SIM_LINKERD_VERSION}` }] },
        },
      },
    });
    markDeploymentReady(cluster, ns, c.name, { meshed: true, linkerdNamespace: ns });
  }
  const services: Array<{ name: string; component: string; ports: Array<{ name: string; port: number; targetPort: number }> }> = [
    { name: 'linkerd-identity', component: 'identity', ports: [{ name: 'grpc', port: 8080, targetPort: 8080 }] },
    { name: 'linkerd-identity-headless', component: 'identity', ports: [{ name: 'grpc', port: 8080, targetPort: 8080 }] },
    { name: 'linkerd-dst', component: 'destination', ports: [{ name: 'grpc', port: 8086, targetPort: 8086 }] },
    { name: 'linkerd-dst-headless', component: 'destination', ports: [{ name: 'grpc', port: 8086, targetPort: 8086 }] },
    { name: 'linkerd-policy', component: 'destination', ports: [{ name: 'grpc', port: 8090, targetPort: 8090 }] },
    { name: 'linkerd-sp-validator', component: 'destination', ports: [{ name: 'sp-validator', port: 443, targetPort: 8443 }] },
    { name: 'linkerd-policy-validator', component: 'destination', ports: [{ name: 'policy-https', port: 443, targetPort: 9443 }] },
    { name: 'linkerd-proxy-injector', component: 'proxy-injector', ports: [{ name: 'proxy-injector', port: 443, targetPort: 8443 }] },
  ];
  for (const s of services) {
    cluster.put({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: s.name, namespace: ns, labels: cpLabels(s.component), annotations: createdBy },
      spec: { type: 'ClusterIP', selector: { 'linkerd.io/control-plane-component': s.component }, ports: s.ports.map((p) => ({ ...p, protocol: 'TCP' })), ...(s.name.endsWith('-headless') ? { clusterIP: 'None' } : {}) },
    });
    syncEndpoints(cluster, ns, s.name);
  }
}

/**
 * What Linkerd's identity controller does when Secret linkerd-identity-issuer
 * changes (it watches the files the Secret is mounted as): load the new
 * issuer and record a Normal Event "IssuerUpdated" on its Deployment, at `at`
 * (default now). Proxies that start or renew (renewProxyCertificates) from
 * then on get certificates from the new issuer.
 */
export function simulateIssuerReload(cluster: TestCluster, options: { namespace?: string; at?: Date } = {}): void {
  const ns = options.namespace ?? 'linkerd';
  // From now on proxies that start or renew get certificates of the issuer in the Secret.
  const secret = cluster.get<Secret>('v1', 'Secret', ns, 'linkerd-identity-issuer');
  const certPem = fromB64(secret?.data?.['crt.pem']);
  const keyPem = fromB64(secret?.data?.['key.pem']);
  if (certPem && keyPem) loadedIssuer.set(cluster.apiServer, { certPem, keyPem });
  const at = (options.at ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z');
  cluster.put({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `linkerd-identity.${randomBytes(8).toString('hex')}`, namespace: ns },
    involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'linkerd-identity', namespace: ns },
    reason: 'IssuerUpdated',
    message: 'Updated identity issuer',
    type: 'Normal',
    source: { component: 'linkerd-identity' },
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  });
}

function issuerExpiry(pem: string): string {
  try {
    return new Date(new X509Certificate(pem).validTo).toISOString().replace(/\.\d+Z$/, 'Z');
  } catch {
    return '';
  }
}

/** Trust domain the control plane of a cluster uses (from linkerd-config), default cluster.local. */
function trustDomainOf(cluster: TestCluster, linkerdNamespace = 'linkerd'): string {
  return linkerdValues(cluster, linkerdNamespace)?.identityTrustDomain || 'cluster.local';
}

// ------------------------------------------------------------------ gateway and workload

/**
 * An Ambassador-style gateway, as in the talk: namespace ambassador, Service
 * ambassador of type LoadBalancer with an ingress IP, ports mc-gateway (4143)
 * and mc-probe (4191), and the mirror.linkerd.io gateway annotations.
 */
export function addAmbassadorGateway(cluster: TestCluster, options: { address?: string; identity?: string; namespace?: string; name?: string } = {}): void {
  const ns = options.namespace ?? 'ambassador';
  const name = options.name ?? 'ambassador';
  const identity = options.identity ?? `${name}.${ns}.serviceaccount.identity.linkerd.${trustDomainOf(cluster)}`;
  const selector = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name };
  putIngressWorkload(cluster, {
    namespace: ns,
    name,
    namespaceAnnotations: { 'linkerd.io/inject': 'enabled' },
    labels: { ...selector, product: 'aes' },
    selector,
    podAnnotations: { 'linkerd.io/inject': 'enabled', 'config.linkerd.io/skip-inbound-ports': '8080,8443', 'config.linkerd.io/enable-gateway': 'true', 'config.linkerd.io/proxy-require-identity-inbound-ports': '4143' },
    container: { name: 'ambassador', image: 'docker.io/datawire/aes:3.9.1', ports: [{ name: 'http', containerPort: 8080 }, { name: 'https', containerPort: 8443 }, { name: 'admin', containerPort: 8877 }] },
    meshed: true,
    serviceAnnotations: {
      [MirrorLabels.gatewayIdentity]: identity,
      [MirrorLabels.probePath]: '/ready',
      [MirrorLabels.probePeriod]: '3',
    },
    servicePorts: [
      { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
      { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
      { name: 'mc-gateway', port: 4143, targetPort: 4143, protocol: 'TCP' },
      { name: 'mc-probe', port: 4191, targetPort: 4191, protocol: 'TCP' },
    ],
    address: options.address ?? '192.0.2.10',
  });
}

/**
 * What an ingress's chart installs, in this order: Namespace, ServiceAccount
 * NAME, a ready Deployment NAME of one container, a LoadBalancer Service NAME
 * with an ingress address, and its Endpoints. The gateway and the plain
 * ingresses differ only in these fields (the adopt-gateway tests compare the
 * objects as they are).
 */
interface IngressWorkload {
  namespace: string;
  name: string;
  namespaceAnnotations?: Record<string, string>;
  labels: Record<string, string>;
  /** The Deployment's and the Service's selector. */
  selector: Record<string, string>;
  podAnnotations: Record<string, string>;
  container: Container;
  meshed: boolean;
  serviceAnnotations: Record<string, string>;
  servicePorts: ServicePort[];
  address: string;
}

function putIngressWorkload(cluster: TestCluster, w: IngressWorkload): void {
  const { namespace: ns, name, labels } = w;
  cluster.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, ...(w.namespaceAnnotations ? { annotations: w.namespaceAnnotations } : {}) } });
  cluster.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns, labels } });
  cluster.put({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: w.selector },
      template: {
        metadata: { labels, annotations: w.podAnnotations },
        spec: { serviceAccountName: name, containers: [w.container] },
      },
    },
  });
  markDeploymentReady(cluster, ns, name, { meshed: w.meshed });
  cluster.put({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels, annotations: w.serviceAnnotations },
    spec: { type: 'LoadBalancer', selector: w.selector, ports: w.servicePorts },
    status: { loadBalancer: { ingress: [{ ip: w.address, ipMode: 'VIP' }] } },
  });
  syncEndpoints(cluster, ns, name);
}

export type IngressFlavor = 'ambassador-1' | 'emissary-3' | 'nginx';

/** Minimal getambassador.io CRDs (Module, Mapping) serving `versions` (the last one stored), as the ingress's own chart installs them. */
export function ambassadorCrds(versions: string[]): KubeObject[] {
  return (['Module', 'Mapping'] as const).map((kind) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${kind.toLowerCase()}s.getambassador.io`, labels: { 'app.kubernetes.io/name': 'ambassador' } },
    spec: {
      group: 'getambassador.io',
      scope: 'Namespaced',
      names: { kind, plural: `${kind.toLowerCase()}s`, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: versions.map((name, i) => ({ name, served: true, storage: i === versions.length - 1, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } })),
    },
  }));
}

/**
 * An ingress as its own chart installs it, NOT yet a multicluster gateway
 * (what `mc adopt-gateway` starts from): Ambassador 1.x (getambassador.io/v2
 * CRDs), Emissary-ingress 3.x (v2 and v3alpha1, with a Module that already
 * has other config), or a plain nginx. Namespace, ServiceAccount, a ready
 * Deployment (not meshed), a LoadBalancer Service with ports http 80 and
 * https 443 and an ingress address.
 */
export function addIngress(cluster: TestCluster, options: { flavor: IngressFlavor; name?: string; namespace?: string; address?: string }): void {
  const flavor = options.flavor;
  const ns = options.namespace ?? (flavor === 'emissary-3' ? 'emissary' : flavor === 'nginx' ? 'ingress-nginx' : 'ambassador');
  const name = options.name ?? (flavor === 'emissary-3' ? 'emissary-ingress' : flavor === 'nginx' ? 'ingress-nginx-controller' : 'ambassador');
  const image = { 'ambassador-1': 'docker.io/datawire/ambassador:1.14.4', 'emissary-3': 'docker.io/emissaryingress/emissary:3.9.1', nginx: 'registry.k8s.io/ingress-nginx/controller:v1.11.2' }[flavor];
  const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name };
  if (flavor === 'ambassador-1') for (const c of ambassadorCrds(['v1', 'v2'])) cluster.put(c);
  if (flavor === 'emissary-3') for (const c of ambassadorCrds(['v1', 'v2', 'v3alpha1'])) cluster.put(c);
  putIngressWorkload(cluster, {
    namespace: ns,
    name,
    labels,
    selector: labels,
    podAnnotations: { 'prometheus.io/scrape': 'true' },
    container: { name: flavor === 'nginx' ? 'controller' : 'ambassador', image, ports: flavor === 'nginx' ? [{ name: 'http', containerPort: 80 }, { name: 'https', containerPort: 443 }] : [{ name: 'http', containerPort: 8080 }, { name: 'https', containerPort: 8443 }, { name: 'admin', containerPort: 8877 }] },
    meshed: false,
    serviceAnnotations: { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' },
    servicePorts: [
      { name: 'http', port: 80, targetPort: flavor === 'nginx' ? 'http' : 8080, protocol: 'TCP' },
      { name: 'https', port: 443, targetPort: flavor === 'nginx' ? 'https' : 8443, protocol: 'TCP' },
    ],
    address: options.address ?? '192.0.2.20',
  });
  if (flavor === 'emissary-3') {
    cluster.put({ apiVersion: 'getambassador.io/v3alpha1', kind: 'Module', metadata: { name: 'ambassador', namespace: ns }, spec: { config: { diagnostics: { enabled: false } } } });
  }
}

/** A podinfo-like workload: Service podinfo (9898), ready meshed Pods, Endpoints. */
export function addPodinfo(cluster: TestCluster, options: { namespace?: string; exported?: boolean; replicas?: number; name?: string } = {}): void {
  const ns = options.namespace ?? 'test';
  const name = options.name ?? 'podinfo';
  const labels = { app: name };
  cluster.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, annotations: { 'linkerd.io/inject': 'enabled' } } });
  cluster.put({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels },
    spec: {
      replicas: options.replicas ?? 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations: { 'linkerd.io/inject': 'enabled' } },
        spec: {
          containers: [
            {
              name: 'podinfod',
              image: 'ghcr.io/stefanprodan/podinfo:6.7.1',
              command: ['./podinfo', '--port=9898', '--level=info'],
              ports: [{ name: 'http', containerPort: 9898, protocol: 'TCP' }],
              env: [{ name: 'PODINFO_UI_MESSAGE', value: `greetings from ${cluster.name}` }],
            },
          ],
        },
      },
    },
  });
  markDeploymentReady(cluster, ns, name, { meshed: true });
  const existing = cluster.get<Service>('v1', 'Service', ns, name);
  const svcLabels: Record<string, string> = { ...(existing?.metadata?.labels ?? {}), ...labels };
  if (options.exported) svcLabels[MirrorLabels.exported] = 'true';
  cluster.put({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels: svcLabels },
    spec: { type: 'ClusterIP', selector: labels, ports: [{ name: 'http', port: 9898, targetPort: 9898, protocol: 'TCP' }] },
  });
  syncEndpoints(cluster, ns, name);
}

// ------------------------------------------------------------------ service mirror

/** metav1.LabelSelector → matcher; an empty or missing selector selects nothing (as upstream). */
function selectorMatcher(sel: LabelSelector | undefined): (labels: Record<string, string> | undefined) => boolean {
  if (!sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)) return () => false;
  const parts: string[] = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const vals = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${vals})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
    else return () => false;
  }
  try {
    return parseLabelSelector(parts.join(','));
  } catch {
    return () => false;
  }
}

export interface ServiceMirrorSimulation {
  /** One reconciliation of every Link (reads the remotes over HTTPS). */
  syncOnce(): Promise<void>;
  stop(): void;
  /** Last error per Link ("namespace/name"), e.g. a refused token; empty when all went well. */
  errors: Map<string, string>;
  /** The mirrors' Leases and admin /metrics (gateway probes per target; faults of the admin port). */
  admin: MirrorAdmin;
}

/** The server and identity of a credentials kubeconfig's current context, as the service mirror reads them (inline data only). */
function credentialsTarget(text: string, source: string): HttpsTarget {
  interface Named<T> {
    name: string;
    [field: string]: T | string;
  }
  const cfg = (yaml.load(text) ?? {}) as { 'current-context'?: string; contexts?: Array<Named<{ cluster: string; user: string }>>; clusters?: Array<Named<Record<string, string>>>; users?: Array<Named<Record<string, string>>> };
  const pick = <T>(list: Array<Named<T>> | undefined, name: string | undefined, field: string): T => {
    const entry = list?.find((e) => e.name === name)?.[field];
    if (entry === undefined || typeof entry === 'string') throw new Error(`${source}: no ${field} "${name}"`);
    return entry;
  };
  const context = pick(cfg.contexts, cfg['current-context'], 'context');
  const cluster = pick(cfg.clusters, context.cluster, 'cluster');
  const user = pick(cfg.users, context.user, 'user');
  if (!cluster.server) throw new Error(`${source}: the cluster has no server`);
  return { server: cluster.server, ca: fromB64(cluster['certificate-authority-data']), token: user.token, cert: fromB64(user['client-certificate-data']), key: fromB64(user['client-key-data']) };
}

/** The items of a list from a remote cluster; a refusal is an error with the server's message. */
async function listRemote<T extends KubeObject>(target: HttpsTarget, path: string): Promise<T[]> {
  const reply = await httpsRequest(target, 'GET', path, { timeoutMs: 5000 });
  if (reply.status !== 200) throw new Error(`GET ${path} on ${target.server}: ${(reply.body as { message?: string } | undefined)?.message ?? `HTTP ${reply.status}`}`);
  const items = field(reply.body, 'items');
  return Array.isArray(items) ? (items as T[]) : [];
}

const LINK_VERSIONS = ['multicluster.linkerd.io/v1alpha3', 'multicluster.linkerd.io/v1alpha2', 'multicluster.linkerd.io/v1alpha1'];

function listLinks(cluster: TestCluster): Link[] {
  for (const v of LINK_VERSIONS) {
    const items = cluster.list<Link>(v, 'Link');
    if (items.length > 0) return items;
  }
  return [];
}

/** What the mirror writes: a Service (ports) or its Endpoints (subsets). */
type MirrorObject = KubeObject & { spec?: { ports?: ServicePort[] }; subsets?: EndpointSubset[] };

/** A mirror's ports: the remote Service's, with defaults filled as the API server would. */
function mirrorPorts(svc: Service): Array<{ name?: string; protocol: string; port: number; targetPort: number | string }> {
  return (svc.spec?.ports ?? []).map((p) => ({ ...(p.name ? { name: p.name } : {}), protocol: p.protocol ?? 'TCP', port: p.port, targetPort: p.targetPort ?? p.port }));
}

/** Put only when the fields we own differ (keeps resourceVersions still when nothing changed). */
function putIfChanged(cluster: TestCluster, obj: MirrorObject): void {
  const cur = cluster.get<MirrorObject>(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name);
  if (cur) {
    const pick = (o: MirrorObject) => JSON.stringify({ labels: o.metadata.labels ?? {}, annotations: o.metadata.annotations ?? {}, ports: o.spec?.ports?.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort ?? p.port })), subsets: o.subsets ?? [] });
    if (pick(cur) === pick(obj)) return;
    const next: MirrorObject = { ...cur, metadata: { ...cur.metadata, labels: obj.metadata.labels, annotations: obj.metadata.annotations } };
    if (obj.spec) next.spec = { ...cur.spec, ports: obj.spec.ports };
    if (obj.kind === 'Endpoints') next.subsets = obj.subsets;
    cluster.put(next);
    return;
  }
  cluster.put(obj);
}

/**
 * A SIMULATED service mirror for every Link in `clusterName`: reads the
 * target cluster through the Link's credentials Secret (real HTTPS with the
 * token in it) and keeps NAME-TARGET mirrors (Service + Endpoints at the
 * Link's gateway address), the probe Endpoints (probe-gateway-TARGET, and
 * probe-TARGET of a managed controller), and the service mirror Deployments
 * and their Pods ready: legacy `link` mirrors and the extension's
 * `controllers` entries (controller-TARGET) alike. Runs every `intervalMs`
 * (default 300) until stop(); syncOnce() forces a round.
 */
export function startServiceMirrorSimulation(env: TestEnv, clusterName: string, options: { intervalMs?: number } = {}): ServiceMirrorSimulation {
  const local = env.cluster(clusterName);
  const errors = new Map<string, string>();
  const admin = serveMirrorAdmin(local);
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  /** The store's resourceVersion after the last readiness pass of a namespace: no change since, nothing to do. */
  const readyAt = new Map<string, string>();
  /** One keep-alive connection pool per remote credentials, as the mirror's client keeps (no TLS handshake per round). */
  const agents = new Map<string, Agent>();

  const reconcileLink = async (link: Link): Promise<Service[]> => {
    const ns = link.metadata.namespace ?? 'default';
    const spec = link.spec ?? {};
    const target = spec.targetClusterName;
    const key = `${ns}/${link.metadata.name}`;
    if (!target) throw new Error('the Link has no spec.targetClusterName');
    // the service mirror Deployment `link` created, and anything else in its namespace
    if (readyAt.get(ns) !== local.apiServer.store.resourceVersion) {
      markDeploymentsReady(local, ns);
      readyAt.set(ns, local.apiServer.store.resourceVersion);
    }
    const secretName: string | undefined = spec.clusterCredentialsSecret;
    const secret = secretName ? local.get<Secret>('v1', 'Secret', ns, secretName) : undefined;
    if (!secret) throw new Error(`credentials Secret ${ns}/${secretName ?? '(none)'} not found`);
    const kubeconfig = fromB64(secret.data?.kubeconfig);
    if (!kubeconfig) throw new Error(`credentials Secret ${ns}/${secretName} has no "kubeconfig" key`);
    const credentials = credentialsTarget(kubeconfig, `the credentials of Link ${key}`);
    const agentKey = JSON.stringify(credentials);
    // idle connections are let go after 1 s, well before the server's keep-alive timeout (5 s) closes them under a request
    if (!agents.has(agentKey)) agents.set(agentKey, new Agent({ keepAlive: true, timeout: 1000, ca: credentials.ca, cert: credentials.cert, key: credentials.key }));
    const remote = { ...credentials, agent: agents.get(agentKey) };
    const probeStart = Date.now();
    const [services, endpoints] = await Promise.all([listRemote<Service>(remote, '/api/v1/services'), listRemote<Endpoints>(remote, '/api/v1/endpoints')]);
    admin.probes.set(target, { enabled: gatewayEnabled(spec), alive: gatewayAnswers(spec, services, endpoints), latencyMs: Date.now() - probeStart });
    const gatewayIps = String(spec.gatewayAddress ?? '')
      .split(',')
      .map((a) => a.trim())
      .map((a) => (a === 'localhost' ? '127.0.0.1' : a))
      .filter((a) => isIP(a) !== 0)
      .sort()
      .map((ip) => ({ ip }));
    const gatewayPort = Number(spec.gatewayPort ?? 4143);
    const identity: string = spec.gatewayIdentity ?? '';
    const domain: string = spec.targetClusterDomain ?? 'cluster.local';
    const exported = selectorMatcher(spec.selector);
    const remoteDiscovery = selectorMatcher(spec.remoteDiscoverySelector);
    const federated = selectorMatcher(spec.federatedServiceSelector);
    const members = services.filter((svc) => federated(svc.metadata.labels) && svc.spec?.clusterIP !== 'None' && local.get('v1', 'Namespace', undefined, svc.metadata.namespace!));
    const baseLabels = { [MirrorLabels.mirroredService]: 'true', [MirrorLabels.clusterName]: target };

    const wanted = new Set<string>();
    for (const svc of services) {
      const labels: Record<string, string> = svc.metadata.labels ?? {};
      const isExported = exported(labels);
      const isRd = remoteDiscovery(labels);
      if (!isExported && !isRd) continue;
      if (svc.spec?.clusterIP === 'None') continue; // headless services are not simulated
      const svcNs = svc.metadata.namespace!;
      if (!local.get('v1', 'Namespace', undefined, svcNs)) continue; // upstream skips when the namespace is missing
      const mirrorName = `${svc.metadata.name}-${target}`;
      wanted.add(`${svcNs}/${mirrorName}`);
      const copied = Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith(`${MIRROR}/`)));
      const mirrorLabels: Record<string, string> = { ...copied, ...baseLabels };
      if (isRd) {
        mirrorLabels[MirrorLabels.remoteDiscovery] = target;
        mirrorLabels[MirrorLabels.remoteService] = svc.metadata.name;
      }
      const annotations: Record<string, string> = Object.fromEntries(
        Object.entries(svc.metadata.annotations ?? {}).filter(([k]) => k !== 'service.kubernetes.io/topology-aware-hints' && k !== 'service.kubernetes.io/topology-mode'),
      );
      annotations[MirrorLabels.remoteSvcFqName] = `${svc.metadata.name}.${svcNs}.svc.${domain}`;
      annotations[MirrorLabels.remoteResourceVersion] = svc.metadata.resourceVersion ?? '';
      const ports = mirrorPorts(svc);
      putIfChanged(local, { apiVersion: 'v1', kind: 'Service', metadata: { name: mirrorName, namespace: svcNs, labels: mirrorLabels, annotations }, spec: { ports } });
      if (isRd) {
        local.remove('v1', 'Endpoints', svcNs, mirrorName);
        continue;
      }
      const remoteEp = endpoints.find((e) => e.metadata.namespace === svcNs && e.metadata.name === svc.metadata.name);
      const empty = !remoteEp || !(remoteEp.subsets ?? []).some((s) => (s.addresses ?? []).length > 0);
      const epPorts = ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), protocol: p.protocol, port: gatewayPort }));
      const epAnnotations: Record<string, string> = { [MirrorLabels.remoteSvcFqName]: annotations[MirrorLabels.remoteSvcFqName]! };
      if (identity) epAnnotations[MirrorLabels.remoteGatewayIdentity] = identity;
      putIfChanged(local, {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: mirrorName, namespace: svcNs, labels: { ...baseLabels }, annotations: epAnnotations },
        subsets: empty ? [] : gatewayIps.length > 0 ? [{ addresses: gatewayIps, ports: epPorts }] : [],
      });
    }
    // mirrors whose remote service is gone or no longer exported
    for (const svc of local.list<Service>('v1', 'Service')) {
      const l = svc.metadata.labels ?? {};
      if (l[MirrorLabels.mirroredService] !== 'true' || l[MirrorLabels.clusterName] !== target) continue;
      if (wanted.has(`${svc.metadata.namespace}/${svc.metadata.name}`)) continue;
      local.remove('v1', 'Service', svc.metadata.namespace, svc.metadata.name);
      local.remove('v1', 'Endpoints', svc.metadata.namespace, svc.metadata.name);
    }
    // the gateway probe mirror: probe-gateway-TARGET of a legacy `link` mirror, and probe-TARGET
    // when the extension's `controllers` entry made it (the managed controller's -probe-service)
    if (gatewayIps.length > 0) {
      const probePort = Number(spec.probeSpec?.port ?? 4191);
      const managed = Boolean(local.get('v1', 'Service', ns, `probe-${target}`));
      const legacy = !managed || Boolean(local.get('v1', 'Service', ns, `probe-gateway-${target}`));
      const names = [...(legacy ? [`probe-gateway-${target}`] : []), ...(managed ? [`probe-${target}`] : [])];
      for (const name of names) {
        putIfChanged(local, {
          apiVersion: 'v1',
          kind: 'Endpoints',
          metadata: { name, namespace: ns, labels: { [MirrorLabels.clusterName]: target }, annotations: { [MirrorLabels.remoteGatewayIdentity]: identity } },
          subsets: [{ addresses: gatewayIps, ports: [{ name: 'mc-probe', port: probePort, protocol: 'TCP' }] }],
        });
      }
    }
    return members;
  };

  /** NAME-federated Services: members of every Link (remote-discovery) and of this cluster (local-discovery). */
  const reconcileFederated = (remote: Map<string, { svc: Service; targets: Set<string> }>, keepTargets: Set<string>): void => {
    interface Federated {
      svc: Service;
      remote: string[];
      local?: string;
    }
    const desired = new Map<string, Federated>();
    for (const [key, m] of remote) desired.set(key, { svc: m.svc, remote: [...m.targets].map((t) => `${m.svc.metadata.name}@${t}`) });
    for (const svc of local.list<Service>('v1', 'Service')) {
      if (svc.metadata.labels?.[FEDERATED] !== 'member' || svc.metadata.labels?.[MirrorLabels.mirroredService]) continue;
      const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
      const d: Federated = desired.get(key) ?? { svc, remote: [] };
      d.local = svc.metadata.name;
      desired.set(key, d);
    }
    // members of Links that could not be read this round stay as they were
    for (const svc of local.list<Service>('v1', 'Service')) {
      const ann = svc.metadata.annotations?.[REMOTE_DISCOVERY_ANN];
      if (!ann || !svc.metadata.name.endsWith('-federated')) continue;
      const base = svc.metadata.name.slice(0, -'-federated'.length);
      for (const id of String(ann).split(',').filter(Boolean)) {
        const target = id.slice(id.indexOf('@') + 1);
        if (!keepTargets.has(target)) continue;
        const key = `${svc.metadata.namespace}/${base}`;
        const d: Federated = desired.get(key) ?? { svc: { apiVersion: 'v1', kind: 'Service', metadata: { name: base, namespace: svc.metadata.namespace, labels: {}, annotations: {} }, spec: svc.spec }, remote: [] };
        if (!d.remote.includes(id)) d.remote.push(id);
        desired.set(key, d);
      }
    }
    const names = new Set<string>();
    for (const [, d] of desired) {
      const name = `${d.svc.metadata.name}-federated`;
      const ns = d.svc.metadata.namespace!;
      names.add(`${ns}/${name}`);
      const labels = Object.fromEntries(Object.entries(d.svc.metadata.labels ?? {}).filter(([k]) => !k.startsWith(`${MIRROR}/`)));
      labels[MirrorLabels.mirroredService] = 'true';
      const annotations: Record<string, string> = Object.fromEntries(
        Object.entries(d.svc.metadata.annotations ?? {}).filter(([k]) => !k.startsWith('multicluster.linkerd.io/') && k !== 'service.kubernetes.io/topology-mode'),
      );
      if (d.remote.length > 0) annotations[REMOTE_DISCOVERY_ANN] = d.remote.sort().join(',');
      if (d.local) annotations[LOCAL_DISCOVERY_ANN] = d.local;
      const ports = mirrorPorts(d.svc);
      putIfChanged(local, { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns, labels, annotations }, spec: { ports } });
    }
    for (const svc of local.list<Service>('v1', 'Service')) {
      const a = svc.metadata.annotations ?? {};
      if (svc.metadata.labels?.[MirrorLabels.mirroredService] !== 'true' || !(a[REMOTE_DISCOVERY_ANN] || a[LOCAL_DISCOVERY_ANN])) continue;
      if (!names.has(`${svc.metadata.namespace}/${svc.metadata.name}`)) local.remove('v1', 'Service', svc.metadata.namespace, svc.metadata.name);
    }
  };

  const round = async (): Promise<void> => {
    const links = listLinks(local);
    const targets = new Set<string>();
    const failedTargets = new Set<string>();
    const federatedMembers = new Map<string, { svc: Service; targets: Set<string> }>();
    for (const link of links) {
      const key = `${link.metadata.namespace}/${link.metadata.name}`;
      const target = link.spec?.targetClusterName;
      if (target) targets.add(target);
      try {
        for (const svc of await reconcileLink(link)) {
          const k = `${svc.metadata.namespace}/${svc.metadata.name}`;
          const m = federatedMembers.get(k) ?? { svc, targets: new Set<string>() };
          if (target) m.targets.add(target);
          federatedMembers.set(k, m);
        }
        errors.delete(key);
      } catch (err) {
        errors.set(key, (err as Error).message);
        if (target) failedTargets.add(target);
        // the target did not answer: neither would its gateway
        if (target) admin.probes.set(target, { enabled: gatewayEnabled(link.spec), alive: false, latencyMs: admin.probes.get(target)?.latencyMs ?? 0 });
      }
    }
    admin.syncLeases(links);
    reconcileFederated(federatedMembers, failedTargets);
    for (const k of [...errors.keys()]) if (!links.some((l) => `${l.metadata.namespace}/${l.metadata.name}` === k)) errors.delete(k);
    // a removed Link takes its mirrors with it (upstream: ClusterUnregistered)
    for (const svc of local.list<Service>('v1', 'Service')) {
      const l = svc.metadata.labels ?? {};
      if (l[MirrorLabels.mirroredService] === 'true' && l[MirrorLabels.clusterName] && !targets.has(l[MirrorLabels.clusterName]!)) {
        local.remove('v1', 'Service', svc.metadata.namespace, svc.metadata.name);
        local.remove('v1', 'Endpoints', svc.metadata.namespace, svc.metadata.name);
      }
    }
  };

  const syncOnce = (): Promise<void> => {
    running = running.then(round, round);
    return running;
  };

  const interval = options.intervalMs ?? 300;
  const loop = () => {
    if (stopped) return;
    void syncOnce().finally(() => {
      if (stopped) return;
      timer = setTimeout(loop, interval);
      timer.unref();
    });
  };
  if (interval > 0) loop();

  return {
    syncOnce,
    errors,
    admin,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      admin.stop();
      for (const a of agents.values()) a.destroy();
    },
  };
}
