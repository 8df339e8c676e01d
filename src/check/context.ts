/**
 * Shared reads for the multicluster checks. Every object is read once per
 * run and shared by every check that needs it (a memo of promises), lists
 * are cluster-wide with a label selector instead of one request per link or
 * per service, and the reads of every linked cluster start together, in
 * parallel, as soon as the Links are known. Each remote cluster is reached
 * with the kubeconfig of its Link's credentials Secret, with a per-request
 * timeout, so a dead cluster fails its own link quickly.
 */
import { KubeApiError, KubeClient, type KubeObject, type ListOptions } from '../kube/client.js';
import { configMapRef, coreRef, secretRef, secretText, type ResourceRef } from '../kube/resources.js';
import { linkerdConfig, linkerdConfigRef } from '../linkerd-config.js';
import type { LabelSelector } from './selectors.js';
import type { PodObject } from './pods.js';
import { EXTENSION_LABEL, EXTENSION_NAME, LINK_API_VERSION, MIRROR_CLUSTER_LABEL } from '../multicluster-names.js';

export const LINKS: ResourceRef = { apiVersion: LINK_API_VERSION, resource: 'links' };

// Labels and annotations of upstream's service mirror.
export const MIRRORED_GATEWAY_LABEL = 'mirror.linkerd.io/mirrored-gateway';
export const REMOTE_DISCOVERY_LABEL = 'mirror.linkerd.io/remote-discovery';
export const REMOTE_SVC_FQ_NAME = 'mirror.linkerd.io/remote-svc-fq-name';
export const REMOTE_DISCOVERY_ANNOTATION = 'multicluster.linkerd.io/remote-discovery';
export const LOCAL_DISCOVERY_ANNOTATION = 'multicluster.linkerd.io/local-discovery';
export const CONTROL_PLANE_NS_LABEL = 'linkerd.io/control-plane-ns';
/** `component` label values of service mirror objects (links made by the CLI, or by the multicluster chart). */
export const SERVICE_MIRROR_COMPONENT_VALUES = ['service-mirror', 'controller'];

export type RbacKind = 'serviceaccounts' | 'clusterroles' | 'clusterrolebindings' | 'roles' | 'rolebindings';

export interface LinkSpec {
  targetClusterName: string;
  targetClusterDomain?: string;
  targetClusterLinkerdNamespace?: string;
  clusterCredentialsSecret: string;
  gatewayAddress?: string;
  gatewayPort?: string;
  gatewayIdentity?: string;
  probeSpec?: { path?: string; port?: string; period?: string };
  selector?: LabelSelector;
  remoteDiscoverySelector?: LabelSelector;
  federatedServiceSelector?: LabelSelector;
}

export interface Link extends KubeObject {
  spec: LinkSpec;
}

export interface Service extends KubeObject {
  spec?: { ports?: Array<{ name?: string; port: number }>; type?: string; clusterIP?: string };
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } };
}

export interface Endpoints extends KubeObject {
  subsets?: Array<{ addresses?: unknown[] }>;
}

export interface Deployment extends KubeObject {
  status?: { availableReplicas?: number; readyReplicas?: number; replicas?: number };
}

export type Pod = KubeObject & PodObject;

interface SecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

interface ConfigMapObject extends KubeObject {
  data?: Record<string, string>;
}

/** Where a cluster's Linkerd identity comes from, as far as we could read it. */
export interface IdentityMaterial {
  anchorsPem?: string;
  /** The bundle proxies are injected with (ConfigMap linkerd-identity-trust-roots), when there is one. */
  proxyTrustBundlePem?: string;
  /** e.g. ConfigMap linkerd/linkerd-config */
  anchorsSource: string;
  issuerPem?: string;
  issuerSource?: string;
  /** Why the issuer could not be read (forbidden with the Link's credentials...). */
  issuerUnavailable?: string;
}

export interface CheckEnvOptions {
  linkerdNamespace: string;
  /** Per-request timeout of remote calls, ms. */
  remoteTimeoutMs: number;
  /**
   * Concurrent requests (hence connections) per cluster. Locally 8; to each
   * linked cluster 1: a remote's few reads on one keep-alive connection cost a
   * round trip each, a TLS handshake per extra connection costs more CPU (on
   * both ends) once there are dozens of links (measured by bench/check.ts).
   */
  localConcurrency?: number;
  remoteConcurrency?: number;
}

/** A promise that may reject without an "unhandled rejection" until someone awaits it. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

export class CheckEnv {
  private readonly memo = new Map<string, Promise<unknown>>();
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

  private once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = quiet(fn());
      this.memo.set(key, p);
    }
    return p;
  }

  /** Drop cached reads whose key starts with prefix (retrying checks read fresh). */
  forget(prefix: string): void {
    for (const k of [...this.memo.keys()]) if (k.startsWith(prefix)) this.memo.delete(k);
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
  localCan(verb: string, group: string, resource: string, namespace = ''): Promise<{ allowed: boolean; reason?: string }> {
    return this.once(`local:can:${verb}:${group}:${resource}:${namespace}`, () => accessReview(this.l, verb, group, resource, namespace));
  }

  links(): Promise<Link[]> {
    return this.once('local:links', () => this.l.list<Link>(LINKS));
  }

  /** linkerd-config values and the issuer certificate of the local cluster. */
  localIdentity(): Promise<IdentityMaterial> {
    return this.once('local:identity', async () => {
      const ns = this.options.linkerdNamespace;
      const [cm, roots, issuer] = await Promise.all([
        this.l.get<ConfigMapObject>(linkerdConfigRef(ns)),
        this.l.getIfExists<ConfigMapObject>(configMapRef(ns, 'linkerd-identity-trust-roots')).catch(() => undefined),
        this.l.getIfExists<SecretObject>(secretRef(ns, 'linkerd-identity-issuer')).catch((err: Error) => err),
      ]);
      const config = linkerdConfig(cm, `ConfigMap ${ns}/linkerd-config`, { optional: true });
      const rootsBundle = roots?.data?.['ca-bundle.crt'];
      const m: IdentityMaterial = { anchorsPem: config.trustAnchorsPem, anchorsSource: `ConfigMap ${ns}/linkerd-config`, proxyTrustBundlePem: rootsBundle };
      if (!m.anchorsPem?.trim() && rootsBundle) {
        m.anchorsPem = rootsBundle;
        m.anchorsSource = `ConfigMap ${ns}/linkerd-identity-trust-roots`;
      }
      if (issuer instanceof Error) {
        m.issuerUnavailable = issuer.message;
      } else if (issuer) {
        m.issuerPem = secretText(issuer.data?.['crt.pem'] ?? issuer.data?.['tls.crt']);
        m.issuerSource = `Secret ${ns}/linkerd-identity-issuer`;
        if (!m.issuerPem) m.issuerUnavailable = `Secret ${ns}/linkerd-identity-issuer has neither crt.pem nor tls.crt`;
      } else {
        m.issuerUnavailable = `Secret ${ns}/linkerd-identity-issuer does not exist`;
      }
      return m;
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
        client = await KubeClient.fromKubeconfigText(text, `Secret ${secret.metadata.namespace}/${secret.metadata.name}`, { timeoutMs: this.options.remoteTimeoutMs });
      } catch (err) {
        throw new CredentialsError((err as Error).message);
      }
      this.remotes.push(client);
      return new LimitedClient(client, this.options.remoteConcurrency ?? 1);
    });
  }

  remoteCan(link: Link, verb: string, group: string, resource: string): Promise<{ allowed: boolean; reason?: string }> {
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
      const m: IdentityMaterial = { anchorsPem: config.trustAnchorsPem, anchorsSource: `ConfigMap ${ns}/linkerd-config` };
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

/**
 * A client whose requests run at most `max` at a time. Requests beyond that
 * wait for a free keep-alive connection instead of opening a new one: a TLS
 * handshake costs more (on both ends) than waiting one round trip.
 */
export class LimitedClient {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(
    readonly client: KubeClient,
    private readonly max: number,
  ) {}

  /** Until the first answer, one request at a time: later connections resume its TLS session. */
  private warm = false;

  private async slot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= (this.warm ? this.max : 1)) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      if (!this.warm) {
        this.warm = true;
        // Wake as many waiters as there are free slots now.
        for (let free = this.max - this.active; free > 0 && this.queue.length > 0; free--) this.queue.shift()!();
      } else {
        this.queue.shift()?.();
      }
    }
  }

  get<T = KubeObject>(ref: ResourceRef): Promise<T> {
    return this.slot(() => this.client.get<T>(ref));
  }

  getIfExists<T = KubeObject>(ref: ResourceRef): Promise<T | undefined> {
    return this.slot(() => this.client.getIfExists<T>(ref));
  }

  list<T = KubeObject>(ref: ResourceRef, options: ListOptions = {}): Promise<T[]> {
    return this.slot(() => this.client.list<T>(ref, options));
  }

  create<T = KubeObject>(ref: ResourceRef, body: unknown): Promise<T> {
    return this.slot(() => this.client.create<T>(ref, body));
  }

  call<T>(method: string, ref: ResourceRef, opts: Parameters<KubeClient['call']>[2] = {}): Promise<T> {
    return this.slot(() => this.client.call<T>(method, ref, opts));
  }
}

/** The kubeconfig in a credentials Secret is missing or unusable. */
export class CredentialsError extends Error {}

export function linkKey(link: Link): string {
  return `${link.metadata.namespace}/${link.metadata.name}`;
}

async function accessReview(client: LimitedClient, verb: string, group: string, resource: string, namespace: string): Promise<{ allowed: boolean; reason?: string }> {
  const review = await client.create<{ status?: { allowed?: boolean; reason?: string } }>(
    { apiVersion: 'authorization.k8s.io/v1', resource: 'selfsubjectaccessreviews' },
    {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { namespace, verb, group, version: group === '' ? 'v1' : '', resource } },
    },
  );
  return { allowed: Boolean(review.status?.allowed), reason: review.status?.reason || undefined };
}
