/**
 * `mc certs rotate` walks a three-cluster trust anchor rotation on the test
 * API servers, stage by stage: each stage refuses while the one before is
 * incomplete (a proxy not restarted, an issuer still signed by the old
 * anchor), the restarts mc lists are run with the real kubectl, and the
 * simulated controllers roll the pods.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { hasKubectl, runKubectl, runMc, type RunResult } from './helpers/index.js';
import { makePki, putMulticluster, type Pki } from './fixtures/check.js';
import { startTestClusters, type ConfigMap, type Deployment, type KubeObject, type Pod, type Secret, type TestCluster, type TestEnv } from './support/index.js';
import { addPodinfo, installSimulatedLinkerd, renewProxyCertificates, settleWorkloads, simulateIssuerReload } from './support/linkerd-sim.js';

const CLUSTERS = ['east', 'west', 'north'];
const HOUR = 3_600_000;
let env: TestEnv;
let old: Pki;
let dir: string;
const T0 = Date.now();
/** Restarts of stage 3 happen well before the new issuers are made. */
const EARLIER = new Date(T0 - 2 * HOUR);

before(async () => {
  env = await startTestClusters(CLUSTERS);
  old = await makePki();
  for (const name of CLUSTERS) {
    const c = env.cluster(name);
    installSimulatedLinkerd(c, old);
    addPodinfo(c);
    putMulticluster(c, '192.0.2.1');
  }
  const link = (from: string, to: string) =>
    env.cluster(from).put({ apiVersion: 'multicluster.linkerd.io/v1alpha3', kind: 'Link', metadata: { name: to, namespace: 'linkerd-multicluster' }, spec: { targetClusterName: to, clusterCredentialsSecret: `cluster-credentials-${to}` } });
  link('west', 'east');
  link('east', 'north');
  link('north', 'east');
  dir = join(mkdtempSync(join(tmpdir(), 'mc-rotate-')), 'rotation');
});

after(async () => {
  await env?.stop();
  rmSync(join(dir, '..'), { recursive: true, force: true });
});

function rotate(...args: string[]): Promise<RunResult> {
  return runMc(['--kubeconfig', env.kubeconfigPath, ...CLUSTERS.flatMap((c) => ['--context', c]), 'certs', 'rotate', '--dir', dir, '--timeout', '30s', ...args]);
}

function cluster(name: string): TestCluster {
  return env.cluster(name);
}

function subjects(pem: string): string[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => new X509Certificate(b).subject);
}

/**
 * Run the `kubectl rollout restart` lines mc printed (only for `clusters`),
 * then let the simulated deployment controller replace the pods, started at `startedAt`.
 */
async function restartAsPrinted(out: string, clusters: string[], startedAt: Date): Promise<number> {
  const lines = [...out.matchAll(/^\s+kubectl --context (\S+) -n (\S+) rollout restart (\S+)$/gm)].filter((m) => clusters.includes(m[1]!));
  // The lines are independent (as a user pasting them in several terminals): run them at once.
  await Promise.all(
    lines.map(async ([, ctx, ns, what]) => {
      if (hasKubectl()) {
        const r = await runKubectl(env.kubeconfigPath, ctx!, ['-n', ns!, 'rollout', 'restart', what!]);
        assert.equal(r.code, 0, r.stderr);
      } else {
        // Without kubectl: what `rollout restart` sends, put directly.
        const d = cluster(ctx!).get<Deployment>('apps/v1', 'Deployment', ns!, what!.split('/')[1]!)!;
        d.spec.template.metadata!.annotations = { ...d.spec.template.metadata!.annotations, 'kubectl.kubernetes.io/restartedAt': startedAt.toISOString() };
        cluster(ctx!).put(d);
      }
    }),
  );
  for (const [, ctx, ns] of lines) settleWorkloads(cluster(ctx!), ns!, { startedAt });
  return lines.length;
}

/** The controllers roll what changed in these namespaces (e.g. templates patched by --apply). */
function settle(namespace: string, startedAt: Date): void {
  for (const name of CLUSTERS) settleWorkloads(cluster(name), namespace, { startedAt });
}

test('a three-cluster rotation, stage by stage', async (t) => {
  if (!hasKubectl()) t.diagnostic('kubectl not on PATH: restarts are put directly instead of through kubectl rollout restart');

  await t.test('status before anything: stage 2 is next; a stage whose predecessor is incomplete is refused', async () => {
    const r = await rotate();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Trust anchor rotation over east, west, north/);
    assert.match(r.stdout, /√ 1\. plan\n\s+· 2\. new anchor/);
    assert.match(r.stdout, /Next: mc --context east --context west --context north certs rotate --dir \S+ --stage 2/);
    assert.match(r.stdout, /east \(installed with linkerd CLI; \d+ meshed pods; Links to: north\)/);
    const early = await rotate('--stage', '3');
    assert.equal(early.code, 1);
    assert.equal(early.stdout, '');
    assert.match(early.stderr, /stage 3 needs stage 2 complete, and stage 2 \(new anchor: every bundle = old \+ new\) is not:\n\s+- the new trust anchor \S+ca\.crt does not exist yet/);
  });

  await t.test('stage 1 prints every stage\'s command per cluster', async () => {
    const r = await runMc(['--kubeconfig', env.kubeconfigPath, '--context', 'east', '--context', 'west', 'certs', 'rotate', '--dir', dir, '--stage', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /2\. linkerd --context east upgrade --identity-trust-anchors-file \S+bundle\.crt \| kubectl --context east apply -f -/);
    assert.match(r.stdout, /4\. linkerd --context west upgrade --identity-issuer-certificate-file \S+\/west\/issuer\.crt --identity-issuer-key-file \S+\/west\/issuer\.key/);
  });

  let newAnchor = '';
  await t.test('stage 2 makes the new anchor and the bundle; without --apply the clusters are unchanged and stage 3 refuses', async () => {
    const r = await rotate('--stage', '2');
    assert.equal(r.code, 0, r.stderr);
    newAnchor = readFileSync(join(dir, 'ca.crt'), 'utf8');
    assert.deepEqual(subjects(readFileSync(join(dir, 'bundle.crt'), 'utf8')).sort(), ['CN=root.linkerd.cluster.local', 'CN=root.linkerd.cluster.local']);
    for (const c of CLUSTERS) assert.match(r.stdout, new RegExp(`linkerd --context ${c} upgrade --identity-trust-anchors-file \\S+bundle\\.crt`));
    const refused = await rotate('--stage', '3');
    assert.equal(refused.code, 1);
    for (const c of CLUSTERS) assert.match(refused.stderr, new RegExp(`- ${c}: its trust bundle \\(ConfigMap linkerd/linkerd-identity-trust-roots: CN=root\\.linkerd\\.cluster\\.local\\) lacks the new anchor`));
  });

  await t.test('stage 2 --apply writes the bundle; a rerun finds nothing to do', async () => {
    const r = await rotate('--stage', '2', '--apply');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const bundle = readFileSync(join(dir, 'bundle.crt'), 'utf8');
    for (const c of CLUSTERS) {
      assert.match(r.stdout, new RegExp(`√ ${c}: wrote ConfigMap linkerd/linkerd-identity-trust-roots, ConfigMap linkerd/linkerd-config \\(identityTrustAnchorsPEM\\), Deployment linkerd/linkerd-destination \\(rolls out with the new bundle\\)`));
      assert.equal(cluster(c).get<ConfigMap>('v1', 'ConfigMap', 'linkerd', 'linkerd-identity-trust-roots')!.data!['ca-bundle.crt'], bundle.trim());
      const values = yaml.load(cluster(c).get<ConfigMap>('v1', 'ConfigMap', 'linkerd', 'linkerd-config')!.data!.values) as { identityTrustAnchorsPEM: string; identity: { issuer: { issuanceLifetime: string } } };
      assert.equal(values.identityTrustAnchorsPEM, bundle);
      assert.equal(values.identity.issuer.issuanceLifetime, '24h0m0s', 'the other values are kept');
    }
    const again = await rotate('--stage', '2', '--apply');
    assert.equal(again.code, 0);
    for (const c of CLUSTERS) assert.match(again.stdout, new RegExp(`√ ${c}: already up to date`));
  });

  await t.test('stage 3 lists the proxies to restart per workload until every one trusts the new anchor', async () => {
    settle('linkerd', EARLIER); // the control plane rolled out with its new template
    const r = await rotate('--stage', '3');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    for (const c of CLUSTERS) {
      assert.match(r.stdout, new RegExp(`- ${c}: 3 meshed pods must be restarted: linkerd-multicluster/linkerd-gateway-[^,]+, test/podinfo-`));
      assert.match(r.stdout, new RegExp(`^\\s+kubectl --context ${c} -n linkerd-multicluster rollout restart deployment/linkerd-gateway$`, 'm'));
      assert.match(r.stdout, new RegExp(`^\\s+kubectl --context ${c} -n test rollout restart deployment/podinfo$`, 'm'));
    }
    assert.doesNotMatch(r.stdout, /linkerd\/linkerd-identity-/, 'the rolled control plane trusts the new anchor');
    // east and west restart; north forgets.
    assert.equal(await restartAsPrinted(r.stdout, ['east', 'west'], EARLIER), 4);
    const partial = await rotate('--stage', '3');
    assert.equal(partial.code, 1);
    assert.match(partial.stdout, /- north: 3 meshed pods must be restarted/);
    assert.doesNotMatch(partial.stdout, /- (east|west): /);
    const refused = await rotate('--stage', '4');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /stage 4 needs stage 3 complete, and stage 3 \(every proxy trusts the new anchor\) is not:\n\s+- north: 3 meshed pods must be restarted/);
    await restartAsPrinted(partial.stdout, ['north'], EARLIER);
    const done = await rotate('--stage', '3');
    assert.equal(done.code, 0, done.stdout);
    assert.match(done.stdout, /√ every meshed proxy trusts the new anchor; every Link shares an anchor\./);
    // Without north, east's Link to it is a gap.
    const partialSet = await runMc(['--kubeconfig', env.kubeconfigPath, '--context', 'east', '--context', 'west', 'certs', 'rotate', '--dir', dir, '--stage', '4']);
    assert.equal(partialSet.code, 1);
    assert.match(partialSet.stderr, /- east: it links to cluster "north", which is not part of this rotation: add --context north/);
  });

  await t.test('stage 4 --apply makes and installs new issuers; an issuer put back to the old one is refused at stage 5', async () => {
    const r = await rotate('--stage', '4', '--apply');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const c of CLUSTERS) {
      assert.match(r.stdout, new RegExp(`wrote \\S+/${c}/issuer\\.crt`));
      assert.match(r.stdout, new RegExp(`√ ${c}: wrote Secret linkerd/linkerd-identity-issuer`));
      const crt = Buffer.from(cluster(c).get<Secret>('v1', 'Secret', 'linkerd', 'linkerd-identity-issuer')!.data!['crt.pem'], 'base64').toString();
      assert.ok(new X509Certificate(crt).verify(new X509Certificate(newAnchor).publicKey), `${c}'s issuer is signed by the new anchor`);
    }
    assert.doesNotMatch(r.stdout + r.stderr, /PRIVATE KEY/);
    // north's issuer goes back to the old one (a stale pipeline re-applied it).
    const secret = cluster('north').get<Secret>('v1', 'Secret', 'linkerd', 'linkerd-identity-issuer')!;
    cluster('north').put({ ...secret, data: { 'crt.pem': Buffer.from(old.issuerCertPem).toString('base64'), 'key.pem': Buffer.from(old.issuerKeyPem).toString('base64') } });
    const refused = await rotate('--stage', '5');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /stage 4 \(new issuers signed by the new anchor\) is not:\n\s+- north: its issuer CN=identity\.linkerd\.cluster\.local \(Secret linkerd\/linkerd-identity-issuer\) is still signed by CN=root\.linkerd\.cluster\.local, not by the new anchor/);
    const again = await rotate('--stage', '4', '--apply');
    assert.equal(again.code, 0);
    assert.match(again.stdout, /√ east: already up to date/);
    assert.match(again.stdout, /√ north: wrote Secret linkerd\/linkerd-identity-issuer/);
  });

  await t.test('stage 5 reads each proxy\'s certificate and lists those that do not chain to the new anchor', async () => {
    for (const c of CLUSTERS) simulateIssuerReload(cluster(c), { at: new Date(T0 + HOUR) });
    const r = await rotate('--stage', '5');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    // Every proxy started before the identity controller took the new issuer: its certificate is the old issuer's.
    assert.match(r.stdout, /- east: \d+ meshed pods still hold a certificate that does not chain to the new anchor \(signed by CN=identity\.linkerd\.cluster\.local; read from the proxy\)/);
    assert.doesNotMatch(r.stdout, /judged by start time/, 'every proxy\'s certificate was read');
    const later = new Date(T0 + 2 * HOUR);
    // Everything restarts but north's gateway and podinfo.
    await restartAsPrinted(r.stdout, ['east', 'west'], later);
    const northCommands = r.stdout.split('\n').filter((l) => /kubectl --context north -n linkerd /.test(l)).join('\n');
    await restartAsPrinted(northCommands, ['north'], later);
    const partial = await rotate('--stage', '5');
    assert.equal(partial.code, 1);
    assert.match(partial.stdout, /- north: 3 meshed pods still hold a certificate that does not chain to the new anchor[^\n]*linkerd-multicluster\/linkerd-gateway-[^\n]*test\/podinfo-/);
    assert.doesNotMatch(partial.stdout, /- (east|west): /);
    await restartAsPrinted(partial.stdout, ['north'], later);
    const done = await rotate('--stage', '5');
    assert.equal(done.code, 0, done.stdout);
    assert.match(done.stdout, /every proxy's certificate chains to it \(\d+ read from the proxies' admin ports\)\./);
  });

  await t.test('stage 6 removes the old anchor; verified again once the proxies restarted', async () => {
    const r = await rotate('--stage', '6', '--apply');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const c of CLUSTERS) assert.deepEqual(subjects(cluster(c).get<ConfigMap>('v1', 'ConfigMap', 'linkerd', 'linkerd-identity-trust-roots')!.data!['ca-bundle.crt']), ['CN=root.linkerd.cluster.local']);
    const later = new Date(T0 + 3 * HOUR);
    settle('linkerd', later);
    const pending = await rotate('--stage', '6');
    assert.equal(pending.code, 1);
    assert.match(pending.stdout, /- east: 3 meshed pods must be restarted: linkerd-multicluster\/linkerd-gateway-[^,]+, test\/podinfo-/);
    await restartAsPrinted(pending.stdout, CLUSTERS, later);
    const done = await rotate('--stage', '6');
    assert.equal(done.code, 0, done.stdout);
    assert.match(done.stdout, /The rotation is complete\./);
    const status = await rotate();
    assert.match(status.stdout, /√ 6\. old anchor removed/);
    assert.match(status.stdout, /The rotation is complete/);
  });
});

test('usage errors: no cluster, a stage out of range, --apply on a verifying stage', async () => {
  const none = await runMc(['--kubeconfig', env.kubeconfigPath, 'certs', 'rotate']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--context/);
  const range = await rotate('--stage', '7');
  assert.equal(range.code, 2);
  const apply = await rotate('--stage', '3', '--apply');
  assert.equal(apply.code, 2);
  assert.match(apply.stderr, /--apply goes with --stage 2, 4 or 6/);
});

test('--apply with a Helm-managed control plane: mc writes what Helm does not own, and hands Helm the exact values for the rest', async () => {
  const helmEnv = await startTestClusters(['helm', 'plain']);
  const hdir = join(mkdtempSync(join(tmpdir(), 'mc-rotate-helm-')), 'rotation');
  try {
    const pki = await makePki();
    for (const c of helmEnv.clusters) installSimulatedLinkerd(c, pki);
    const helm = helmEnv.cluster('helm');
    // Helm installed helm's control plane (release linkerd-cp), except the trust roots: trust-manager makes those.
    const mark = (kind: string, name: string) => {
      const o: KubeObject = helm.get('v1', kind, 'linkerd', name)!;
      helm.put({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, 'app.kubernetes.io/managed-by': 'Helm' }, annotations: { ...o.metadata.annotations, 'meta.helm.sh/release-name': 'linkerd-cp', 'meta.helm.sh/release-namespace': 'linkerd' } } });
    };
    mark('ConfigMap', 'linkerd-config');
    mark('Secret', 'linkerd-identity-issuer');
    const configBefore = helm.get<ConfigMap>('v1', 'ConfigMap', 'linkerd', 'linkerd-config')!.data!.values;
    const issuerBefore = helm.get<Secret>('v1', 'Secret', 'linkerd', 'linkerd-identity-issuer')!.data!['crt.pem'];
    const rot = (...args: string[]) => runMc(['--kubeconfig', helmEnv.kubeconfigPath, '--context', 'helm', '--context', 'plain', 'certs', 'rotate', '--dir', hdir, '--timeout', '5s', ...args]);

    const two = await rot('--stage', '2', '--apply');
    assert.equal(two.code, 1, 'the stage is not applied everywhere until Helm has run');
    const bundle = readFileSync(join(hdir, 'bundle.crt'), 'utf8');
    assert.match(two.stdout, /√ plain: wrote ConfigMap linkerd\/linkerd-identity-trust-roots, ConfigMap linkerd\/linkerd-config \(identityTrustAnchorsPEM\)/);
    assert.match(two.stdout, /√ helm: wrote ConfigMap linkerd\/linkerd-identity-trust-roots, Deployment linkerd\/linkerd-destination/, 'the trust roots are not Helm\'s: written, and the pods that read them roll');
    assert.doesNotMatch(two.stdout, /√ helm: wrote [^\n]*linkerd-config/);
    assert.match(two.stdout, /→ helm: Helm owns ConfigMap linkerd\/linkerd-config \(identityTrustAnchorsPEM\); mc wrote the values to (\S+helm\/helm-values-stage-2\.yaml), apply them with:\n\s+helm --kube-context helm upgrade linkerd-cp linkerd\/linkerd-control-plane -n linkerd --reuse-values -f \S+helm-values-stage-2\.yaml\n\s+values: identityTrustAnchorsPEM = 2 anchors/);
    const values2 = yaml.load(readFileSync(join(hdir, 'helm', 'helm-values-stage-2.yaml'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(values2, { identityTrustAnchorsPEM: bundle }, 'exactly the value Helm needs');
    assert.equal(helm.get<ConfigMap>('v1', 'ConfigMap', 'linkerd', 'linkerd-config')!.data!.values, configBefore, 'what Helm owns is left to Helm');
    assert.equal(helm.get<ConfigMap>('v1', 'ConfigMap', 'linkerd', 'linkerd-identity-trust-roots')!.data!['ca-bundle.crt'], bundle.trim());

    // The user runs the helm upgrade: linkerd-config gets the values file's anchors.
    const cm = helm.get<ConfigMap>('v1', 'ConfigMap', 'linkerd', 'linkerd-config')!;
    helm.put({ ...cm, data: { ...cm.data, values: yaml.dump({ ...(yaml.load(cm.data!.values) as object), ...values2 }) } });
    const again = await rot('--stage', '2', '--apply');
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /√ helm: already up to date/);

    // Stage 4 (stage 3 needs the restarts first).
    for (const c of helmEnv.clusters) for (const ns of ['linkerd']) settleWorkloads(c, ns, { startedAt: new Date() });
    const four = await rot('--stage', '4', '--apply');
    assert.equal(four.code, 1, four.stdout + four.stderr);
    assert.match(four.stdout, /√ plain: wrote Secret linkerd\/linkerd-identity-issuer/);
    assert.match(four.stdout, /→ helm: Helm owns Secret linkerd\/linkerd-identity-issuer, ConfigMap linkerd\/linkerd-config \(identity\.issuer\.tls\.crtPEM\); mc wrote the values to \S+helm-values-stage-4\.yaml/);
    assert.match(four.stdout, /identity\.issuer\.tls\.keyPEM = \S+helm\/issuer\.key \(not printed\)/);
    assert.doesNotMatch(four.stdout + four.stderr, /PRIVATE KEY/);
    const values4 = yaml.load(readFileSync(join(hdir, 'helm', 'helm-values-stage-4.yaml'), 'utf8')) as { identity: { issuer: { tls: { crtPEM: string; keyPEM: string } } } };
    assert.equal(values4.identity.issuer.tls.crtPEM, readFileSync(join(hdir, 'helm', 'issuer.crt'), 'utf8'));
    assert.equal(values4.identity.issuer.tls.keyPEM, readFileSync(join(hdir, 'helm', 'issuer.key'), 'utf8'));
    assert.equal(statSync(join(hdir, 'helm', 'helm-values-stage-4.yaml')).mode & 0o777, 0o600, 'it holds a key');
    assert.equal(helm.get<Secret>('v1', 'Secret', 'linkerd', 'linkerd-identity-issuer')!.data!['crt.pem'], issuerBefore, 'Helm\'s issuer Secret is left to Helm');
  } finally {
    await helmEnv.stop();
    rmSync(join(hdir, '..'), { recursive: true, force: true });
  }
});

/** What `kubectl rollout restart` and the controllers do: every Deployment of `namespace` gets new pods, started at `at`. */
function restartNamespace(c: TestCluster, namespace: string, at: Date): void {
  for (const d of c.list<Deployment>('apps/v1', 'Deployment', namespace)) {
    d.spec.template.metadata = { ...d.spec.template.metadata, annotations: { ...d.spec.template.metadata?.annotations, 'kubectl.kubernetes.io/restartedAt': at.toISOString() } };
    c.put(d);
  }
  settleWorkloads(c, namespace, { startedAt: at });
}

/**
 * One cluster named `name` with the simulated Linkerd and podinfo, and `rot(...)` running `mc certs rotate`
 * against it in a rotation folder of its own; the cluster stops and the folder goes once `body` is done.
 */
async function withMeshedCluster(name: string, body: (c: TestCluster, rot: (...args: string[]) => Promise<RunResult>) => Promise<void>): Promise<void> {
  const env = await startTestClusters([name]);
  const rotationDir = join(mkdtempSync(join(tmpdir(), `mc-rotate-${name}-`)), 'rotation');
  try {
    const c = env.cluster(name);
    installSimulatedLinkerd(c, await makePki());
    addPodinfo(c);
    // A generous deadline: stage 5 port-forwards to every proxy, and the machine is shared.
    await body(c, (...args) => runMc(['--kubeconfig', env.kubeconfigPath, '--context', name, 'certs', 'rotate', '--dir', rotationDir, '--timeout', '30s', ...args]));
  } finally {
    await env.stop();
    rmSync(join(rotationDir, '..'), { recursive: true, force: true });
  }
}

test('stage 5 trusts the proxies\' certificates, not the clock: an IssuerUpdated Event while identity still signs with the old issuer is caught', async () => {
  await withMeshedCluster('solo', async (solo, rot) => {
    const restartAll = (at: Date) => {
      for (const ns of ['linkerd', 'test']) restartNamespace(solo, ns, at);
    };
    assert.equal((await rot('--stage', '2', '--apply')).code, 0);
    restartAll(new Date(T0 - HOUR));
    assert.equal((await rot('--stage', '3')).code, 0);
    assert.equal((await rot('--stage', '4', '--apply')).code, 0);
    // An IssuerUpdated Event an hour later, but the identity controller never loaded the new Secret.
    solo.put({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'linkerd-identity.stale', namespace: 'linkerd' }, involvedObject: { kind: 'Deployment', name: 'linkerd-identity', namespace: 'linkerd' }, reason: 'IssuerUpdated', message: 'Updated identity issuer', type: 'Normal', firstTimestamp: new Date(T0 + HOUR).toISOString(), lastTimestamp: new Date(T0 + HOUR).toISOString() });
    restartAll(new Date(T0 + 2 * HOUR));
    const stale = await rot('--stage', '5');
    assert.equal(stale.code, 1, 'by the clock every pod started after the Event; by their certificates none uses the new issuer');
    assert.match(stale.stdout, /- solo: \d+ meshed pods still hold a certificate that does not chain to the new anchor \(signed by CN=identity\.linkerd\.cluster\.local; read from the proxy\)[^\n]*test\/podinfo-/);
    // The identity controller takes the new issuer; the pods restart and get certificates of it.
    simulateIssuerReload(solo, { at: new Date(T0 + 3 * HOUR) });
    restartAll(new Date(T0 + 4 * HOUR));
    const done = await rot('--stage', '5');
    assert.equal(done.code, 0, done.stdout + done.stderr);
    assert.match(done.stdout, /every proxy's certificate chains to it \(5 read from the proxies' admin ports\)/, 'judged by the certificates, none by the clock');
    // A proxy whose certificate cannot be read (nothing answers on its admin port) is judged by start time, and the line says so.
    const pod = solo.list<Pod>('v1', 'Pod', 'test').find((p) => p.metadata.name.startsWith('podinfo-'))!;
    solo.put({ ...pod, metadata: { name: 'podinfo-by-hand', namespace: 'test', labels: pod.metadata.labels, annotations: pod.metadata.annotations }, status: { ...pod.status, startTime: new Date(T0).toISOString() } });
    const unread = await rot('--stage', '5');
    assert.equal(unread.code, 1);
    assert.match(unread.stdout, /- solo: 1 meshed pod started before the new issuer was loaded and may hold a certificate of the old one until \S+ \(their certificate could not be read \([^)]*connection refused[^)]*\), so they are judged by start time\): restart it \(or wait\): test\/podinfo-by-hand/);
  });
});

test('stage 5 passes once the proxies renew their certificates from the new issuer, without a restart; until then it names the pods still serving the old issuer\'s', async () => {
  await withMeshedCluster('renew', async (c, rot) => {
    /** Every pod as it runs: a restart would change a name, a uid or a start time. */
    const pods = () => ['linkerd', 'test'].flatMap((ns) => c.list<Pod>('v1', 'Pod', ns).map((p) => `${ns}/${p.metadata.name} ${p.metadata.uid} ${p.status?.startTime}`)).sort();
    assert.equal((await rot('--stage', '2', '--apply')).code, 0);
    // Stage 3's restarts, long before the new issuer: the control plane 20 hours ago, podinfo 10 hours ago.
    restartNamespace(c, 'linkerd', new Date(T0 - 20 * HOUR));
    restartNamespace(c, 'test', new Date(T0 - 10 * HOUR));
    assert.equal((await rot('--stage', '3')).code, 0);
    assert.equal((await rot('--stage', '4', '--apply')).code, 0);
    simulateIssuerReload(c);
    const running = pods();
    const podinfo = c.list<Pod>('v1', 'Pod', 'test').map((p) => `test/${p.metadata.name}`).sort();
    assert.equal(podinfo.length, 2, 'two podinfo replicas');
    const controlPlane = c.list<Pod>('v1', 'Pod', 'linkerd').map((p) => `linkerd/${p.metadata.name}`).sort();

    const before = await rot('--stage', '5');
    assert.equal(before.code, 1, before.stdout + before.stderr);
    assert.match(before.stdout, new RegExp(`- renew: ${controlPlane.length + podinfo.length} meshed pods still hold a certificate that does not chain to the new anchor \\(signed by CN=identity\\.linkerd\\.cluster\\.local; read from the proxy\\)`));

    // Now: the control plane's certificates (issued 20 hours ago) are past 70% of their 24h lifetime, podinfo's (10 hours) are not.
    assert.deepEqual(renewProxyCertificates(c, { now: new Date() }), controlPlane);
    assert.deepEqual(pods(), running, 'renewing restarts nothing');
    const partial = await rot('--stage', '5');
    assert.equal(partial.code, 1, partial.stdout + partial.stderr);
    assert.match(partial.stdout, new RegExp(`- renew: 2 meshed pods still hold a certificate that does not chain to the new anchor \\(signed by CN=identity\\.linkerd\\.cluster\\.local; read from the proxy\\): restart them: ${podinfo.join(', ')}\n`));
    assert.doesNotMatch(partial.stdout, /linkerd\/linkerd-/, 'the renewed control-plane proxies are not listed');
    assert.doesNotMatch(partial.stdout, /judged by start time/);

    // Eight hours on, podinfo's certificates (issued 18 hours before) are due; the control plane's (8 hours old) are not.
    assert.deepEqual(renewProxyCertificates(c, { now: new Date(T0 + 8 * HOUR) }), podinfo);
    assert.deepEqual(pods(), running, 'renewing restarts nothing');
    // Every pod started before the new issuer was loaded: judged by start time, all of them would still be listed.
    const done = await rot('--stage', '5');
    assert.equal(done.code, 0, done.stdout + done.stderr);
    assert.match(done.stdout, new RegExp(`every proxy's certificate chains to it \\(${controlPlane.length + podinfo.length} read from the proxies' admin ports\\)\\.`));
  });
});

test('a rotation file that cannot be read is named as every certs input is (a missing one is a step not taken yet)', async () => {
  const other = join(dir, '..', 'unreadable');
  mkdirSync(join(other, 'ca.crt'), { recursive: true });
  const r = await runMc(['--kubeconfig', env.kubeconfigPath, ...CLUSTERS.flatMap((c) => ['--context', c]), 'certs', 'rotate', '--dir', other, '--stage', '1', '--timeout', '30s']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^Error: cannot read ${join(other, 'ca.crt').replace(/[.]/g, '\\.')}: EISDIR`, 'm'));
});
