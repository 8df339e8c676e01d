/**
 * Upstream's migration from a legacy link to a managed controller, end to end
 * on the test clusters with the simulated service mirrors: `mc link`
 * (legacy mirror) → check green (the legacy mirror is a warning) → `mc
 * install` with a `controllers` entry → `mc unlink --only-controller |
 * kubectl delete -f -` → check green, the chart's controller-east mirroring
 * east and holding the Link's Lease; the Link, its Secrets and the mirrors
 * never went away.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { hasKubectl, runKubectl, runMc, type RunResult } from './helpers/index.js';
import { putFromMcWith, setupEastWest } from './fixtures/check.js';
import { startTestClusters, type Deployment, type Lease, type Link, type Pod, type Service, type TestCluster, type TestEnv } from './support/index.js';
import { startServiceMirrorSimulation, type ServiceMirrorSimulation } from './support/linkerd-sim.js';

const NS = 'linkerd-multicluster';
let env: TestEnv;
let west: TestCluster;
let mirror: ServiceMirrorSimulation;
const mc = (args: string[]): Promise<RunResult> => runMc(['--kubeconfig', env.kubeconfigPath, ...args]);

/** `mc unlink ... | kubectl delete -f -` (the real kubectl when there is one). */
async function deleteAll(manifests: string): Promise<void> {
  if (hasKubectl()) {
    const r = await runKubectl(env.kubeconfigPath, 'west', ['delete', '-f', '-'], manifests);
    assert.equal(r.code, 0, r.stderr);
    return;
  }
  for (const d of yaml.loadAll(manifests).filter(Boolean) as any[]) assert.ok(west.remove(d.apiVersion, d.kind, d.metadata.namespace, d.metadata.name), `${d.kind} ${d.metadata.name}`);
}

const check = () => mc(['--context', 'west', 'check', '--wait', '5s', '--timeout', '3s']);

before(async () => {
  env = await startTestClusters(['west', 'east']);
  west = env.cluster('west');
  await setupEastWest(env);
  mirror = startServiceMirrorSimulation(env, 'west', { intervalMs: 0 });
});

after(async () => {
  mirror?.stop();
  await env?.stop();
});

test('legacy link → managed controller: check green before and after, the Link and mirrors kept throughout', async () => {
  // Before: the legacy flow (Linkerd 2.17 and earlier)
  const link = await mc(['--context', 'east', 'link', '--cluster-name', 'east', '--gateway-name', 'ambassador', '--gateway-namespace', 'ambassador', '--apply-to', 'west']);
  assert.equal(link.code, 0, link.stderr);
  assert.equal((await mc(['--context', 'east', 'export-service', 'svc/podinfo', '-n', 'test'])).code, 0);
  await mirror.syncOnce();
  assert.deepEqual([...mirror.errors], []);
  const before = await check();
  assert.equal(before.code, 0, before.stdout);
  assert.doesNotMatch(before.stdout, /×/);
  assert.match(before.stdout, /^‼ extension is managing controllers\n +\* using legacy service mirror controller for Link: east/m);
  const link1 = west.get<Link>('multicluster.linkerd.io/v1alpha3', 'Link', NS, 'east')!;
  assert.ok(west.get('v1', 'Service', 'test', 'podinfo-east'));

  // 1. the extension gets a controllers entry for east (both run for a moment: check says so, as upstream)
  await putFromMcWith(env.kubeconfigPath, west, ['--context', 'west', 'install', '--set', 'controllers[0].link.ref.name=east']);
  await mirror.syncOnce();
  const during = await mc(['--context', 'west', 'check', '--wait', '1s', '--timeout', '3s']);
  assert.equal(during.code, 1);
  assert.match(during.stdout, /\* too many service mirror controller deployments for Link east/);

  // 2. the legacy mirror goes: unlink --only-controller keeps the Link, its Secrets, its Lease and the mirrors
  const unlink = await mc(['--context', 'west', 'unlink', '--cluster-name', 'east', '--only-controller']);
  assert.equal(unlink.code, 0, unlink.stderr);
  const kinds = (yaml.loadAll(unlink.stdout).filter(Boolean) as any[]).map((d) => d.kind);
  assert.ok(kinds.includes('Deployment') && !kinds.includes('Link') && !kinds.includes('Secret') && !kinds.includes('Lease'), kinds.join(','));
  assert.match(unlink.stderr, /run by the multicluster extension \(Deployment linkerd-multicluster\/controller-east/);
  await deleteAll(unlink.stdout);
  for (const p of west.list<Pod>('v1', 'Pod', NS)) if (p.metadata.name.startsWith('linkerd-service-mirror-east')) west.remove('v1', 'Pod', NS, p.metadata.name);
  await mirror.syncOnce();

  // After: green, the chart's controller serves the same Link
  const after = await check();
  assert.equal(after.code, 0, after.stdout);
  assert.doesNotMatch(after.stdout, /[×‼]/);
  assert.match(after.stdout, /^√ extension is managing controllers\n\t\* east$/m);
  assert.match(after.stdout, /^√ probe services able to communicate with all gateway mirrors\n\t\* east$/m);
  assert.equal(west.get<Link>('multicluster.linkerd.io/v1alpha3', 'Link', NS, 'east')!.metadata.uid, link1.metadata.uid, 'the same Link');
  assert.ok(west.get('v1', 'Service', 'test', 'podinfo-east'), 'the mirror stayed');
  assert.equal(west.get('apps/v1', 'Deployment', NS, 'linkerd-service-mirror-east'), undefined);
  const lease = west.get<Lease>('coordination.k8s.io/v1', 'Lease', NS, 'service-mirror-write-east');
  assert.match(lease?.spec?.holderIdentity ?? '', /^controller-east-/, 'the controller took over the Lease');
});
