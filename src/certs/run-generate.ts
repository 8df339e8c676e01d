/**
 * `mc certs generate`: a trust anchor and one issuer per cluster (or one
 * shared issuer), written atomically; refuses to overwrite files, and to
 * replace an anchor that issuers were made from unless rotating on purpose.
 */
import path from 'node:path';
import { printResult, say } from '../cli-kit.js';
import { McError } from '../errors.js';
import type { IO } from '../io.js';
import { anchorInUse } from './anchor-replacement.js';
import * as certs from './index.js';
import type { AnchorKeyType } from './keys.js';
import { isoSeconds } from './names.js';
import { certLine, certSummary } from './summary.js';

export interface GenerateOptions {
  dir: string;
  /** Clusters that get their own issuer in DIR/NAME/; none: one shared issuer in DIR/. */
  clusters: string[];
  trustDomain: string;
  anchorLifetimeMs: number;
  issuerLifetimeMs: number;
  /** --issuer-lifetime as given, for the message when issuers end with the anchor. */
  issuerLifetimeText: string;
  anchorKey: AnchorKeyType;
  force: boolean;
  rotateAnchor: boolean;
  /** -o json: a summary on stdout. */
  json: boolean;
  linkerdNamespace: string;
  /** The lifetimes count from here. */
  now: Date;
}

export async function runGenerate(o: GenerateOptions, io: IO): Promise<number> {
  const { now } = o;
  const dir = o.dir;
  const anchorFiles = { certificate: path.join(dir, 'ca.crt'), key: path.join(dir, 'ca.key') };
  const issuerFiles = (o.clusters.length ? o.clusters : [undefined]).map((cluster) => {
    const base = cluster ? path.join(dir, cluster) : dir;
    return { cluster, certificate: path.join(base, 'issuer.crt'), key: path.join(base, 'issuer.key') };
  });

  const targets = [anchorFiles, ...issuerFiles].flatMap((f) => [
    { path: f.certificate, content: '', mode: certs.CERT_MODE },
    { path: f.key, content: '', mode: certs.KEY_MODE },
  ]);
  // Fail before making keys (RSA 4096 takes a while); written files are checked again.
  const existing = o.force ? [] : await certs.existingTargets(targets);
  if (existing.length > 0) {
    throw certs.overwriteRefusal(existing);
  }
  // A new anchor orphans the issuers made from the old one: that is a rotation, done only on request.
  const inUse = o.force ? await anchorInUse(dir) : undefined;
  if (inUse && !o.rotateAnchor) {
    const what = [
      ...(inUse.issuersOfAnchor.length ? [`issuers made from it: ${inUse.issuersOfAnchor.join(', ')}`] : []),
      ...(inUse.clusterFolders.length ? [`cluster folders: ${inUse.clusterFolders.join(', ')}`] : []),
    ].join('; ');
    throw new McError(
      `refusing to replace the trust anchor ${inUse.certificatePath} (${what}): every issuer and cluster made from it would stop chaining; nothing was written`,
      `To rotate the anchor on purpose, add --rotate-anchor (the old one is kept as ${inUse.certificatePath}.old and ${inUse.keyPath}.old). To add or replace one cluster's issuer under the same anchor: mc certs issuer --ca-cert ${inUse.certificatePath} --ca-key ${inUse.keyPath} --dir ${path.join(dir, 'NAME')}.`,
    );
  }

  const { createTrustAnchor, createIssuer, describeCertificate, nextSteps } = certs;
  const anchor = await createTrustAnchor({ trustDomain: o.trustDomain, lifetimeMs: o.anchorLifetimeMs, keyType: o.anchorKey, now });
  const issuers = await Promise.all(
    issuerFiles.map(async (f) => ({ ...f, made: await createIssuer({ anchor, trustDomain: o.trustDomain, lifetimeMs: o.issuerLifetimeMs, linkerdNamespace: o.linkerdNamespace, now }) })),
  );

  await certs.writeFilesAtomically(
    [
      { path: anchorFiles.certificate, content: anchor.certPem, mode: certs.CERT_MODE },
      { path: anchorFiles.key, content: anchor.keyPem, mode: certs.KEY_MODE },
      ...issuers.flatMap((i) => [
        { path: i.certificate, content: i.made.certPem, mode: certs.CERT_MODE },
        { path: i.key, content: i.made.keyPem, mode: certs.KEY_MODE },
      ]),
      ...(inUse ? [{ path: `${inUse.certificatePath}.old`, content: inUse.certPem, mode: certs.CERT_MODE }] : []),
      ...(inUse?.keyPem !== undefined ? [{ path: `${inUse.keyPath}.old`, content: inUse.keyPem, mode: certs.KEY_MODE }] : []),
    ],
    { force: o.force, signal: io.signal },
  );
  const rewritten = new Set(issuerFiles.map((f) => path.resolve(f.certificate)));
  const orphaned = (inUse?.issuersOfAnchor ?? []).filter((p) => !rewritten.has(path.resolve(p)));

  const anchorInfo = describeCertificate(anchor.certificate, { now });
  const issuerInfos = issuers.map((i) => ({ ...i, info: describeCertificate(i.made.certificate, { now }) }));

  say(io, `Wrote the trust anchor and ${issuers.length} issuer${issuers.length > 1 ? 's' : ''}:`);
  say(io, `  ${anchorFiles.certificate}, ${anchorFiles.key}: ${certLine('trust anchor', anchorInfo)}`);
  for (const i of issuerInfos) {
    say(io, `  ${i.certificate}, ${i.key}: ${certLine(i.cluster ? `issuer for ${i.cluster},` : 'shared issuer', i.info)}`);
  }
  if (issuers.some((i) => i.made.clamped)) {
    say(io, `‼ --issuer-lifetime ${o.issuerLifetimeText} reaches past the trust anchor: issuers end with the anchor (${isoSeconds(anchorInfo.notAfter)}).`);
  }
  if (inUse) {
    say(io, `Rotated the trust anchor: the old one is kept as ${inUse.certificatePath}.old${inUse.keyPem !== undefined ? ` and ${inUse.keyPath}.old` : ''}.`);
    if (orphaned.length) say(io, `‼ These issuers were made from the old anchor and no longer chain to the new one: ${orphaned.join(', ')}. Make new ones with mc certs issuer.`);
    say(io, `‼ Clusters running the old anchor must trust both during the rotation: cat ${anchorFiles.certificate} ${inUse.certificatePath}.old > bundle.crt, then linkerd upgrade --identity-trust-anchors-file bundle.crt.`);
  }
  say(io, '');
  say(io, nextSteps(anchorFiles.certificate, anchorFiles.key, issuerFiles));

  if (o.json) {
    await printResult(io, 
      JSON.stringify(
        {
          dir,
          trustDomain: o.trustDomain,
          anchor: certSummary(anchorInfo, anchorFiles),
          issuers: issuerInfos.map((i) => ({ cluster: i.cluster ?? null, ...certSummary(i.info, i) })),
          ...(inUse ? { previousAnchor: { certificate: `${inUse.certificatePath}.old`, ...(inUse.keyPem !== undefined ? { key: `${inUse.keyPath}.old` } : {}), orphanedIssuers: orphaned } } : {}),
        },
        null,
        2,
      ),
    );
  }
  return 0;
}
