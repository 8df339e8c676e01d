/**
 * The checks' environment: every read of the local cluster and of each
 * linked cluster, memoized, so an object, a list or a remote call is made
 * once per run and shared by every check that needs it (and state flows
 * between checks only through these reads, never through fields set by an
 * earlier check). Lists are cluster-wide with a label selector instead of one
 * request per link or per service, and the reads of every linked cluster
 * start together, in parallel, as soon as the Links are known. Each remote
 * cluster is reached with the kubeconfig of its Link's credentials Secret,
 * with a per-request timeout, so a dead cluster fails its own link quickly;
 * the run's AbortSignal stops every request in flight.
 */
import { KubeApiError, KubeClient, type AgentCache, type KubeObject } from '../kube/client.js';
import { configMapRef, coreRef, pathOf, secretRef, secretText, type ResourceRef } from '../kube/resources.js';
import { clientFromUntrustedKubeconfig } from '../kube/untrusted-kubeconfig.js';
import { linkerdConfig, linkerdConfigRef } from '../linkerd-config.js';
import { parseLinkSpec } from '../multicluster/link.js';
import { EXTENSION_LABEL, EXTENSION_NAME, LINK_API_VERSION, MIRROR_CLUSTER_LABEL, SERVICE_MIRROR_COMPONENT_VALUES } from '../multicluster/names.js';
import { readGatewayMetrics, type GatewayReading } from '../gateways/read.js';
import { accessReview, type AccessReview } from './access-review.js';
import { LimitedClient } from './limited-client.js';
import { Memo } from './memo.js';
import { CONTROL_PLANE_NS_LABEL } from './pods.js';
import { readClusterTrust, type TrustReader } from '../certs/cluster-trust.js';
import type { ConfigMapObject, Deployment, Endpoints, IdentityMaterial, Link, Pod, RbacKind, SecretObject, Service } from './types.js';

export const LINKS: ResourceRef = { apiVersion: LINK_API_VERSION, resource: 'links' };

export interface CheckEnvOptions {
  linkerdNamespace: string;
  /** Per-request timeout of remote calls, ms. */
  remoteTimeoutMs: number;
  /** --insecure-remote-tls: accept insecure-skip-tls-verify in Link credentials (never exec or files). */
  insecureRemoteTls?: boolean;
  /**
   * Concurrent requests (hence connections) per cluster. Locally 8; to each
   * linked cluster 1: a remote's few reads on one keep-alive connection cost a
   * round trip each, a TLS handshake per extra connection costs more CPU (on
   * both ends) once there are dozens of links (measured by bench/check.ts).
   */
  localConcurrency?: number;
  remoteConcurrency?: number;
  /** Where the Links' clients get their connections (shared among clients of one run); default: their own. */
  agents?: AgentCache;
  /** Aborts every request of the run (Ctrl-C). */
  signal?: AbortSignal;
  /** The clock of the certificate checks. */
  now?: () => number;
}

export class CheckEnv {
  private readonly memo = new Memo();
  private readonly remotes: KubeClient[] = [];
  /** The local cluster, with bounded concurrency. */
  private readonly l: LimitedClient;

  constructor(
    readonly local: KubeClient,
    readonly options: CheckEnvOptions,
  ) {
    this.l = new LimitedClient(local, options.localConcurrency ?? 8);
  }

  /** Name of the local cluster in messages: its context name. */
  get localName(): string {
    return this.local.contextName;
  }

  /** The time now, in ms (injectable for tests of certificate lifetimes). */
  now(): number {
    return (this.options.now ?? Date.now)();
  }

  private once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.memo.once(key, fn);
  }

  /** Drop cached reads whose key starts with prefix (retrying checks read fresh). */
  forget(prefix: string): void {
    this.memo.forget(prefix);
  }

  /** Close every connection (local and remote). */
  close(): void {
    for (const r of this.remotes) r.close();
    this.local.close();
  }

  // ---- local cluster ----

  /** Namespaces carrying linkerd.io/extension=multicluster. */
  multiclusterNamespaces(): Promise<KubeObject[]> {
    return this.once('local:mc-namespaces', () => this.l.list(coreRef('namespaces'), { labelSelector: `${EXTENSION_LABEL}=${EXTENSION_NAME}` }));
  }

  /** Names of every namespace here. */
  namespaceNames(): Promise<Set<string>> {
    return this.once('local:namespaces', async () => new Set((await this.l.list(coreRef('namespaces'))).map((n) => n.metadata.name ?? '')));
  }

  /** Discovery of multicluster.linkerd.io/v1alpha3: the kinds it serves. */
  linkApiResources(): Promise<Array<{ kind: string; name: string }>> {
    return this.once('local:link-discovery', async () => {
      const doc = await this.l.call<{ resources?: Array<{ kind: string; name: string }> }>('GET', LINKS, { path: `/apis/${LINK_API_VERSION}` });
      return doc.resources ?? [];
    });
  }

  /** SelfSubjectAccessReview in the local cluster. */
  localCan(verb: string, group: string, resource: string, namespace = ''): Promise<AccessReview> {
    return this.once(`local:can:${verb}:${group}:${resource}:${namespace}`, () => accessReview(this.l, verb, group, resource, namespace));
  }

  links(): Promise<Link[]> {
    return this.once('local:links', () => this.l.list<Link>(LINKS));
  }

  /** The Links when every one is valid (see linkProblems), else none: what the per-link checks look at. */
  validLinks(): Promise<Link[]> {
    return this.once('local:valid-links', async () => {
      const links = await this.links();
      return linkProblems(links).length === 0 ? links : [];
    });
  }

  /** ConfigMap linkerd-config of the local control plane (one read for every user). */
  localLinkerdConfig(): Promise<ConfigMapObject> {
    return this.once('local:linkerd-config', () => this.l.get<ConfigMapObject>(linkerdConfigRef(this.options.linkerdNamespace)));
  }

  /** linkerd-config values and the issuer certificate of the local cluster. */
  localIdentity(): Promise<IdentityMaterial> {
    return this.once('local:identity', async () => {
      // linkerd-config as every other reader has it: one GET, one parse of its values.
      const config = pathOf(linkerdConfigRef(this.options.linkerdNamespace));
      const reader: TrustReader = {
        get: <T>(ref: ResourceRef) => (pathOf(ref) === config ? (this.localLinkerdConfig() as Promise<T>) : this.l.get<T>(ref)),
        getIfExists: <T>(ref: ResourceRef) => this.l.getIfExists<T>(ref),
      };
      const t = await readClusterTrust(reader, this.options.linkerdNamespace);
      const fromConfig = Boolean(t.configAnchorsPem?.trim()) || !t.trustRootsPem;
      return {
        anchorsPem: fromConfig ? t.configAnchorsPem : t.trustRootsPem,
        anchorsSource: fromConfig ? `ConfigMap ${t.linkerdNamespace}/linkerd-config` : t.bundleSource,
        proxyTrustBundlePem: t.trustRootsPem,
        bundlePem: t.bundlePem,
        bundleSource: t.bundleSource,
        issuerPem: t.issuerPem,
        issuerSource: t.issuerSource,
        issuerUnavailable: t.issuerPem ? undefined : t.issuerUnavailable,
      };
    });
  }

  /** The mirror services (and probe gateways) here, by the name of the cluster they come from. */
  mirrorServicesByCluster(): Promise<Map<string, Service[]>> {
    return this.once('local:mirror-services-by-cluster', async () => {
      const map = new Map<string, Service[]>();
      for (const s of await this.mirrorServices()) {
        const c = s.metadata.labels?.[MIRROR_CLUSTER_LABEL] ?? '';
        let list = map.get(c);
        if (!list) map.set(c, (list = []));
        list.push(s);
      }
      return map;
    });
  }

  /** Every Service made by a service mirror here (mirrors and probe gateways): one list. */
  mirrorServices(): Promise<Service[]> {
    return this.once('local:mirror-services', () => this.l.list<Service>(coreRef('services'), { labelSelector: MIRROR_CLUSTER_LABEL }));
  }

  /** The Endpoints of mirror services: one labelled list, then single reads for any the list missed. */
  mirrorEndpointsIndex(): Promise<Map<string, Endpoints>> {
    return this.once('local:mirror-endpoints', async () => {
      const list = await this.l.list<Endpoints>(coreRef('endpoints'), { labelSelector: MIRROR_CLUSTER_LABEL });
      return new Map(list.map((e) => [`${e.metadata.namespace}/${e.metadata.name}`, e]));
    });
  }

  /** The Endpoints of a Service, or undefined when there are none. */
  async endpointsOf(namespace: string, name: string): Promise<Endpoints | undefined> {
    const index = await this.mirrorEndpointsIndex();
    const hit = index.get(`${namespace}/${name}`);
    if (hit) return hit;
    return this.once(`local:endpoints:${namespace}/${name}`, () =>
      this.l.getIfExists<Endpoints>(coreRef('endpoints', namespace, name)),
    );
  }

  /** Service mirror Deployments of every link: one list (re-read on retries). */
  serviceMirrorDeployments(): Promise<Deployment[]> {
    return this.once('retry:deployments', () =>
      this.l
        .list<Deployment>({ apiVersion: 'apps/v1', resource: 'deployments' }, { labelSelector: MIRROR_CLUSTER_LABEL })
        .then((items) => items.filter((d) => SERVICE_MIRROR_COMPONENT_VALUES.includes(d.metadata.labels?.component ?? ''))),
    );
  }

  /** RBAC objects by name, one list per kind (per namespace when namespaced). */
  rbacObjects(kind: RbacKind, namespace?: string): Promise<Map<string, KubeObject>> {
    return this.once(`local:rbac:${kind}:${namespace ?? ''}`, async () => {
      const apiVersion = kind === 'serviceaccounts' ? 'v1' : 'rbac.authorization.k8s.io/v1';
      const items = await this.l.list({ apiVersion, resource: kind, namespace });
      return new Map(items.map((i) => [i.metadata.name ?? '', i]));
    });
  }

  /**
   * What each link's active service mirror (the Lease holder) says about its
   * gateway, by linked cluster name: one parallel read of every holder's
   * /metrics, within the request timeout; through the pod proxy first (over
   * the keep-alive connections: with 50 links, 50 port-forward connections
   * cost the run a third more), a port-forward where the proxy is forbidden.
   */
  gatewayReadings(): Promise<Map<string, GatewayReading>> {
    return this.once('local:gateway-metrics', async () => {
      const { readings } = await readGatewayMetrics(this.local, { waitMs: this.options.remoteTimeoutMs, waitFlag: '--timeout', signal: this.options.signal, prefer: 'pod proxy' });
      return new Map(readings.map((r) => [r.clusterName, r]));
    });
  }

  /** Every meshed pod here: one cluster-wide list (the trust check asks what each proxy trusts). */
  allMeshedPods(): Promise<Pod[]> {
    return this.once('local:all-meshed-pods', () => this.l.list<Pod>(coreRef('pods'), { labelSelector: CONTROL_PLANE_NS_LABEL }));
  }

  /** Meshed pods of a namespace (re-read on retries). */
  meshedPods(namespace: string): Promise<Pod[]> {
    return this.once(`retry:pods:${namespace}`, () => this.l.list<Pod>(coreRef('pods', namespace), { labelSelector: CONTROL_PLANE_NS_LABEL }));
  }

  // ---- linked clusters ----

  /** Secrets of a namespace by name: one list for every Link there (undefined when listing is not allowed). */
  private secretsIn(namespace: string): Promise<Map<string, SecretObject> | undefined> {
    return this.once(`local:secrets:${namespace}`, async () => {
      try {
        const items = await this.l.list<SecretObject>(secretRef(namespace));
        return new Map(items.map((i) => [i.metadata.name ?? '', i]));
      } catch (err) {
        if (err instanceof KubeApiError && err.code === 403) return undefined;
        throw err;
      }
    });
  }

  credentialsSecret(link: Link): Promise<SecretObject> {
    const ns = link.metadata.namespace ?? 'default';
    const name = link.spec.clusterCredentialsSecret;
    return this.once(`local:secret:${ns}/${name}`, async () => {
      const all = await this.secretsIn(ns).catch(() => undefined);
      const hit = all?.get(name);
      if (hit) return hit;
      // Not listed (or listing refused): a single read gives the precise error.
      return this.l.get<SecretObject>(secretRef(ns, name));
    });
  }

  /** A client for the Link's target cluster, from its credentials Secret. */
  remote(link: Link): Promise<LimitedClient> {
    return this.once(`remote:${linkKey(link)}:client`, async () => {
      const secret = await this.credentialsSecret(link);
      const text = secretText(secret.data?.kubeconfig);
      if (!text) throw new CredentialsError('secret should contain remote kubeconfig under kubeconfig key');
      let client: KubeClient;
      try {
        client = await clientFromUntrustedKubeconfig(text, {
          source: `Secret ${secret.metadata.namespace}/${secret.metadata.name}`,
          timeoutMs: this.options.remoteTimeoutMs,
          allowInsecureTls: this.options.insecureRemoteTls,
          signal: this.options.signal,
          agents: this.options.agents,
        });
      } catch (err) {
        throw new CredentialsError((err as Error).message);
      }
      this.remotes.push(client);
      return new LimitedClient(client, this.options.remoteConcurrency ?? 1);
    });
  }

  remoteCan(link: Link, verb: string, group: string, resource: string): Promise<AccessReview> {
    return this.once(`remote:${linkKey(link)}:can:${verb}:${group}:${resource}`, async () => {
      if (verb === 'list' && group === '' && resource === 'services') {
        // The cluster-wide list of services that other checks need answers this one too.
        try {
          await this.remoteServices(link);
          return { allowed: true };
        } catch (err) {
          if (err instanceof KubeApiError && err.code === 403) return { allowed: false };
          if (!(err instanceof KubeApiError) || err.code === 0 || err.code === 401) throw err;
          // Other answers (500...): ask the authorizer.
        }
      }
      return accessReview(await this.remote(link), verb, group, resource, '');
    });
  }

  /** Trust anchors (linkerd-config) and, when readable, the issuer of the target cluster. */
  remoteIdentity(link: Link): Promise<IdentityMaterial> {
    return this.once(`remote:${linkKey(link)}:identity`, async () => {
      const c = await this.remote(link);
      const ns = link.spec.targetClusterLinkerdNamespace || 'linkerd';
      // The remote-access role may read linkerd-config only (not the issuer Secret):
      // the issuer is checked when linkerd-config carries it.
      const cm = await c.get<ConfigMapObject>(linkerdConfigRef(ns));
      const config = linkerdConfig(cm, `ConfigMap ${ns}/linkerd-config of cluster "${link.spec.targetClusterName}"`, { optional: true });
      const m: IdentityMaterial = { anchorsPem: config.trustAnchorsPem, anchorsSource: `ConfigMap ${ns}/linkerd-config`, trustDomain: config.identityTrustDomain };
      if (config.issuerCertPem) {
        m.issuerPem = config.issuerCertPem;
        m.issuerSource = `ConfigMap ${ns}/linkerd-config (identity.issuer.tls.crtPEM)`;
      } else {
        m.issuerUnavailable = `the Link's credentials may read linkerd-config only, which does not hold it`;
      }
      return m;
    });
  }

  /** Every Service of the target cluster (one list; exports and the gateway are picked from it). */
  remoteServices(link: Link): Promise<Service[]> {
    return this.once(`remote:${linkKey(link)}:services`, async () => (await this.remote(link)).list<Service>(coreRef('services')));
  }

  /** The Pods of a namespace of the target cluster (the gateway's: the remote-access role may list pods). */
  remotePods(link: Link, namespace: string): Promise<Pod[]> {
    return this.once(`remote:${linkKey(link)}:pods:${namespace}`, async () => (await this.remote(link)).list<Pod>(coreRef('pods', namespace)));
  }

  /** Start every remote read of every link at once; checks then await what they need. */
  prefetchRemotes(links: Link[]): void {
    for (const link of links) {
      // In this order on the link's one connection: what the access check needs first.
      void this.remoteServices(link).catch(() => undefined);
      for (const verb of ['get', 'list', 'watch']) void this.remoteCan(link, verb, '', 'services').catch(() => undefined);
      void this.remoteIdentity(link).catch(() => undefined);
    }
  }

  /** Start the local reads that several checks share, and the remote reads as soon as the Links are in. */
  prefetchLocal(): void {
    void this.linkApiResources().catch(() => undefined);
    void this.localCan('list', 'multicluster.linkerd.io', 'links').catch(() => undefined);
    void this.links()
      .then((links) => {
        const usable = links.filter((l) => l.spec?.clusterCredentialsSecret && l.spec?.targetClusterName);
        this.prefetchRemotes(usable);
        // The probe check's port-forwards overlap the other checks' waits.
        if (usable.some((l) => l.spec.gatewayAddress && l.spec.probeSpec?.path)) void this.gatewayReadings().catch(() => undefined);
        for (const ns of new Set(usable.map((l) => l.metadata.namespace ?? 'default'))) {
          for (const kind of ['serviceaccounts', 'roles', 'rolebindings'] as const) void this.rbacObjects(kind, ns).catch(() => undefined);
          void this.meshedPods(ns).catch(() => undefined);
        }
      })
      .catch(() => undefined);
    void this.rbacObjects('clusterroles').catch(() => undefined);
    void this.rbacObjects('clusterrolebindings').catch(() => undefined);
    void this.localIdentity().catch(() => undefined);
    void this.mirrorServices().catch(() => undefined);
    void this.mirrorEndpointsIndex().catch(() => undefined);
    void this.serviceMirrorDeployments().catch(() => undefined);
  }
}

/** The kubeconfig in a credentials Secret is missing or unusable. */
export class CredentialsError extends Error {}

export function linkKey(link: Link): string {
  return `${link.metadata.namespace}/${link.metadata.name}`;
}

/**
 * What is wrong with the Links, as the service mirror would parse them
 * (multicluster/link.ts parseLinkSpec): one line per field, then how to fix
 * that Link.
 */
export function linkProblems(links: Link[]): string[] {
  const problems: string[] = [];
  for (const l of links) {
    const { problems: fields } = parseLinkSpec(l.spec);
    if (fields.length === 0) continue;
    const ns = l.metadata.namespace ?? 'default';
    const where = `Link ${ns}/${l.metadata.name}`;
    for (const f of fields) problems.push(`* ${where}: ${f.field} ${f.problem}; expected ${f.fix}`);
    const target = typeof l.spec?.targetClusterName === 'string' && l.spec.targetClusterName ? l.spec.targetClusterName : l.metadata.name;
    problems.push(
      `  fix: \`kubectl -n ${ns} edit link ${l.metadata.name}\`, or re-create it: \`mc --context <${target}'s context> link-gen --cluster-name ${target} | kubectl apply -f -\``,
    );
  }
  return problems;
}
