/**
 * `mc certs inspect`, and the pure helpers that `mc check` reuses:
 * describePemCertificates (what is in a bundle) and verifyChain (does it
 * chain to an anchor, signatures checked). Go duration parsing too.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTrustAnchor } from '../src/certs/anchor.js';
import { parseGoDuration } from '../src/duration.js';
import { describePemCertificates, inspectCertificates, verifyChain } from '../src/certs/inspect.js';
import { createIssuer } from '../src/certs/issuer.js';
import { x509 } from '../src/certs/x509.js';
import { certificateBundle } from './fixtures/certs.js';
import { runInspect } from '../src/certs/run-inspect.js';
import { runMc, testIO } from './helpers/index.js';

const DAY = 86_400_000;
const work = mkdtempSync(path.join(tmpdir(), 'mc-inspect-test-'));
after(() => rmSync(work, { recursive: true, force: true }));
const read = (p: string) => readFileSync(p, 'utf8');

/** Flip one bit in the signature (the last bytes of the DER) of a PEM certificate. */
function tamper(pem: string): string {
  const der = Buffer.from(new X509Certificate(pem).raw);
  der[der.length - 3]! ^= 0x01;
  const b64 = der.toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

const A = path.join(work, 'a');
const B = path.join(work, 'b');
before(async () => {
  const [a, b] = await Promise.all([
    runMc(['certs', 'generate', '--dir', A, '--cluster', 'east,west']),
    runMc(['certs', 'generate', '--dir', B, '--cluster', 'east']),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
});

test('runInspect (the command contract): typed options and a test IO in, the report on stdout, exit code out', async () => {
  const ok = testIO();
  assert.equal(await runInspect({ files: [path.join(A, 'ca.crt'), path.join(A, 'east', 'issuer.crt')], json: false }, ok), 0);
  assert.match(ok.stdout.text, /√ chains to the trust anchor: CN=root\.linkerd\.cluster\.local/);
  assert.match(ok.stdout.text, /√ 2 certificates: all valid, chains verified\n$/);
  assert.equal(ok.stderr.text, '');
  // -o json: the JSON alone on stdout, the verdict on stderr; an issuer of another anchor fails the run (exit 1)
  const broken = testIO();
  assert.equal(await runInspect({ files: [path.join(A, 'ca.crt'), path.join(B, 'east', 'issuer.crt')], json: true }, broken), 1);
  const report = JSON.parse(broken.stdout.text) as { ok: boolean; certificates: Array<{ chain: { ok: boolean } | null }> };
  assert.equal(report.ok, false);
  assert.equal(report.certificates[1]!.chain!.ok, false);
  assert.match(broken.stderr.text, /^× 2 certificates: 1 problem/);
  await assert.rejects(runInspect({ files: [path.join(work, 'missing.crt')], json: false }, testIO()), (e: unknown) => e instanceof Error && /cannot read .*missing\.crt: no such file/.test(e.message));
});

describe('mc certs inspect', () => {
  test('anchor and issuers: every field, chains verified, exit 0', async () => {
    const r = await runMc(['certs', 'inspect', path.join(A, 'ca.crt'), path.join(A, 'east', 'issuer.crt'), path.join(A, 'west', 'issuer.crt')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'the report is the output: stdout (| grep, | less)');
    const node = new X509Certificate(read(path.join(A, 'east', 'issuer.crt')));
    assert.match(r.stdout, /ca\.crt #1: trust anchor/);
    assert.match(r.stdout, /east\/issuer\.crt #1: intermediate CA/);
    assert.match(r.stdout, /subject {4}CN=identity\.linkerd\.cluster\.local/);
    assert.match(r.stdout, /issuer {5}CN=root\.linkerd\.cluster\.local \(self-signed\)/);
    assert.ok(r.stdout.includes(`serial     ${node.serialNumber.toLowerCase()}`), 'serial as Node reads it');
    assert.match(r.stdout, /\(36[45] days left\)/);
    assert.match(r.stdout, /key {8}ECDSA P-256, signed with ECDSA-SHA-256/);
    assert.match(r.stdout, /CA {9}yes, pathlen 0/);
    assert.match(r.stdout, /CA {9}yes, pathlen unlimited/);
    assert.match(r.stdout, /key ids {4}subject [0-9a-f:]{59}, authority [0-9a-f:]{59}/);
    assert.ok(r.stdout.includes(`SHA-256    ${node.fingerprint256}`));
    assert.equal(r.stdout.match(/√ chains to the trust anchor: CN=root\.linkerd\.cluster\.local/g)?.length, 2);
    assert.match(r.stdout, /√ 3 certificates: all valid, chains verified/);
    assert.doesNotMatch(r.stdout, /‼|×/);
  });

  test('a bundle file works like separate files; -o json on stdout', async () => {
    const bundle = path.join(work, 'bundle.pem');
    writeFileSync(bundle, read(path.join(A, 'east', 'issuer.crt')) + read(path.join(A, 'ca.crt')));
    const r = await runMc(['certs', 'inspect', bundle, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.ok, true);
    assert.equal(j.certificates.length, 2);
    // stdout is the JSON alone; the one-line verdict is for the human on stderr
    assert.equal(r.stderr, '√ 2 certificates: all valid, chains verified\n');
    const [iss, ca] = j.certificates;
    assert.deepEqual([iss.index, ca.index], [1, 2]);
    assert.equal(iss.role, 'intermediate CA');
    assert.equal(ca.role, 'trust anchor');
    assert.equal(iss.keyAlgorithm, 'ECDSA');
    assert.equal(iss.curve, 'P-256');
    assert.equal(iss.isCA, true);
    assert.equal(iss.pathLength, 0);
    assert.equal(ca.pathLength, null);
    assert.equal(iss.authorityKeyId, ca.subjectKeyId);
    assert.deepEqual(iss.chain, { ok: true, anchor: 'CN=root.linkerd.cluster.local' });
    assert.equal(iss.fingerprintSha256, new X509Certificate(read(path.join(A, 'east', 'issuer.crt'))).fingerprint256);
    assert.equal(Date.parse(iss.notAfter), Date.parse(new X509Certificate(read(path.join(A, 'east', 'issuer.crt'))).validTo));
    assert.ok(iss.daysLeft >= 364 && iss.daysLeft <= 365);
  });

  test('an issuer of another anchor: broken chain, exit 1', async () => {
    const r = await runMc(['certs', 'inspect', path.join(A, 'ca.crt'), path.join(B, 'east', 'issuer.crt')]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /× does not chain to the given trust anchor/);
    assert.match(r.stdout, /× 2 certificates: 1 problem/);
  });

  test('a tampered signature: broken chain, exit 1', async () => {
    const bad = path.join(work, 'tampered.crt');
    writeFileSync(bad, tamper(read(path.join(A, 'east', 'issuer.crt'))));
    const r = await runMc(['certs', 'inspect', path.join(A, 'ca.crt'), bad]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /× does not chain .*signature .* does not verify/);
  });

  test('expiring within 60 days: ‼ warning, exit 0', async () => {
    const dir = path.join(work, 'soon');
    assert.equal((await runMc(['certs', 'generate', '--dir', dir, '--anchor-lifetime', '720h', '--issuer-lifetime', '480h'])).code, 0);
    const r = await runMc(['certs', 'inspect', path.join(dir, 'ca.crt'), path.join(dir, 'issuer.crt')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /‼ expires in 29 days/);
    assert.match(r.stdout, /‼ expires in 19 days/);
    assert.match(r.stdout, /‼ 2 certificates: 2 warnings/);
  });

  test('an expired certificate: exit 1', async () => {
    const now = new Date(Date.now() - 20 * DAY);
    const anchor = await createTrustAnchor({ trustDomain: 'cluster.local', lifetimeMs: 10 * DAY, now });
    const file = path.join(work, 'expired.crt');
    writeFileSync(file, anchor.certPem);
    const r = await runMc(['certs', 'inspect', file]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /× expired on \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    assert.match(r.stdout, /validity .*\(expired\)/);
  });

  test('an issuer alone: described, chain not checked, exit 0', async () => {
    const r = await runMc(['certs', 'inspect', path.join(A, 'east', 'issuer.crt')]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /chain not checked: no trust anchor among the files/);
  });

  test('an anchor Linkerd would refuse (ECDSA P-384): ‼ in inspect, refused by certs issuer', async (t) => {
    if (spawnSync('openssl', ['version']).status !== 0) return t.skip('openssl not installed');
    const crt = path.join(work, 'p384.crt');
    const key = path.join(work, 'p384.key');
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1', '-nodes', '-keyout', key, '-out', crt,
      '-subj', '/CN=root.linkerd.cluster.local', '-days', '365', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const i = await runMc(['certs', 'inspect', crt]);
    assert.equal(i.code, 0, i.stderr);
    assert.match(i.stdout, /‼ Linkerd accepts only ECDSA P-256 or RSA 2048\/4096 trust anchors, not ECDSA P-384/);
    const out = path.join(work, 'p384-issuer');
    const g = await runMc(['certs', 'issuer', '--ca-cert', crt, '--ca-key', key, '--dir', out]);
    assert.equal(g.code, 1);
    assert.match(g.stderr, /ECDSA key on curve secp384r1; Linkerd needs P-256/);
  });

  test('mc --help lists certs; each certs command has examples', async () => {
    const top = await runMc(['--help']);
    assert.match(top.stdout, /certs +make and inspect the trust anchor/);
    const sub = await runMc(['certs', 'inspect', '--help']);
    assert.equal(sub.code, 0);
    assert.match(sub.stdout, /Examples:\n  # Anchor and issuers together/);
  });

  test('a key file or a missing file is an error', async () => {
    const k = await runMc(['certs', 'inspect', path.join(A, 'ca.key')]);
    assert.equal(k.code, 1);
    assert.match(k.stderr, /ca\.key holds no PEM certificate/);
    assert.ok(!k.stderr.includes(read(path.join(A, 'ca.key')).split('\n')[1]!));
    const m = await runMc(['certs', 'inspect', path.join(work, 'missing.crt')]);
    assert.equal(m.code, 1);
    assert.match(m.stderr, /cannot read .*missing\.crt: no such file/);
    const none = await runMc(['certs', 'inspect']);
    assert.equal(none.code, 2);
  });
});

describe('pure helpers for mc check', () => {
  test('describePemCertificates: every certificate of a bundle, in order', () => {
    const infos = describePemCertificates(read(path.join(A, 'east', 'issuer.crt')) + read(path.join(A, 'ca.crt')), { source: 'bundle' });
    assert.equal(infos.length, 2);
    const [iss, ca] = infos;
    assert.equal(iss!.subject, 'CN=identity.linkerd.cluster.local');
    assert.equal(iss!.issuer, 'CN=root.linkerd.cluster.local');
    assert.equal(iss!.isCA, true);
    assert.equal(iss!.pathLength, 0);
    assert.equal(iss!.keyDescription, 'ECDSA P-256');
    assert.equal(iss!.authorityKeyId, ca!.subjectKeyId);
    assert.equal(ca!.selfIssued, true);
    assert.equal(ca!.pathLength, undefined);
    assert.ok(ca!.daysLeft >= 3649);
    assert.equal(iss!.source, 'bundle');
    assert.equal(iss!.index, 1);
    assert.equal(describePemCertificates('no certificates here').length, 0);
  });

  test('verifyChain: the right anchor, the wrong anchor, several anchors (shared trust)', async () => {
    const issuerA = read(path.join(A, 'west', 'issuer.crt'));
    const ok = await verifyChain(issuerA, read(path.join(A, 'ca.crt')));
    assert.equal(ok.ok, true);
    assert.equal(ok.anchor?.subject, 'CN=root.linkerd.cluster.local');
    assert.equal(ok.path.length, 2);
    const wrong = await verifyChain(issuerA, read(path.join(B, 'ca.crt')));
    assert.equal(wrong.ok, false);
    assert.match(wrong.problem ?? '', /signed by another key than CN=root\.linkerd\.cluster\.local .*a different trust anchor with the same name/);
    const both = await verifyChain(issuerA, read(path.join(B, 'ca.crt')) + read(path.join(A, 'ca.crt')));
    assert.equal(both.ok, true, 'a bundle of anchors: one of them suffices');
    assert.equal((await verifyChain(issuerA, '')).ok, false);
  });

  test('verifyChain: path length limits are enforced (a CA below a pathlen-0 issuer signs nothing valid)', async () => {
    const now = new Date();
    const td = 'cluster.local';
    const anchor = await createTrustAnchor({ trustDomain: td, lifetimeMs: 10 * DAY, now });
    const issuer = await createIssuer({ anchor, trustDomain: td, lifetimeMs: 5 * DAY, now });
    const below = await createIssuer({ anchor: issuer, trustDomain: td, lifetimeMs: 5 * DAY, now, linkerdNamespace: 'below' });
    const further = await createIssuer({ anchor: below, trustDomain: td, lifetimeMs: 5 * DAY, now, linkerdNamespace: 'further' });
    assert.equal((await verifyChain(issuer.certPem, anchor.certPem)).ok, true);
    // RFC 5280: the last certificate of a path does not count toward path lengths.
    assert.equal((await verifyChain(below.certPem, anchor.certPem, issuer.certPem)).ok, true);
    const r = await verifyChain(further.certPem, anchor.certPem, issuer.certPem + below.certPem);
    assert.equal(r.ok, false);
    assert.match(r.problem ?? '', /pathlen 0 but 1 CA\(s\) below it/);
  });

  test('inspectCertificates: expiry warnings use the given clock', async () => {
    const pem = read(path.join(A, 'ca.crt')) + read(path.join(A, 'east', 'issuer.crt'));
    const later = new Date(Date.now() + 340 * DAY);
    const report = await inspectCertificates([{ source: 'x', pem }], { now: later });
    assert.equal(report.ok, true);
    assert.equal(report.warningCount, 1);
    assert.match(report.certificates[1]!.warnings[0]!, /expires in 2\d days/);
    const expired = await inspectCertificates([{ source: 'x', pem }], { now: new Date(Date.now() + 400 * DAY) });
    assert.equal(expired.ok, false);
  });
});

test('parseGoDuration: Go duration syntax', () => {
  const H = 3_600_000;
  assert.equal(parseGoDuration('87600h'), 87600 * H);
  assert.equal(parseGoDuration('8760h'), 8760 * H);
  assert.equal(parseGoDuration('90m'), 90 * 60_000);
  assert.equal(parseGoDuration('30s'), 30_000);
  assert.equal(parseGoDuration('1h30m'), 1.5 * H);
  assert.equal(parseGoDuration('1.5h'), 1.5 * H);
  assert.equal(parseGoDuration('500ms'), 500);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('-1h'), -H);
  for (const bad of ['', 'h', '10', '1d', '10 h', '1h 30m', 'ten hours', '1.2.3h']) assert.equal(parseGoDuration(bad), undefined, bad);
});

test('inspecting a bundle checks each signature once: 2 issuers and 40 leaves make 43 verifications, not one chain walk per leaf', async (t) => {
  const pem = await certificateBundle(43, 2);
  const proto = x509.X509Certificate.prototype;
  const original = proto.verify;
  let verifications = 0;
  proto.verify = function (this: InstanceType<typeof x509.X509Certificate>, ...args: Parameters<typeof original>) {
    verifications++;
    return original.apply(this, args);
  };
  t.after(() => {
    proto.verify = original;
  });
  const report = await inspectCertificates([{ source: 'bundle.pem', pem }]);
  assert.equal(report.problemCount, 0);
  assert.equal(report.certificates.filter((c) => c.chain?.ok).length, 42);
  // each leaf against its issuer (found by name and key id), each issuer against the anchor, the anchor's self-signature: once each
  assert.equal(verifications, 43);
});
