import assert from 'node:assert/strict';
import { test } from 'node:test';
import yaml from 'js-yaml';
import { runMc } from './helpers/index.js';

type Doc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; [k: string]: any };

test('allow --ignore-cluster: namespace, ServiceAccount, token Secret, ClusterRole and binding for the account', async () => {
  const r = await runMc(['allow', '--ignore-cluster', '--service-account-name', 'west-mirror']);
  assert.equal(r.code, 0, r.stderr);
  const docs = (yaml.loadAll(r.stdout) as Doc[]).filter(Boolean);
  const byKind = Object.fromEntries(docs.map((d) => [d.kind, d]));
  assert.deepEqual(Object.keys(byKind).sort(), ['ClusterRole', 'ClusterRoleBinding', 'Namespace', 'Secret', 'ServiceAccount']);
  assert.equal(byKind.ServiceAccount!.metadata.namespace, 'linkerd-multicluster');
  assert.equal(byKind.Secret!.type, 'kubernetes.io/service-account-token');
  assert.equal(byKind.Secret!.metadata.name, 'west-mirror-token');
  assert.equal(byKind.Secret!.metadata.annotations!['kubernetes.io/service-account.name'], 'west-mirror');
  assert.deepEqual(byKind.ClusterRoleBinding!.subjects, [{ kind: 'ServiceAccount', name: 'west-mirror', namespace: 'linkerd-multicluster' }]);
  assert.deepEqual(byKind.ClusterRoleBinding!.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'west-mirror' });
  const rules = byKind.ClusterRole!.rules as Array<{ resources: string[]; verbs: string[]; resourceNames?: string[] }>;
  assert.ok(rules.some((x) => x.resources.includes('services') && x.verbs.includes('watch')));
  assert.ok(rules.some((x) => x.resources.includes('configmaps') && x.resourceNames?.includes('linkerd-config')));
  assert.ok(!rules.some((x) => x.resources.includes('secrets')), 'no access to secrets');
});

test('allow --namespace and -o json', async () => {
  const r = await runMc(['allow', '--ignore-cluster', '--service-account-name', 'm', '--namespace', 'mc-access', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const docs = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Doc);
  assert.equal(docs.length, 5);
  assert.equal(docs.find((d) => d.kind === 'Namespace')!.metadata.name, 'mc-access');
  assert.equal(docs.find((d) => d.kind === 'ServiceAccount')!.metadata.namespace, 'mc-access');
});

test('allow -n is --namespace: the namespace of the account and its token Secret', async () => {
  const r = await runMc(['allow', '--ignore-cluster', '--service-account-name', 'm', '-n', 'mc-access']);
  assert.equal(r.code, 0, r.stderr);
  const docs = (yaml.loadAll(r.stdout) as Doc[]).filter(Boolean);
  assert.equal(docs.find((d) => d.kind === 'ServiceAccount')!.metadata.namespace, 'mc-access');
  assert.equal(docs.find((d) => d.kind === 'Secret')!.metadata.namespace, 'mc-access');
  const bad = await runMc(['allow', '--ignore-cluster', '--service-account-name', 'm', '-n', 'a.b']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid --namespace "a\.b": a namespace is a DNS-1123 label/);
});

test('allow usage errors: missing or invalid account name, exit 2, nothing on stdout', async () => {
  for (const [args, re] of [
    [[], /--service-account-name is required/],
    [['--service-account-name', 'Bad_Name'], /invalid --service-account-name "Bad_Name"/],
  ] as Array<[string[], RegExp]>) {
    const r = await runMc(['allow', '--ignore-cluster', ...args]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, re);
  }
});
