/**
 * The test API server's pod subresources, checked with clients other than
 * mc: @kubernetes/client-node's PortForward (WebSocket, v4.channel.k8s.io)
 * and the real kubectl (`get --raw` through pods/proxy), plus RBAC on both.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { KubeConfig, PortForward } from '@kubernetes/client-node';
import { hasKubectl, runKubectl } from './helpers/index.js';
import { httpsRequest } from './support/https-request.js';
import { field, startTestClusters, type TestCluster, type TestEnv } from './support/index.js';

let env: TestEnv;
let c: TestCluster;

before(async () => {
  env = await startTestClusters(['one'], { auth: 'token' });
  c = env.cluster('one');
  c.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'x', ports: [{ name: 'http-admin', containerPort: 8080 }] }] }, status: { phase: 'Running', podIP: '10.244.0.9' } });
  c.apiServer.pods.serve((pod, port) => (pod.metadata.name === 'web' && port === 8080 ? ({ path }) => ({ status: 200, body: `hello from ${pod.metadata.name}${path}\n` }) : undefined));
});

after(async () => {
  await env?.stop();
});

test('client-node PortForward speaks to pods/portforward: an HTTP exchange over channel 0', async () => {
  const kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfigPath);
  const output = new PassThrough();
  const input = new PassThrough();
  let received = '';
  output.on('data', (d) => (received += d));
  const ws: any = await new PortForward(kc).portForward('default', 'web', [8080], output, null, input);
  const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
  input.write('GET /hi HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  await closed;
  assert.match(received, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(received, /\r\n\r\nhello from web\/hi\n$/);
});

test('pods/portforward: a plain GET is refused (upgrade required); nothing listening is an error on channel 1', async () => {
  const t = { server: c.server, ca: c.caPem, token: c.adminToken };
  const plain = await httpsRequest(t, 'GET', '/api/v1/namespaces/default/pods/web/portforward?ports=8080');
  assert.equal(plain.status, 400);
  assert.equal(field(plain.body, 'message'), 'Upgrade request required');
  const kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfigPath);
  const errors = new PassThrough();
  let errorText = '';
  errors.on('data', (d) => (errorText += d));
  const ws: any = await new PortForward(kc).portForward('default', 'web', [9090], new PassThrough(), errors, new PassThrough());
  await new Promise<void>((resolve) => ws.on('close', () => resolve()));
  assert.match(errorText, /error forwarding port 9090 to pod .*connect: connection refused/);
});

test('pods/proxy through the real kubectl (get --raw), by port number and port name', { skip: !hasKubectl() && 'kubectl not on PATH' }, async () => {
  const r = await runKubectl(env.kubeconfigPath, 'one', ['get', '--raw', '/api/v1/namespaces/default/pods/web:8080/proxy/metrics']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello from web/metrics\n');
  const named = await runKubectl(env.kubeconfigPath, 'one', ['get', '--raw', '/api/v1/namespaces/default/pods/web:http-admin/proxy/x']);
  assert.equal(named.stdout, 'hello from web/x\n');
  const refused = await runKubectl(env.kubeconfigPath, 'one', ['get', '--raw', '/api/v1/namespaces/default/pods/web:9090/proxy/']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /connection refused/);
});

test('RBAC: pods/proxy and pods/portforward need their own grants; 403 as Status naming verb and resource', async () => {
  c.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader', namespace: 'default' } });
  c.put({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'reader', namespace: 'default' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] });
  c.put({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'reader', namespace: 'default' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'default' }] });
  const t = { server: c.server, ca: c.caPem, token: c.serviceAccountToken('default', 'reader') };
  const proxy = await httpsRequest(t, 'GET', '/api/v1/namespaces/default/pods/web:8080/proxy/metrics');
  assert.equal(proxy.status, 403);
  assert.equal(field(proxy.body, 'kind'), 'Status');
  assert.match(field(proxy.body, 'message') as string, /cannot get resource "pods\/proxy" in API group "" in the namespace "default"/);
  const kc = new KubeConfig();
  kc.loadFromString(c.kubeconfigFor(t.token));
  await assert.rejects(new PortForward(kc).portForward('default', 'web', [8080], new PassThrough(), null, new PassThrough()), (err: any) => /403/.test(String(err?.message ?? err)));
});
