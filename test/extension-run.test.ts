/**
 * install, allow and uninstall as domain runs (the command contract): typed
 * options and a test IO in, exit code out; the cluster is read in the run,
 * through src/kube/, with the IO's signal (Ctrl-C stops the request).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { McError, UsageError } from '../src/errors.js';
import { runAllow, type AllowOptions } from '../src/extension/allow.js';
import { runInstall, type InstallRunOptions } from '../src/extension/install.js';
import { runUninstall } from '../src/extension/uninstall.js';
import { testIO } from './helpers/index.js';
import { startTestClusters, type TestCluster, type TestEnv } from './support/index.js';

let env: TestEnv;
let east: TestCluster;

before(async () => {
  env = await startTestClusters(['east']);
  east = env.cluster('east');
  east.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'linkerd' } });
  east.put({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'linkerd-config', namespace: 'linkerd' },
    data: { values: yaml.dump({ identityTrustDomain: 'east.example.org', proxy: { ports: { outbound: 4140 } } }) },
  });
  east.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'linkerd-multicluster' } });
  east.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'taken', namespace: 'linkerd-multicluster' } });
});
after(async () => env?.stop());

const cluster = () => ({ kubeconfig: env.kubeconfigPath, context: 'east', requestTimeoutMs: 10_000 });
const install = (extra: Partial<InstallRunOptions> = {}): InstallRunOptions => ({
  ...cluster(),
  verbose: false,
  linkerdNamespace: 'linkerd',
  linkerdVersion: 'edge-26.8.3',
  ignoreCluster: false,
  values: { values: [], set: [], setString: [], setFile: [] },
  output: 'yaml',
  ...extra,
});
const allow = (extra: Partial<AllowOptions> = {}): AllowOptions => ({
  ...cluster(),
  linkerdNamespace: 'linkerd',
  serviceAccountName: 'west-mirror',
  namespace: 'linkerd-multicluster',
  ignoreCluster: false,
  output: 'yaml',
  linkerdVersion: 'edge-26.8.3',
  ...extra,
});

test('runInstall reads linkerd-config: the trust domain reaches the gateway identity', async () => {
  const io = testIO();
  assert.equal(await runInstall(install({ verbose: true }), io), 0);
  assert.match(io.stdout.text, /gateway-identity: linkerd-gateway\.linkerd-multicluster\.serviceaccount\.identity\.linkerd\.east\.example\.org/);
  assert.match(io.stderr.text, /trust domain east\.example\.org, proxy outbound port 4140/);
});

test('runInstall: bad values are refused before any request; the registry comes from the IO\'s environment', async () => {
  const before = east.requests;
  await assert.rejects(runInstall(install({ values: { values: [], set: ['gateway.port=70000'], setString: [], setFile: [] } }), testIO()), UsageError);
  assert.equal(east.requests, before);
  const io = testIO({ env: { LINKERD_DOCKER_REGISTRY: 'registry.example/l5d' } });
  assert.equal(await runInstall(install({ ignoreCluster: true }), io), 0);
  assert.match(io.stdout.text, /image: registry\.example\/l5d\/controller:edge-26\.8\.3/);
});

test('runAllow refuses an existing account, prints a new one', async () => {
  await assert.rejects(runAllow(allow({ serviceAccountName: 'taken' }), testIO()), (e: unknown) => e instanceof McError && /ServiceAccount "taken" already exists .* of context "east"/.test(e.message));
  const io = testIO();
  assert.equal(await runAllow(allow(), io), 0);
  assert.match(io.stdout.text, /name: west-mirror-token/);
});

test('runUninstall refuses while a Link remains', async () => {
  east.put({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'links.multicluster.linkerd.io' },
    spec: {
      group: 'multicluster.linkerd.io',
      scope: 'Namespaced',
      names: { kind: 'Link', plural: 'links', singular: 'link', listKind: 'LinkList' },
      versions: [{ name: 'v1alpha3', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  });
  east.put({ apiVersion: 'multicluster.linkerd.io/v1alpha3', kind: 'Link', metadata: { name: 'west', namespace: 'linkerd-multicluster' }, spec: { targetClusterName: 'west' } });
  await assert.rejects(runUninstall({ ...cluster(), verbose: false, output: 'yaml' }, testIO()), (e: unknown) => e instanceof McError && /Link/.test(e.message) && /\* west \(Link linkerd-multicluster\/west\)/.test(e.message));
  east.remove('multicluster.linkerd.io/v1alpha3', 'Link', 'linkerd-multicluster', 'west');
});

test('Ctrl-C (the IO\'s signal) stops the cluster reads of install, allow and uninstall', async () => {
  const aborted = AbortSignal.abort(new Error('interrupted (SIGINT)'));
  const interrupted = (e: unknown) => e instanceof Error && /interrupted/.test(e.message);
  await assert.rejects(runInstall(install(), testIO({ signal: aborted })), interrupted);
  await assert.rejects(runAllow(allow(), testIO({ signal: aborted })), interrupted);
  await assert.rejects(runUninstall({ ...cluster(), verbose: false, output: 'yaml' }, testIO({ signal: aborted })), interrupted);
});

test('command files only turn flags into options: none reads a cluster or a file, formats documents or prints', async () => {
  const { readdirSync, readFileSync, statSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const dir = fileURLToPath(new URL('../../src/commands/', import.meta.url));
  const files = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? files(join(d, f)) : f.endsWith('.ts') ? [join(d, f)] : []));
  const offenders = files(dir)
    .map((f) => ({ rel: f.slice(dir.length), text: readFileSync(f, 'utf8') }))
    .filter(({ text }) => /\/kube\/|\bnode:fs\b|render\/output|\bprintResult\b|\bformatDocuments\b|\bsay\(|\bsayTo\(/.test(text))
    .map(({ rel }) => rel);
  assert.deepEqual(offenders, []);
});
