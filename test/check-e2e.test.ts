/**
 * `mc check` after the real commands: `mc install` in both clusters (west with a
 * `controllers` entry for east), `mc link-gen`
 * (--apply-to) from east to west through Ambassador, `mc export-service`, and
 * the simulated service mirror. Guards that check and link agree on names,
 * labels and fields; then a Link whose mirror has stopped, and a fatal
 * failure (no Link CRD) that stops the run.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runMc, type RunResult } from './helpers/index.js';
import { setupEastWest } from './fixtures/check.js';
import { startTestClusters, type Link, type TestCluster, type TestEnv } from './support/index.js';
import { addPodinfo, startServiceMirrorSimulation, type ServiceMirrorSimulation } from './support/linkerd-sim.js';

let env: TestEnv;
let west: TestCluster;
let mirror: ServiceMirrorSimulation;

async function mc(args: string[]): Promise<RunResult> {
  return runMc(['--kubeconfig', env.kubeconfigPath, ...args]);
}

before(async () => {
  env = await startTestClusters(['west', 'east']);
  west = env.cluster('west');
  // The current upstream flow: west's extension runs the mirror for east; link-gen brings the Link.
  await setupEastWest(env, ['--set', 'controllers[0].link.ref.name=east']);
  const link = await mc(['--context', 'east', 'link-gen', '--cluster-name', 'east', '--gateway-name', 'ambassador', '--gateway-namespace', 'ambassador', '--apply-to', 'west']);
  assert.equal(link.code, 0, link.stderr);
  const exp = await mc(['--context', 'east', 'export-service', 'svc/podinfo', '-n', 'test']);
  assert.equal(exp.code, 0, exp.stderr);
  mirror = startServiceMirrorSimulation(env, 'west', { intervalMs: 60_000 });
  await mirror.syncOnce();
  assert.deepEqual([...mirror.errors], []);
});

after(async () => {
  mirror?.stop();
  await env?.stop();
});

function check(...args: string[]): Promise<RunResult> {
  return mc(['--context', 'west', 'check', '--wait', '1s', '--timeout', '2s', ...args]);
}

test('after mc install (with a controllers entry), mc link-gen and mc export-service, every check passes', async () => {
  const r = await check();
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /[×‼]/);
  assert.match(r.stdout, /^√ probe services able to communicate with all gateway mirrors\n\t\* east$/m);
  assert.match(r.stdout, /^√ extension is managing controllers\n\t\* east$/m);
  assert.match(r.stdout, /^√ all mirror services have endpoints$/m);
  assert.match(r.stdout, /\t\* east: 1 exported, all mirrored/);
  assert.match(r.stdout, /\t\* east: 203\.0\.113\.10:4143 \(ambassador\/ambassador\)/);
  assert.ok(r.stdout.endsWith('Status check results are √\n'));
});

test('a service exported after the mirror stopped: × until the mirror catches up', async () => {
  addPodinfo(env.cluster('east'), { name: 'backend', exported: true });
  const r = await check('-o', 'short');
  assert.equal(r.code, 1);
  assert.match(r.stdout, /× all exported services are mirrored and all mirrors are still exported\n {4}\* east: exported service backend\.test has no mirror backend-east\.test in west/);
  await mirror.syncOnce();
  const again = await check('-o', 'short');
  assert.equal(again.code, 0, again.stdout);
  assert.equal(again.stdout, 'Status check results are √\n');
});

test('without the Link CRD the fatal check stops the run', async (t) => {
  const crd = west.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'links.multicluster.linkerd.io')!;
  const links = west.list<Link>('multicluster.linkerd.io/v1alpha3', 'Link', 'linkerd-multicluster');
  west.remove('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'links.multicluster.linkerd.io');
  t.after(() => {
    west.put(crd);
    for (const l of links) west.put(l);
  });
  const r = await check();
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^× Link CRD exists\n {4}multicluster\.linkerd\.io\/Link CRD is missing: Link CRD not found\n {4}see https:\/\/linkerd\.io\/2\/checks\/#l5d-multicluster-link-crd-exists for hints\n\nStatus check results are ×\n$/m);
  assert.doesNotMatch(r.stdout, /Link resources are valid/);
});
