/**
 * `mc certs issuer`: a new identity issuer signed by an existing trust anchor,
 * written atomically; existing files are refused without `force` (with it,
 * this is a rotation of that cluster's issuer).
 */
import path from 'node:path';
import { isDnsName, printResult, say } from '../cli-kit.js';
import type { IO } from '../io.js';
import * as certs from './index.js';
import { invalidTrustDomain, isoSeconds } from './names.js';
import { certLine, certSummary } from './summary.js';

export interface IssuerOptions {
  /** The trust anchor's certificate and private key (PEM files). */
  caCert: string;
  caKey: string;
  /** Folder for issuer.crt and issuer.key, created if missing. */
  dir: string;
  lifetimeMs: number;
  /** --issuer-lifetime as given, for the message when the issuer ends with the anchor. */
  lifetimeText: string;
  /** Lower-case and a DNS name; undefined: from the anchor name root.linkerd.DOMAIN, else cluster.local. */
  trustDomain?: string;
  force: boolean;
  /** -o json: a summary on stdout. */
  json: boolean;
  linkerdNamespace: string;
  /** The lifetime counts from here. */
  now: Date;
}

export async function runIssuer(o: IssuerOptions, io: IO): Promise<number> {
  const { now } = o;
  const targets = { certificate: path.join(o.dir, 'issuer.crt'), key: path.join(o.dir, 'issuer.key') };
  const planned = (crt: string, key: string) => [
    { path: targets.certificate, content: crt, mode: certs.CERT_MODE },
    { path: targets.key, content: key, mode: certs.KEY_MODE },
  ];
  // Files already there: refused without --force; with it, this is a rotation.
  const existing = await certs.existingTargets(planned('', ''));
  if (existing.length > 0 && !o.force) throw certs.overwriteRefusal(existing);

  const [certPem, keyPem] = await Promise.all([
    certs.readInputFile(o.caCert, { what: 'CA certificate', hint: 'Check the path given to --ca-cert.' }),
    certs.readInputFile(o.caKey, { what: 'CA key', hint: 'Check the path given to --ca-key.' }),
  ]);
  const { loadSigningCA, createIssuer, describeCertificate, issuerNextSteps } = certs;
  const anchor = await loadSigningCA(certPem, keyPem, { cert: o.caCert, key: o.caKey }, now);
  // A trust domain read from the anchor's name is checked like the flag.
  const trustDomain = o.trustDomain ?? (anchor.trustDomain ?? 'cluster.local').toLowerCase();
  if (!isDnsName(trustDomain)) throw invalidTrustDomain(trustDomain);

  const made = await createIssuer({ anchor, trustDomain, lifetimeMs: o.lifetimeMs, linkerdNamespace: o.linkerdNamespace, now });
  await certs.writeFilesAtomically(planned(made.certPem, made.keyPem), { force: o.force });

  const anchorInfo = describeCertificate(anchor.certificate, { now });
  const info = describeCertificate(made.certificate, { now });
  say(io, `Wrote a new issuer signed by ${anchorInfo.subject} (${anchor.keyDescription}):`);
  say(io, `  ${targets.certificate}, ${targets.key}: ${certLine('issuer', info)}`);
  if (made.clamped) say(io, `‼ --issuer-lifetime ${o.lifetimeText} reaches past the trust anchor: the issuer ends with it (${isoSeconds(anchorInfo.notAfter)}).`);
  say(io, '');
  say(io, issuerNextSteps(o.caCert, targets, existing.length > 0));

  if (o.json) {
    await printResult(io, JSON.stringify({ trustDomain, anchor: certSummary(anchorInfo, { certificate: o.caCert }), issuer: certSummary(info, targets) }, null, 2));
  }
  return 0;
}
