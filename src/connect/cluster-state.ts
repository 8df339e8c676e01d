/**
 * What connect knows of each cluster while the pairs run, shared by every
 * pair that touches the cluster (a mesh of N has N-1 pairs per cluster):
 *
 * - ClusterWrites: server-side apply, and whether it created, changed or left
 *   the object as it was. A no-op apply keeps the resourceVersion, so the
 *   answer is exact given the resourceVersion before; that comes from ONE
 *   list per kind and namespace per cluster, not a GET before every apply.
 * - TargetReads: what link-gen reads of a target (linkerd-config, the gateway
 *   Service) once for all its pairs, and the remote-access accounts' token
 *   Secrets, listed once per round for every pair still waiting for its token.
 */
import { McError } from '../errors.js';
import { KubeApiError, unlessNotFound, type KubeClient, type KubeObject, type ListOptions } from '../kube/client.js';
import { pathOf, refOf, secretRef, type ResourceRef } from '../kube/resources.js';
import { FIELD_MANAGER } from '../link/apply.js';
import type { LinkGenSource } from '../link/link-gen.js';
import { SA_TOKEN_TYPE } from '../multicluster/names.js';

export type Change = 'created' | 'configured' | 'unchanged';

/** Server-side apply into one cluster, telling what changed. */
export class ClusterWrites {
  /** resourceVersion by object name, per kind and namespace; undefined: listing is not allowed (a GET per object then). */
  private readonly before = new Map<string, Promise<Map<string, string> | undefined>>();

  constructor(readonly client: KubeClient) {}

  private versions(ref: ResourceRef): Promise<Map<string, string> | undefined> {
    const all = { ...ref, name: undefined };
    const key = pathOf(all);
    let p = this.before.get(key);
    if (!p) {
      p = this.client.list(all).then(
        (items) => new Map(items.map((o) => [o.metadata.name ?? '', o.metadata.resourceVersion ?? ''])),
        (err: unknown) => {
          if (err instanceof KubeApiError && err.code === 403) return undefined;
          throw err;
        },
      );
      // A failed list is tried again by the next apply (a rerun of the step resumes).
      p.catch(() => this.before.delete(key));
      this.before.set(key, p);
    }
    return p;
  }

  /** Apply `obj` (field manager mc) and say what changed. */
  async apply(obj: KubeObject): Promise<Change> {
    const ref = refOf(obj);
    const listed = await this.versions(ref);
    const before = listed ? listed.get(ref.name ?? '') : (await this.client.getIfExists(ref))?.metadata.resourceVersion;
    const after = await this.client.apply(obj, FIELD_MANAGER);
    listed?.set(ref.name ?? '', after.metadata.resourceVersion ?? '');
    if (before === undefined) return 'created';
    return before === after.metadata.resourceVersion ? 'unchanged' : 'configured';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface TokenSecret {
  metadata: KubeObject['metadata'];
  data?: Record<string, string>;
}

/**
 * A target as link-gen reads it, for all pairs at once: single objects are
 * read once; the token Secrets list is the latest one the token waiters made.
 */
export class TargetReads implements LinkGenSource {
  private readonly objects = new Map<string, Promise<unknown>>();
  private tokens: TokenSecret[] = [];
  private listing: Promise<TokenSecret[]> | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
  ) {}

  get contextName(): string {
    return this.client.contextName;
  }

  get server(): string {
    return this.client.server;
  }

  get kubeconfig(): KubeClient['kubeconfig'] {
    return this.client.kubeconfig;
  }

  get<T = KubeObject>(ref: ResourceRef): Promise<T> {
    const key = pathOf(ref);
    let p = this.objects.get(key);
    if (!p) {
      p = this.client.get<T>(ref);
      p.catch(() => this.objects.delete(key));
      this.objects.set(key, p);
    }
    return p as Promise<T>;
  }

  async getIfExists<T = KubeObject>(ref: ResourceRef): Promise<T | undefined> {
    return unlessNotFound(this.get<T>(ref), undefined);
  }

  /** The token Secrets of the namespace as last listed (after waitForToken); any other list goes to the cluster. */
  async list<T = KubeObject>(ref: ResourceRef, options: ListOptions = {}): Promise<T[]> {
    if (this.isTokenList(ref, options)) return (this.tokens.length > 0 ? this.tokens : await this.listTokens()) as T[];
    return this.client.list<T>(ref, options);
  }

  private isTokenList(ref: ResourceRef, options: ListOptions): boolean {
    return pathOf(ref) === pathOf(secretRef(this.namespace)) && options.fieldSelector === `type=${SA_TOKEN_TYPE}` && !options.labelSelector;
  }

  /** One list in flight at a time, whoever waits. */
  private listTokens(): Promise<TokenSecret[]> {
    if (!this.listing) {
      this.listing = this.client
        .list<TokenSecret>(secretRef(this.namespace), { fieldSelector: `type=${SA_TOKEN_TYPE}` })
        .then((items) => (this.tokens = items))
        .finally(() => (this.listing = undefined));
    }
    return this.listing;
  }

  /** Until the token controller has filled the token Secret `name`. */
  async waitForToken(name: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const items = await this.listTokens();
      if (items.some((s) => s.metadata.name === name && s.data?.token)) return;
      if (Date.now() > deadline) {
        throw new McError(`the token Secret ${this.namespace}/${name} in context "${this.contextName}" got no token within ${timeoutMs / 1000}s`, 'Check that the token controller runs (kube-controller-manager); run connect again.');
      }
      await sleep(50);
    }
  }
}
