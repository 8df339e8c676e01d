/**
 * The HTTPS front of a test cluster: authentication (client certificates,
 * bearer tokens), RBAC, discovery, the REST verbs, watch streams, tables for
 * kubectl, and switchable faults. One instance per cluster.
 */
import https from 'node:https';
import { createHash } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ApiError, badRequest, ClusterStore, notFound, statusObject, type StoreEvent } from './store.js';
import { apiVersionOf, SUBRESOURCE_KINDS, type ResourceType } from './types.js';
import { authorize, authorizeNonResource, forbiddenMessage, rulesFor, ruleAllows, nonResourceAllows, isSuperUser, type Attributes, type UserInfo } from './rbac.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { clone, jsonPatch, mergePatch, strategicMerge } from './patch.js';
import { decodeProtobuf, isProtobuf } from './protobuf.js';
import { PodNetwork } from './pod-network.js';
import type { Pod } from './kinds.js';

export interface Faults {
  latencyMs: number;
  down: boolean;
  errorStatus?: number;
  slowBodyMs: number;
  /** A fault for some requests only: the HTTP status to answer `method path` with, or undefined to serve it. */
  failRequest?: (method: string, path: string) => number | undefined;
}

export interface ServerOptions {
  name: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  /** Bearer tokens that authenticate as fixed users (the admin token). */
  staticTokens: Map<string, UserInfo>;
}

const VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4',
  gitCommit: '59526cd4867447956156ae3a602fcbac10a2c335',
  gitTreeState: 'clean',
  buildDate: '2025-04-22T16:02:27Z',
  goVersion: 'go1.23.6',
  compiler: 'gc',
  platform: 'linux/amd64',
};


interface Route {
  type: ResourceType;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export class TestApiServer {
  readonly store: ClusterStore;
  private readonly server: https.Server;
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<ServerResponse>();
  private port = 0;
  private isDown = false;
  private stopped = false;
  /** Injected latencies in progress: stop() ends them, so a latency never outlives the server (nor keeps the process alive). */
  private readonly latencies = new Set<() => void>();
  /** The user of each client-certificate connection. */
  private readonly certificateUsers = new WeakMap<TLSSocket, UserInfo | undefined>();
  requests = 0;
  /** TLS connections accepted (a keep-alive connection serves many requests); reset with the requests. */
  connections = 0;
  readonly faults: Faults;
  /** Warnings of the request being dispatched (dispatch is synchronous). */
  private warnings: string[] = [];
  /** What pods answer on their ports (pods/portforward, pods/proxy). */
  readonly pods = new PodNetwork();

  constructor(private readonly opts: ServerOptions) {
    this.store = new ClusterStore(opts.name, opts.caPem);
    this.server = https.createServer(
      { cert: opts.certPem, key: opts.keyPem, ca: opts.caPem, requestCert: true, rejectUnauthorized: false },
      (req, res) => void this.handle(req, res),
    );
    this.server.keepAliveTimeout = 30_000;
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('secureConnection', (s: TLSSocket) => {
      this.connections++;
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('tlsClientError', () => {});
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.handleUpgrade(req, socket, head));
    const self = this;
    // Plain fields, except `down`, which starts and stops refusing connections.
    this.faults = {
      latencyMs: 0,
      errorStatus: undefined,
      slowBodyMs: 0,
      get down() {
        return self.isDown;
      },
      set down(v: boolean) {
        self.setDown(v);
      },
    };
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as { port: number }).port;
  }

  private dropConnections(): void {
    for (const w of this.watches) w.destroy();
    this.watches.clear();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Pending re-listen after `faults.down = false` (listen() binds a tick later). */
  private relisten: Promise<void> | undefined;

  private setDown(v: boolean): void {
    if (v === this.isDown || this.stopped) return;
    this.isDown = v;
    if (v) {
      if (this.server.listening) this.server.close();
      else if (this.relisten) void this.relisten.then(() => this.isDown && this.server.listening && this.server.close());
      this.dropConnections();
    } else {
      const p = new Promise<void>((resolve) => {
        const done = () => {
          this.server.off('listening', done);
          this.server.off('error', done);
          resolve();
        };
        this.server.on('listening', done);
        this.server.on('error', done);
      });
      this.relisten = p;
      void p.then(() => {
        if (this.relisten === p) this.relisten = undefined;
      });
      this.server.listen(this.port, '127.0.0.1');
    }
  }

  /** Resolves once the server accepts connections again after `faults.down = false`. */
  async ready(): Promise<void> {
    await this.relisten;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.store.close();
    this.pods.close();
    await this.relisten;
    const closed = new Promise<void>((r) => (this.server.listening ? this.server.close(() => r()) : r()));
    this.dropConnections();
    for (const end of this.latencies) end();
    await closed;
  }

  /** Waits `faults.latencyMs`, or less if the server stops first. */
  private latency(): Promise<void> {
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.latencies.delete(end);
        resolve();
      };
      const timer = setTimeout(end, this.faults.latencyMs);
      this.latencies.add(end);
    });
  }

  resetRequests(): void {
    this.requests = 0;
    this.connections = 0;
  }

  // ------------------------------------------------------------ plumbing

  private send(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
    if (res.destroyed) return;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const buf = Buffer.from(text, 'utf8');
    res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': String(buf.length), 'Cache-Control': 'no-cache, private', 'Audit-Id': cryptoId() });
    const slow = this.faults.slowBodyMs;
    if (slow > 0 && buf.length > 1) {
      const half = Math.floor(buf.length / 2);
      res.write(buf.subarray(0, half));
      setTimeout(() => {
        if (!res.destroyed) res.end(buf.subarray(half));
      }, slow).unref();
    } else res.end(buf);
  }

  private sendError(res: ServerResponse, err: unknown): void {
    if (err instanceof ApiError) return this.send(res, err.code, err.toStatus());
    const msg = err instanceof Error ? err.message : String(err);
    this.send(res, 500, statusObject(500, 'InternalError', `Internal error occurred: ${msg}`));
  }

  private readBody(req: IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });
  }

  private authenticate(req: IncomingMessage): UserInfo | undefined {
    const auth = req.headers.authorization;
    if (auth) {
      const m = auth.match(/^Bearer\s+(\S+)$/i);
      if (!m) return undefined;
      const fixed = this.opts.staticTokens.get(m[1]!);
      if (fixed) return fixed;
      return this.store.authenticateToken(m[1]!);
    }
    const sock = req.socket as TLSSocket;
    if (!sock.authorized) return undefined;
    // A connection's certificate does not change: read it once (requests on a keep-alive connection reuse it).
    if (!this.certificateUsers.has(sock)) {
      const subject = sock.getPeerCertificate()?.subject as unknown as Record<string, string | string[]> | undefined;
      const o = subject?.O;
      const groups = Array.isArray(o) ? o : o ? [o] : [];
      this.certificateUsers.set(sock, subject?.CN ? { username: String(subject.CN), groups: [...groups, 'system:authenticated'] } : undefined);
    }
    return this.certificateUsers.get(sock);
  }

  // ------------------------------------------------------------ request entry

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    try {
      if (this.faults.latencyMs > 0) await this.latency();
      if (res.destroyed) return;
      const status = this.faults.errorStatus ?? this.faults.failRequest?.(req.method ?? 'GET', new URL(req.url ?? '/', 'https://localhost').pathname);
      if (status) {
        const reason = status === 503 ? 'ServiceUnavailable' : status === 429 ? 'TooManyRequests' : status === 504 ? 'Timeout' : 'InternalError';
        return this.send(res, status, statusObject(status, reason, `injected fault: HTTP ${status} from test cluster ${this.opts.name}`));
      }
      const url = new URL(req.url ?? '/', 'https://localhost');
      const user = this.authenticate(req);
      if (!user) {
        await this.readBody(req);
        return this.send(res, 401, statusObject(401, 'Unauthorized', 'Unauthorized'));
      }
      const raw = await this.readBody(req);
      let body = raw.toString('utf8');
      if (isProtobuf(req.headers['content-type']) && raw.length > 0) {
        try {
          body = JSON.stringify(decodeProtobuf(raw));
        } catch (err) {
          return this.send(res, 415, statusObject(415, 'UnsupportedMediaType', (err as Error).message));
        }
      }
      if (process.env.MC_TESTAPI_DEBUG) console.error('DEBUG', req.method, req.url, req.headers['content-type'], req.headers.accept, body.slice(0, 300));
      await this.route(req, res, url, user, body);
    } catch (err) {
      this.sendError(res, err);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL, user: UserInfo, body: string): Promise<void> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    const segs = path.split('/').filter((s) => s !== '').map(decodeURIComponent);

    // non-resource URLs
    const isResource = (segs[0] === 'api' && segs.length >= 3) || (segs[0] === 'apis' && segs.length >= 4);
    if (!isResource) {
      if (!authorizeNonResource(this.store.rbacView, user, method.toLowerCase() === 'get' ? 'get' : method.toLowerCase(), path)) {
        return this.send(res, 403, statusObject(403, 'Forbidden', `forbidden: User "${user.username}" cannot ${method.toLowerCase()} path "${path}"`));
      }
      return this.nonResource(res, path, segs);
    }

    // /api/v1/... or /apis/G/V/...
    let group = '';
    let version: string;
    let rest: string[];
    if (segs[0] === 'api') {
      version = segs[1]!;
      rest = segs.slice(2);
    } else {
      group = segs[1]!;
      version = segs[2]!;
      rest = segs.slice(3);
    }
    let legacyWatch = false;
    if (rest[0] === 'watch') {
      legacyWatch = true;
      rest = rest.slice(1);
    }
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && !['status', 'finalize'].includes(rest[2]!)) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [resource, name, subresource, ...extra] = rest;
    if (group === '' && resource === 'pods' && namespace && name && (subresource === 'proxy' || subresource === 'portforward')) {
      return this.podSubresource(res, method, user, namespace, name, subresource, extra, url);
    }
    const type = resource ? this.store.typeByResource(group, version, resource) : undefined;
    if (!type || extra.length > 0 || (subresource && !type.subresources.includes(subresource))) {
      return this.send(res, 404, statusObject(404, 'NotFound', 'the server could not find the requested resource'));
    }
    if (!type.namespaced && namespace !== undefined && type.resource !== 'namespaces') {
      return this.send(res, 404, statusObject(404, 'NotFound', 'the server could not find the requested resource'));
    }
    const r: Route = { type, version, namespace, name, subresource };
    if (type.resource === 'namespaces' && name) r.namespace = name;

    const q = url.searchParams;
    const watch = legacyWatch || q.get('watch') === 'true' || q.get('watch') === '1';
    let verb: string;
    switch (method) {
      case 'GET':
        verb = watch ? 'watch' : name ? 'get' : 'list';
        break;
      case 'POST':
        verb = 'create';
        break;
      case 'PUT':
        verb = 'update';
        break;
      case 'PATCH':
        verb = 'patch';
        break;
      case 'DELETE':
        verb = name ? 'delete' : 'deletecollection';
        break;
      default:
        return this.send(res, 405, statusObject(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`));
    }
    if (!type.verbs.includes(verb) && !(subresource && verb !== 'list')) {
      return this.send(res, 405, statusObject(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`));
    }
    const attrs: Attributes = { verb, apiGroup: type.group, resource: type.resource, subresource, namespace: type.resource === 'namespaces' ? name : namespace, name };
    if (!authorize(this.store.rbacView, user, attrs)) {
      const status = statusObject(403, 'Forbidden', forbiddenMessage(user, attrs), { name, group: type.group || undefined, kind: type.resource });
      return this.send(res, 403, status);
    }
    if (watch) return this.watch(req, res, r, q);
    if (type.virtual) return this.review(res, r, user, body);
    this.warnings = [];
    const out = this.dispatch(req, r, q, verb, body, user);
    if (this.warnings.length > 0) res.setHeader('Warning', this.warnings.map((w) => `299 - ${JSON.stringify(w)}`));
    const accept = req.headers.accept ?? '';
    if (verb === 'list' || (verb === 'get' && accept.includes('as=Table'))) {
      if (accept.includes('as=Table')) return this.send(res, 200, this.table(r, verb === 'list' ? out.items ?? [] : [out.obj], out.meta));
    }
    return this.send(res, out.code, out.body);
  }

  // ------------------------------------------------------------ pods/proxy, pods/portforward

  private static readonly PROXY_VERBS: Record<string, string> = { GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

  /** The Pod of a pods/... request and the port named in it (`NAME:PORT`, `NAME:PORTNAME`; 80 without). */
  private podAndPort(namespace: string, nameAndPort: string): { pod: Pod; name: string; port: number | undefined } {
    const parts = nameAndPort.split(':');
    const name = parts.length === 3 ? parts[1]! : parts[0]!;
    const portText = parts.length === 3 ? parts[2]! : parts[1];
    const pod = this.store.getObject<Pod>('v1', 'Pod', namespace, name);
    if (!pod) throw new ApiError(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });
    let port: number | undefined = 80;
    if (portText !== undefined && portText !== '') {
      port = /^\d+$/.test(portText) ? Number(portText) : undefined;
      if (port === undefined) {
        for (const c of pod.spec?.containers ?? []) for (const p of c.ports ?? []) if (p.name === portText) port = p.containerPort;
      }
    }
    return { pod, name, port };
  }

  private podSubresource(res: ServerResponse, method: string, user: UserInfo, namespace: string, nameAndPort: string, subresource: string, extra: string[], url: URL): Promise<void> | void {
    if (subresource === 'portforward') {
      // Port-forward is a connection upgrade (handleUpgrade); a plain request is refused as the API server does.
      return this.send(res, 400, statusObject(400, 'BadRequest', 'Upgrade request required'));
    }
    const verb = TestApiServer.PROXY_VERBS[method];
    if (!verb) return this.send(res, 405, statusObject(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
    const podName = nameAndPort.split(':').length === 3 ? nameAndPort.split(':')[1]! : nameAndPort.split(':')[0]!;
    const attrs: Attributes = { verb, apiGroup: '', resource: 'pods', subresource: 'proxy', namespace, name: podName };
    if (!authorize(this.store.rbacView, user, attrs)) {
      return this.send(res, 403, statusObject(403, 'Forbidden', forbiddenMessage(user, attrs), { name: podName, kind: 'pods' }));
    }
    const { pod, port } = this.podAndPort(namespace, nameAndPort);
    if (port === undefined) return this.send(res, 503, statusObject(503, 'ServiceUnavailable', `no such port on pod "${podName}"`));
    const path = `/${extra.map(encodeURIComponent).join('/')}${url.search}`;
    return this.pods.proxy(pod, port, method, path).then((a) => {
      if (res.destroyed) return;
      res.writeHead(a.status, { 'Content-Type': a.contentType, 'Content-Length': String(Buffer.byteLength(a.body)) });
      res.end(a.body);
    });
  }

  /** WebSocket upgrades: pods/portforward (v4.channel.k8s.io); anything else is refused as a real server refuses it. */
  private async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    this.requests++;
    const fail = (code: number, reason: string, message: string, details?: Record<string, unknown>) => {
      const body = JSON.stringify(statusObject(code, reason, message, details));
      if (!socket.destroyed) socket.end(`HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    };
    socket.on('error', () => socket.destroy());
    try {
      if (this.faults.latencyMs > 0) await this.latency();
      if (socket.destroyed) return;
      const injected = this.faults.errorStatus;
      if (injected) return fail(injected, 'InternalError', `injected fault: HTTP ${injected} from test cluster ${this.opts.name}`);
      const user = this.authenticate(req);
      if (!user) return fail(401, 'Unauthorized', 'Unauthorized');
      const url = new URL(req.url ?? '/', 'https://localhost');
      const segs = url.pathname.split('/').filter((x) => x !== '').map(decodeURIComponent);
      const isPortForward = segs.length === 7 && segs[0] === 'api' && segs[1] === 'v1' && segs[2] === 'namespaces' && segs[4] === 'pods' && segs[6] === 'portforward';
      if (!isPortForward) return fail(400, 'BadRequest', `the server does not upgrade connections for ${url.pathname}`);
      const namespace = segs[3]!;
      const name = segs[5]!;
      // A WebSocket upgrade is a GET, which API servers of this version authorize as the "get" verb.
      const attrs: Attributes = { verb: 'get', apiGroup: '', resource: 'pods', subresource: 'portforward', namespace, name };
      if (!authorize(this.store.rbacView, user, attrs)) return fail(403, 'Forbidden', forbiddenMessage(user, attrs), { name, kind: 'pods' });
      const pod = this.store.getObject<Pod>('v1', 'Pod', namespace, name);
      if (!pod) return fail(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });
      const ports = (url.searchParams.get('ports') ?? '').split(',').filter((p) => p !== '');
      if (ports.length !== 1 || !/^\d+$/.test(ports[0]!) || Number(ports[0]) < 1 || Number(ports[0]) > 65535) {
        return fail(400, 'BadRequest', `invalid port query "${url.searchParams.get('ports') ?? ''}": the test server forwards exactly one port`);
      }
      if (pod.status?.phase !== 'Running') return fail(400, 'BadRequest', `unable to upgrade connection: pod ${name} is not running (phase ${pod.status?.phase ?? 'Pending'})`);
      this.pods.portForward(req, socket, head, pod, Number(ports[0]));
    } catch (err) {
      fail(500, 'InternalError', `Internal error occurred: ${(err as Error).message}`);
    }
  }

  private parseBody(text: string): any {
    if (text.trim() === '') throw badRequest('the body of the request was empty');
    try {
      const { parseYamlOrJson } = storeMod;
      return parseYamlOrJson(text);
    } catch (err) {
      throw badRequest(`the body of the request could not be decoded: ${(err as Error).message}`);
    }
  }

  private dispatch(req: IncomingMessage, r: Route, q: URLSearchParams, verb: string, body: string, user: UserInfo): { code: number; body: unknown; items?: any[]; obj?: any; meta?: any } {
    const { type, version, namespace, name, subresource } = r;
    const s = this.store;
    const dryRun = q.getAll('dryRun').includes('All');
    const fieldManager = q.get('fieldManager') ?? undefined;
    const fieldValidation = q.get('fieldValidation') ?? undefined;
    const warnings = this.warnings;
    const view = (o: any) => s.asVersion(type, version, o);
    // Items of a list are serialized at once: a shallow copy in the requested version is enough (no deep clone).
    const serialized = (o: any) => ({ ...o, apiVersion: apiVersionOf(type.group, version), kind: type.kind });
    if (type.namespaced && type.resource !== 'namespaces' && verb !== 'list' && verb !== 'deletecollection' && !namespace) {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    switch (verb) {
      case 'get': {
        const obj = view(s.get(type, namespace, name!));
        if (subresource === 'scale') return { code: 200, body: scaleOf(obj), obj };
        return { code: 200, body: obj, obj };
      }
      case 'list': {
        const limit = q.get('limit') ? Number(q.get('limit')) : undefined;
        const page = s.list(type, namespace, { labelSelector: q.get('labelSelector'), fieldSelector: q.get('fieldSelector'), limit, continue: q.get('continue') });
        const items = page.items.map((o) => {
          const v = serialized(o);
          if (!type.custom) {
            delete v.apiVersion;
            delete v.kind;
          }
          return v;
        });
        const meta: Record<string, unknown> = { resourceVersion: s.resourceVersion };
        if (page.continue) {
          meta.continue = page.continue;
          meta.remainingItemCount = page.remaining;
        }
        return { code: 200, body: { kind: `${type.kind}List`, apiVersion: apiVersionOf(type.group, version), metadata: meta, items }, items: page.items.map(serialized), meta };
      }
      case 'create': {
        const obj = this.parseBody(body);
        if (subresource === 'token') return { code: 201, body: this.tokenRequest(type, namespace!, name!, obj) };
        if (subresource) throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
        const created = s.create(type, version, namespace, obj, { dryRun, fieldManager, fieldValidation, warnings });
        return { code: 201, body: view(created) };
      }
      case 'update': {
        const obj = this.parseBody(body);
        if (subresource === 'scale') return { code: 200, body: this.setScale(type, version, namespace, name!, obj) };
        return { code: 200, body: view(s.update(type, version, namespace, name!, obj, { dryRun, fieldManager, subresource, fieldValidation, warnings })) };
      }
      case 'patch': {
        const ct = req.headers['content-type'] ?? '';
        if (subresource === 'scale') {
          const current = scaleOf(view(s.get(type, namespace, name!)));
          const ctype = ct.split(';')[0]!.trim();
          let doc: any;
          try {
            doc = JSON.parse(body);
          } catch (err) {
            throw badRequest(`error decoding patch: ${(err as Error).message}`);
          }
          const next = ctype === 'application/json-patch+json' ? jsonPatch(current, doc) : ctype === 'application/strategic-merge-patch+json' ? strategicMerge(current, doc) : mergePatch(current, doc);
          return { code: 200, body: this.setScale(type, version, namespace, name!, next) };
        }
        const force = q.get('force') === 'true';
        const existed = ct.startsWith('application/apply-patch') ? s.objects(type, namespace).some((o) => o.metadata.name === name) : true;
        const out = view(s.patch(type, version, namespace, name!, ct, body, { dryRun, fieldManager, force, subresource, fieldValidation, warnings }));
        return { code: existed ? 200 : 201, body: out };
      }
      case 'delete': {
        let opts: any = {};
        if (body.trim() !== '') {
          try {
            opts = JSON.parse(body);
          } catch {
            throw badRequest('the body of the request could not be decoded as DeleteOptions');
          }
        }
        const gone = s.delete(type, namespace, name!, { dryRun: dryRun || (opts.dryRun ?? []).includes('All'), preconditions: opts.preconditions });
        return { code: 200, body: view(gone) };
      }
      case 'deletecollection': {
        const page = s.list(type, namespace, { labelSelector: q.get('labelSelector'), fieldSelector: q.get('fieldSelector') });
        for (const o of page.items) s.delete(type, o.metadata.namespace, o.metadata.name, { dryRun });
        return { code: 200, body: { kind: `${type.kind}List`, apiVersion: apiVersionOf(type.group, version), metadata: { resourceVersion: s.resourceVersion }, items: page.items.map(view) } };
      }
    }
    void user;
    throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  }

  private setScale(type: ResourceType, version: string, ns: string | undefined, name: string, scale: any): any {
    const obj = this.store.get(type, ns, name);
    const next = clone(obj);
    next.spec = { ...(next.spec ?? {}), replicas: scale?.spec?.replicas ?? 0 };
    const updated = this.store.update(type, version, ns, name, next);
    return scaleOf(this.store.asVersion(type, version, updated));
  }

  private tokenRequest(type: ResourceType, ns: string, name: string, body: any): any {
    void type;
    const spec = body?.spec ?? {};
    const { token, expirationTimestamp } = this.store.requestToken(ns, name, spec);
    return {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name, namespace: ns, creationTimestamp: null },
      spec: { audiences: spec.audiences?.length ? spec.audiences : ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: spec.expirationSeconds ?? 3600, boundObjectRef: spec.boundObjectRef ?? null },
      status: { token, expirationTimestamp },
    };
  }

  // ------------------------------------------------------------ reviews

  private review(res: ServerResponse, r: Route, user: UserInfo, text: string): void {
    const body = this.parseBody(text);
    const spec = body?.spec ?? {};
    const base = { apiVersion: apiVersionOf(r.type.group, r.version), kind: r.type.kind, metadata: { creationTimestamp: null } };
    switch (r.type.resource) {
      case 'selfsubjectaccessreviews':
      case 'subjectaccessreviews':
      case 'localsubjectaccessreviews': {
        const who: UserInfo = r.type.resource === 'selfsubjectaccessreviews' ? user : { username: spec.user ?? '', groups: spec.groups ?? [] };
        if (r.type.resource === 'subjectaccessreviews' && spec.user?.startsWith('system:serviceaccount:')) {
          const [, , ns] = spec.user.split(':');
          who.groups = [...who.groups, 'system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'];
        }
        let allowed: boolean;
        if (spec.resourceAttributes) {
          const a = spec.resourceAttributes;
          allowed = authorize(this.store.rbacView, who, { verb: a.verb ?? '', apiGroup: a.group ?? '', resource: a.resource ?? '', subresource: a.subresource || undefined, namespace: a.namespace || (r.type.resource === 'localsubjectaccessreviews' ? r.namespace : undefined), name: a.name || undefined });
        } else if (spec.nonResourceAttributes) {
          allowed = authorizeNonResource(this.store.rbacView, who, spec.nonResourceAttributes.verb ?? '', spec.nonResourceAttributes.path ?? '');
        } else {
          throw new ApiError(422, 'Invalid', `${r.type.kind}.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified`);
        }
        const status: Record<string, unknown> = { allowed };
        if (allowed) status.reason = isSuperUser(who) ? '' : 'RBAC: allowed by a binding';
        return this.send(res, 201, { ...base, spec, status });
      }
      case 'selfsubjectrulesreview':
      case 'selfsubjectrulesreviews': {
        const ns = spec.namespace || undefined;
        const rules = rulesFor(this.store.rbacView, user, ns);
        const resourceRules = rules
          .filter((x) => x.resources || x.apiGroups)
          .map((x) => ({ verbs: x.verbs ?? [], apiGroups: x.apiGroups ?? [], resources: x.resources ?? [], ...(x.resourceNames?.length ? { resourceNames: x.resourceNames } : {}) }));
        resourceRules.push(
          { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] },
          { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
        );
        const nonResourceRules = rules.filter((x) => x.nonResourceURLs).map((x) => ({ verbs: x.verbs ?? [], nonResourceURLs: x.nonResourceURLs ?? [] }));
        nonResourceRules.push({ verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'] });
        return this.send(res, 201, { ...base, spec, status: { resourceRules, nonResourceRules, incomplete: false } });
      }
      case 'selfsubjectreviews':
        return this.send(res, 201, { ...base, status: { userInfo: { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups } } });
      case 'tokenreviews': {
        const u = spec.token ? this.store.authenticateToken(spec.token) ?? this.opts.staticTokens.get(spec.token) : undefined;
        return this.send(res, 201, { ...base, spec: {}, status: u ? { authenticated: true, user: u, audiences: spec.audiences ?? [] } : { authenticated: false, user: {} } });
      }
    }
    void ruleAllows;
    void nonResourceAllows;
    throw notFound(r.type, '');
  }

  // ------------------------------------------------------------ watch

  private watch(req: IncomingMessage, res: ServerResponse, r: Route, q: URLSearchParams): void {
    const { type, version, namespace } = r;
    const labels = parseLabelSelectorOr400(q.get('labelSelector'));
    const fields = parseFieldSelectorOr400(q.get('fieldSelector'), type.kind);
    const name = r.name;
    const gr = `${type.group}/${type.resource}`;
    const matches = (o: any) =>
      o && (!type.namespaced || !namespace || o.metadata.namespace === namespace) && (!name || o.metadata.name === name) && labels(o.metadata.labels) && fields(o);
    // Events are serialized at once: a shallow copy in the watched version is enough (no deep clone).
    const view = (o: any) => ({ ...o, apiVersion: apiVersionOf(type.group, version), kind: type.kind });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders(); // clients wait for the headers before they read events
    this.watches.add(res);
    const write = (type: string, object: any) => {
      if (!res.destroyed) res.write(JSON.stringify({ type, object }) + '\n');
    };
    const onEvent = (ev: StoreEvent) => {
      if (ev.gr !== gr) return;
      const now = matches(ev.object);
      const before = ev.old ? matches(ev.old) : false;
      if (ev.type === 'DELETED') {
        if (now) write('DELETED', view(ev.object));
      } else if (now && before) write('MODIFIED', view(ev.object));
      else if (now) write('ADDED', view(ev.object));
      else if (before) write('DELETED', view(ev.object));
    };
    const rvParam = q.get('resourceVersion');
    if (!rvParam || rvParam === '0' || q.get('sendInitialEvents') === 'true') {
      for (const o of this.store.objects(type, namespace)) if (matches(o)) write('ADDED', view(o));
      if (q.get('sendInitialEvents') === 'true' && q.get('allowWatchBookmarks') === 'true') {
        write('BOOKMARK', { kind: type.kind, apiVersion: apiVersionOf(type.group, version), metadata: { resourceVersion: this.store.resourceVersion, annotations: { 'k8s.io/initial-events-end': 'true' } } });
      }
    } else {
      const past = this.store.eventsSince(Number(rvParam));
      if (!past) {
        write('ERROR', statusObject(410, 'Expired', `too old resource version: ${rvParam} (${this.store.resourceVersion})`));
        res.end();
        this.watches.delete(res);
        return;
      }
      for (const ev of past) onEvent(ev);
    }
    const off = this.store.onEvent(onEvent);
    const end = () => {
      off();
      clearTimeout(timer);
      this.watches.delete(res);
      if (!res.destroyed) res.end();
    };
    const timeout = Number(q.get('timeoutSeconds') ?? 1800);
    const timer = setTimeout(end, timeout * 1000);
    timer.unref();
    req.on('close', end);
    res.on('close', end);
  }

  // ------------------------------------------------------------ non-resource

  private nonResource(res: ServerResponse, path: string, segs: string[]): void {
    if (path === '/version') return this.send(res, 200, VERSION);
    if (['/healthz', '/livez', '/readyz'].includes(path)) return this.send(res, 200, 'ok', 'text/plain; charset=utf-8');
    if (path === '/api') {
      return this.send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${this.port}` }] });
    }
    if (path === '/apis') return this.send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: this.groups() });
    if (segs[0] === 'apis' && segs.length === 2) {
      const g = this.groups().find((x) => x.name === segs[1]);
      if (!g) return this.send(res, 404, statusObject(404, 'NotFound', 'the server could not find the requested resource'));
      return this.send(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...g });
    }
    if (path === '/openapi/v3') return this.send(res, 200, this.openapiRoot());
    if (segs[0] === 'openapi' && segs[1] === 'v3' && segs.length >= 4) {
      const doc = this.openapiDoc(segs.slice(2).join('/'));
      if (doc) return this.send(res, 200, doc);
    }
    if (segs[0] === 'api' && segs.length === 2) return this.resourceList(res, '', segs[1]!);
    if (segs[0] === 'apis' && segs.length === 3) return this.resourceList(res, segs[1]!, segs[2]!);
    return this.send(res, 404, statusObject(404, 'NotFound', 'the server could not find the requested resource'));
  }

  private gvPaths(): string[] {
    const out = new Set<string>();
    for (const t of this.store.allTypes()) for (const v of t.versions) out.add(t.group === '' ? `api/${v}` : `apis/${t.group}/${v}`);
    return [...out].sort();
  }

  /**
   * A minimal OpenAPI v3 discovery: per group-version, the PATCH operations
   * with their GVK and the fieldValidation parameter, which is what kubectl
   * looks for before it uses server-side field validation. No schemas.
   */
  private openapiRoot(): object {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const p of this.gvPaths()) {
      const hash = createHash('sha256').update(JSON.stringify(this.openapiDoc(p))).digest('hex').slice(0, 32).toUpperCase();
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hash}` };
    }
    return { paths };
  }

  private openapiDoc(gvPath: string): object | undefined {
    if (!this.gvPaths().includes(gvPath)) return undefined;
    const parts = gvPath.split('/');
    const group = parts[0] === 'api' ? '' : parts[1]!;
    const version = parts[parts.length - 1]!;
    const paths: Record<string, object> = {};
    const params = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({ name, in: 'query', schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true } }));
    for (const t of this.store.allTypes()) {
      if (t.group !== group || !t.versions.includes(version) || t.virtual) continue;
      const base = `/${gvPath}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.resource}/{name}`;
      paths[base] = {
        patch: {
          operationId: `patch${t.kind}`,
          'x-kubernetes-action': 'patch',
          'x-kubernetes-group-version-kind': { group: t.group, version, kind: t.kind },
          parameters: params,
          responses: { '200': { description: 'OK' } },
        },
      };
    }
    return { openapi: '3.0.0', info: { title: 'Kubernetes', version: VERSION.gitVersion }, paths, components: { schemas: {} } };
  }

  private groups(): Array<{ name: string; versions: Array<{ groupVersion: string; version: string }>; preferredVersion: { groupVersion: string; version: string } }> {
    const byGroup = new Map<string, string[]>();
    for (const t of this.store.allTypes()) {
      if (t.group === '') continue;
      const vs = byGroup.get(t.group) ?? [];
      for (const v of t.versions) if (!vs.includes(v)) vs.push(v);
      byGroup.set(t.group, vs);
    }
    return [...byGroup.entries()].map(([name, versions]) => {
      const sorted = [...versions].sort(compareVersions);
      const gv = (v: string) => ({ groupVersion: `${name}/${v}`, version: v });
      return { name, versions: sorted.map(gv), preferredVersion: gv(sorted[0]!) };
    });
  }

  private resourceList(res: ServerResponse, group: string, version: string): void {
    const types = this.store.allTypes().filter((t) => t.group === group && t.versions.includes(version));
    if (types.length === 0) return this.send(res, 404, statusObject(404, 'NotFound', 'the server could not find the requested resource'));
    const resources: any[] = [];
    for (const t of types) {
      const e: any = { name: t.resource, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: t.verbs };
      if (t.shortNames?.length) e.shortNames = t.shortNames;
      if (t.categories?.length) e.categories = t.categories;
      resources.push(e);
      for (const sub of t.subresources) {
        const k = SUBRESOURCE_KINDS[sub];
        if (!k) continue;
        const se: any = { name: `${t.resource}/${sub}`, singularName: '', namespaced: t.namespaced, kind: k.kind || t.kind, verbs: k.verbs };
        if (k.group) {
          se.group = k.group;
          se.version = k.version;
        }
        resources.push(se);
      }
    }
    this.send(res, 200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources });
  }

  // ------------------------------------------------------------ tables (kubectl get)

  private table(r: Route, items: any[], meta: any): object {
    const cols: Array<{ name: string; type: string; format?: string; description: string; priority: number; get: (o: any) => unknown }> = [
      { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0, get: (o) => o.metadata.name },
    ];
    const age = { name: 'Age', type: 'string', description: 'CreationTimestamp', priority: 0, get: (o: any) => ageOf(o.metadata.creationTimestamp) };
    const k = r.type.kind;
    if (k === 'Pod') {
      cols.push(
        { name: 'Ready', type: 'string', description: 'ready containers', priority: 0, get: (o) => `${(o.status?.containerStatuses ?? []).filter((c: any) => c.ready).length}/${(o.spec?.containers ?? []).length}` },
        { name: 'Status', type: 'string', description: 'phase', priority: 0, get: (o) => o.status?.phase ?? 'Pending' },
        { name: 'Restarts', type: 'string', description: 'restarts', priority: 0, get: (o) => String((o.status?.containerStatuses ?? []).reduce((n: number, c: any) => n + (c.restartCount ?? 0), 0)) },
      );
    } else if (k === 'Service') {
      cols.push(
        { name: 'Type', type: 'string', description: 'type', priority: 0, get: (o) => o.spec?.type },
        { name: 'Cluster-IP', type: 'string', description: 'cluster IP', priority: 0, get: (o) => o.spec?.clusterIP ?? '<none>' },
        { name: 'External-IP', type: 'string', description: 'external IPs', priority: 0, get: (o) => (o.status?.loadBalancer?.ingress ?? []).map((i: any) => i.ip ?? i.hostname).join(',') || (o.spec?.type === 'LoadBalancer' ? '<pending>' : '<none>') },
        { name: 'Port(s)', type: 'string', description: 'ports', priority: 0, get: (o) => (o.spec?.ports ?? []).map((p: any) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',') },
      );
    } else if (k === 'Deployment') {
      cols.push(
        { name: 'Ready', type: 'string', description: 'ready', priority: 0, get: (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}` },
        { name: 'Up-to-date', type: 'integer', description: 'updated', priority: 0, get: (o) => o.status?.updatedReplicas ?? 0 },
        { name: 'Available', type: 'integer', description: 'available', priority: 0, get: (o) => o.status?.availableReplicas ?? 0 },
      );
    } else if (k === 'Secret') {
      cols.push(
        { name: 'Type', type: 'string', description: 'type', priority: 0, get: (o) => o.type },
        { name: 'Data', type: 'string', description: 'keys', priority: 0, get: (o) => Object.keys(o.data ?? {}).length },
      );
    } else if (k === 'ConfigMap') {
      cols.push({ name: 'Data', type: 'integer', description: 'keys', priority: 0, get: (o) => Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length });
    } else if (k === 'Namespace') {
      cols.push({ name: 'Status', type: 'string', description: 'phase', priority: 0, get: (o) => o.status?.phase });
    } else if (k === 'Endpoints') {
      cols.push({ name: 'Endpoints', type: 'string', description: 'addresses', priority: 0, get: (o) => (o.subsets ?? []).flatMap((s: any) => (s.addresses ?? []).flatMap((a: any) => (s.ports ?? []).map((p: any) => `${a.ip}:${p.port}`))).join(',') || '<none>' });
    } else if (r.type.printerColumns) {
      for (const c of r.type.printerColumns) {
        if (c.jsonPath === '.metadata.creationTimestamp') continue;
        cols.push({ name: c.name, type: c.type, description: c.description ?? '', priority: c.priority ?? 0, get: (o) => jsonPathGet(o, c.jsonPath) ?? '' });
      }
    }
    cols.push(age);
    return {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: meta?.resourceVersion ?? this.store.resourceVersion, ...(meta?.continue ? { continue: meta.continue, remainingItemCount: meta.remainingItemCount } : {}) },
      columnDefinitions: cols.map(({ get: _g, ...c }) => c),
      rows: items.map((o) => ({
        cells: cols.map((c) => c.get(o)),
        object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
      })),
    };
  }
}

import * as storeMod from './store.js';

function parseLabelSelectorOr400(s: string | null) {
  try {
    return parseLabelSelector(s);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

function parseFieldSelectorOr400(s: string | null, kind: string) {
  try {
    return parseFieldSelector(s, kind);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

function scaleOf(obj: any): any {
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp },
    spec: { replicas: obj.spec?.replicas ?? 0 },
    status: { replicas: obj.status?.replicas ?? 0, selector: Object.entries(obj.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') },
  };
}

function jsonPathGet(o: any, path: string): unknown {
  let cur = o;
  for (const p of path.replace(/^\./, '').split('.')) cur = cur?.[p];
  return cur;
}

function ageOf(ts: string | undefined): string {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 3600 * 3) return `${Math.floor(s / 60)}m`;
  if (s < 86400 * 2) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first. */
function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = v.match(/^v(\d+)(?:(alpha|beta)(\d+))?$/);
    if (!m) return [0, 0, 0];
    const level = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [level, Number(m[1]), Number(m[3] ?? 0)];
  };
  const [la, ma, na] = parse(a);
  const [lb, mb, nb] = parse(b);
  return lb! - la! || mb! - ma! || nb! - na!;
}

let idCounter = 0;
function cryptoId(): string {
  idCounter = (idCounter + 1) % 1e9;
  return `00000000-0000-4000-8000-${String(idCounter).padStart(12, '0')}`;
}
