/**
 * `mc certs generate` and `mc certs issuer`, run as a user would. What they
 * write is checked with tools other than the library that made it: openssl
 * (where installed) and Node's crypto.X509Certificate.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { x509 } from '../src/certs/x509.js';
import { runGenerate } from '../src/certs/run-generate.js';
import { runIssuer } from '../src/certs/run-issuer.js';
import { runMc, testIO } from './helpers/index.js';

const HOUR = 3_600_000;
const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const work = mkdtempSync(path.join(tmpdir(), 'mc-certs-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

function openssl(args: string[]): { code: number; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

const read = (p: string) => readFileSync(p, 'utf8');
const cert = (p: string) => new X509Certificate(readFileSync(p));
const mode = (p: string) => statSync(p).mode & 0o777;
let n = 0;
const freshDir = () => path.join(work, `d${n++}`);

/** A leaf certificate for a new P-256 key, signed with `issuerKeyPem` (built here, checked by openssl / Node). */
async function makeLeaf(issuerCertPem: string, issuerKeyPem: string): Promise<string> {
  const issuer = new x509.X509Certificate(issuerCertPem);
  const der = createPrivateKey(issuerKeyPem).export({ format: 'der', type: 'pkcs8' });
  const signingKey = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const leafKey = await webcrypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject: 'CN=web.default.serviceaccount.identity.linkerd.cluster.local',
    issuer: issuer.subjectName,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 24 * HOUR),
    publicKey: leafKey as CryptoKey,
    signingKey: signingKey as CryptoKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as Algorithm,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  return `${leaf.toString('pem')}\n`;
}

describe('mc certs generate --cluster east --cluster west', () => {
  const dir = path.join(work, 'two');
  const f = {
    ca: path.join(dir, 'ca.crt'),
    caKey: path.join(dir, 'ca.key'),
    east: path.join(dir, 'east', 'issuer.crt'),
    eastKey: path.join(dir, 'east', 'issuer.key'),
    west: path.join(dir, 'west', 'issuer.crt'),
    westKey: path.join(dir, 'west', 'issuer.key'),
  };
  let run: Awaited<ReturnType<typeof runMc>>;
  let started: number;
  before(async () => {
    started = Date.now();
    run = await runMc(['certs', 'generate', '--dir', dir, '--cluster', 'east', '--cluster', 'west', '-o', 'json']);
  });

  test('exits 0 and writes the anchor and one issuer per cluster; keys are 0600', () => {
    assert.equal(run.code, 0, run.stderr);
    for (const p of Object.values(f)) assert.ok(existsSync(p), p);
    for (const p of [f.caKey, f.eastKey, f.westKey]) assert.equal(mode(p), 0o600, p);
    for (const p of [f.ca, f.east, f.west]) assert.equal(mode(p), 0o644, p);
    // No temporary files left behind.
    assert.deepEqual(readdirSync(dir).sort(), ['ca.crt', 'ca.key', 'east', 'west']);
    assert.deepEqual(readdirSync(path.dirname(f.east)).sort(), ['issuer.crt', 'issuer.key']);
  });

  test('keys are PEM that Linkerd reads (EC PRIVATE KEY) and match their certificates', () => {
    for (const [c, k] of [[f.ca, f.caKey], [f.east, f.eastKey], [f.west, f.westKey]] as const) {
      assert.match(read(k), /^-----BEGIN EC PRIVATE KEY-----\n/);
      assert.ok(cert(c).checkPrivateKey(createPrivateKey(read(k))), `${k} matches ${c}`);
    }
    assert.ok(!cert(f.east).checkPrivateKey(createPrivateKey(read(f.westKey))), 'each cluster has its own key');
  });

  test('Node crypto: the anchor is a self-signed CA, issuers are signed by it', () => {
    const ca = cert(f.ca);
    assert.equal(ca.subject, 'CN=root.linkerd.cluster.local');
    assert.equal(ca.ca, true);
    assert.ok(ca.checkIssued(ca) && ca.verify(ca.publicKey));
    assert.equal(ca.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    for (const p of [f.east, f.west]) {
      const iss = cert(p);
      assert.equal(iss.subject, 'CN=identity.linkerd.cluster.local');
      assert.equal(iss.ca, true);
      assert.ok(iss.checkIssued(ca), `${p} issued by the anchor`);
      assert.ok(iss.verify(ca.publicKey), `${p} signature verifies with the anchor key`);
      assert.equal(iss.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      assert.equal(iss.subjectAltName, 'DNS:identity.linkerd.cluster.local');
    }
  });

  test('validity: anchor 87600h, issuers 8760h, from now', () => {
    const ca = cert(f.ca);
    const iss = cert(f.east);
    const near = (d: string, want: number) => assert.ok(Math.abs(Date.parse(d) - want) < 2 * 60_000, `${d} ≈ ${new Date(want).toISOString()}`);
    near(ca.validTo, started + 87600 * HOUR);
    near(iss.validTo, started + 8760 * HOUR);
    assert.ok(Date.parse(iss.validFrom) <= Date.now() && Date.parse(ca.validFrom) <= Date.parse(iss.validFrom));
  });

  test('openssl verify -CAfile ca.crt issuer.crt', (t) => {
    if (!HAVE_OPENSSL) return t.skip('openssl not installed');
    for (const p of [f.east, f.west]) {
      const r = openssl(['verify', '-CAfile', f.ca, p]);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /: OK/);
    }
  });

  test('openssl x509 -text: CA flags, pathlen, key usage, curve, key identifiers', (t) => {
    if (!HAVE_OPENSSL) return t.skip('openssl not installed');
    const ca = openssl(['x509', '-in', f.ca, '-text', '-noout']).out;
    const iss = openssl(['x509', '-in', f.east, '-text', '-noout']).out;
    assert.match(ca, /Basic Constraints: critical\s+CA:TRUE\s*\n/);
    assert.match(iss, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    for (const text of [ca, iss]) {
      assert.match(text, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
      assert.match(text, /ASN1 OID: prime256v1/);
      assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    }
    const anchorSki = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(ca)?.[1];
    const issuerAki = /Authority Key Identifier:\s*\n\s*(?:keyid:)?([0-9A-F:]+)/.exec(iss)?.[1];
    assert.ok(anchorSki);
    assert.equal(issuerAki, anchorSki, 'issuer AKI = anchor SKI');
  });

  test('a leaf signed by the issuer key verifies up to the anchor', async (t) => {
    const leafPem = await makeLeaf(read(f.east), read(f.eastKey));
    const leafPath = path.join(work, 'leaf.crt');
    writeFileSync(leafPath, leafPem);
    const leaf = new X509Certificate(leafPem);
    assert.ok(leaf.checkIssued(cert(f.east)) && leaf.verify(cert(f.east).publicKey));
    assert.ok(!leaf.verify(cert(f.west).publicKey), 'not by the other cluster');
    if (!HAVE_OPENSSL) return t.skip('openssl not installed (Node crypto checks passed)');
    const r = openssl(['verify', '-CAfile', f.ca, '-untrusted', f.east, leafPath]);
    assert.equal(r.code, 0, r.out);
    const wrong = openssl(['verify', '-CAfile', f.ca, '-untrusted', f.west, leafPath]);
    assert.notEqual(wrong.code, 0, 'the west issuer does not vouch for an east leaf');
  });

  test('-o json: paths, subjects, SHA-256 fingerprints and validity on stdout', () => {
    const s = JSON.parse(run.stdout);
    assert.equal(s.trustDomain, 'cluster.local');
    assert.equal(s.anchor.certificate, f.ca);
    assert.equal(s.anchor.key, f.caKey);
    assert.equal(s.anchor.subject, 'CN=root.linkerd.cluster.local');
    assert.equal(s.anchor.fingerprintSha256, cert(f.ca).fingerprint256);
    assert.equal(Date.parse(s.anchor.notAfter), Date.parse(cert(f.ca).validTo));
    assert.equal(Date.parse(s.anchor.notBefore), Date.parse(cert(f.ca).validFrom));
    assert.deepEqual(s.issuers.map((i: { cluster: string }) => i.cluster), ['east', 'west']);
    for (const i of s.issuers) {
      assert.equal(i.certificate, i.cluster === 'east' ? f.east : f.west);
      assert.equal(i.key, i.cluster === 'east' ? f.eastKey : f.westKey);
      assert.equal(i.subject, 'CN=identity.linkerd.cluster.local');
      assert.equal(i.issuer, 'CN=root.linkerd.cluster.local');
      assert.equal(i.fingerprintSha256, cert(i.certificate).fingerprint256);
      assert.equal(Date.parse(i.notAfter), Date.parse(cert(i.certificate).validTo));
      assert.equal(i.pathLength, 0);
      assert.equal(i.authorityKeyId, s.anchor.subjectKeyId);
    }
  });

  test('stderr: the linkerd install flags and Helm values per cluster; no key material', () => {
    for (const c of ['east', 'west']) {
      const crt = path.join(dir, c, 'issuer.crt');
      const key = path.join(dir, c, 'issuer.key');
      assert.ok(
        run.stderr.includes(`linkerd install --identity-trust-anchors-file ${f.ca} --identity-issuer-certificate-file ${crt} --identity-issuer-key-file ${key}`),
        run.stderr,
      );
      assert.ok(run.stderr.includes(`--set-file identityTrustAnchorsPEM=${f.ca} --set-file identity.issuer.tls.crtPEM=${crt} --set-file identity.issuer.tls.keyPEM=${key}`));
    }
    for (const k of [f.caKey, f.eastKey]) {
      const body = read(k).split('\n')[1]!;
      assert.ok(!run.stderr.includes(body) && !run.stdout.includes(body), 'no key material in the output');
    }
  });

  test('an existing file is refused without --force: exit 1, files untouched', async () => {
    const before = Object.values(f).map((p) => [read(p), statSync(p).mtimeMs]);
    const r = await runMc(['certs', 'generate', '--dir', dir, '--cluster', 'east', '--cluster', 'west']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /refusing to overwrite existing files: .*ca\.crt.*; nothing was written/);
    assert.match(r.stderr, /--force/);
    assert.deepEqual(Object.values(f).map((p) => [read(p), statSync(p).mtimeMs]), before);
  });
});

describe('mc certs generate: files', () => {
  test('--force --rotate-anchor replaces every file; keys stay 0600', async () => {
    const dir = freshDir();
    assert.equal((await runMc(['certs', 'generate', '--dir', dir, '--cluster', 'a'])).code, 0);
    const old = read(path.join(dir, 'a', 'issuer.key'));
    // A new anchor orphans a/issuer.crt's clusters: a rotation (certs-hardening.test.ts covers the refusal).
    const r = await runMc(['certs', 'generate', '--dir', dir, '--cluster', 'a', '--force', '--rotate-anchor']);
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual(read(path.join(dir, 'a', 'issuer.key')), old);
    assert.equal(mode(path.join(dir, 'a', 'issuer.key')), 0o600);
    assert.equal(mode(path.join(dir, 'ca.key')), 0o600);
    assert.ok(new X509Certificate(read(path.join(dir, 'a', 'issuer.crt'))).verify(cert(path.join(dir, 'ca.crt')).publicKey), 'the new issuer belongs to the new anchor');
  });

  test('all targets are checked before any is written: one existing key blocks everything', async () => {
    const dir = freshDir();
    mkdirSync(path.join(dir, 'b'), { recursive: true });
    writeFileSync(path.join(dir, 'b', 'issuer.key'), 'precious\n');
    const r = await runMc(['certs', 'generate', '--dir', dir, '--cluster', 'a,b']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refusing to overwrite existing file: .*b\/issuer\.key/);
    assert.deepEqual(readdirSync(dir), ['b']);
    assert.deepEqual(readdirSync(path.join(dir, 'b')), ['issuer.key']);
    assert.equal(read(path.join(dir, 'b', 'issuer.key')), 'precious\n');
  });

  test('a folder that cannot be created: clear error, exit 1, nothing written', async () => {
    const blocker = path.join(work, `file${n++}`);
    writeFileSync(blocker, 'not a folder');
    const r = await runMc(['certs', 'generate', '--dir', path.join(blocker, 'certs')]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Error: cannot write .*: a parent of it is a file, not a folder; nothing was written/m);
    assert.match(r.stderr, /--dir/);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  });

  test('failing on the last cluster leaves nothing half-written (no anchor, no other issuer, no temp files)', async () => {
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'zz'), 'a file where the folder of cluster zz should go');
    const r = await runMc(['certs', 'generate', '--dir', dir, '--cluster', 'aa,zz']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot write .*zz/);
    assert.deepEqual(readdirSync(dir), ['zz']);
  });

  test('a read-only folder: clear error, nothing written', async (t) => {
    if (process.getuid?.() === 0) return t.skip('running as root: permissions do not stop root (the cases above cover unwritable paths)');
    const dir = freshDir();
    mkdirSync(dir, { mode: 0o555 });
    const r = await runMc(['certs', 'generate', '--dir', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot write .*: permission denied; nothing was written/);
    assert.deepEqual(readdirSync(dir), []);
  });

  test('no --cluster: one shared issuer in DIR/issuer.crt; issuer lifetime clamped to the anchor', async () => {
    const dir = freshDir();
    const r = await runMc(['certs', 'generate', '--dir', dir, '--anchor-lifetime', '720h', '--issuer-lifetime', '8760h']);
    assert.equal(r.code, 0, r.stderr);
    const ca = cert(path.join(dir, 'ca.crt'));
    const iss = cert(path.join(dir, 'issuer.crt'));
    assert.equal(iss.validTo, ca.validTo, 'the issuer ends with the anchor');
    assert.match(r.stderr, /‼ --issuer-lifetime 8760h reaches past the trust anchor/);
    assert.ok(r.stderr.includes(`--identity-issuer-certificate-file ${path.join(dir, 'issuer.crt')}`));
  });

  test('--anchor-key rsa2048: RSA anchor (RSA PRIVATE KEY), issuer still ECDSA P-256', async (t) => {
    const dir = freshDir();
    const r = await runMc(['certs', 'generate', '--dir', dir, '--anchor-key', 'rsa2048', '--trust-domain', 'example.org', '--cluster', 'x']);
    assert.equal(r.code, 0, r.stderr);
    const ca = cert(path.join(dir, 'ca.crt'));
    const iss = cert(path.join(dir, 'x', 'issuer.crt'));
    assert.equal(ca.subject, 'CN=root.linkerd.example.org');
    assert.equal(iss.subject, 'CN=identity.linkerd.example.org');
    assert.equal(ca.publicKey.asymmetricKeyType, 'rsa');
    assert.equal(ca.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    assert.match(read(path.join(dir, 'ca.key')), /^-----BEGIN RSA PRIVATE KEY-----/);
    assert.equal(iss.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.ok(iss.verify(ca.publicKey));
    if (!HAVE_OPENSSL) return t.skip('openssl not installed (Node crypto checks passed)');
    assert.equal(openssl(['verify', '-CAfile', path.join(dir, 'ca.crt'), path.join(dir, 'x', 'issuer.crt')]).code, 0);
    assert.match(openssl(['x509', '-in', path.join(dir, 'ca.crt'), '-noout', '-text']).out, /Public-Key: \(2048 bit\)[\s\S]*sha256WithRSAEncryption/);
  });

  test('bad flags are usage errors (exit 2) and write nothing', async () => {
    const dir = freshDir();
    const cases: [string[], RegExp][] = [
      [['--anchor-lifetime', '10 years'], /invalid duration "10 years" for --anchor-lifetime/],
      [['--issuer-lifetime', '0'], /--issuer-lifetime must be at least 1s/],
      [['--cluster', 'East_1'], /invalid cluster name "East_1"/],
      [['--trust-domain', 'bad domain'], /invalid trust domain/],
      [['--anchor-key', 'dsa'], /argument 'dsa' is invalid/],
      [['-o', 'yaml'], /unsupported output format "yaml"/],
    ];
    for (const [args, re] of cases) {
      const r = await runMc(['certs', 'generate', '--dir', dir, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    assert.ok(!existsSync(dir));
  });
});

test('runGenerate (the command contract): typed options and a test IO in, files written, the report on stderr, exit code out', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mc-run-generate-'));
  const io = testIO();
  const options = {
    dir,
    clusters: ['east'],
    trustDomain: 'example.org',
    anchorLifetimeMs: 48 * 3600_000,
    issuerLifetimeMs: 24 * 3600_000,
    issuerLifetimeText: '24h',
    anchorKey: 'ecdsa' as const,
    force: false,
    rotateAnchor: false,
    json: true,
    linkerdNamespace: 'linkerd',
    now: new Date(),
  };
  assert.equal(await runGenerate(options, io), 0);
  const summary = JSON.parse(io.stdout.text) as { trustDomain: string; issuers: Array<{ cluster: string; certificate: string }> };
  assert.equal(summary.trustDomain, 'example.org');
  assert.deepEqual(summary.issuers.map((i) => [i.cluster, i.certificate]), [['east', path.join(dir, 'east', 'issuer.crt')]]);
  assert.match(io.stderr.text, /^Wrote the trust anchor and 1 issuer:/);
  assert.equal(statSync(path.join(dir, 'east', 'issuer.key')).mode & 0o777, 0o600);
  // A second run refuses to overwrite, through the one error path (an McError, exit 1).
  await assert.rejects(runGenerate(options, testIO()), (e: unknown) => e instanceof Error && /refusing to overwrite/.test(e.message));
});

describe('mc certs issuer', () => {
  const dir = path.join(work, 'rot');
  before(async () => {
    const r = await runMc(['certs', 'generate', '--dir', dir, '--cluster', 'east']);
    assert.equal(r.code, 0, r.stderr);
  });
  const ca = () => path.join(dir, 'ca.crt');
  const caKey = () => path.join(dir, 'ca.key');

  test('a new issuer from the existing anchor: verified by openssl and Node, key 0600, AKI = anchor SKI', async (t) => {
    const out = path.join(dir, 'north');
    const r = await runMc(['certs', 'issuer', '--ca-cert', ca(), '--ca-key', caKey(), '--dir', out, '--issuer-lifetime', '2160h', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const iss = cert(path.join(out, 'issuer.crt'));
    assert.ok(iss.checkIssued(cert(ca())) && iss.verify(cert(ca()).publicKey));
    assert.equal(mode(path.join(out, 'issuer.key')), 0o600);
    assert.ok(Math.abs(Date.parse(iss.validTo) - (Date.now() + 2160 * HOUR)) < 2 * 60_000);
    const s = JSON.parse(r.stdout);
    assert.equal(s.issuer.certificate, path.join(out, 'issuer.crt'));
    assert.equal(s.issuer.fingerprintSha256, iss.fingerprint256);
    assert.equal(s.anchor.fingerprintSha256, cert(ca()).fingerprint256);
    assert.ok(r.stderr.includes(`--identity-issuer-key-file ${path.join(out, 'issuer.key')}`));
    // One issuer is one cluster's: never "every cluster shares this issuer"; the rotation line (linkerd upgrade) comes first
    assert.doesNotMatch(r.stderr, /share this issuer/);
    assert.match(r.stderr, /this issuer is for one cluster/);
    const upgrade = r.stderr.indexOf('linkerd upgrade --identity-issuer-certificate-file');
    assert.ok(upgrade >= 0 && upgrade < r.stderr.indexOf('linkerd install'), r.stderr);
    if (!HAVE_OPENSSL) return t.skip('openssl not installed (Node crypto checks passed)');
    assert.equal(openssl(['verify', '-CAfile', ca(), path.join(out, 'issuer.crt')]).code, 0);
    const text = openssl(['x509', '-in', path.join(out, 'issuer.crt'), '-noout', '-text']).out;
    assert.match(text, /CA:TRUE, pathlen:0/);
    const ski = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(openssl(['x509', '-in', ca(), '-noout', '-text']).out)?.[1];
    assert.ok(ski && text.includes(ski));
  });

  test('reads a PKCS #8 anchor key too', async () => {
    const p8 = path.join(work, 'ca-pkcs8.key');
    writeFileSync(p8, createPrivateKey(read(caKey())).export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600 });
    const out = freshDir();
    const r = await runMc(['certs', 'issuer', '--ca-cert', ca(), '--ca-key', p8, '--dir', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(cert(path.join(out, 'issuer.crt')).verify(cert(ca()).publicKey));
  });

  test('a key that does not match the certificate: exit 1, clear error, nothing written', async () => {
    const out = freshDir();
    const r = await runMc(['certs', 'issuer', '--ca-cert', ca(), '--ca-key', path.join(dir, 'east', 'issuer.key'), '--dir', out]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /issuer\.key does not match .*ca\.crt/);
    assert.ok(!existsSync(out));
    assert.ok(!r.stderr.includes(read(path.join(dir, 'east', 'issuer.key')).split('\n')[1]!), 'the key is not printed');
  });

  test('a certificate that is not a CA is refused', async () => {
    const leafPem = await makeLeaf(read(path.join(dir, 'east', 'issuer.crt')), read(path.join(dir, 'east', 'issuer.key')));
    const leafPath = path.join(work, 'leaf-noca.crt');
    writeFileSync(leafPath, leafPem);
    const out = freshDir();
    const r = await runMc(['certs', 'issuer', '--ca-cert', leafPath, '--ca-key', caKey(), '--dir', out]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is not a CA certificate/);
    assert.ok(!existsSync(out));
  });

  test('an issuer (pathlen 0) cannot sign another issuer', async () => {
    const r = await runMc(['certs', 'issuer', '--ca-cert', path.join(dir, 'east', 'issuer.crt'), '--ca-key', path.join(dir, 'east', 'issuer.key'), '--dir', freshDir()]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pathlen 0/);
  });

  test('refuses to overwrite without --force; replaces with --force (rotation)', async () => {
    const out = path.join(dir, 'east');
    const old = read(path.join(out, 'issuer.crt'));
    const refused = await runMc(['certs', 'issuer', '--ca-cert', ca(), '--ca-key', caKey(), '--dir', out]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refusing to overwrite/);
    assert.equal(read(path.join(out, 'issuer.crt')), old);
    const rotated = await runMc(['certs', 'issuer', '--ca-cert', ca(), '--ca-key', caKey(), '--dir', out, '--force']);
    assert.equal(rotated.code, 0, rotated.stderr);
    // A rotation: only the linkerd upgrade of that cluster matters, and it is what is said
    assert.match(rotated.stderr, /Next step: give the cluster that used the old issuer this one/);
    assert.ok(rotated.stderr.includes(`linkerd upgrade --identity-issuer-certificate-file ${path.join(out, 'issuer.crt')} --identity-issuer-key-file ${path.join(out, 'issuer.key')} | kubectl apply -f -`));
    assert.doesNotMatch(rotated.stderr, /linkerd install|share this issuer/);
    assert.notEqual(read(path.join(out, 'issuer.crt')), old);
    assert.ok(cert(path.join(out, 'issuer.crt')).verify(cert(ca()).publicKey));
  });

  test('runIssuer (the command contract): typed options and a test IO in, files written, the report on stderr, exit code out', async () => {
    const out = freshDir();
    const io = testIO();
    const options = { caCert: ca(), caKey: caKey(), dir: out, lifetimeMs: 24 * HOUR, lifetimeText: '24h', force: false, json: true, linkerdNamespace: 'linkerd-lab', now: new Date() };
    assert.equal(await runIssuer(options, io), 0);
    const summary = JSON.parse(io.stdout.text) as { trustDomain: string; issuer: { certificate: string; subject: string } };
    // No trust domain given: read from the anchor's name (root.linkerd.cluster.local)
    assert.equal(summary.trustDomain, 'cluster.local');
    assert.deepEqual([summary.issuer.certificate, summary.issuer.subject], [path.join(out, 'issuer.crt'), 'CN=identity.linkerd-lab.cluster.local']);
    assert.match(io.stderr.text, /^Wrote a new issuer signed by CN=root\.linkerd\.cluster\.local/);
    assert.equal(mode(path.join(out, 'issuer.key')), 0o600);
    assert.ok(cert(path.join(out, 'issuer.crt')).verify(cert(ca()).publicKey));
    // A second run refuses to overwrite, through the one error path (an McError, exit 1).
    await assert.rejects(runIssuer(options, testIO()), (e: unknown) => e instanceof Error && /refusing to overwrite/.test(e.message));
  });

  test('a bad --trust-domain is a usage error before any file is read', async () => {
    const r = await runMc(['certs', 'issuer', '--ca-cert', path.join(work, 'nope.crt'), '--ca-key', caKey(), '--dir', freshDir(), '--trust-domain', 'Bad_Domain']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Error: invalid trust domain "bad_domain"\nUse a DNS name such as cluster\.local\.\n$/);
  });

  test('missing files and missing flags', async () => {
    const r = await runMc(['certs', 'issuer', '--ca-cert', path.join(work, 'nope.crt'), '--ca-key', caKey(), '--dir', freshDir()]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot read the CA certificate .*nope\.crt: no such file/);
    const u = await runMc(['certs', 'issuer', '--ca-cert', ca()]);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /^Error: --ca-key is required\ne\.g\. --ca-key certs\/ca\.key\n$/);
  });
});
