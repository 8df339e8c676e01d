/**
 * The one way mc talks to a Kubernetes API server. Authentication comes from
 * @kubernetes/client-node (loaded lazily: commands that never touch a cluster
 * do not pay for it); requests are plain HTTPS with keep-alive, a timeout, and
 * failures translated into errors that say verb, resource, namespace and
 * context. Secrets never reach a message: only Status texts and names do.
 */
import { createHash } from 'node:crypto';
import https from 'node:https';
import tls from 'node:tls';
import { delimiter } from 'node:path';
import yaml from 'js-yaml';
import { McError } from '../errors.js';
import { execCredential, type ExecConfig } from './exec-credential.js';
import { loadKubeconfig, selectContext, singleContextConfig, type KubeconfigSource, type LoadedKubeconfig, type RawKubeconfig } from './kubeconfig.js';
import { describeRef, pathOf, refOf, type ResourceRef } from './resources.js';
import { clusterTls, contextEntries, staticUser, type StaticCredentials, type UserCredentials } from './static-credentials.js';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    uid?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface KubeStatus {
  kind: 'Status';
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
}

const VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** A failed API call: HTTP code and Status reason, plus what was attempted. */
export class KubeApiError extends McError {
  constructor(
    message: string,
    hint: string | undefined,
    readonly code: number,
    readonly reason: string,
    readonly verb: string,
    readonly ref: ResourceRef,
  ) {
    super(message, hint);
    this.name = 'KubeApiError';
  }
}

/** True for the API server's 404: the object, or its kind, does not exist there. */
export function isNotFound(err: unknown): err is KubeApiError {
  return err instanceof KubeApiError && err.code === 404;
}

/** What `request` gives, or `absent` when the API server answers 404. */
export async function unlessNotFound<T, A>(request: Promise<T>, absent: A): Promise<T | A> {
  try {
    return await request;
  } catch (err) {
    if (isNotFound(err)) return absent;
    throw err;
  }
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';
const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface ClientOptions {
  /** Deadline of each request (and of an exec plugin) in milliseconds; 0 = none (default 30s). */
  timeoutMs?: number;
  /** Aborts in-flight requests and kills a running exec plugin (Ctrl-C). */
  signal?: AbortSignal;
  /** Connections kept to the API server (default 32; with `agents`, the cache's unless given); requests beyond them wait for one. */
  maxSockets?: number;
  /** Share connections with the other clients of this cache that have the same server and TLS settings. */
  agents?: AgentCache;
}

/**
 * Keep-alive agents shared by clients that differ only in their request
 * headers (bearer tokens), as client-go's transport cache shares transports
 * with one TLS configuration: the Links' credentials of several clusters to
 * one target use one pool of connections to it, not one each. A client
 * certificate is part of the TLS settings, so its connections are never
 * lent to another identity. The owner closes the cache; a client's close()
 * leaves a shared agent open.
 */
export class AgentCache {
  private readonly agents = new Map<string, https.Agent>();

  /**
   * maxSockets: connections per agent (per server and TLS identity), unless
   * the client that makes the agent asks for its own number (the first one
   * to need an agent sizes it).
   */
  constructor(private readonly maxSockets?: number) {}

  agentFor(tls: Omit<StaticCredentials, 'headers'>, make: (maxSockets?: number) => https.Agent, maxSockets?: number): https.Agent {
    const digest = (b: Buffer | undefined) => (b ? createHash('sha256').update(b).digest('hex') : '');
    const key = [tls.server.origin, digest(tls.ca), digest(tls.cert), digest(tls.key), tls.servername ?? '', String(tls.rejectUnauthorized ?? true)].join(' ');
    let agent = this.agents.get(key);
    if (!agent) this.agents.set(key, (agent = make(maxSockets ?? this.maxSockets)));
    return agent;
  }

  /** Close every agent's connections. */
  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}

/** Where the user's own kubeconfig is, and the global --request-timeout. */
export interface ConnectSource extends KubeconfigSource {
  context?: string;
  /** The kubeconfig already loaded from this source (loadKubeconfig), when the command connects to several of its contexts. */
  loaded?: LoadedKubeconfig;
  /** --request-timeout in ms (0 = none); ClientOptions.timeoutMs wins over it. */
  requestTimeoutMs?: number;
  /** Ctrl-C; ClientOptions.signal wins over it. */
  signal?: AbortSignal;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** How long later requests of a fresh agent wait for its first connection's TLS session at most. */
const FIRST_SESSION_WAIT_MS = 300;

/**
 * Per agent: settles once its first connection has a TLS session to resume
 * (or its request ended, or FIRST_SESSION_WAIT_MS passed). A burst of
 * requests on a fresh agent (status and check start with 8 reads at once)
 * would otherwise open its connections together, each with a full handshake;
 * resuming the first one's session spares each later connection the
 * certificate checks, the costliest part (measured by bench/status-connect.ts).
 * Per agent, not per client: clients sharing an agent (AgentCache) share its sessions.
 */
const firstSessions = new WeakMap<https.Agent, Promise<void>>();

/** TLS verification failures, said as kubectl says them (x509: ...). */
const TLS_ERRORS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'x509: certificate signed by unknown authority',
  UNABLE_TO_GET_ISSUER_CERT: 'x509: certificate signed by unknown authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'x509: certificate signed by unknown authority',
  SELF_SIGNED_CERT_IN_CHAIN: 'x509: certificate signed by unknown authority',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'x509: certificate signed by unknown authority (self-signed)',
  CERT_SIGNATURE_FAILURE: 'x509: certificate signature is invalid',
  CERT_HAS_EXPIRED: 'x509: certificate has expired',
  CERT_NOT_YET_VALID: 'x509: certificate is not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'x509: certificate is not valid for this host name',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server does not speak TLS',
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; pages are followed with `continue` until the list is whole. */
  limit?: number;
}

interface Connection {
  server: URL;
  agent: https.Agent;
  headers: Record<string, string>;
  /** False when an AgentCache lends the agent: its owner closes it. */
  ownsAgent: boolean;
}

/** How to reach the API server outside plain requests (the WebSocket of port-forward). */
export interface Transport {
  server: URL;
  headers: Record<string, string>;
  /** The keep-alive agent (TLS settings included): its idle connections and TLS sessions spare upgrades a handshake each. */
  agent: https.Agent;
}

export class KubeClient {
  private constructor(
    readonly contextName: string,
    /** The kubeconfig holding only this context (file paths made absolute). */
    readonly kubeconfig: RawKubeconfig,
    private readonly conn: Connection,
    private readonly timeoutMs: number,
    private readonly signal?: AbortSignal,
  ) {}

  /** The API server URL of this context. */
  get server(): string {
    return this.conn.server.toString().replace(/\/$/, '');
  }

  /** Namespace set on the context, if any. */
  get contextNamespace(): string | undefined {
    const ctx = this.kubeconfig.contexts[0]?.context as { namespace?: string } | undefined;
    return ctx?.namespace;
  }

  /** Connect to --context (or the current context) of the user's kubeconfig, with kubectl's semantics. */
  static async connect(src: ConnectSource, options: ClientOptions = {}): Promise<KubeClient> {
    const { config, paths } = src.loaded ?? loadKubeconfig(src);
    const name = selectContext(config, src.context);
    const cfg = singleContextConfig(config, name);
    const timeoutMs = options.timeoutMs ?? src.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const signal = options.signal ?? src.signal;
    const source = `kubeconfig ${paths.join(delimiter)}`;
    const { cluster, user, clusterWhere, userWhere } = contextEntries(cfg, name);
    const inSource = <T>(f: () => T): T => {
      try {
        return f();
      } catch (err) {
        if (err instanceof McError) throw new McError(`${source}: ${err.message}`, err.hint, err.exitCode);
        throw err;
      }
    };
    const tls = inSource(() => clusterTls(cluster, clusterWhere));
    let creds: UserCredentials | undefined = inSource(() => staticUser(user, userWhere));
    if (!creds && user.exec) creds = await execCredential(user.exec as ExecConfig, `${userWhere} in ${source}`, { timeoutMs, signal, env: src.env });
    creds ??= await authProviderCredentials(cfg, name);
    return KubeClient.fromCredentials({ ...tls, ...creds }, name, cfg, { ...options, timeoutMs, signal });
  }

  /**
   * A client from credentials already read and checked. For a kubeconfig
   * that came from a cluster, use clientFromUntrustedKubeconfig
   * (untrusted-kubeconfig.ts), which refuses what such a kubeconfig may not do.
   */
  static fromCredentials(creds: StaticCredentials, contextName: string, kubeconfig: RawKubeconfig, options: ClientOptions = {}): KubeClient {
    const { server, headers, ...settings } = creds;
    const { ca, cert, key, ...rest } = settings;
    // One secure context for every connection (else each new one parses the CA and key again).
    const make = (maxSockets = options.maxSockets ?? 32) => new https.Agent({ keepAlive: true, maxSockets, secureContext: tls.createSecureContext({ ca, cert, key }), ...rest });
    const agent = options.agents ? options.agents.agentFor({ server, ...settings }, make, options.maxSockets) : make();
    return new KubeClient(contextName, kubeconfig, { server, agent, headers, ownsAgent: !options.agents }, options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, options.signal);
  }

  /** Close idle keep-alive connections (lets the process exit at once); a shared agent is its cache's to close. */
  close(): void {
    if (this.conn.ownsAgent) this.conn.agent.destroy();
  }

  async get<T = KubeObject>(ref: ResourceRef): Promise<T> {
    return this.call<T>('GET', ref);
  }

  /** Get, or undefined when the object does not exist. */
  async getIfExists<T = KubeObject>(ref: ResourceRef): Promise<T | undefined> {
    return unlessNotFound(this.get<T>(ref), undefined);
  }

  /** List every item, following `continue` tokens. */
  async list<T = KubeObject>(ref: ResourceRef, options: ListOptions = {}): Promise<T[]> {
    const items: T[] = [];
    let cont: string | undefined;
    do {
      const query: Record<string, string> = {};
      if (options.labelSelector) query.labelSelector = options.labelSelector;
      if (options.fieldSelector) query.fieldSelector = options.fieldSelector;
      if (options.limit) query.limit = String(options.limit);
      if (cont) query.continue = cont;
      const page = await this.call<{ items?: T[]; metadata?: { continue?: string } }>('GET', ref, { query });
      items.push(...(page.items ?? []));
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return items;
  }

  async create<T = KubeObject>(ref: ResourceRef, body: unknown): Promise<T> {
    return this.call<T>('POST', { ...ref, name: undefined }, { body, target: ref });
  }

  async replace<T = KubeObject>(ref: ResourceRef, body: unknown): Promise<T> {
    return this.call<T>('PUT', ref, { body });
  }

  async patch<T = KubeObject>(ref: ResourceRef, body: unknown, type: PatchType, query: Record<string, string> = {}): Promise<T> {
    return this.call<T>('PATCH', ref, { body, contentType: PATCH_CONTENT_TYPES[type], query });
  }

  /** Server-side apply of a whole object, as `kubectl apply --server-side`. */
  async apply<T = KubeObject>(obj: KubeObject, fieldManager: string, force = true): Promise<T> {
    const query: Record<string, string> = { fieldManager };
    if (force) query.force = 'true';
    return this.patch<T>(refOf(obj), obj, 'apply', query);
  }

  async delete(ref: ResourceRef): Promise<void> {
    await this.call('DELETE', ref);
  }

  /** GET a text body (a pod's /metrics through pods/proxy); `path` is the full URL path. */
  async getText(ref: ResourceRef, path: string, timeoutMs = this.timeoutMs): Promise<string> {
    const headers: Record<string, string> = { ...this.conn.headers, Accept: 'text/plain, */*' };
    const { status, text } = await this.send('GET', new URL(path, this.conn.server), headers, undefined, 'get', ref, timeoutMs);
    if (status >= 200 && status < 300) return text;
    throw this.errorFor(status, text, 'get', ref);
  }

  /** Server URL, auth headers and agent of this context, for transports of src/kube other than requests. */
  transport(): Transport {
    return { server: this.conn.server, headers: { ...this.conn.headers }, agent: this.conn.agent };
  }

  /** The error for a failed answer (status and body text) to `verb` on `ref`. */
  errorFor(status: number, text: string, verb: string, ref: ResourceRef): KubeApiError {
    let parsed: KubeStatus | undefined;
    try {
      parsed = JSON.parse(text) as KubeStatus;
    } catch {
      parsed = undefined;
    }
    return this.apiError(status, parsed?.kind === 'Status' ? parsed : undefined, verb, ref);
  }

  /** Raw request for what the helpers above do not cover (discovery, reviews). */
  async call<T>(
    method: string,
    ref: ResourceRef,
    opts: { body?: unknown; contentType?: string; query?: Record<string, string>; target?: ResourceRef; path?: string } = {},
  ): Promise<T> {
    // `path` addresses what a ResourceRef cannot: /version, /apis/GROUP/VERSION (discovery).
    const url = new URL(opts.path ?? pathOf(ref), this.conn.server);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const verb = VERBS[method] ?? (ref.name ? 'get' : 'list');
    const target = opts.target ?? ref;
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = { ...this.conn.headers, Accept: 'application/json' };
    if (payload !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const { status, text } = await this.send(method, url, headers, payload, verb, target);
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (status >= 200 && status < 300 && parsed !== undefined) return parsed as T;
    throw this.apiError(status, parsed as KubeStatus | undefined, verb, target);
  }

  private async send(method: string, url: URL, headers: Record<string, string>, payload: string | undefined, verb: string, target: ResourceRef, timeoutMs = this.timeoutMs): Promise<{ status: number; text: string }> {
    let sessionReady: (() => void) | undefined;
    const first = firstSessions.get(this.conn.agent);
    if (first) await first;
    else {
      firstSessions.set(
        this.conn.agent,
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, FIRST_SESSION_WAIT_MS);
          timer.unref();
          sessionReady = () => {
            clearTimeout(timer);
            resolve();
          };
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const done = () => {
        sessionReady?.();
        this.signal?.removeEventListener('abort', onAbort);
      };
      const req = https.request(url, { method, headers, agent: this.conn.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          done();
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (err) => {
          done();
          reject(this.networkError(err, verb, target));
        });
      });
      // No answer (no byte) for timeoutMs ends the request; 0 = no limit (--request-timeout 0).
      if (timeoutMs > 0) {
        req.setTimeout(timeoutMs, () => {
          req.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000}s`), { code: 'ETIMEDOUT' }));
        });
      }
      const onAbort = () => req.destroy(Object.assign(new Error('interrupted'), { code: 'ABORT_ERR' }));
      if (this.signal?.aborted) onAbort();
      this.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => {
        done();
        reject(this.networkError(err, verb, target));
      });
      if (sessionReady) req.once('socket', (socket) => socket.once('session', () => sessionReady!()));
      req.end(payload);
    });
  }

  private where(): string {
    return `context "${this.contextName}" (${this.server})`;
  }

  private networkError(err: Error, verb: string, ref: ResourceRef): McError {
    if (this.signal?.aborted) return new KubeApiError(`${verb} ${describeRef(ref)} in ${this.where()}: interrupted`, undefined, 0, 'Aborted', verb, ref);
    const code = (err as NodeJS.ErrnoException).code ?? err.message;
    const what = `cannot ${verb} ${describeRef(ref)}`;
    if (code === 'ETIMEDOUT') {
      return new KubeApiError(
        `${what}: the API server of ${this.where()} gave ${err.message} (request timed out)`,
        'Check that the cluster is running and reachable, or allow more time with --request-timeout (0 = no limit).',
        0,
        'Timeout',
        verb,
        ref,
      );
    }
    const tls = TLS_ERRORS[code];
    if (tls) {
      return new KubeApiError(
        `${what}: TLS certificate problem with the API server of ${this.where()}: ${tls} (${code})`,
        'The certificate-authority-data of this cluster in the kubeconfig must hold the CA that signed the API server\'s certificate (and the server name must match it).',
        0,
        'CertificateError',
        verb,
        ref,
      );
    }
    return new KubeApiError(
      `${what}: the API server of ${this.where()} is unreachable (${code === 'ABORT_ERR' ? 'interrupted' : code})`,
      'Check that the cluster is running and that the kubeconfig points at the right address.',
      0,
      code === 'ABORT_ERR' ? 'Aborted' : 'Unreachable',
      verb,
      ref,
    );
  }

  private apiError(status: number, body: KubeStatus | undefined, verb: string, ref: ResourceRef): KubeApiError {
    const reason = body?.reason ?? `HTTP ${status}`;
    const serverMessage = body?.message ? `: ${body.message}` : '';
    const what = `${verb} ${describeRef(ref)}`;
    switch (status) {
      case 401:
        return new KubeApiError(`the API server of ${this.where()} rejected the credentials (Unauthorized) trying to ${what}`, 'Refresh the credentials of this context (for a Link: run `mc link` again).', status, reason, verb, ref);
      case 403:
        return new KubeApiError(`forbidden: cannot ${what} in ${this.where()}${serverMessage}`, `Grant the identity of this context the "${verb}" verb on ${ref.resource}${ref.subresource ? `/${ref.subresource}` : ''}${ref.namespace ? ` in namespace "${ref.namespace}"` : ''}.`, status, reason, verb, ref);
      case 404:
        // The server's `services "x" not found` says again what mc just said; other 404 messages (a type not served) add to it.
        return new KubeApiError(`not found: ${describeRef(ref)} in ${this.where()}${/ not found$/.test(body?.message ?? '') ? '' : serverMessage}`, undefined, status, reason, verb, ref);
      default:
        return new KubeApiError(`cannot ${what} in ${this.where()}: ${reason}${serverMessage}`, undefined, status, reason, verb, ref);
    }
  }
}

/** Credentials of auth-provider users (deprecated in kubectl), through @kubernetes/client-node (loaded only here). */
async function authProviderCredentials(cfg: RawKubeconfig, contextName: string): Promise<UserCredentials> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromString(yaml.dump(cfg));
  kc.setCurrentContext(contextName);
  const opts: https.RequestOptions = { headers: {} };
  try {
    await kc.applyToHTTPSOptions(opts);
  } catch (err) {
    throw new McError(`cannot load the credentials of context "${contextName}": ${(err as Error).message}`, 'Check the auth-provider of the kubeconfig user (kubectl has replaced auth providers with exec plugins).');
  }
  const asBuffer = (v: unknown) => (v === undefined ? undefined : Buffer.isBuffer(v) ? v : Buffer.from(String(v)));
  return {
    cert: asBuffer(opts.cert),
    key: asBuffer(opts.key),
    headers: Object.fromEntries(Object.entries(opts.headers ?? {}).map(([k, v]) => [k, String(v)])),
  };
}
