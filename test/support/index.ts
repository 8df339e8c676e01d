/**
 * In-process Kubernetes API servers for tests, the demo and benchmarks.
 *
 *   const env = await startTestClusters(['east', 'west']);
 *   // env.kubeconfigPath has contexts "east" and "west"
 *   env.cluster('east').put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'y' } });
 *   await env.stop();
 *
 * See /work/notes/SERVER-API.md for the fixed interface.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { clientCert, createCa, serverCert, type KeyPairPem, type TestCa } from './pki.js';
import { TestApiServer, type Faults } from './server.js';
import type { UserInfo } from './rbac.js';
import type { KubeObject } from './kube-object.js';

export interface TestClusterOptions {
  /** How the admin user of the kubeconfig authenticates (default 'cert'). */
  auth?: 'cert' | 'token';
}

export interface TestCluster {
  name: string;
  server: string;
  caPem: string;
  /** Stores `obj` as it is (no admission, no RBAC) and returns the stored copy. */
  put<T extends KubeObject>(obj: T): T;
  /** A copy of a stored object; `T` is what the caller expects it to hold. */
  get<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, namespace: string | undefined, name: string): T | undefined;
  list<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, namespace?: string): T[];
  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): boolean;
  faults: Faults;
  readonly requests: number;
  /** TLS connections the server accepted (each a handshake); resetRequests() resets both counts. */
  readonly connections: number;
  resetRequests(): void;
  // ---- additions beyond SERVER-API.md
  /** The admin bearer token (works in both auth modes). */
  adminToken: string;
  /** A bound token for a service account, as the TokenRequest subresource makes it. */
  serviceAccountToken(namespace: string, name: string, expirationSeconds?: number): string;
  /** A kubeconfig (YAML text) for this cluster that authenticates with `token`. */
  kubeconfigFor(token: string, contextName?: string): string;
  /** Finish pending namespace deletions now (they otherwise take namespaceFinalizeMs). */
  flushNamespaceDeletions(): void;
  /** The underlying server (store, watch events) for advanced tests. */
  apiServer: TestApiServer;
}

export interface TestEnv {
  kubeconfigPath: string;
  cluster(name: string): TestCluster;
  clusters: TestCluster[];
  /** Directory holding the kubeconfig (removed by stop()). */
  dir: string;
  stop(): Promise<void>;
}

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

function wrap(name: string, srv: TestApiServer, caPem: string, adminToken: string): TestCluster {
  const store = srv.store;
  return {
    name,
    get server() {
      return srv.url;
    },
    caPem,
    put: (obj) => store.put(obj),
    get: (apiVersion, kind, namespace, n) => store.getObject(apiVersion, kind, namespace, n),
    list: (apiVersion, kind, namespace) => store.listObjects(apiVersion, kind, namespace),
    remove: (apiVersion, kind, namespace, n) => store.removeObject(apiVersion, kind, namespace, n),
    faults: srv.faults,
    get requests() {
      return srv.requests;
    },
    get connections() {
      return srv.connections;
    },
    resetRequests: () => srv.resetRequests(),
    adminToken,
    serviceAccountToken: (namespace, n, expirationSeconds) => store.requestToken(namespace, n, { expirationSeconds }).token,
    kubeconfigFor: (token, contextName = name) =>
      yaml.dump({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: contextName, cluster: { server: srv.url, 'certificate-authority-data': b64(caPem) } }],
        users: [{ name: contextName, user: { token } }],
        contexts: [{ name: contextName, context: { cluster: contextName, user: contextName } }],
        'current-context': contextName,
      }),
    flushNamespaceDeletions: () => store.flushNamespaceDeletions(),
    apiServer: srv,
  };
}

/** A cluster's CA, serving certificate and admin client certificate. */
interface ClusterCertificates {
  ca: TestCa;
  serving: KeyPairPem;
  admin: KeyPairPem;
}

/**
 * Certificates of stopped clusters, by cluster name: a later cluster of that name takes them rather
 * than making new ones (about 40 ms of CPU per cluster, most of it ASN.1 encoding). Two running
 * clusters never share a CA: a set is only taken back once its cluster has stopped.
 */
const spareCertificates = new Map<string, ClusterCertificates[]>();

async function certificatesFor(name: string): Promise<ClusterCertificates> {
  const spare = spareCertificates.get(name)?.pop();
  if (spare) return spare;
  const ca = await createCa(`${name}-ca`);
  const [serving, admin] = await Promise.all([serverCert(ca), clientCert(ca, 'admin', ['system:masters'])]);
  return { ca, serving, admin };
}

function giveBack(name: string, certificates: ClusterCertificates): void {
  const list = spareCertificates.get(name) ?? [];
  list.push(certificates);
  spareCertificates.set(name, list);
}

export async function startTestClusters(names: string[], options: TestClusterOptions = {}): Promise<TestEnv> {
  if (names.length === 0) throw new Error('startTestClusters needs at least one cluster name');
  if (new Set(names).size !== names.length) throw new Error('startTestClusters: cluster names must be unique');
  const auth = options.auth ?? 'cert';
  const dir = mkdtempSync(join(tmpdir(), 'mc-testenv-'));
  const servers: TestApiServer[] = [];
  const clusters: TestCluster[] = [];
  const kc = { apiVersion: 'v1', kind: 'Config', clusters: [] as object[], users: [] as object[], contexts: [] as object[], 'current-context': names[0], preferences: {} };
  const made: Array<ClusterCertificates & { name: string }> = [];
  try {
    made.push(...(await Promise.all(names.map(async (name) => ({ name, ...(await certificatesFor(name)) })))));
    for (const { name, ca, serving, admin } of made) {
      const adminToken = `admin-${name}-${randomBytes(16).toString('hex')}`;
      const adminUser: UserInfo = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };
      const srv = new TestApiServer({ name, caPem: ca.certPem, certPem: serving.certPem, keyPem: serving.keyPem, staticTokens: new Map([[adminToken, adminUser]]) });
      await srv.start();
      servers.push(srv);
      clusters.push(wrap(name, srv, ca.certPem, adminToken));
      kc.clusters.push({ name, cluster: { server: srv.url, 'certificate-authority-data': b64(ca.certPem) } });
      kc.users.push({ name, user: auth === 'token' ? { token: adminToken } : { 'client-certificate-data': b64(admin.certPem), 'client-key-data': b64(admin.keyPem) } });
      kc.contexts.push({ name, context: { cluster: name, user: name } });
    }
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
    for (const { name, ...certificates } of made) giveBack(name, certificates);
    throw err;
  }
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, yaml.dump(kc), { mode: 0o600 });
  let stopped = false;
  return {
    kubeconfigPath,
    dir,
    clusters,
    cluster(name: string): TestCluster {
      const c = clusters.find((x) => x.name === name);
      if (!c) throw new Error(`no test cluster named "${name}" (have: ${names.join(', ')})`);
      return c;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(servers.map((s) => s.stop()));
      rmSync(dir, { recursive: true, force: true });
      for (const { name, ...certificates } of made) giveBack(name, certificates);
    },
  };
}

export { TestApiServer } from './server.js';
export type { Faults } from './server.js';
export { field, itemsOf } from './kube-object.js';
export type { KubeObject, ObjectMeta, OwnerReference, ManagedFieldsEntry } from './kube-object.js';
export type * from './kinds.js';
