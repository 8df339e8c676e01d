/**
 * link / link-gen / unlink when things go wrong, on the test API server:
 * --apply-to never leaves the credentials without their Link, reports what
 * it applied as kubectl does and resumes on a rerun; unlink finds what a
 * partial link left; a cluster is never linked to itself; an insecure
 * context's insecure-skip-tls-verify is copied only on request.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { runMc, putFromMc } from './helpers/index.js';
import { startTestClusters, type Deployment, type Link, type Secret, type TestCluster, type TestEnv } from './support/index.js';

const SA = 'linkerd-service-mirror-remote-access-default';
const MC_NS = 'linkerd-multicluster';
const LINK = ['link', '--cluster-name', 'east', '--gateway=false'];
let env: TestEnv;
let east: TestCluster;
let west: TestCluster;

before(async () => {
  env = await startTestClusters(['east', 'west']);
  east = env.cluster('east');
  west = env.cluster('west');
  east.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'linkerd-config', namespace: 'linkerd' }, data: { values: 'identityTrustDomain: cluster.local\nclusterDomain: cluster.local\n' } });
  await putFromMc(east, ['allow', '--service-account-name', SA, '--ignore-cluster']);
  // West has Linkerd's namespace and the multicluster namespace, but not (yet) the Link CRD.
  west.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'linkerd' } });
  await putFromMc(west, ['install', '--ignore-cluster'], (o) => o.kind === 'Namespace');
});

after(async () => {
  await env?.stop();
});

const mc = (ctx: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runMc(['--kubeconfig', env.kubeconfigPath, '--context', ctx, ...args], { env: extraEnv });
const secretsOfEast = () => [west.get<Secret>('v1', 'Secret', MC_NS, 'cluster-credentials-east'), west.get<Secret>('v1', 'Secret', 'linkerd', 'cluster-credentials-east')];

test('--apply-to that fails part-way leaves no credentials without their Link; unlink finds what was left; a rerun resumes', async () => {
  // No Link CRD in west: the Link cannot be applied.
  const failed = await mc('east', [...LINK, '--apply-to', 'west']);
  assert.equal(failed.code, 1, failed.stderr);
  assert.equal(failed.stdout, '');
  assert.match(failed.stderr, /^Error: link\.multicluster\.linkerd\.io\/east: .*mc install/m);
  assert.match(failed.stderr, /0 of \d+ objects applied to context "west"; failed: link\.multicluster\.linkerd\.io\/east; not applied \(so no credentials without their Link\): .*secret\/cluster-credentials-east/);
  assert.match(failed.stderr, /run the same command again/);
  assert.deepEqual(secretsOfEast(), [undefined, undefined], 'the credentials (with the token) were applied without their Link');
  assert.equal(west.get('apps/v1', 'Deployment', MC_NS, 'linkerd-service-mirror-east'), undefined);

  // What an older mc (or a Link deleted by hand) leaves: the Secrets alone. unlink finds them without the Link (and without the CRD).
  west.put({ apiVersion: 'v1', kind: 'Secret', type: 'mirror.linkerd.io/remote-kubeconfig', metadata: { name: 'cluster-credentials-east', namespace: MC_NS }, data: { kubeconfig: 'eA==' } });
  const partial = await mc('west', ['unlink', '--cluster-name', 'east']);
  assert.equal(partial.code, 0, partial.stderr);
  assert.match(partial.stderr, /There is no Link "east" .*listing what a partial link left: secret\/cluster-credentials-east/);
  const listed = (yaml.loadAll(partial.stdout) as any[]).filter(Boolean);
  assert.deepEqual(listed.map((d) => `${d.kind} ${d.metadata.namespace}/${d.metadata.name}`), [`Secret ${MC_NS}/cluster-credentials-east`]);
  // Nothing at all under that name is still an error.
  const none = await mc('west', ['unlink', '--cluster-name', 'north']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /there is no Link "north"/);

  // With the CRD in place, the same command finishes the job; each object reported as kubectl does.
  await putFromMc(west, ['install', '--ignore-cluster'], (o) => o.kind === 'CustomResourceDefinition');
  const resumed = await mc('east', [...LINK, '--apply-to', 'west']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const lines = resumed.stderr.split('\n').filter((l) => l.endsWith(' serverside-applied'));
  assert.equal(lines[0], 'link.multicluster.linkerd.io/east serverside-applied', 'the Link comes first');
  assert.deepEqual(lines.slice(-2), ['secret/cluster-credentials-east serverside-applied', 'secret/cluster-credentials-east serverside-applied'], 'the credentials come last');
  assert.ok(lines.includes('deployment.apps/linkerd-service-mirror-east serverside-applied'));
  assert.ok(lines.includes('clusterrole.rbac.authorization.k8s.io/linkerd-service-mirror-access-local-resources-east serverside-applied'), resumed.stderr);
  assert.ok(secretsOfEast().every((s) => s && s.data!.kubeconfig !== 'eA=='));
  assert.ok(west.get('multicluster.linkerd.io/v1alpha3', 'Link', MC_NS, 'east'));
});

test('a cluster is never linked to itself: --apply-to the same context, or a context with the same API server', async () => {
  const before = west.requests;
  const same = await mc('east', ['link-gen', '--cluster-name', 'east', '--gateway=false', '--apply-to', 'east']);
  assert.equal(same.code, 1);
  assert.match(same.stderr, /refusing to link context "east" to itself \(--apply-to east\)/);
  assert.equal(east.get('multicluster.linkerd.io/v1alpha3', 'Link', MC_NS, 'east'), undefined);

  // Another name for the same cluster (merged from a second kubeconfig file).
  const alias = join(env.dir, 'alias.kubeconfig');
  writeFileSync(alias, east.kubeconfigFor(east.adminToken, 'east-again'));
  const viaAlias = await runMc(['--context', 'east', 'link', '--cluster-name', 'east', '--gateway=false', '--apply-to', 'east-again'], { env: { KUBECONFIG: `${env.kubeconfigPath}:${alias}` } });
  assert.equal(viaAlias.code, 1, viaAlias.stderr);
  assert.match(viaAlias.stderr, /refusing to link a cluster to itself: --apply-to context "east-again" reaches the same API server/);
  assert.equal(east.get('v1', 'Secret', MC_NS, 'cluster-credentials-east'), undefined);
  assert.equal(west.requests, before, 'nothing was sent to west');
});

test("a context with insecure-skip-tls-verify: link refuses to copy it unless --insecure-skip-tls-verify", async () => {
  const doc = yaml.load(east.kubeconfigFor(east.adminToken, 'east-insecure')) as any;
  delete doc.clusters[0].cluster['certificate-authority-data'];
  doc.clusters[0].cluster['insecure-skip-tls-verify'] = true;
  const path = join(env.dir, 'insecure.kubeconfig');
  writeFileSync(path, yaml.dump(doc));
  for (const cmd of ['link', 'link-gen']) {
    const refused = await runMc(['--kubeconfig', path, cmd, '--cluster-name', 'east', '--gateway=false']);
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /cluster "east-insecure" of context "east-insecure" sets insecure-skip-tls-verify/);
    assert.match(refused.stderr, /--insecure-skip-tls-verify/);
    const allowed = await runMc(['--kubeconfig', path, cmd, '--cluster-name', 'east', '--gateway=false', '--insecure-skip-tls-verify']);
    assert.equal(allowed.code, 0, allowed.stderr);
    const secret = (yaml.loadAll(allowed.stdout) as any[]).find((d) => d?.kind === 'Secret');
    const kc = yaml.load(Buffer.from(secret.data.kubeconfig, 'base64').toString('utf8')) as any;
    assert.equal(kc.clusters[0].cluster['insecure-skip-tls-verify'], true);
  }
});
