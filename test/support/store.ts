/**
 * The state of one test cluster: typed object storage with the semantics a
 * client can observe (uid, resourceVersion, generation, Status errors,
 * namespaces, status subresources, CRDs) plus the few controllers whose
 * effects clients wait for (token controller, namespace defaults and
 * deletion, CRD establishment, Service IP allocation).
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { builtinTypes, splitApiVersion, apiVersionOf, type ResourceType } from './types.js';
import { applyConflicts, applyMerge, clone, fieldsV1, jsonPatch, mergePatch, PatchError, strategicMerge } from './patch.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';
import { applySchema } from './schema.js';
import type { UserInfo } from './rbac.js';
import type { KubeObject } from './kube-object.js';

// ---------------------------------------------------------------- Status errors

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: Array<{ reason: string; message: string; field?: string }>;
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): object {
    return statusObject(this.code, this.reason, this.message, this.details);
  }
}

export function statusObject(code: number, reason: string, message: string, details?: StatusDetails): object {
  const s: Record<string, unknown> = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) s.details = details;
  return s;
}

const qualified = (t: ResourceType) => (t.group ? `${t.resource}.${t.group}` : t.resource);

export function notFound(t: ResourceType, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(t)} "${name}" not found`, { name, group: t.group || undefined, kind: t.resource });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function invalid(t: ResourceType, name: string, causes: Array<{ field: string; message: string; reason?: string }>): ApiError {
  const msg = `${t.kind} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`;
  return new ApiError(422, 'Invalid', msg, {
    name,
    group: t.group || undefined,
    kind: t.kind,
    causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })),
  });
}

// ---------------------------------------------------------------- validation

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Kinds whose names must be DNS labels (not just subdomains). */
const LABEL_NAMED = new Set(['Namespace', 'Service']);

function qualifiedNameErrors(field: string, key: string): Array<{ field: string; message: string }> {
  const parts = key.split('/');
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  const prefix = parts.length === 2 ? parts[0]! : undefined;
  const errs: Array<{ field: string; message: string }> = [];
  if (parts.length > 2 || !LABEL_NAME.test(name) || name.length > 63 || (prefix !== undefined && (!DNS1123_SUBDOMAIN.test(prefix) || prefix.length > 253))) {
    errs.push({ field, message: `Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')` });
  }
  return errs;
}

function validateMeta(t: ResourceType, obj: any): void {
  const name: string = obj.metadata?.name ?? '';
  const causes: Array<{ field: string; message: string; reason?: string }> = [];
  if (!name) causes.push({ field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' });
  else if (LABEL_NAMED.has(t.kind) ? !DNS1123_LABEL.test(name) || name.length > 63 : !DNS1123_SUBDOMAIN.test(name) || name.length > 253) {
    causes.push({
      field: 'metadata.name',
      message: LABEL_NAMED.has(t.kind)
        ? `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`
        : `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    });
  }
  for (const [k, v] of Object.entries(obj.metadata?.labels ?? {})) {
    causes.push(...qualifiedNameErrors('metadata.labels', k));
    if (typeof v !== 'string' || !LABEL_VALUE.test(v) || v.length > 63) {
      causes.push({ field: 'metadata.labels', message: `Invalid value: "${String(v)}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')` });
    }
  }
  for (const [k, v] of Object.entries(obj.metadata?.annotations ?? {})) {
    causes.push(...qualifiedNameErrors('metadata.annotations', k));
    if (typeof v !== 'string') causes.push({ field: `metadata.annotations.${k}`, message: 'Invalid value: must be a string' });
  }
  if (causes.length > 0) throw invalid(t, name, causes);
}

function validateKind(t: ResourceType, obj: any): void {
  const name = obj.metadata?.name ?? '';
  if (t.kind === 'Secret' || t.kind === 'ConfigMap') {
    for (const [k, v] of Object.entries(obj.data ?? {})) {
      if (!/^[-._a-zA-Z0-9]+$/.test(k)) throw invalid(t, name, [{ field: `data[${k}]`, message: `Invalid value: "${k}": a valid config key must consist of alphanumeric characters, '-', '_' or '.'` }]);
      if (typeof v !== 'string') throw badRequest(`${t.kind} in version "v1" cannot be handled as a ${t.kind}: data.${k} must be a string`);
      if (t.kind === 'Secret' && !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
        throw badRequest(`Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0`);
      }
    }
  }
  if (t.kind === 'Service') {
    const ports = obj.spec?.ports ?? [];
    const type = obj.spec?.type ?? 'ClusterIP';
    if (ports.length === 0 && type !== 'ExternalName' && obj.spec?.clusterIP !== 'None') {
      throw invalid(t, name, [{ field: 'spec.ports', message: 'Required value', reason: 'FieldValueRequired' }]);
    }
    ports.forEach((p: any, i: number) => {
      if (!(Number.isInteger(p.port) && p.port > 0 && p.port < 65536)) throw invalid(t, name, [{ field: `spec.ports[${i}].port`, message: `Invalid value: ${JSON.stringify(p.port)}: must be between 1 and 65535, inclusive` }]);
      if (ports.length > 1 && !p.name) throw invalid(t, name, [{ field: `spec.ports[${i}].name`, message: 'Required value', reason: 'FieldValueRequired' }]);
    });
  }
  if (t.kind === 'CustomResourceDefinition') {
    const s = obj.spec ?? {};
    const causes: Array<{ field: string; message: string }> = [];
    if (!s.group) causes.push({ field: 'spec.group', message: 'Required value' });
    if (!s.names?.plural) causes.push({ field: 'spec.names.plural', message: 'Required value' });
    if (!s.names?.kind) causes.push({ field: 'spec.names.kind', message: 'Required value' });
    if (!['Namespaced', 'Cluster'].includes(s.scope)) causes.push({ field: 'spec.scope', message: `Unsupported value: ${JSON.stringify(s.scope)}: supported values: "Cluster", "Namespaced"` });
    if (!Array.isArray(s.versions) || s.versions.length === 0) causes.push({ field: 'spec.versions', message: 'Invalid value: must have exactly one version marked as storage version' });
    else if (s.versions.filter((v: any) => v.storage).length !== 1) causes.push({ field: 'spec.versions', message: 'Invalid value: must have exactly one version marked as storage version' });
    if (s.group && s.names?.plural && name !== `${s.names.plural}.${s.group}`) causes.push({ field: 'metadata.name', message: `Invalid value: "${name}": must be spec.names.plural+"."+spec.group` });
    if (causes.length > 0) throw invalid(t, name, causes);
  }
  if (['RoleBinding', 'ClusterRoleBinding'].includes(t.kind)) {
    if (!obj.roleRef?.name || !obj.roleRef?.kind) throw invalid(t, name, [{ field: 'roleRef', message: 'Required value' }]);
  }
}

// ---------------------------------------------------------------- the store

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  rv: number;
  type: WatchEventType;
  gr: string;
  object: KubeObject;
  old?: KubeObject;
}

/** Fields a main-resource write may not change where a status subresource exists. */
const WITH_GENERATION = new Set(['apps', 'batch', 'policy', 'apiextensions.k8s.io', 'networking.k8s.io']);

const SA_TOKEN_TYPE = 'kubernetes.io/service-account-token';
const SA_NAME_ANN = 'kubernetes.io/service-account.name';
const SA_UID_ANN = 'kubernetes.io/service-account.uid';

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  subresource?: string;
  /** Version of the request (custom resources are checked against its schema). */
  version?: string;
  /** fieldValidation query parameter: Ignore, Warn (default) or Strict. */
  fieldValidation?: string;
  /** Warnings for the client (Warning headers), e.g. pruned unknown fields. */
  warnings?: string[];
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

export class ClusterStore {
  private rv = 1000;
  private readonly types = new Map<string, ResourceType>(); // group/resource
  private readonly data = new Map<string, Map<string, any>>(); // group/resource -> ns/name -> obj
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<(ev: StoreEvent) => void>();
  private readonly tokenKey = randomBytes(32);
  /** Last applied configuration per object and field manager (server-side apply). */
  private readonly applied = new Map<string, Map<string, any>>();
  private nextIp = 10;
  historyLimit = 20000;
  /** Delay before a deleted namespace and its contents disappear (0 = at once). */
  namespaceFinalizeMs = 500;
  private readonly pending = new Map<NodeJS.Timeout, string>();

  constructor(
    readonly clusterName: string,
    readonly caPem: string,
  ) {
    for (const t of builtinTypes()) this.addType(t);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) this.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    this.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'], ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] } });
    this.put({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'cluster-admin', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }] });
    this.put({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'cluster-admin', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:masters' }] });
  }

  get resourceVersion(): string {
    return String(this.rv);
  }

  // ------------------------------------------------------------ types

  private addType(t: ResourceType): void {
    const key = `${t.group}/${t.resource}`;
    this.types.set(key, t);
    if (!this.data.has(key)) this.data.set(key, new Map());
  }

  allTypes(): ResourceType[] {
    return [...this.types.values()];
  }

  typeByResource(group: string, version: string, resource: string): ResourceType | undefined {
    const t = this.types.get(`${group}/${resource}`);
    return t && t.versions.includes(version) ? t : undefined;
  }

  typeByKind(apiVersion: string, kind: string): ResourceType | undefined {
    const { group, version } = splitApiVersion(apiVersion);
    for (const t of this.types.values()) if (t.group === group && t.kind === kind && t.versions.includes(version)) return t;
    return undefined;
  }

  private typeOrThrow(apiVersion: string, kind: string): ResourceType {
    const t = this.typeByKind(apiVersion, kind);
    if (!t) throw new Error(`test API server (${this.clusterName}): no resource type for ${apiVersion} ${kind} (create its CRD first)`);
    return t;
  }

  // ------------------------------------------------------------ events

  onEvent(fn: (ev: StoreEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Events after resourceVersion `rv` (undefined when history no longer reaches back). */
  eventsSince(rv: number): StoreEvent[] | undefined {
    const first = this.history[0];
    if (first && first.rv > rv + 1 && this.history.length >= this.historyLimit) return undefined;
    return this.history.filter((e) => e.rv > rv);
  }

  private emit(ev: StoreEvent): void {
    this.history.push(ev);
    if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit);
    for (const l of [...this.listeners]) l(ev);
  }

  // ------------------------------------------------------------ low-level storage

  private bucket(t: ResourceType): Map<string, any> {
    return this.data.get(`${t.group}/${t.resource}`)!;
  }

  private key(ns: string | undefined, name: string): string {
    return `${ns ?? ''}/${name}`;
  }

  private raw(t: ResourceType, ns: string | undefined, name: string): any | undefined {
    return this.bucket(t).get(this.key(t.namespaced ? ns : undefined, name));
  }

  private store(t: ResourceType, obj: any, type: WatchEventType, old?: any): any {
    this.rv += 1;
    obj.metadata.resourceVersion = String(this.rv);
    this.bucket(t).set(this.key(obj.metadata.namespace, obj.metadata.name), obj);
    this.emit({ rv: this.rv, type, gr: `${t.group}/${t.resource}`, object: clone(obj), old: old && clone(old) });
    return obj;
  }

  private erase(t: ResourceType, obj: any): void {
    const k = this.key(obj.metadata.namespace, obj.metadata.name);
    if (!this.bucket(t).delete(k)) return;
    this.applied.delete(`${t.group}/${t.resource}/${k}`);
    this.rv += 1;
    const gone = clone(obj);
    gone.metadata.resourceVersion = String(this.rv);
    this.emit({ rv: this.rv, type: 'DELETED', gr: `${t.group}/${t.resource}`, object: gone });
    this.afterDelete(t, obj);
  }

  /** Stored objects of a type, sorted by namespace/name like etcd keys. */
  objects(t: ResourceType, ns?: string): KubeObject[] {
    const all = [...this.bucket(t).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o);
    return ns && t.namespaced ? all.filter((o) => o.metadata.namespace === ns) : all;
  }

  // ------------------------------------------------------------ direct access (tests)

  put<T extends KubeObject>(input: T): T {
    const obj: any = clone(input);
    if (!obj?.apiVersion || !obj?.kind || !obj?.metadata?.name) throw new Error('put() needs apiVersion, kind and metadata.name');
    const t = this.typeOrThrow(obj.apiVersion, obj.kind);
    if (t.namespaced) {
      obj.metadata.namespace ??= 'default';
      if (!this.raw(this.nsType(), undefined, obj.metadata.namespace)) this.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: obj.metadata.namespace } });
    } else delete obj.metadata.namespace;
    const old = this.raw(t, obj.metadata.namespace, obj.metadata.name);
    this.prepare(t, obj, old);
    if (old) {
      obj.metadata.uid = old.metadata.uid;
      obj.metadata.creationTimestamp = old.metadata.creationTimestamp;
      if (old.metadata.generation !== undefined && obj.metadata.generation === undefined) {
        obj.metadata.generation = old.metadata.generation + (specChanged(old, obj) ? 1 : 0);
      }
    }
    this.store(t, obj, old ? 'MODIFIED' : 'ADDED', old);
    this.afterWrite(t, obj, old, true);
    return clone(this.raw(t, obj.metadata.namespace, obj.metadata.name));
  }

  getObject<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, ns: string | undefined, name: string): T | undefined {
    const t = this.typeByKind(apiVersion, kind);
    if (!t) return undefined;
    const o = this.raw(t, ns ?? 'default', name);
    return o && (this.asVersion(t, splitApiVersion(apiVersion).version, o) as T);
  }

  listObjects<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, ns?: string): T[] {
    const t = this.typeByKind(apiVersion, kind);
    if (!t) return [];
    const version = splitApiVersion(apiVersion).version;
    return this.objects(t, ns).map((o) => this.asVersion(t, version, o) as T);
  }

  /** Read-only views without copies (for the authorizer). */
  readonly rbacView = {
    list: (apiVersion: string, kind: string, ns?: string): KubeObject[] => {
      const t = this.typeByKind(apiVersion, kind);
      return t ? this.objects(t, ns) : [];
    },
    get: (apiVersion: string, kind: string, ns: string | undefined, name: string): KubeObject | undefined => {
      const t = this.typeByKind(apiVersion, kind);
      return t ? this.raw(t, ns, name) : undefined;
    },
  };

  removeObject(apiVersion: string, kind: string, ns: string | undefined, name: string): boolean {
    const t = this.typeByKind(apiVersion, kind);
    if (!t) return false;
    const o = this.raw(t, ns ?? 'default', name);
    if (!o) return false;
    this.erase(t, o);
    return true;
  }

  /** A copy of a stored object as seen through `version`. */
  asVersion(t: ResourceType, version: string, o: KubeObject): KubeObject {
    const c = clone(o);
    c.apiVersion = apiVersionOf(t.group, version);
    c.kind = t.kind;
    return c;
  }

  private nsType(): ResourceType {
    return this.types.get('/namespaces')!;
  }

  // ------------------------------------------------------------ API operations

  get(t: ResourceType, ns: string | undefined, name: string): KubeObject {
    const o = this.raw(t, ns, name);
    if (!o) throw notFound(t, name);
    return o;
  }

  list(t: ResourceType, ns: string | undefined, q: { labelSelector?: string | null; fieldSelector?: string | null; limit?: number; continue?: string | null }): { items: KubeObject[]; continue?: string; remaining?: number } {
    let labels, fields;
    try {
      labels = parseLabelSelector(q.labelSelector);
      fields = parseFieldSelector(q.fieldSelector, t.kind);
    } catch (err) {
      if (err instanceof SelectorError) throw badRequest(err.message);
      throw err;
    }
    let items = this.objects(t, ns).filter((o) => labels(o.metadata.labels) && fields(o));
    if (q.continue) {
      let after: string;
      try {
        after = JSON.parse(Buffer.from(q.continue, 'base64url').toString('utf8')).start;
      } catch {
        throw badRequest('continue key is not valid: illegal base64 data');
      }
      items = items.filter((o) => this.key(o.metadata.namespace, o.metadata.name) > after);
    }
    if (q.limit && q.limit > 0 && items.length > q.limit) {
      const page = items.slice(0, q.limit);
      const last = page[page.length - 1];
      const token = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: this.rv, start: this.key(last.metadata.namespace, last.metadata.name) })).toString('base64url');
      return { items: page, continue: token, remaining: items.length - q.limit };
    }
    return { items };
  }

  private requireNamespace(t: ResourceType, ns: string | undefined): void {
    if (!t.namespaced) return;
    if (!ns) throw badRequest('the server could not find the requested resource');
    const nsObj = this.raw(this.nsType(), undefined, ns);
    if (!nsObj) throw new ApiError(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
    if (nsObj.status?.phase === 'Terminating') {
      throw new ApiError(403, 'Forbidden', `${qualified(t)} is forbidden: unable to create new content in namespace ${ns} because it is being terminated`);
    }
  }

  private checkBody(t: ResourceType, version: string, ns: string | undefined, body: any): any {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body of the request was in an unknown format - accepted media types include: application/json, application/yaml');
    const av = apiVersionOf(t.group, version);
    if (body.kind !== undefined && body.kind !== t.kind) throw badRequest(`the kind of the object (${body.kind}) does not match the kind of the request (${t.kind})`);
    if (body.apiVersion !== undefined && splitApiVersion(body.apiVersion).group !== t.group) throw badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${av})`);
    const obj = clone(body);
    obj.apiVersion = apiVersionOf(t.group, t.versions[0]!);
    obj.kind = t.kind;
    obj.metadata ??= {};
    if (t.namespaced) {
      if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== '' && obj.metadata.namespace !== ns) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = ns;
    } else delete obj.metadata.namespace;
    return obj;
  }

  create(t: ResourceType, version: string, ns: string | undefined, body: unknown, opts: WriteOptions = {}): KubeObject {
    this.requireNamespace(t, ns);
    let obj = this.checkBody(t, version, ns, body);
    if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = obj.metadata.generateName + randomBytes(3).toString('hex').slice(0, 5);
    validateMeta(t, obj);
    validateKind(t, obj);
    if (this.raw(t, ns, obj.metadata.name)) {
      throw new ApiError(409, 'AlreadyExists', `${qualified(t)} "${obj.metadata.name}" already exists`, { name: obj.metadata.name, group: t.group || undefined, kind: t.resource });
    }
    if (t.subresources.includes('status')) obj.status = defaultStatus(t);
    if (t.custom) obj = { ...this.checkSchema(t, version, obj, opts), metadata: obj.metadata };
    this.prepare(t, obj, undefined);
    if (opts.fieldManager) this.addManagedFields(obj, opts.fieldManager, 'Update', obj);
    if (opts.dryRun) return obj;
    this.store(t, obj, 'ADDED');
    const out = clone(obj);
    this.afterWrite(t, obj, undefined, false);
    return out;
  }

  update(t: ResourceType, version: string, ns: string | undefined, name: string, body: unknown, opts: WriteOptions = {}): KubeObject {
    const old = this.raw(t, ns, name);
    if (!old) throw notFound(t, name);
    const obj = this.checkBody(t, version, ns, body);
    if (obj.metadata.name !== name) throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    return this.replaceWith(t, old, obj, { ...opts, version });
  }

  /** Defaulting, pruning (or Strict refusal) and validation from the CRD's schema. */
  private checkSchema(t: ResourceType, version: string, obj: any, opts: WriteOptions): any {
    const schema = t.schemas?.[version];
    if (!schema) return obj;
    const r = applySchema(schema, obj);
    const name = obj.metadata?.name ?? '';
    if (r.errors.length > 0) throw invalid(t, name, r.errors);
    if (r.unknown.length > 0) {
      const mode = opts.fieldValidation ?? 'Warn';
      const list = r.unknown.map((u) => `unknown field "${u.replace(/^\./, '')}"`);
      if (mode === 'Strict') throw badRequest(`${t.kind} in version "${version}" cannot be handled as a ${t.kind}: strict decoding error: ${list.join(', ')}`);
      if (mode === 'Warn') opts.warnings?.push(...list);
    }
    return r.object;
  }

  private replaceWith(t: ResourceType, old: any, obj: any, opts: WriteOptions): any {
    const name = old.metadata.name;
    const rv = obj.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== old.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(t)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, group: t.group || undefined, kind: t.resource });
    }
    if (obj.metadata.uid && obj.metadata.uid !== old.metadata.uid) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(t)} "${name}": Precondition failed: UID in precondition: ${obj.metadata.uid}, UID in object meta: ${old.metadata.uid}`, { name, kind: t.resource });
    }
    validateMeta(t, obj);
    validateKind(t, obj);
    obj.metadata.uid = old.metadata.uid;
    obj.metadata.creationTimestamp = old.metadata.creationTimestamp;
    if (old.metadata.managedFields && !obj.metadata.managedFields) obj.metadata.managedFields = old.metadata.managedFields;
    if (opts.subresource === 'status') {
      // only status changes
      const next = clone(old);
      next.status = obj.status;
      return this.commit(t, old, next, opts);
    }
    if (t.subresources.includes('status')) obj.status = clone(old.status);
    if (t.custom) obj = { ...this.checkSchema(t, opts.version ?? t.versions[0]!, obj, opts), metadata: obj.metadata };
    this.checkImmutable(t, old, obj);
    if (old.metadata.generation !== undefined) obj.metadata.generation = old.metadata.generation + (specChanged(old, obj) ? 1 : 0);
    this.prepare(t, obj, old);
    if (opts.fieldManager) this.addManagedFields(obj, opts.fieldManager, 'Update', obj);
    return this.commit(t, old, obj, opts);
  }

  private commit(t: ResourceType, old: any, obj: any, opts: WriteOptions): any {
    if (opts.dryRun) return obj;
    if (JSON.stringify({ ...obj, metadata: { ...obj.metadata, resourceVersion: '' } }) === JSON.stringify({ ...old, metadata: { ...old.metadata, resourceVersion: '' } })) {
      return clone(old); // no-op writes keep the resourceVersion, as etcd does
    }
    this.store(t, obj, 'MODIFIED', old);
    const out = clone(obj);
    this.afterWrite(t, obj, old, false);
    return out;
  }

  private checkImmutable(t: ResourceType, old: any, obj: any): void {
    const name = old.metadata.name;
    if (t.kind === 'Service' && obj.spec?.clusterIP !== undefined && obj.spec.clusterIP !== '' && obj.spec.clusterIP !== old.spec?.clusterIP) {
      throw invalid(t, name, [{ field: 'spec.clusterIPs[0]', message: 'Invalid value: field is immutable' }]);
    }
    if (['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet'].includes(t.kind) && old.spec?.selector && JSON.stringify(obj.spec?.selector) !== JSON.stringify(old.spec.selector)) {
      throw invalid(t, name, [{ field: 'spec.selector', message: `Invalid value: ${JSON.stringify(obj.spec?.selector)}: field is immutable` }]);
    }
    if (t.kind === 'Secret' && old.immutable && JSON.stringify(old.data) !== JSON.stringify(obj.data)) {
      throw invalid(t, name, [{ field: 'data', message: 'Forbidden: field is immutable when `immutable` is set' }]);
    }
    if (['RoleBinding', 'ClusterRoleBinding'].includes(t.kind) && JSON.stringify(old.roleRef) !== JSON.stringify(obj.roleRef)) {
      throw invalid(t, name, [{ field: 'roleRef', message: `Invalid value: ${JSON.stringify(obj.roleRef)}: cannot change roleRef` }]);
    }
  }

  patch(t: ResourceType, version: string, ns: string | undefined, name: string, contentType: string, body: string, opts: WriteOptions & { force?: boolean } = {}): KubeObject {
    const old = this.raw(t, ns, name);
    const type = contentType.split(';')[0]!.trim();
    if (type === 'application/apply-patch+yaml' || type === 'application/apply-patch+cbor') {
      return this.serverSideApply(t, version, ns, name, old, body, opts);
    }
    const known = ['application/merge-patch+json', 'application/json-patch+json', 'application/strategic-merge-patch+json'];
    if (!known.includes(type)) {
      throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml${t.custom ? '' : ', application/strategic-merge-patch+json'}`);
    }
    if (!old) throw notFound(t, name);
    let patchDoc: any;
    try {
      patchDoc = JSON.parse(body);
    } catch (err) {
      throw badRequest(`error decoding patch: ${(err as Error).message}`);
    }
    const current = this.asVersion(t, version, old);
    let next: any;
    try {
      switch (type) {
        case 'application/merge-patch+json':
          next = mergePatch(current, patchDoc);
          break;
        case 'application/json-patch+json':
          next = jsonPatch(current, patchDoc);
          break;
        case 'application/strategic-merge-patch+json':
          if (t.custom) throw new ApiError(415, 'UnsupportedMediaType', `strategic merge patch is not supported for custom resources (${qualified(t)}); use a JSON merge patch`);
          next = strategicMerge(current, patchDoc);
          break;
        default:
          throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml${t.custom ? '' : ', application/strategic-merge-patch+json'}`);
      }
    } catch (err) {
      if (err instanceof PatchError) throw new ApiError(err.code, err.code === 400 ? 'BadRequest' : 'Invalid', err.message);
      throw err;
    }
    if (typeof next !== 'object' || next === null) throw badRequest('patch produced a non-object');
    const patchedRv = (patchDoc && typeof patchDoc === 'object' && !Array.isArray(patchDoc) && patchDoc.metadata?.resourceVersion) || undefined;
    if (!patchedRv && next.metadata) next.metadata.resourceVersion = old.metadata.resourceVersion;
    const obj = this.checkBody(t, version, ns, next);
    if (obj.metadata.name !== name) throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    return this.replaceWith(t, old, obj, { ...opts, version });
  }

  private serverSideApply(t: ResourceType, version: string, ns: string | undefined, name: string, old: any, body: string, opts: WriteOptions & { force?: boolean }): any {
    const manager = opts.fieldManager;
    if (!manager) throw badRequest('PATCH /apply: fieldManager is required for apply requests');
    let applied: any;
    try {
      applied = parseYamlOrJson(body);
    } catch (err) {
      throw badRequest(`error decoding YAML: ${(err as Error).message}`);
    }
    if (!applied || typeof applied !== 'object') throw badRequest('apply patch must be an object');
    if (!applied.apiVersion || !applied.kind) throw badRequest('apiVersion and kind must be set in an apply patch');
    if (applied.metadata?.name && applied.metadata.name !== name) throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
    const key = `${t.group}/${t.resource}/${this.key(t.namespaced ? ns : undefined, name)}`;
    if (!old) {
      const obj = { ...clone(applied), metadata: { ...(applied.metadata ?? {}), name } };
      const created = this.create(t, version, ns, obj, { dryRun: opts.dryRun, fieldValidation: opts.fieldValidation, warnings: opts.warnings });
      if (opts.dryRun) return created;
      this.applied.set(key, new Map([[manager, clone(applied)]]));
      const stored = this.raw(t, ns, name);
      this.addManagedFields(stored, manager, 'Apply', applied);
      return clone(stored);
    }
    const managers = this.applied.get(key) ?? new Map<string, any>();
    const current = this.asVersion(t, version, old);
    if (!opts.force) {
      for (const [other, cfg] of managers) {
        if (other === manager) continue;
        const conflicts = applyConflicts(current, cfg, applied).filter((p) => !p.startsWith('.apiVersion') && !p.startsWith('.kind'));
        if (conflicts.length > 0) {
          throw new ApiError(409, 'Conflict', `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${conflicts.map((c) => `conflict with "${other}": ${c}`).join('\n')}`, {
            name,
            group: t.group || undefined,
            kind: t.resource,
            causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${other}"`, field: c })),
          });
        }
      }
    }
    const next = applyMerge(current, managers.get(manager), applied) as KubeObject;
    next.metadata = { ...next.metadata, name, resourceVersion: applied.metadata?.resourceVersion ?? old.metadata.resourceVersion };
    const obj = this.checkBody(t, version, ns, next);
    const statusOnly = opts.subresource === 'status';
    const result = this.replaceWith(t, old, obj, { dryRun: opts.dryRun, subresource: statusOnly ? 'status' : undefined, version, fieldValidation: opts.fieldValidation, warnings: opts.warnings });
    if (!opts.dryRun) {
      managers.set(manager, clone(applied));
      this.applied.set(key, managers);
      const stored = this.raw(t, ns, name);
      if (stored) {
        this.addManagedFields(stored, manager, 'Apply', applied);
        return clone(stored);
      }
    }
    return result;
  }

  private addManagedFields(obj: any, manager: string, operation: 'Apply' | 'Update', cfg: any): void {
    const entries: any[] = (obj.metadata.managedFields ?? []).filter((e: any) => !(e.manager === manager && e.operation === operation));
    entries.push({ manager, operation, apiVersion: obj.apiVersion, time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), fieldsType: 'FieldsV1', fieldsV1: fieldsV1(cfg) });
    obj.metadata.managedFields = entries;
  }

  delete(t: ResourceType, ns: string | undefined, name: string, opts: { dryRun?: boolean; preconditions?: { uid?: string; resourceVersion?: string } } = {}): KubeObject {
    const old = this.raw(t, ns, name);
    if (!old) throw notFound(t, name);
    const pre = opts.preconditions ?? {};
    if ((pre.uid && pre.uid !== old.metadata.uid) || (pre.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion)) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(t)} "${name}": the ResourceVersion or UID in the precondition does not match`, { name, kind: t.resource });
    }
    if (opts.dryRun) return clone(old);
    if (t.kind === 'Namespace') {
      if (['default', 'kube-system', 'kube-public'].includes(name)) throw new ApiError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`);
      if (old.status?.phase === 'Terminating') return clone(old);
      const term = clone(old);
      term.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      term.status = { ...(term.status ?? {}), phase: 'Terminating' };
      this.store(t, term, 'MODIFIED', old);
      // like the namespace controller: contents and the namespace go a little later,
      // so `kubectl delete -f` of a file that starts with its namespace still works
      if (this.namespaceFinalizeMs <= 0) this.finalizeNamespace(name);
      else {
        const timer = setTimeout(() => {
          this.pending.delete(timer);
          this.finalizeNamespace(name);
        }, this.namespaceFinalizeMs);
        timer.unref();
        this.pending.set(timer, name);
      }
      return clone(term);
    }
    this.erase(t, old);
    return clone(old);
  }

  private finalizeNamespace(name: string): void {
    const o = this.raw(this.nsType(), undefined, name);
    if (o) this.erase(this.nsType(), o);
  }

  /** Finish every pending namespace deletion now. */
  flushNamespaceDeletions(): void {
    for (const [timer, name] of [...this.pending]) {
      clearTimeout(timer);
      this.pending.delete(timer);
      this.finalizeNamespace(name);
    }
  }

  /** Drop timers (server stop). */
  close(): void {
    for (const timer of this.pending.keys()) clearTimeout(timer);
    this.pending.clear();
  }

  // ------------------------------------------------------------ controllers

  /** Defaults filled on every write (create or replace). */
  private prepare(t: ResourceType, obj: any, old: any | undefined): void {
    const m = obj.metadata;
    m.uid ??= old?.metadata.uid ?? randomUUID();
    m.creationTimestamp ??= old?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    if (!old && (WITH_GENERATION.has(t.group) || t.custom)) m.generation ??= 1;
    if (m.labels && Object.keys(m.labels).length === 0) delete m.labels;
    switch (t.kind) {
      case 'Namespace':
        m.labels = { ...(m.labels ?? {}), 'kubernetes.io/metadata.name': m.name };
        obj.spec ??= { finalizers: ['kubernetes'] };
        obj.status ??= { phase: 'Active' };
        if (!obj.status.phase) obj.status.phase = 'Active';
        break;
      case 'Service': {
        const s = (obj.spec ??= {});
        s.type ??= 'ClusterIP';
        if (s.type !== 'ExternalName') {
          if (!s.clusterIP) s.clusterIP = old?.spec?.clusterIP ?? this.allocateIp();
          s.clusterIPs ??= [s.clusterIP];
          s.ipFamilies ??= ['IPv4'];
          s.ipFamilyPolicy ??= 'SingleStack';
          s.internalTrafficPolicy ??= 'Cluster';
        }
        s.sessionAffinity ??= 'None';
        for (const p of s.ports ?? []) {
          p.protocol ??= 'TCP';
          p.targetPort ??= p.port;
          if (['NodePort', 'LoadBalancer'].includes(s.type)) p.nodePort ??= 30000 + Math.floor(Math.random() * 2767);
        }
        if (['NodePort', 'LoadBalancer'].includes(s.type)) s.externalTrafficPolicy ??= 'Cluster';
        obj.status ??= { loadBalancer: {} };
        break;
      }
      case 'Secret':
        obj.type ??= 'Opaque';
        if (obj.stringData) {
          obj.data = { ...(obj.data ?? {}) };
          for (const [k, v] of Object.entries(obj.stringData)) obj.data[k] = b64(String(v));
          delete obj.stringData;
        }
        break;
      case 'Deployment': {
        const s = (obj.spec ??= {});
        s.replicas ??= 1;
        s.revisionHistoryLimit ??= 10;
        s.progressDeadlineSeconds ??= 600;
        s.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
        break;
      }
      case 'Pod':
        obj.status ??= { phase: 'Pending' };
        obj.spec ??= {};
        obj.spec.serviceAccountName ??= 'default';
        break;
    }
  }

  private allocateIp(): string {
    const n = this.nextIp++;
    return `10.96.${Math.floor(n / 250)}.${(n % 250) + 1}`;
  }

  /** Controllers reacting to a stored write. `direct` = through put(). */
  private afterWrite(t: ResourceType, obj: any, old: any | undefined, direct: boolean): void {
    const gr = `${t.group}/${t.resource}`;
    if (gr === '/namespaces' && !old) {
      const ns = obj.metadata.name;
      if (!this.raw(this.types.get('/serviceaccounts')!, ns, 'default')) this.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } });
      if (!this.raw(this.types.get('/configmaps')!, ns, 'kube-root-ca.crt')) {
        this.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: ns, annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } }, data: { 'ca.crt': this.caPem } });
      }
    }
    if (gr === '/secrets') this.fillToken(obj);
    if (gr === '/serviceaccounts' && !old) {
      for (const s of this.objects(this.types.get('/secrets')!, obj.metadata.namespace)) {
        if (s.type === SA_TOKEN_TYPE && s.metadata.annotations?.[SA_NAME_ANN] === obj.metadata.name) this.fillToken(s);
      }
    }
    if (gr === 'apiextensions.k8s.io/customresourcedefinitions') this.establishCrd(obj, old, direct);
  }

  private afterDelete(t: ResourceType, obj: any): void {
    const gr = `${t.group}/${t.resource}`;
    if (gr === '/namespaces') {
      for (const other of this.types.values()) {
        if (!other.namespaced || other.virtual) continue;
        for (const o of this.objects(other, obj.metadata.name)) this.erase(other, o);
      }
    }
    if (gr === '/serviceaccounts') {
      for (const s of this.objects(this.types.get('/secrets')!, obj.metadata.namespace)) {
        if (s.type === SA_TOKEN_TYPE && s.metadata.annotations?.[SA_NAME_ANN] === obj.metadata.name) this.erase(this.types.get('/secrets')!, s);
      }
    }
    if (gr === 'apiextensions.k8s.io/customresourcedefinitions') {
      const key = `${obj.spec.group}/${obj.spec.names.plural}`;
      const ct = this.types.get(key);
      if (ct?.custom) {
        for (const o of this.objects(ct)) this.erase(ct, o);
        this.types.delete(key);
        this.data.delete(key);
      }
    }
  }

  private establishCrd(obj: any, old: any | undefined, direct: boolean): void {
    const s = obj.spec;
    const versions = (s.versions ?? []).filter((v: any) => v.served !== false);
    const storage = (s.versions ?? []).find((v: any) => v.storage) ?? versions[0];
    if (!storage) return;
    const ordered = [storage, ...versions.filter((v: any) => v !== storage)];
    const key = `${s.group}/${s.names.plural}`;
    const existing = this.types.get(key);
    if (existing && !existing.custom) return; // never shadow a built-in
    const t: ResourceType = {
      group: s.group,
      versions: ordered.map((v: any) => v.name),
      resource: s.names.plural,
      singular: s.names.singular ?? s.names.kind.toLowerCase(),
      kind: s.names.kind,
      namespaced: s.scope !== 'Cluster',
      shortNames: s.names.shortNames,
      categories: s.names.categories,
      verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
      subresources: [...(storage.subresources?.status ? ['status'] : []), ...(storage.subresources?.scale ? ['scale'] : [])],
      custom: true,
      printerColumns: storage.additionalPrinterColumns,
      schemas: Object.fromEntries((s.versions ?? []).map((v: any) => [v.name, v.schema?.openAPIV3Schema])),
    };
    this.addType(t);
    const conditions = [
      { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: obj.metadata.creationTimestamp },
      { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: obj.metadata.creationTimestamp },
    ];
    const status = { acceptedNames: { ...s.names, singular: t.singular }, conditions, storedVersions: [storage.name] };
    if (JSON.stringify(obj.status) === JSON.stringify(status)) return;
    const next = clone(obj);
    next.status = status;
    this.store(this.types.get('apiextensions.k8s.io/customresourcedefinitions')!, next, 'MODIFIED', obj);
    void old;
    void direct;
  }

  // ------------------------------------------------------------ tokens

  private sign(claims: object): string {
    const head = b64url(JSON.stringify({ alg: 'RS256', kid: this.clusterName }));
    const body = b64url(JSON.stringify(claims));
    const sig = createHmac('sha256', this.tokenKey).update(`${head}.${body}`).digest('base64url');
    return `${head}.${body}.${sig}`;
  }

  private fillToken(secret: any): void {
    if (secret.type !== SA_TOKEN_TYPE) return;
    const saName = secret.metadata.annotations?.[SA_NAME_ANN];
    if (!saName || secret.data?.token) return;
    const ns = secret.metadata.namespace;
    const sa = this.raw(this.types.get('/serviceaccounts')!, ns, saName);
    if (!sa) return; // the real controller waits for the account
    const token = this.sign({
      iss: 'kubernetes/serviceaccount',
      'kubernetes.io/serviceaccount/namespace': ns,
      'kubernetes.io/serviceaccount/secret.name': secret.metadata.name,
      'kubernetes.io/serviceaccount/service-account.name': saName,
      'kubernetes.io/serviceaccount/service-account.uid': sa.metadata.uid,
      sub: `system:serviceaccount:${ns}:${saName}`,
    });
    const next = clone(secret);
    next.metadata.annotations = { ...next.metadata.annotations, [SA_UID_ANN]: sa.metadata.uid };
    next.data = { ...(next.data ?? {}), token: b64(token), 'ca.crt': b64(this.caPem), namespace: b64(ns) };
    this.store(this.types.get('/secrets')!, next, 'MODIFIED', secret);
  }

  /** A bound token for a service account (the TokenRequest subresource). */
  requestToken(ns: string, saName: string, spec: { audiences?: string[]; expirationSeconds?: number } = {}): { token: string; expirationTimestamp: string } {
    const sa = this.raw(this.types.get('/serviceaccounts')!, ns, saName);
    if (!sa) throw notFound(this.types.get('/serviceaccounts')!, saName);
    const now = Math.floor(Date.now() / 1000);
    const exp = now + Math.max(600, spec.expirationSeconds ?? 3600);
    const token = this.sign({
      aud: spec.audiences?.length ? spec.audiences : ['https://kubernetes.default.svc.cluster.local'],
      exp,
      iat: now,
      nbf: now,
      iss: 'https://kubernetes.default.svc.cluster.local',
      'kubernetes.io': { namespace: ns, serviceaccount: { name: saName, uid: sa.metadata.uid } },
      sub: `system:serviceaccount:${ns}:${saName}`,
    });
    return { token, expirationTimestamp: new Date(exp * 1000).toISOString().replace(/\.\d+Z$/, 'Z') };
  }

  /** Who a bearer token belongs to, or undefined when it is not valid (any more). */
  authenticateToken(token: string): UserInfo | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const sig = createHmac('sha256', this.tokenKey).update(`${parts[0]}.${parts[1]}`).digest('base64url');
    if (sig !== parts[2]) return undefined;
    let c: any;
    try {
      c = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    const saType = this.types.get('/serviceaccounts')!;
    let ns: string, name: string, uid: string;
    if (c.iss === 'kubernetes/serviceaccount') {
      ns = c['kubernetes.io/serviceaccount/namespace'];
      name = c['kubernetes.io/serviceaccount/service-account.name'];
      uid = c['kubernetes.io/serviceaccount/service-account.uid'];
      const secret = this.raw(this.types.get('/secrets')!, ns, c['kubernetes.io/serviceaccount/secret.name']);
      if (!secret || secret.data?.token !== b64(token)) return undefined;
    } else {
      if (typeof c.exp !== 'number' || c.exp * 1000 < Date.now()) return undefined;
      ns = c['kubernetes.io']?.namespace;
      name = c['kubernetes.io']?.serviceaccount?.name;
      uid = c['kubernetes.io']?.serviceaccount?.uid;
    }
    const sa = this.raw(saType, ns, name);
    if (!sa || sa.metadata.uid !== uid) return undefined;
    return { username: `system:serviceaccount:${ns}:${name}`, uid, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'] };
  }
}

function defaultStatus(t: ResourceType): any {
  switch (t.kind) {
    case 'Service':
      return { loadBalancer: {} };
    case 'Pod':
      return { phase: 'Pending' };
    case 'Namespace':
      return { phase: 'Active' };
    default:
      return t.custom ? undefined : {};
  }
}

function specChanged(a: any, b: any): boolean {
  const strip = (o: any) => {
    const { metadata: _m, status: _s, ...rest } = o ?? {};
    return JSON.stringify(rest);
  };
  return strip(a) !== strip(b);
}

export function parseYamlOrJson(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return JSON.parse(trimmed);
  return yamlParse(text);
}

import { parse as yamlParse } from 'yaml';
