/**
 * The test API server behaves like a cluster where clients can tell:
 * Status objects, selectors, pagination, patches, apply, RBAC, tokens, CRDs,
 * watch, faults, and real kubectl against it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KubeApiError, KubeClient } from '../src/kube/client.js';
import { hasKubectl } from './helpers/index.js';
import { httpsRequest, type HttpsReply } from './support/https-request.js';
import { field, itemsOf, startTestClusters, type ConfigMap, type Deployment, type Secret, type Service, type TestCluster, type TestEnv } from './support/index.js';

let env: TestEnv;
let east: TestCluster;
let admin: KubeClient;

before(async () => {
  env = await startTestClusters(['east', 'west']);
  east = env.cluster('east');
  east.apiServer.store.namespaceFinalizeMs = 0;
  admin = await KubeClient.connect({ kubeconfig: env.kubeconfigPath, context: 'east', env: {} });
});

after(async () => {
  admin?.close();
  await env?.stop();
});

type Reply = HttpsReply;

/** What these tests read of discovery and conditions. */
interface ApiGroup {
  name: string;
  preferredVersion: { groupVersion: string; version: string };
}
interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  verbs: string[];
}
interface Condition {
  type: string;
  status: string;
}

/** A raw HTTPS request to a test cluster (admin token unless `token` is given; token null = anonymous). */
function req(c: TestCluster, method: string, path: string, opts: { token?: string | null; body?: unknown; contentType?: string; accept?: string } = {}): Promise<Reply> {
  const token = opts.token === undefined ? c.adminToken : opts.token;
  return httpsRequest({ server: c.server, ca: c.caPem, token: token ?? undefined }, method, path, opts);
}

const cm = (name: string, ns: string, labels: Record<string, string> = {}, data: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data });

test('kubeconfig: one context per cluster, named like it; current-context is the first', async () => {
  const west = await KubeClient.connect({ kubeconfig: env.kubeconfigPath, context: 'west', env: {} });
  try {
    assert.equal(west.server, env.cluster('west').server);
    const ns = await west.list({ apiVersion: 'v1', resource: 'namespaces' });
    assert.ok(ns.some((n) => n.metadata.name === 'default'));
  } finally {
    west.close();
  }
  const current = await KubeClient.connect({ kubeconfig: env.kubeconfigPath, env: {} });
  assert.equal(current.contextName, 'east');
  current.close();
});

test('token auth mode: the kubeconfig carries a bearer token that works', async () => {
  const tenv = await startTestClusters(['solo'], { auth: 'token' });
  try {
    const c = await KubeClient.connect({ kubeconfig: tenv.kubeconfigPath, env: {} });
    assert.equal((await c.get<any>({ apiVersion: 'v1', resource: 'namespaces', name: 'default' })).metadata.name, 'default');
    c.close();
  } finally {
    await tenv.stop();
  }
});

test('Status objects: NotFound, AlreadyExists, Conflict, Invalid, BadRequest, missing namespace', async () => {
  let r = await req(east, 'GET', '/api/v1/namespaces/default/configmaps/nope');
  assert.equal(r.status, 404);
  assert.equal(field(r.body, 'kind'), 'Status');
  assert.equal(field(r.body, 'reason'), 'NotFound');
  assert.equal(field(r.body, 'message'), 'configmaps "nope" not found');
  r = await req(east, 'GET', '/apis/apps/v1/namespaces/default/deployments/nope');
  assert.equal(field(r.body, 'message'), 'deployments.apps "nope" not found');
  assert.equal(field(r.body, 'details', 'group'), 'apps');

  r = await req(east, 'POST', '/api/v1/namespaces/default/configmaps', { body: cm('dup', 'default') });
  assert.equal(r.status, 201);
  assert.ok(field(r.body, 'metadata', 'uid'));
  assert.ok(field(r.body, 'metadata', 'resourceVersion'));
  assert.ok(field(r.body, 'metadata', 'creationTimestamp'));
  r = await req(east, 'POST', '/api/v1/namespaces/default/configmaps', { body: cm('dup', 'default') });
  assert.equal(r.status, 409);
  assert.equal(field(r.body, 'reason'), 'AlreadyExists');

  const stale = (await req(east, 'GET', '/api/v1/namespaces/default/configmaps/dup')).body as ConfigMap;
  r = await req(east, 'PUT', '/api/v1/namespaces/default/configmaps/dup', { body: { ...stale, data: { a: '1' } } });
  assert.equal(r.status, 200);
  assert.notEqual(field(r.body, 'metadata', 'resourceVersion'), stale.metadata.resourceVersion);
  r = await req(east, 'PUT', '/api/v1/namespaces/default/configmaps/dup', { body: { ...stale, data: { a: '2' } } });
  assert.equal(r.status, 409);
  assert.equal(field(r.body, 'reason'), 'Conflict');
  assert.match(field(r.body, 'message') as string, /the object has been modified/);

  r = await req(east, 'POST', '/api/v1/namespaces/default/configmaps', { body: cm('Bad_Name', 'default') });
  assert.equal(r.status, 422);
  assert.equal(field(r.body, 'reason'), 'Invalid');
  assert.equal(field(r.body, 'details', 'causes', 0, 'field'), 'metadata.name');
  r = await req(east, 'POST', '/api/v1/namespaces/default/configmaps', { body: cm('badlabel', 'default', { 'a/b/c': 'x' }) });
  assert.equal(r.status, 422);

  r = await req(east, 'POST', '/api/v1/namespaces/default/configmaps', { body: cm('other-ns', 'kube-system') });
  assert.equal(r.status, 400);
  assert.equal(field(r.body, 'reason'), 'BadRequest');

  r = await req(east, 'POST', '/api/v1/namespaces/missing/configmaps', { body: cm('x', 'missing') });
  assert.equal(r.status, 404);
  assert.equal(field(r.body, 'message'), 'namespaces "missing" not found');

  r = await req(east, 'GET', '/api/v1/nothings');
  assert.equal(r.status, 404);

  // the client maps them to errors that carry code and reason
  await assert.rejects(admin.get({ apiVersion: 'v1', resource: 'secrets', namespace: 'default', name: 'nope' }), (err: unknown) => err instanceof KubeApiError && err.code === 404 && err.reason === 'NotFound');
});

test('authentication: no credentials and unknown tokens are 401 Status objects', async () => {
  let r = await req(east, 'GET', '/api/v1/namespaces', { token: null });
  assert.equal(r.status, 401);
  assert.equal(field(r.body, 'reason'), 'Unauthorized');
  r = await req(east, 'GET', '/api/v1/namespaces', { token: 'not-a-token' });
  assert.equal(r.status, 401);
  // a token from the other cluster is not valid here
  env.cluster('west').put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'w', namespace: 'default' } });
  r = await req(east, 'GET', '/version', { token: env.cluster('west').serviceAccountToken('default', 'w') });
  assert.equal(r.status, 401);
});

test('list: label selectors, field selectors (metadata.name, Secret type), errors for bad ones', async () => {
  east.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sel' } });
  east.put(cm('a', 'sel', { app: 'web', tier: 'front' }));
  east.put(cm('b', 'sel', { app: 'web', tier: 'back' }));
  east.put(cm('c', 'sel', { app: 'db' }));
  const names = async (q: string) => {
    const r = await req(east, 'GET', `/api/v1/namespaces/sel/configmaps?${q}`);
    assert.equal(r.status, 200, r.text);
    return itemsOf(r.body).map((i) => i.metadata.name).filter((n) => n !== 'kube-root-ca.crt');
  };
  assert.deepEqual(await names('labelSelector=app%3Dweb'), ['a', 'b']);
  assert.deepEqual(await names('labelSelector=app%3Dweb,tier!%3Dfront'), ['b']);
  assert.deepEqual(await names(`labelSelector=${encodeURIComponent('app in (db,other)')}`), ['c']);
  assert.deepEqual(await names(`labelSelector=${encodeURIComponent('app notin (web),app')}`), ['c']);
  assert.deepEqual(await names('labelSelector=tier'), ['a', 'b']);
  assert.deepEqual(await names(`labelSelector=${encodeURIComponent('!tier,app')}`), ['c']);
  assert.deepEqual(await names('fieldSelector=metadata.name%3Db'), ['b']);
  assert.deepEqual(await names('fieldSelector=metadata.name!%3Db&labelSelector=app%3Dweb'), ['a']);

  east.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls', namespace: 'sel' }, type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } });
  east.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'plain', namespace: 'sel' }, stringData: { a: 'b' } });
  const secrets = await req(east, 'GET', '/api/v1/namespaces/sel/secrets?fieldSelector=type%3Dkubernetes.io%2Ftls');
  assert.deepEqual(itemsOf(secrets.body).map((i) => i.metadata.name), ['tls']);
  assert.equal(east.get<Secret>('v1', 'Secret', 'sel', 'plain')!.data!.a, Buffer.from('b').toString('base64'), 'stringData is folded into data');

  let r = await req(east, 'GET', '/api/v1/namespaces/sel/configmaps?fieldSelector=data.x%3D1');
  assert.equal(r.status, 400);
  assert.match(field(r.body, 'message') as string, /field label not supported/);
  r = await req(east, 'GET', `/api/v1/namespaces/sel/configmaps?labelSelector=${encodeURIComponent('a in (')}`);
  assert.equal(r.status, 400);

  // across namespaces; items of built-in kinds carry no apiVersion/kind, as on a real server
  r = await req(east, 'GET', '/api/v1/configmaps?labelSelector=app');
  assert.equal(field(r.body, 'kind'), 'ConfigMapList');
  assert.equal(itemsOf(r.body).length, 3);
  assert.equal(field(r.body, 'items', 0, 'kind'), undefined);
});

test('list: limit and continue page through everything once', async () => {
  east.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pages' } });
  for (let i = 0; i < 7; i++) east.put(cm(`p${i}`, 'pages', { page: 'yes' }));
  const seen: string[] = [];
  let cont = '';
  let pages = 0;
  do {
    const r = await req(east, 'GET', `/api/v1/namespaces/pages/configmaps?labelSelector=page&limit=3${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
    assert.equal(r.status, 200);
    seen.push(...itemsOf(r.body).map((i) => i.metadata.name));
    cont = (field(r.body, 'metadata', 'continue') as string | undefined) ?? '';
    if (cont) assert.equal(typeof field(r.body, 'metadata', 'remainingItemCount'), 'number');
    pages++;
  } while (cont);
  assert.equal(pages, 3);
  assert.deepEqual(seen, ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  const all = await admin.list({ apiVersion: 'v1', resource: 'configmaps', namespace: 'pages' }, { limit: 2, labelSelector: 'page' });
  assert.equal(all.length, 7);
});

test('patch: JSON merge, JSON patch, strategic merge (containers/env by name), errors', async () => {
  east.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'patch' } });
  east.put({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'patch', labels: { a: '1' } },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'web', image: 'nginx:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] },
            { name: 'side', image: 'busybox' },
          ],
        },
      },
    },
  });
  const path = '/apis/apps/v1/namespaces/patch/deployments/web';
  let r = await req(east, 'PATCH', path, { contentType: 'application/merge-patch+json', body: { metadata: { labels: { a: null, b: '2' } } } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(field(r.body, 'metadata', 'labels'), { b: '2' });
  const gen = field(r.body, 'metadata', 'generation') as number;

  r = await req(east, 'PATCH', path, {
    contentType: 'application/strategic-merge-patch+json',
    body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2', env: [{ name: 'B', value: 'two' }, { name: 'C', value: '3' }] }, { name: 'side', $patch: 'delete' }] } } } },
  });
  assert.equal(r.status, 200, r.text);
  const containers = field(r.body, 'spec', 'template', 'spec', 'containers') as Array<{ image: string; env: unknown }>;
  assert.equal(containers.length, 1);
  assert.equal(containers[0].image, 'nginx:2');
  assert.deepEqual(containers[0].env, [{ name: 'A', value: '1' }, { name: 'B', value: 'two' }, { name: 'C', value: '3' }]);
  assert.equal(field(r.body, 'metadata', 'generation'), gen + 1, 'a spec change bumps generation');

  r = await req(east, 'PATCH', path, { contentType: 'application/json-patch+json', body: [{ op: 'replace', path: '/spec/replicas', value: 3 }, { op: 'add', path: '/metadata/annotations', value: { x: 'y' } }] });
  assert.equal(r.status, 200, r.text);
  assert.equal(field(r.body, 'spec', 'replicas'), 3);
  assert.equal(field(r.body, 'metadata', 'annotations', 'x'), 'y');
  r = await req(east, 'PATCH', path, { contentType: 'application/json-patch+json', body: [{ op: 'test', path: '/spec/replicas', value: 9 }] });
  assert.equal(r.status, 422);
  r = await req(east, 'PATCH', path, { contentType: 'application/merge-patch+json', body: { metadata: { resourceVersion: '1' }, spec: { replicas: 1 } } });
  assert.equal(r.status, 409, 'a resourceVersion in a patch is a precondition');
  r = await req(east, 'PATCH', '/apis/apps/v1/namespaces/patch/deployments/none', { contentType: 'application/merge-patch+json', body: {} });
  assert.equal(r.status, 404);
  r = await req(east, 'PATCH', path, { contentType: 'text/plain', body: 'x' });
  assert.equal(r.status, 415);
  // status changes through the main resource are ignored; through /status they stick
  r = await req(east, 'PATCH', path, { contentType: 'application/merge-patch+json', body: { status: { readyReplicas: 3 } } });
  assert.equal((field(r.body, 'status') as { readyReplicas?: number } | undefined)?.readyReplicas, undefined);
  r = await req(east, 'PATCH', `${path}/status`, { contentType: 'application/merge-patch+json', body: { status: { readyReplicas: 3 } } });
  assert.equal(field(r.body, 'status', 'readyReplicas'), 3);
});

test('server-side apply: creates, updates, drops fields the manager stopped applying, conflicts between managers unless forced', async () => {
  east.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ssa' } });
  const path = '/api/v1/namespaces/ssa/configmaps/conf';
  const yamlBody = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\n  namespace: ssa\ndata:\n  a: "1"\n  b: "2"\n';
  let r = await req(east, 'PATCH', `${path}?fieldManager=alice`, { contentType: 'application/apply-patch+yaml', body: yamlBody });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(field(r.body, 'data'), { a: '1', b: '2' });
  assert.equal(field(r.body, 'metadata', 'managedFields', 0, 'manager'), 'alice');
  assert.equal(field(r.body, 'metadata', 'managedFields', 0, 'operation'), 'Apply');

  r = await req(east, 'PATCH', `${path}?fieldManager=alice`, { contentType: 'application/apply-patch+yaml', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'conf' }, data: { a: '1' } } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(field(r.body, 'data'), { a: '1' }, 'b was dropped by its only manager');

  r = await req(east, 'PATCH', `${path}?fieldManager=bob`, { contentType: 'application/apply-patch+yaml', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'conf' }, data: { a: 'bob' } } });
  assert.equal(r.status, 409);
  assert.equal(field(r.body, 'reason'), 'Conflict');
  assert.match(field(r.body, 'message') as string, /conflict with "alice"/);
  r = await req(east, 'PATCH', `${path}?fieldManager=bob&force=true`, { contentType: 'application/apply-patch+yaml', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'conf' }, data: { a: 'bob', c: '3' } } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(field(r.body, 'data'), { a: 'bob', c: '3' });

  r = await req(east, 'PATCH', path, { contentType: 'application/apply-patch+yaml', body: yamlBody });
  assert.equal(r.status, 400, 'fieldManager is required');

  const applied = await admin.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'ssa' }, spec: { ports: [{ port: 80, name: 'http' }] } }, 'mc');
  assert.equal((applied as any).spec.type, 'ClusterIP');
  assert.match((applied as any).spec.clusterIP, /^10\.96\./);
});

test('RBAC: a service-account token is allowed exactly what its Role/ClusterRole bindings grant', async () => {
  east.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'rbac' } });
  east.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader', namespace: 'rbac' } });
  east.put({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'read-cm', namespace: 'rbac' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }, { apiGroups: [''], resources: ['secrets'], resourceNames: ['allowed'], verbs: ['get'] }] });
  east.put({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'read-cm', namespace: 'rbac' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-cm' }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'rbac' }] });
  east.put({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'svc-reader' }, rules: [{ apiGroups: [''], resources: ['services', 'serviceaccounts/token'], verbs: ['list', 'create'] }] });
  east.put({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'svc-reader' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'svc-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'rbac' }] });
  east.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'allowed', namespace: 'rbac' } });
  east.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'hidden', namespace: 'rbac' } });
  const token = east.serviceAccountToken('rbac', 'reader');
  const status = async (method: string, path: string, body?: unknown) => (await req(east, method, path, { token, body })).status;
  assert.equal(await status('GET', '/api/v1/namespaces/rbac/configmaps'), 200);
  assert.equal(await status('GET', '/api/v1/namespaces/default/configmaps'), 403, 'a Role binds in its namespace only');
  assert.equal(await status('POST', '/api/v1/namespaces/rbac/configmaps', cm('x', 'rbac')), 403);
  assert.equal(await status('GET', '/api/v1/namespaces/rbac/secrets/allowed'), 200);
  assert.equal(await status('GET', '/api/v1/namespaces/rbac/secrets/hidden'), 403, 'resourceNames');
  assert.equal(await status('GET', '/api/v1/services'), 200, 'ClusterRoleBinding: all namespaces');
  assert.equal(await status('GET', '/api/v1/namespaces/rbac/services/x'), 403, 'list does not grant get');
  assert.equal(await status('POST', '/api/v1/namespaces/rbac/serviceaccounts/reader/token', { spec: {} }), 201, 'subresource rule');
  assert.equal(await status('GET', '/api'), 200, 'discovery is open to every authenticated identity');
  const forbidden = await req(east, 'GET', '/api/v1/namespaces/default/configmaps', { token });
  assert.equal(field(forbidden.body, 'reason'), 'Forbidden');
  assert.match(field(forbidden.body, 'message') as string, /User "system:serviceaccount:rbac:reader" cannot list resource "configmaps" in API group "" in the namespace "default"/);

  const review = async (attrs: object) =>
    field((await req(east, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { token, body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: attrs } } })).body, 'status', 'allowed');
  assert.equal(await review({ namespace: 'rbac', verb: 'list', resource: 'configmaps' }), true);
  assert.equal(await review({ namespace: 'rbac', verb: 'delete', resource: 'configmaps' }), false);
  assert.equal(await review({ namespace: 'rbac', verb: 'get', resource: 'secrets', name: 'allowed' }), true);
  assert.equal(await review({ namespace: 'rbac', verb: 'get', resource: 'secrets', name: 'hidden' }), false);
  const rules = await req(east, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { token, body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'rbac' } } });
  assert.equal(rules.status, 201);
  assert.ok((field(rules.body, 'status', 'resourceRules') as Array<{ resources: string[]; verbs: string[] }>).some((r) => r.resources.includes('configmaps') && r.verbs.includes('list')));
  assert.equal(field(rules.body, 'status', 'incomplete'), false);
  const adminReview = await req(east, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { body: { spec: { resourceAttributes: { verb: 'delete', resource: 'nodes' } } } });
  assert.equal(field(adminReview.body, 'status', 'allowed'), true, 'the admin may do anything');
});

test('token controller: SA token Secrets get token, ca.crt and namespace; the token works until the account goes', async () => {
  east.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tok' } });
  await admin.create({ apiVersion: 'v1', resource: 'serviceaccounts', namespace: 'tok', name: 'sa' }, { metadata: { name: 'sa' } });
  const created = await admin.create<any>({ apiVersion: 'v1', resource: 'secrets', namespace: 'tok', name: 'sa-token' }, { metadata: { name: 'sa-token', annotations: { 'kubernetes.io/service-account.name': 'sa' } }, type: 'kubernetes.io/service-account-token' });
  assert.equal(created.data?.token, undefined, 'as on a real cluster, the controller fills the token after the create');
  const secret = await admin.get<any>({ apiVersion: 'v1', resource: 'secrets', namespace: 'tok', name: 'sa-token' });
  const dec = (k: string) => Buffer.from(secret.data[k], 'base64').toString('utf8');
  assert.equal(dec('namespace'), 'tok');
  assert.equal(dec('ca.crt'), east.caPem);
  assert.equal(secret.metadata.annotations['kubernetes.io/service-account.uid'], east.get('v1', 'ServiceAccount', 'tok', 'sa')!.metadata.uid);
  const token = dec('token');
  const who = await req(east, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { token, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
  assert.equal(who.status, 201);
  assert.equal(field(who.body, 'status', 'userInfo', 'username'), 'system:serviceaccount:tok:sa');

  // TokenRequest
  const tr = await req(east, 'POST', '/api/v1/namespaces/tok/serviceaccounts/sa/token', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } } });
  assert.equal(tr.status, 201);
  assert.equal(field(tr.body, 'kind'), 'TokenRequest');
  assert.ok(field(tr.body, 'status', 'token'));
  assert.ok(Date.parse(field(tr.body, 'status', 'expirationTimestamp') as string) > Date.now());
  assert.equal((await req(east, 'GET', '/version', { token: field(tr.body, 'status', 'token') as string })).status, 200);
  assert.equal((await req(east, 'POST', '/api/v1/namespaces/tok/serviceaccounts/none/token', { body: { spec: {} } })).status, 404);

  // a token Secret created before its account is filled once the account exists
  east.put({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token', metadata: { name: 'early', namespace: 'tok', annotations: { 'kubernetes.io/service-account.name': 'late' } } });
  assert.equal(east.get<Secret>('v1', 'Secret', 'tok', 'early')!.data?.token, undefined);
  east.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'late', namespace: 'tok' } });
  assert.ok(east.get<Secret>('v1', 'Secret', 'tok', 'early')!.data!.token);

  await admin.delete({ apiVersion: 'v1', resource: 'serviceaccounts', namespace: 'tok', name: 'sa' });
  assert.equal(east.get('v1', 'Secret', 'tok', 'sa-token'), undefined, 'the token Secret goes with its account');
  assert.equal((await req(east, 'GET', '/version', { token })).status, 401);
  assert.equal((await req(east, 'GET', '/version', { token: field(tr.body, 'status', 'token') as string })).status, 401);
});

test('CRDs: discovery shows them once created, CRUD works with their scope, deleting the CRD removes its objects', async () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { kind: 'Widget', plural: 'widgets', singular: 'widget', shortNames: ['wg'] },
      versions: [
        { name: 'v1alpha1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['size'],
                  properties: { size: { type: 'integer' }, port: { type: 'string' }, mode: { type: 'string', enum: ['fast', 'slow'], default: 'fast' } },
                },
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        },
      ],
    },
  };
  assert.equal((await req(east, 'GET', '/apis/example.com/v1')).status, 404);
  const created = await req(east, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd });
  assert.equal(created.status, 201, created.text);
  const got = (await req(east, 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com')).body;
  assert.ok((field(got, 'status', 'conditions') as Condition[]).some((c) => c.type === 'Established' && c.status === 'True'));
  const groups = field((await req(east, 'GET', '/apis')).body, 'groups') as ApiGroup[];
  const g = groups.find((x) => x.name === 'example.com')!;
  assert.deepEqual(g.preferredVersion, { groupVersion: 'example.com/v1', version: 'v1' });
  const rl = (await req(east, 'GET', '/apis/example.com/v1')).body;
  const resources = field(rl, 'resources') as ApiResource[];
  const widgets = resources.find((r) => r.name === 'widgets')!;
  assert.deepEqual({ kind: widgets.kind, namespaced: widgets.namespaced, shortNames: widgets.shortNames }, { kind: 'Widget', namespaced: true, shortNames: ['wg'] });
  assert.ok(widgets.verbs.includes('patch'));
  assert.ok(resources.some((r) => r.name === 'widgets/status'));

  const w = await req(east, 'POST', '/apis/example.com/v1/namespaces/default/widgets', { body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 1 } } });
  assert.equal(w.status, 201, w.text);
  assert.equal(field(w.body, 'metadata', 'generation'), 1);
  assert.equal(field(w.body, 'spec', 'mode'), 'fast', 'schema defaults are applied');
  // the schema: unknown fields pruned with a warning, refused with fieldValidation=Strict; types, required, enums checked
  const extra = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w2' }, spec: { size: 1, colour: 'red' } };
  let v = await req(east, 'POST', '/apis/example.com/v1/namespaces/default/widgets?fieldValidation=Strict', { body: extra });
  assert.equal(v.status, 400);
  assert.match(field(v.body, 'message') as string, /strict decoding error: unknown field "spec.colour"/);
  v = await req(east, 'POST', '/apis/example.com/v1/namespaces/default/widgets', { body: extra });
  assert.equal(v.status, 201);
  assert.deepEqual(field(v.body, 'spec'), { size: 1, mode: 'fast' });
  v = await req(east, 'POST', '/apis/example.com/v1/namespaces/default/widgets', { body: { ...extra, metadata: { name: 'w3' }, spec: { size: 1, port: 4143 } } });
  assert.equal(v.status, 422);
  assert.match(field(v.body, 'message') as string, /spec.port in body must be of type string: "integer"/);
  v = await req(east, 'POST', '/apis/example.com/v1/namespaces/default/widgets', { body: { ...extra, metadata: { name: 'w3' }, spec: { mode: 'medium' } } });
  assert.equal(v.status, 422);
  assert.deepEqual((field(v.body, 'details', 'causes') as Array<{ field: string }>).map((c) => c.field).sort(), ['spec.mode', 'spec.size']);
  const old = await req(east, 'GET', '/apis/example.com/v1alpha1/namespaces/default/widgets/w1');
  assert.equal(field(old.body, 'apiVersion'), 'example.com/v1alpha1', 'served in every version');
  const list = await req(east, 'GET', '/apis/example.com/v1/widgets');
  assert.equal(field(list.body, 'items', 0, 'kind'), 'Widget', 'custom resources keep kind in lists');
  const smp = await req(east, 'PATCH', '/apis/example.com/v1/namespaces/default/widgets/w1', { contentType: 'application/strategic-merge-patch+json', body: { spec: { size: 2 } } });
  assert.equal(smp.status, 415, 'no strategic merge for custom resources');
  const mp = await req(east, 'PATCH', '/apis/example.com/v1/namespaces/default/widgets/w1', { contentType: 'application/merge-patch+json', body: { spec: { size: 2 } } });
  assert.equal(field(mp.body, 'metadata', 'generation'), 2);
  assert.equal((await req(east, 'POST', '/apis/example.com/v1/widgets', { body: { metadata: { name: 'x' } } })).status, 404, 'a namespaced kind needs a namespace');

  const bad = await req(east, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: { ...crd, metadata: { name: 'wrong.example.com' } } });
  assert.equal(bad.status, 422);

  assert.equal((await req(east, 'DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com')).status, 200);
  assert.equal((await req(east, 'GET', '/apis/example.com/v1/namespaces/default/widgets/w1')).status, 404);
  assert.ok(!(field((await req(east, 'GET', '/apis')).body, 'groups') as ApiGroup[]).some((x) => x.name === 'example.com'));
});

test('deleting a namespace deletes its contents; creating in a terminating namespace is Forbidden', async () => {
  east.put(cm('inside', 'doomed'));
  east.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'doomed' }, spec: { ports: [{ port: 1 }] } });
  const store = east.apiServer.store;
  store.namespaceFinalizeMs = 10_000;
  try {
    const r = await req(east, 'DELETE', '/api/v1/namespaces/doomed');
    assert.equal(r.status, 200);
    assert.equal(field(r.body, 'status', 'phase'), 'Terminating');
    assert.equal((await req(east, 'POST', '/api/v1/namespaces/doomed/configmaps', { body: cm('late', 'doomed') })).status, 403);
    east.flushNamespaceDeletions();
  } finally {
    store.namespaceFinalizeMs = 0;
  }
  assert.equal(east.get('v1', 'Namespace', undefined, 'doomed'), undefined);
  assert.equal(east.get('v1', 'ConfigMap', 'doomed', 'inside'), undefined);
  assert.equal(east.list<Service>('v1', 'Service', 'doomed').length, 0);
});

test('watch=true streams ADDED, MODIFIED and DELETED events for matching objects', async () => {
  east.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watch' } });
  east.put(cm('before', 'watch', { w: 'y' }));
  const events: Array<{ type: string; name: string }> = [];
  const done = new Promise<void>((resolve, reject) => {
    const r = https.request(new URL('/api/v1/namespaces/watch/configmaps?watch=true&labelSelector=w&timeoutSeconds=5', east.server), { headers: { Authorization: `Bearer ${east.adminToken}` }, ca: east.caPem, agent: false }, (res) => {
      let buf = '';
      res.on('data', (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const ev = JSON.parse(buf.slice(0, i));
          buf = buf.slice(i + 1);
          events.push({ type: ev.type, name: ev.object.metadata.name });
          if (events.length === 1) {
            east.put(cm('after', 'watch', { w: 'y' }));
            east.put(cm('after', 'watch', { w: 'y' }, { changed: '1' }));
            east.put(cm('ignored', 'watch', {}));
            east.remove('v1', 'ConfigMap', 'watch', 'before');
          }
          if (events.length === 4) {
            res.destroy();
            resolve();
          }
        }
      });
      res.on('error', () => {});
    });
    r.on('error', reject);
    r.end();
  });
  await done;
  assert.deepEqual(events, [
    { type: 'ADDED', name: 'before' },
    { type: 'ADDED', name: 'after' },
    { type: 'MODIFIED', name: 'after' },
    { type: 'DELETED', name: 'before' },
  ]);
});

test('watch from a resourceVersion answers at once (headers flushed) and replays later events', async () => {
  const rv = field((await req(east, 'GET', '/api/v1/namespaces/default/configmaps')).body, 'metadata', 'resourceVersion');
  const got = await new Promise<{ type: string; name: string }>((resolve, reject) => {
    const r = https.request(new URL(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`, east.server), { headers: { Authorization: `Bearer ${east.adminToken}` }, ca: east.caPem, agent: false }, (res) => {
      assert.equal(res.statusCode, 200);
      // only now, once the client saw the headers, does something happen
      east.put(cm('late-event', 'default'));
      res.once('data', (d) => {
        const ev = JSON.parse(String(d).split('\n')[0]!);
        res.destroy();
        resolve({ type: ev.type, name: ev.object.metadata.name });
      });
      res.on('error', () => {});
    });
    r.on('error', reject);
    r.end();
  });
  assert.deepEqual(got, { type: 'ADDED', name: 'late-event' });
});

test('faults: latency, 500s, slow bodies and a cluster that is down; request counters', async () => {
  const west = env.cluster('west');
  west.resetRequests();
  assert.equal((await req(west, 'GET', '/version')).status, 200);
  assert.equal(west.requests, 1);

  west.faults.latencyMs = 150;
  let t0 = Date.now();
  await req(west, 'GET', '/version');
  assert.ok(Date.now() - t0 >= 140);
  west.faults.latencyMs = 0;

  west.faults.errorStatus = 500;
  const r = await req(west, 'GET', '/api/v1/namespaces');
  assert.equal(r.status, 500);
  assert.equal(field(r.body, 'reason'), 'InternalError');
  west.faults.errorStatus = undefined;

  west.faults.slowBodyMs = 150;
  t0 = Date.now();
  const slow = await req(west, 'GET', '/api/v1/namespaces');
  assert.equal(slow.status, 200);
  assert.ok(Date.now() - t0 >= 140);
  assert.ok(itemsOf(slow.body).length > 0, 'the body still arrives whole');
  west.faults.slowBodyMs = 0;

  west.faults.down = true;
  await assert.rejects(req(west, 'GET', '/version'), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
  west.faults.down = false;
  await west.apiServer.ready();
  assert.equal((await req(west, 'GET', '/version')).status, 200);
  assert.equal(west.requests, 5, 'refused connections are not requests');
});

test('kubectl: apply, get and delete a multi-document file', async (t) => {
  if (!hasKubectl()) {
    t.skip('kubectl not installed');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'mc-kubectl-'));
  const file = join(dir, 'multi.yaml');
  const doc = (image: string) => `apiVersion: v1
kind: Namespace
metadata:
  name: kc
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: kc
  labels: {app: web}
data:
  mode: "${image}"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: kc
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ${image}
        env: [{name: A, value: "1"}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: kc
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]
`;
  const kubectl = (...args: string[]) =>
    new Promise<{ code: number; out: string }>((resolve) => {
      // async: the server runs in this process
      execFile('kubectl', ['--kubeconfig', env.kubeconfigPath, '--context', 'east', '--request-timeout=20s', ...args], { env: { ...process.env, KUBECACHEDIR: join(dir, 'cache') } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      );
    });
  writeFileSync(file, doc('nginx:1'));
  let r = await kubectl('apply', '-f', file);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /namespace\/kc created/);
  assert.match(r.out, /deployment.apps\/web created/);
  writeFileSync(file, doc('nginx:2'));
  r = await kubectl('apply', '-f', file);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /deployment.apps\/web configured/);
  assert.match(r.out, /service\/web unchanged/);
  assert.equal(east.get<Deployment>('apps/v1', 'Deployment', 'kc', 'web')!.spec.template.spec!.containers[0]!.image, 'nginx:2');
  r = await kubectl('apply', '--server-side', '-f', file);
  assert.equal(r.code, 0, r.out);
  r = await kubectl('get', 'deploy,svc,cm', '-n', 'kc', '-l', 'app=web');
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /configmap\/settings/);
  r = await kubectl('get', 'deploy', 'web', '-n', 'kc', '-o', 'jsonpath={.spec.template.spec.containers[0].image}');
  assert.equal(r.out, 'nginx:2');
  // as on a real cluster, a deleted namespace lingers (Terminating) while the other deletes go through
  east.apiServer.store.namespaceFinalizeMs = 300;
  try {
    r = await kubectl('delete', '-f', file);
  } finally {
    east.apiServer.store.namespaceFinalizeMs = 0;
  }
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /deployment.apps "web" deleted/);
  east.flushNamespaceDeletions();
  assert.equal(east.get('v1', 'Namespace', undefined, 'kc'), undefined);
});

test('stop() leaves nothing listening', async () => {
  const tenv = await startTestClusters(['a', 'b']);
  const ports = tenv.clusters.map((c) => Number(new URL(c.server).port));
  // an open keep-alive connection must not keep it alive either
  const c = await KubeClient.connect({ kubeconfig: tenv.kubeconfigPath, context: 'a', env: {} });
  await c.get({ apiVersion: 'v1', resource: 'namespaces', name: 'default' });
  // nor a cluster that was just brought back up (it re-binds a tick later)
  tenv.cluster('b').faults.down = true;
  tenv.cluster('b').faults.down = false;
  await tenv.stop();
  c.close();
  for (const port of ports) {
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.on('error', () => resolve(true));
    });
    assert.ok(refused, `port ${port} still accepts connections`);
  }
});
