import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';
import { McError } from '../src/errors.js';
import { kubeconfigPaths, loadKubeconfig, selectContext } from '../src/kube/kubeconfig.js';

function kubeconfigFile(dir: string, file: string, contexts: string[], current?: string): string {
  const path = join(dir, file);
  const lines = ['apiVersion: v1', 'kind: Config', 'clusters:'];
  for (const c of contexts) lines.push(`- name: ${c}`, '  cluster:', `    server: https://${c}.example:6443`, '    certificate-authority: ca.crt');
  lines.push('users:');
  for (const c of contexts) lines.push(`- name: ${c}`, '  user:', `    token: t-${c}`);
  lines.push('contexts:');
  for (const c of contexts) lines.push(`- name: ${c}`, '  context:', `    cluster: ${c}`, `    user: ${c}`);
  if (current) lines.push(`current-context: ${current}`);
  writeFileSync(path, lines.join('\n'));
  return path;
}

test('KUBECONFIG paths are merged like kubectl: first definition and first current-context win', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-kc-'));
  const a = kubeconfigFile(dir, 'a', ['east'], 'east');
  const b = kubeconfigFile(dir, 'b', ['east', 'west'], 'west');
  const env = { KUBECONFIG: [a, join(dir, 'missing'), b].join(delimiter) };
  const paths = kubeconfigPaths({ env });
  assert.equal(paths.length, 3);
  const { config } = loadKubeconfig({ env });
  assert.deepEqual(config.contexts.map((c) => c.name), ['east', 'west']);
  assert.equal(config['current-context'], 'east');
  // relative file paths are resolved against the file that holds them
  assert.equal((config.clusters[0]!.cluster as Record<string, string>)['certificate-authority'], join(dir, 'ca.crt'));
});

test('--kubeconfig wins over KUBECONFIG and a missing explicit file is an error', () => {
  assert.deepEqual(kubeconfigPaths({ kubeconfig: '/x', env: { KUBECONFIG: '/y' } }), ['/x']);
  assert.throws(() => loadKubeconfig({ kubeconfig: '/nonexistent/kubeconfig', env: {} }), (e: unknown) => e instanceof McError && /cannot read kubeconfig/.test(e.message));
});

test('a kubeconfig read again in the same run: each read is a copy of its own, and a changed file is read anew', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-kc-'));
  const path = kubeconfigFile(dir, 'config', ['east', 'west'], 'east');
  const first = loadKubeconfig({ kubeconfig: path, env: {} }).config;
  first.contexts.pop();
  (first.clusters[0]!.cluster as Record<string, string>).server = 'https://changed.example';
  const second = loadKubeconfig({ kubeconfig: path, env: {} }).config;
  assert.deepEqual(second.contexts.map((c) => c.name), ['east', 'west'], 'what the first caller changed is not in the second read');
  assert.equal((second.clusters[0]!.cluster as Record<string, string>).server, 'https://east.example:6443');
  kubeconfigFile(dir, 'config', ['north'], 'north');
  assert.deepEqual(loadKubeconfig({ kubeconfig: path, env: {} }).config.contexts.map((c) => c.name), ['north']);
});

test('an unknown context is an error listing the known ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-kc-'));
  const { config } = loadKubeconfig({ kubeconfig: kubeconfigFile(dir, 'c', ['east', 'west'], 'east'), env: {} });
  assert.equal(selectContext(config, undefined), 'east');
  assert.throws(() => selectContext(config, 'north'), (e: unknown) => e instanceof McError && /"north" does not exist/.test(e.message) && /east, west/.test(e.hint ?? ''));
});

test('a user with an exec plugin gets its token from the plugin (through client-node) and reaches the cluster', async () => {
  const { startTestClusters } = await import('./support/index.js');
  const { KubeClient } = await import('../src/kube/client.js');
  const env = await startTestClusters(['east']);
  try {
    const east = env.cluster('east');
    const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { token: east.adminToken } });
    const dir = mkdtempSync(join(tmpdir(), 'mc-kc-'));
    const path = join(dir, 'exec-kubeconfig');
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: east',
        '  cluster:',
        `    server: ${east.server}`,
        `    certificate-authority-data: ${Buffer.from(east.caPem).toString('base64')}`,
        'users:',
        '- name: plugin',
        '  user:',
        '    exec:',
        '      apiVersion: client.authentication.k8s.io/v1beta1',
        `      command: ${JSON.stringify(process.execPath)}`,
        `      args: ["-e", ${JSON.stringify(`process.stdout.write(${JSON.stringify(credential)})`)}]`,
        'contexts:',
        '- name: east',
        '  context: {cluster: east, user: plugin}',
        'current-context: east',
      ].join('\n'),
    );
    east.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe', namespace: 'default' }, data: { a: 'b' } });
    const client = await KubeClient.connect({ kubeconfig: path, env: {} });
    try {
      const cm = await client.get<{ data: Record<string, string> }>({ apiVersion: 'v1', resource: 'configmaps', namespace: 'default', name: 'probe' });
      assert.deepEqual(cm.data, { a: 'b' });
    } finally {
      client.close();
    }
  } finally {
    await env.stop();
  }
});
