/**
 * The whole path on simulated Linkerd clusters: east (Ambassador as the
 * gateway, podinfo exported) is linked into west with --apply-to; west's
 * simulated service mirror, reading east through the credentials mc wrote,
 * mirrors podinfo at Ambassador's address; unlink then names the mirror too.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { runMc } from './helpers/index.js';
import { createCa } from './support/pki.js';
import { startTestClusters, type Endpoints, type Service, type TestCluster, type TestEnv } from './support/index.js';
import { addAmbassadorGateway, addPodinfo, installSimulatedLinkerd, startServiceMirrorSimulation } from './support/linkerd-sim.js';
import { putFromMc } from './helpers/index.js';

let env: TestEnv;

before(async () => {
  env = await startTestClusters(['east', 'west']);
  const [root, issuer] = await Promise.all([createCa('root.linkerd.cluster.local'), createCa('identity.linkerd.cluster.local')]);
  const certs = { trustAnchorsPem: root.certPem, issuerCertPem: issuer.certPem, issuerKeyPem: issuer.keyPem };
  const east = env.cluster('east');
  const west = env.cluster('west');
  installSimulatedLinkerd(east, certs);
  installSimulatedLinkerd(west, certs);
  // east: the extension without its gateway (Ambassador serves), west: with it
  await Promise.all([putFromMc(east, ['install', '--ignore-cluster', '--gateway=false']), putFromMc(west, ['install', '--ignore-cluster'])]);
  addAmbassadorGateway(east);
  addPodinfo(east, { exported: true });
  west.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'test' } });
});

after(async () => {
  await env?.stop();
});

test('link east into west through Ambassador: the simulated service mirror mirrors podinfo at the gateway', async () => {
  const kc = ['--kubeconfig', env.kubeconfigPath];
  const r = await runMc([...kc, '--context', 'east', 'link', '--cluster-name', 'east', '--gateway-name', 'ambassador', '--gateway-namespace', 'ambassador', '--apply-to', 'west']);
  assert.equal(r.code, 0, r.stderr);
  const west = env.cluster('west');
  const sim = startServiceMirrorSimulation(env, 'west', { intervalMs: 60_000 });
  try {
    await sim.syncOnce();
    assert.deepEqual([...sim.errors.entries()], []);
  } finally {
    sim.stop();
  }
  const mirror = west.get<Service>('v1', 'Service', 'test', 'podinfo-east');
  assert.ok(mirror, 'podinfo-east is mirrored into west');
  assert.equal(mirror.metadata.labels!['mirror.linkerd.io/cluster-name'], 'east');
  const ep = west.get<Endpoints>('v1', 'Endpoints', 'test', 'podinfo-east')!;
  assert.deepEqual(ep.subsets![0].addresses, [{ ip: '192.0.2.10' }]);
  assert.equal(ep.subsets![0].ports![0].port, 4143);

  const u = await runMc([...kc, '--context', 'west', 'unlink', '--cluster-name', 'east']);
  assert.equal(u.code, 0, u.stderr);
  const names = (yaml.loadAll(u.stdout) as any[]).filter((d) => d).map((d) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`);
  assert.ok(names.includes('Service/test/podinfo-east'), names.join(', '));
  assert.ok(names.includes('Link/linkerd-multicluster/east'));
});
