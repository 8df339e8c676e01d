/**
 * `mc certs bundle` against test API servers: the union of the clusters'
 * trust-roots bundles (else linkerd-config) and files, de-duplicated by
 * fingerprint, latest expiry first; nothing on stdout when any input fails.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import { runMc } from './helpers/index.js';
import { makePki, type Pki } from './fixtures/check.js';
import { startTestClusters, type TestEnv } from './support/index.js';
import { installSimulatedLinkerd } from './support/linkerd-sim.js';

let env: TestEnv;
let shared: Pki;
let north: Pki;
let extra: Pki;
let dir: string;

/** The certificates of a PEM bundle, as Node reads them. */
function certsOf(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => new X509Certificate(b));
}

before(async () => {
  env = await startTestClusters(['east', 'west', 'north', 'bare']);
  [shared, north, extra] = await Promise.all([makePki({ anchorDays: 3650 }), makePki({ anchorName: 'root.linkerd.north.local', anchorDays: 400 }), makePki({ anchorName: 'new-root.linkerd.cluster.local', anchorDays: 7300 })]);
  installSimulatedLinkerd(env.cluster('east'), shared);
  installSimulatedLinkerd(env.cluster('west'), shared);
  installSimulatedLinkerd(env.cluster('north'), north);
  // west's trust roots were removed: its anchors come from linkerd-config.
  env.cluster('west').remove('v1', 'ConfigMap', 'linkerd', 'linkerd-identity-trust-roots');
  dir = mkdtempSync(join(tmpdir(), 'mc-bundle-'));
  writeFileSync(join(dir, 'new.crt'), extra.trustAnchorsPem);
  writeFileSync(join(dir, 'issuer.crt'), extra.issuerCertPem);
});

after(async () => {
  await env?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function bundle(...args: string[]) {
  return runMc(['--kubeconfig', env.kubeconfigPath, 'certs', 'bundle', '--timeout', '2s', ...args]);
}

test('the union of three clusters and a file: de-duplicated, latest expiry first, sources on stderr', async () => {
  const r = await bundle('--context', 'east', '--context', 'west', '--context', 'north', join(dir, 'new.crt'));
  assert.equal(r.code, 0, r.stderr);
  const certs = certsOf(r.stdout);
  assert.deepEqual(
    certs.map((c) => c.subject),
    ['CN=new-root.linkerd.cluster.local', 'CN=root.linkerd.cluster.local', 'CN=root.linkerd.north.local'],
  );
  assert.equal(new Set(certs.map((c) => c.fingerprint256)).size, 3);
  assert.match(r.stderr, /^3 trust anchors, latest expiry first:/);
  // east and west share one anchor: listed once, with both sources.
  assert.match(r.stderr, /CN=root\.linkerd\.cluster\.local, expires \S+ \(\d+ days left\), SHA-256 [0-9A-F:]+\n\s+from context east \(ConfigMap linkerd\/linkerd-identity-trust-roots\), context west \(ConfigMap linkerd\/linkerd-config\)/);
  assert.match(r.stderr, /CN=root\.linkerd\.north\.local.*\n\s+from context north /);
  assert.match(r.stderr, new RegExp(`from file ${join(dir, 'new.crt').replace(/[/.]/g, '\\$&')}`));
  // The same inputs in another order give the same bytes.
  const again = await bundle(join(dir, 'new.crt'), '--context', 'north', '--context', 'west', '--context', 'east');
  assert.equal(again.stdout, r.stdout);
});

test('an unreachable cluster fails the bundle: exit 1, nothing on stdout', async (t) => {
  env.cluster('north').faults.down = true;
  t.after(() => (env.cluster('north').faults.down = false));
  const r = await bundle('--context', 'east', '--context', 'north');
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /context "north"/);
});

test('a cluster without Linkerd, an issuer among the files, or no input at all are refused', async () => {
  const bare = await bundle('--context', 'bare');
  assert.equal(bare.code, 1);
  assert.equal(bare.stdout, '');
  assert.match(bare.stderr, /Linkerd is not installed in context "bare"/);
  const issuer = await bundle(join(dir, 'issuer.crt'));
  assert.equal(issuer.code, 1);
  assert.equal(issuer.stdout, '');
  assert.match(issuer.stderr, /issuer\.crt #1 \(CN=identity\.linkerd\.cluster\.local\) is not a trust anchor \(signed by CN=new-root\.linkerd\.cluster\.local\)/);
  const none = await bundle();
  assert.equal(none.code, 2);
  assert.match(none.stderr, /nothing to bundle/);
});
