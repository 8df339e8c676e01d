/**
 * mc version: what each cluster runs (control plane, multicluster extension,
 * Link creators) read from the test API server, in-process; the binary's text
 * report; and `kubectl mc` through a real kubectl with kubectl-mc on PATH.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { LINKERD_VERSION, mcVersion } from '../src/version.js';
import { runVersion, type VersionOptions } from '../src/versions/run.js';
import { putMulticluster } from './fixtures/check.js';
import { hasKubectl, MC_BIN, runCommand, runMc, testIO } from './helpers/index.js';
import { startTestClusters, type TestCluster, type TestEnv } from './support/index.js';

const OLD = 'edge-25.1.1';
const LINK = 'multicluster.linkerd.io/v1alpha3';
let env: TestEnv;
let work: string;

function captureIO() {
  return testIO({ env: { KUBECONFIG: env.kubeconfigPath } });
}

function options(contexts: string[], more: Partial<VersionOptions> = {}): VersionOptions {
  return { clientOnly: false, contexts, linkerdNamespace: 'linkerd', output: 'json', timeoutMs: 2000, ...more };
}

/** The namespace and Deployments of `mc install` for `version` (its created-by annotations and images). */
async function putExtension(c: TestCluster, linkerdVersion: string): Promise<void> {
  const r = await runMc(['install', '--ignore-cluster', '--linkerd-version', linkerdVersion, '--set', 'controllers[0].link.ref.name=other', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  for (const doc of r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l))) if (doc.kind === 'Deployment') c.put(doc);
}

function putLink(c: TestCluster, name: string, createdBy?: string): void {
  c.put({
    apiVersion: LINK,
    kind: 'Link',
    metadata: { name, namespace: 'linkerd-multicluster', ...(createdBy ? { annotations: { 'linkerd.io/created-by': createdBy } } : {}) },
    spec: { targetClusterName: name },
  });
}

before(async () => {
  env = await startTestClusters(['east', 'west']);
  work = mkdtempSync(join(tmpdir(), 'mc-version-'));
  const east = env.cluster('east');
  const west = env.cluster('west');
  for (const c of [east, west]) {
    c.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'linkerd' } });
    putMulticluster(c, '203.0.113.20');
  }
  // east: current Linkerd, linkerd-config says which.
  east.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'linkerd-config', namespace: 'linkerd' }, data: { values: yaml.dump({ linkerdVersion: LINKERD_VERSION }) } });
  await putExtension(east, LINKERD_VERSION);
  putLink(east, 'west', `linkerd/cli ${LINKERD_VERSION}`);
  // west: an older release without linkerdVersion in linkerd-config; its control plane proxies tell.
  west.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'linkerd-config', namespace: 'linkerd' }, data: { values: yaml.dump({ clusterDomain: 'cluster.local' }) } });
  west.put({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'linkerd-destination-1', namespace: 'linkerd', labels: { 'linkerd.io/control-plane-component': 'destination' } },
    spec: { containers: [{ name: 'destination', image: `cr.l5d.io/linkerd/controller:${OLD}` }, { name: 'linkerd-proxy', image: `cr.l5d.io/linkerd/proxy:${OLD}` }] },
  });
  await putExtension(west, OLD);
  putLink(west, 'east', `linkerd/cli ${OLD}`);
  putLink(west, 'north');
});

after(async () => {
  await env?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('versions per context: control plane, extension and Link creators; warnings name --linkerd-version', async () => {
  const io = captureIO();
  assert.equal(await runVersion(options(['east', 'west']), io), 0, io.stderr.text);
  const doc = JSON.parse(io.stdout.text);
  assert.deepEqual(doc.client, { mc: mcVersion(), linkerd: LINKERD_VERSION });
  const [east, west] = doc.contexts;
  assert.equal(east.context, 'east');
  assert.deepEqual(east.controlPlane, { version: LINKERD_VERSION, from: 'linkerd-config' });
  assert.deepEqual(east.multicluster.map((m: { version: string }) => m.version), [LINKERD_VERSION]);
  assert.deepEqual(east.links, [{ name: 'west', namespace: 'linkerd-multicluster', version: LINKERD_VERSION }]);
  assert.deepEqual(east.warnings, []);

  assert.equal(west.context, 'west');
  assert.deepEqual(west.controlPlane, { version: OLD, from: 'control plane proxies' });
  assert.deepEqual(west.multicluster.map((m: { version: string }) => m.version), [OLD]);
  assert.deepEqual(west.links, [
    { name: 'east', namespace: 'linkerd-multicluster', version: OLD },
    { name: 'north', namespace: 'linkerd-multicluster' },
  ]);
  assert.equal(west.warnings.length, 4);
  assert.match(io.stderr.text, /‼ context "west": the control plane is edge-25\.1\.1 but mc targets edge-26\.8\.3; render for it with --linkerd-version edge-25\.1\.1/);
  assert.match(io.stderr.text, /‼ context "west": Link linkerd-multicluster\/east \(made by linkerd\/cli\) is edge-25\.1\.1/);
  assert.match(io.stderr.text, /Link linkerd-multicluster\/north cannot be told/);
  assert.doesNotMatch(io.stderr.text, /context "east"/);
});

test('--client reads no cluster', async () => {
  const east = env.cluster('east');
  east.resetRequests();
  const io = captureIO();
  assert.equal(await runVersion(options(['east'], { clientOnly: true }), io), 0);
  assert.deepEqual(JSON.parse(io.stdout.text), { client: { mc: mcVersion(), linkerd: LINKERD_VERSION } });
  assert.equal(east.requests, 0);
});

test('a cluster that does not answer: its error on stderr, the others still reported, exit 1', async () => {
  const east = env.cluster('east');
  east.faults.down = true;
  try {
    const io = captureIO();
    assert.equal(await runVersion(options(['east', 'west'], { output: 'text' }), io), 1);
    assert.match(io.stderr.text, /^Error: context "east": .*unreachable/m);
    assert.match(io.stdout.text, /Context east:\n {2}unavailable/);
    assert.match(io.stdout.text, /Context west:\n {2}Control plane: edge-25\.1\.1 \(control plane proxies\)\n {2}Multicluster extension: edge-25\.1\.1\n {2}Link linkerd-multicluster\/east: edge-25\.1\.1\n {2}Link linkerd-multicluster\/north: unknown\n/);
  } finally {
    east.faults.down = false;
  }
});

test('mc: global --context and the command\'s own --context are both read; mc --version is unchanged', async () => {
  const r = await runMc(['--context', 'east', 'version', '--context', 'west'], { env: { KUBECONFIG: env.kubeconfigPath } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^Client version: mc ${mcVersion()}\nTargets Linkerd: ${LINKERD_VERSION}\n\nContext east:\n  Control plane: ${LINKERD_VERSION} \\(linkerd-config\\)\n`));
  assert.match(r.stdout, /\nContext west:\n/);
  const bad = await runMc(['version', '-o', 'xml']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, '');
  const v = await runMc(['--version']);
  assert.equal(v.stdout, `mc ${mcVersion()} (Linkerd ${LINKERD_VERSION})\n`);
});

test('kubectl mc: kubectl runs kubectl-mc from PATH and passes global options through', { skip: hasKubectl() ? false : 'kubectl is not installed' }, async () => {
  // As `npm install -g` links it: an executable named kubectl-mc on PATH.
  const shim = join(work, 'kubectl-mc');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${MC_BIN}" "$@"\n`);
  chmodSync(shim, 0o755);
  const pathEnv = { ...process.env, PATH: `${work}:${process.env.PATH}`, KUBECONFIG: env.kubeconfigPath };
  const client = await runCommand('kubectl', ['mc', 'version', '--client'], { env: pathEnv });
  assert.equal(client.code, 0, client.stderr);
  assert.equal(client.stdout, `Client version: mc ${mcVersion()}\nTargets Linkerd: ${LINKERD_VERSION}\n`);
  const west = await runCommand('kubectl', ['mc', '--kubeconfig', env.kubeconfigPath, '--context', 'west', 'version', '-o', 'json'], { env: pathEnv });
  assert.equal(west.code, 0, west.stderr);
  assert.deepEqual(JSON.parse(west.stdout).contexts.map((c: { context: string }) => c.context), ['west']);
  const usage = await runCommand('kubectl', ['mc', 'no-such-command'], { env: pathEnv });
  assert.equal(usage.code, 2);
});
