/**
 * `mc export-service` live, against the test API server (real HTTPS, real
 * kubeconfig, real RBAC): patches, selectors, dry run, not found, forbidden,
 * conflicts; and the offline output applied with real kubectl.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import jsyaml from 'js-yaml';
import { hasKubectl, runKubectl, runMc } from './helpers/index.js';
import { startTestClusters, type Secret, type Service, type TestCluster, type TestEnv } from './support/index.js';

let env: TestEnv;
let east: TestCluster;

const EXPORTED = 'mirror.linkerd.io/exported';

function svc(namespace: string, name: string, labels: Record<string, string> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { app: name, ...labels } },
    spec: { ports: [{ name: 'http', port: 9898, protocol: 'TCP', targetPort: 9898 }], selector: { app: name } },
  };
}

const get = (ns: string, name: string) => east.get<Service>('v1', 'Service', ns, name)!;

before(async () => {
  env = await startTestClusters(['east']);
  east = env.cluster('east');
});
after(() => env.stop());

beforeEach(() => {
  for (const s of east.list('v1', 'Service')) if (s.metadata.name !== 'kubernetes') east.remove('v1', 'Service', s.metadata.namespace, s.metadata.name);
  east.put(svc('test', 'podinfo'));
  east.put(svc('test', 'web', { tier: 'front' }));
  east.put(svc('test', 'podinfo-west', { 'mirror.linkerd.io/mirrored-service': 'true' }));
  east.put(svc('other', 'api', { tier: 'front' }));
  east.faults.latencyMs = 0;
  east.faults.errorStatus = undefined;
});

const mc = (...args: string[]) => runMc(['--kubeconfig', env.kubeconfigPath, ...args]);

test('svc/NAME -n NS: a merge patch of the labels only; a second run sends nothing', async () => {
  const before = get('test', 'podinfo');
  east.resetRequests();
  const r = await mc('export-service', 'svc/podinfo', '-n', 'test');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'service "podinfo" in namespace "test" exported\n');
  const now = get('test', 'podinfo');
  assert.deepEqual(now.metadata.labels, { app: 'podinfo', [EXPORTED]: 'true' });
  assert.deepEqual(now.spec, before.spec);
  assert.notEqual(now.metadata.resourceVersion, before.metadata.resourceVersion);
  assert.equal(east.requests, 2, 'one get, one patch');

  east.resetRequests();
  const again = await mc('export-service', 'service/podinfo', '--namespace', 'test');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stderr, 'service "podinfo" in namespace "test" already exported\n');
  assert.equal(east.requests, 1, 'only the get');
});

test('-l and --all (-A): every match is patched, mirrors are skipped; --unexport removes the marks', async () => {
  const r = await mc('export-service', '-l', 'tier=front', '-A', '--gateway-name', 'ambassador', '--gateway-namespace', 'ambassador');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /service "api" in namespace "other" exported/);
  assert.match(r.stderr, /service "web" in namespace "test" exported/);
  assert.equal(get('other', 'api').metadata.annotations!['mirror.linkerd.io/gateway-name'], 'ambassador');
  assert.equal(get('test', 'podinfo').metadata.labels![EXPORTED], undefined, 'not selected');

  const all = await mc('export-service', '--all', '-n', 'test', '--remote-discovery');
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stderr, /service "podinfo-west" in namespace "test" skipped: it is a mirror/);
  assert.equal(get('test', 'podinfo').metadata.labels![EXPORTED], 'remote-discovery');
  assert.equal(get('test', 'web').metadata.labels![EXPORTED], 'remote-discovery');
  assert.equal(get('test', 'podinfo-west').metadata.labels![EXPORTED], undefined);

  const un = await mc('export-service', '--all', '-A', '--unexport');
  assert.equal(un.code, 0, un.stderr);
  assert.deepEqual(get('test', 'web').metadata.labels, { app: 'web', tier: 'front' });
  assert.equal(get('other', 'api').metadata.annotations, undefined);
  assert.match(un.stderr, /service "kubernetes" in namespace "default" already unexported/);
});

test('--dry-run prints the patches (JSON lines) and changes nothing', async () => {
  const rv = get('test', 'podinfo').metadata.resourceVersion;
  const r = await mc('export-service', 'svc/podinfo', 'svc/web', '-n', 'test', '--federated', '--dry-run');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines[0], {
    apiVersion: 'v1',
    kind: 'Service',
    namespace: 'test',
    name: 'podinfo',
    patchType: 'merge',
    patch: { metadata: { labels: { 'mirror.linkerd.io/federated': 'member' }, resourceVersion: rv } },
  });
  assert.equal(lines[1].name, 'web');
  assert.match(r.stderr, /service "podinfo" in namespace "test" exported \(dry run\)/);
  assert.equal(get('test', 'podinfo').metadata.resourceVersion, rv);
});

test('not found: reported, the other services are still exported, exit 1', async () => {
  const r = await mc('export-service', 'svc/nope', 'svc/podinfo', '-n', 'test');
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /Error: not found: services "nope" in namespace "test" in context "east"/);
  assert.match(r.stderr, /service "podinfo" in namespace "test" exported/);
  assert.match(r.stderr, /1 of 2 services failed/);
  assert.equal(get('test', 'podinfo').metadata.labels![EXPORTED], 'true');
});

test('failures go through the one error path: after what worked, each as an error, then the count (exit 1)', async () => {
  const r = await mc('export-service', 'svc/nope', 'svc/podinfo', 'svc/gone', '-n', 'test');
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines[0], 'service "podinfo" in namespace "test" exported');
  assert.match(lines[1]!, /^Error: not found: services "nope" in namespace "test" in context "east"/);
  assert.equal(lines.filter((l) => /^Error: not found: services "gone"/.test(l)).length, 1);
  assert.equal(lines.at(-1), 'Error: 2 of 3 services failed');
});

test('an invalid -l selector is a usage error caught locally: exit 2, no request to the server', async () => {
  for (const bad of ['app web', 'app=web,', 'app in web', 'Bad Key=x', '!', 'a>x', 'a<', 'a>>1', 'a>=1']) {
    east.resetRequests();
    const r = await mc('export-service', '-l', bad, '-n', 'test');
    assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^Error: invalid --selector "${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}": `), bad);
    assert.match(r.stderr, /Use label-query syntax/);
    assert.equal(east.requests, 0, `${bad}: nothing sent`);
  }
  const ok = await mc('export-service', '-l', 'tier in (front),!legacy', '-n', 'test');
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /service "web" in namespace "test" exported/);
});

test('-l takes kubectl\'s whole list-query syntax: key>N and key<N compare integer label values, as the API server does', async () => {
  east.put(svc('test', 'low', { rank: '3' }));
  east.put(svc('test', 'high', { rank: '12' }));
  east.put(svc('test', 'named', { rank: 'top' }));
  const exported = () => east.list('v1', 'Service', 'test').filter((s) => s.metadata.labels?.[EXPORTED] === 'true').map((s) => s.metadata.name).sort();
  const gt = await mc('export-service', '-l', 'rank>5', '-n', 'test');
  assert.equal(gt.code, 0, gt.stderr);
  // 12 > 5 as numbers (not as text: "12" < "5"); "top" is not a number and matches neither.
  assert.deepEqual(exported(), ['high']);
  const lt = await mc('export-service', '-l', 'rank < 4, app notin (web)', '-n', 'test');
  assert.equal(lt.code, 0, lt.stderr);
  assert.deepEqual(exported(), ['high', 'low']);
  assert.match(lt.stderr, /^service "low" in namespace "test" exported$/m);
  // labels.Parse's own example: empty values in a set, and an empty set.
  const quirks = await mc('export-service', '-l', 'x in (foo,,baz),y,z notin ()', '-n', 'test', '--dry-run');
  assert.equal(quirks.code, 0, quirks.stderr);
});

test('a bad -l says the API server\'s reason, as kubectl shows it', async () => {
  const cases: Array<[string, string]> = [
    ['rank>x', `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`],
    ['rank<', `unable to parse requirement: values[0]: Invalid value: "": for 'Gt', 'Lt' operators, the value must be an integer`],
    ['rank>>1', `unable to parse requirement: found '>', expected: identifier`],
    ['a,,b', `found ',', expected: identifier after ','`],
    ['a b', `unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt`],
    ['!a=b', `found '=', expected: ',' or 'end of string'`],
    ['Bad/key', `unable to parse requirement: <nil>: Invalid value: "Bad/key": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`],
  ];
  for (const [bad, reason] of cases) {
    const r = await mc('export-service', '-l', bad, '-n', 'test');
    assert.equal(r.code, 2, bad);
    assert.equal(r.stderr.split('\n')[0], `Error: invalid --selector "${bad}": ${reason}`);
  }
});

test('the namespace defaults to the context namespace', async () => {
  const kc = jsyaml.load(readFileSync(env.kubeconfigPath, 'utf8')) as any;
  kc.contexts[0].context.namespace = 'other';
  const path = join(env.dir, 'kubeconfig-ns');
  writeFileSync(path, jsyaml.dump(kc), { mode: 0o600 });
  const r = await runMc(['--kubeconfig', path, 'export-service', 'svc/api']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(get('other', 'api').metadata.labels![EXPORTED], 'true');
});

test('forbidden: a service account that may only get services; the error names verb, resource and namespace', async () => {
  east.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader', namespace: 'test' } });
  east.put({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'svc-get', namespace: 'test' }, rules: [{ apiGroups: [''], resources: ['services'], verbs: ['get'] }] });
  east.put({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'reader-svc-get', namespace: 'test' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'svc-get' },
    subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'test' }],
  });
  east.put({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token', metadata: { name: 'reader-token', namespace: 'test', annotations: { 'kubernetes.io/service-account.name': 'reader' } } });
  const secret = east.get<Secret>('v1', 'Secret', 'test', 'reader-token')!;
  const token = Buffer.from(secret.data!.token, 'base64').toString('utf8');
  const path = join(env.dir, 'kubeconfig-reader');
  writeFileSync(path, east.kubeconfigFor(token, 'east'), { mode: 0o600 });

  const r = await runMc(['--kubeconfig', path, 'export-service', 'svc/podinfo', 'svc/web', '-n', 'test']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /Error: forbidden: cannot patch services "podinfo" in namespace "test" in context "east"/);
  assert.match(r.stderr, /Grant the identity of this context the "patch" verb on services in namespace "test"/);
  assert.match(r.stderr, /forbidden: cannot patch services "web"/, 'the second service was tried too');
  assert.match(r.stderr, /2 of 2 services failed/);
  assert.equal(get('test', 'podinfo').metadata.labels![EXPORTED], undefined);
  assert.ok(!r.stderr.includes(token), 'the token never shows');

  const list = await runMc(['--kubeconfig', path, 'export-service', '--all', '-n', 'test']);
  assert.equal(list.code, 1);
  assert.match(list.stderr, /forbidden: cannot list services in namespace "test"/);
});

test('a conflict (the service changed between read and patch) is retried on fresh data', { timeout: 60_000 }, async () => {
  east.faults.latencyMs = 600;
  east.resetRequests();
  let done = false;
  const run = mc('export-service', 'svc/podinfo', '-n', 'test').finally(() => (done = true));
  // The get arrives, waits 600 ms, then reads; the patch arrives after it and waits 600 ms too.
  // Change the service in between: the patch then carries a stale resourceVersion.
  while (east.requests < 1 && !done) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 900));
  const cur = get('test', 'podinfo');
  east.put({ ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata.labels, team: 'blue' } } });
  const r = await run;
  east.faults.latencyMs = 0;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(east.requests, 4, 'get, conflicting patch, get, patch');
  assert.deepEqual(get('test', 'podinfo').metadata.labels, { app: 'podinfo', team: 'blue', [EXPORTED]: 'true' });
});

test('a conflict that persists is a clear error', async () => {
  east.faults.errorStatus = 409;
  const r = await mc('export-service', 'svc/podinfo', '-n', 'test');
  east.faults.errorStatus = undefined;
  assert.equal(r.code, 1);
  assert.match(r.stderr, /conflict: service "podinfo" in namespace "test" in context "east" kept changing while mc patched it \(3 attempts\)/);
});

test('offline output goes into real kubectl apply', async (t) => {
  if (!hasKubectl()) return t.skip('kubectl not installed');
  const manifest = jsyaml.dump({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'fromfile', namespace: 'test' }, spec: { ports: [{ port: 80 }] } });
  const exported = await runMc(['export-service', '-', '--gateway-name', 'ambassador', '--gateway-namespace', 'ambassador'], { input: manifest });
  assert.equal(exported.code, 0, exported.stderr);
  const applied = await runKubectl(env.kubeconfigPath, 'east', ['apply', '-f', '-'], exported.stdout);
  assert.equal(applied.code, 0, applied.stderr);
  const s = get('test', 'fromfile');
  assert.equal(s.metadata.labels![EXPORTED], 'true');
  assert.equal(s.metadata.annotations!['mirror.linkerd.io/gateway-ns'], 'ambassador');
});
