/** `mc certs generate`: a trust anchor and one issuer per cluster. */
import path from 'node:path';
import { Command, Option } from 'commander';
import { collect, commandAction, isDnsLabel, isDnsName, examples, flagChoices, globalOptions, printResult, say } from '../../cli-kit.js';
import type { IO } from '../../io.js';
import { McError, UsageError } from '../../errors.js';
import { certLine, certSummary, jsonOutput, lifetimeFlag } from './shared.js';
import { isoSeconds } from '../../certs/names.js';

interface Flags {
  dir: string;
  cluster: string[];
  trustDomain: string;
  anchorLifetime: string;
  issuerLifetime: string;
  anchorKey: 'ecdsa' | 'rsa2048' | 'rsa4096';
  force: boolean;
  rotateAnchor: boolean;
  output?: string;
}

export function register(certs: Command, io: IO): void {
  const cmd = certs
    .command('generate')
    .description('make a trust anchor (root CA) and an identity issuer per cluster, as PEM files')
    .option('--dir <dir>', 'folder for the files (created if missing)', 'certs')
    .addOption(
      new Option('--cluster <name>', 'a cluster that gets its own issuer in DIR/NAME/ (repeatable, or comma-separated)')
        .argParser(collect)
        .default([] as string[], 'none: one shared issuer in DIR/'),
    )
    .option('--trust-domain <domain>', 'identity trust domain: the anchor is root.linkerd.DOMAIN, issuers identity.<linkerd namespace>.DOMAIN', 'cluster.local')
    .option('--anchor-lifetime <duration>', 'validity of the trust anchor (Go duration)', '87600h')
    .option('--issuer-lifetime <duration>', 'validity of each issuer; never past the anchor (Go duration)', '8760h')
    .addOption(new Option('--anchor-key <type>', 'key type of the trust anchor (issuers are always ECDSA P-256)').choices(['ecdsa', 'rsa2048', 'rsa4096']).default('ecdsa'))
    .option('--force', 'overwrite existing files', false)
    .option('--rotate-anchor', 'with --force: replace a trust anchor that issuers in DIR were made from (the old one is kept as ca.crt.old / ca.key.old)', false)
    .option('-o, --output <format>', 'print a summary on stdout: json')
    .addHelpText(
      'after',
      examples(`
# Trust anchor in certs/ca.crt, issuers in certs/east/ and certs/west/
mc certs generate --cluster east --cluster west
# The same, comma-separated, with a 5-year anchor and 90-day issuers
mc certs generate --dir /secure/mc --cluster east,west --anchor-lifetime 43800h --issuer-lifetime 2160h
# One shared issuer (certs/issuer.crt), an RSA 4096 anchor, JSON summary
mc certs generate --anchor-key rsa4096 -o json
# Then, per cluster (the command prints these with your paths):
linkerd install --identity-trust-anchors-file certs/ca.crt --identity-issuer-certificate-file certs/east/issuer.crt --identity-issuer-key-file certs/east/issuer.key | kubectl apply -f -`),
    );
  flagChoices(cmd, '--output', ['json']);
  cmd
    .action(commandAction(async (flags: Flags, cmd: Command) => generate(flags, cmd, io)));
}

async function generate(flags: Flags, cmd: Command, io: IO): Promise<void> {
  const { linkerdNamespace } = globalOptions(cmd);
  const json = jsonOutput(flags.output);
  const clusters = [...new Set(flags.cluster.flatMap((c) => c.split(',')).map((c) => c.trim()).filter(Boolean))];
  for (const c of clusters) {
    if (!isDnsLabel(c)) {
      throw new UsageError(`invalid cluster name "${c}"`, 'Cluster names are DNS labels: lower-case letters, digits and "-", at most 63 characters.');
    }
  }
  const trustDomain = flags.trustDomain.toLowerCase();
  if (!isDnsName(trustDomain)) throw new UsageError(`invalid trust domain "${flags.trustDomain}"`, 'Use a DNS name such as cluster.local.');
  if (flags.rotateAnchor && !flags.force) throw new UsageError('--rotate-anchor replaces existing files: it needs --force');
  const now = new Date();
  const anchorLifetime = lifetimeFlag('anchor-lifetime', flags.anchorLifetime, now);
  const issuerLifetime = lifetimeFlag('issuer-lifetime', flags.issuerLifetime, now);

  const dir = flags.dir;
  const anchorFiles = { certificate: path.join(dir, 'ca.crt'), key: path.join(dir, 'ca.key') };
  const issuerFiles = (clusters.length ? clusters : [undefined]).map((cluster) => {
    const base = cluster ? path.join(dir, cluster) : dir;
    return { cluster, certificate: path.join(base, 'issuer.crt'), key: path.join(base, 'issuer.key') };
  });

  const certs = await import('../../certs/index.js');

  const targets = [anchorFiles, ...issuerFiles].flatMap((f) => [
    { path: f.certificate, content: '', mode: certs.CERT_MODE },
    { path: f.key, content: '', mode: certs.KEY_MODE },
  ]);
  // Fail before making keys (RSA 4096 takes a while); written files are checked again.
  const existing = flags.force ? [] : await certs.existingTargets(targets);
  if (existing.length > 0) {
    throw certs.overwriteRefusal(existing);
  }
  // A new anchor orphans the issuers made from the old one: that is a rotation, done only on request.
  const { anchorInUse } = await import('../../certs/anchor-replacement.js');
  const inUse = flags.force ? await anchorInUse(dir) : undefined;
  if (inUse && !flags.rotateAnchor) {
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
  const anchor = await createTrustAnchor({ trustDomain, lifetimeMs: anchorLifetime, keyType: flags.anchorKey, now });
  const issuers = await Promise.all(
    issuerFiles.map(async (f) => ({ ...f, made: await createIssuer({ anchor, trustDomain, lifetimeMs: issuerLifetime, linkerdNamespace, now }) })),
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
    { force: flags.force, signal: io.signal },
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
    say(io, `‼ --issuer-lifetime ${flags.issuerLifetime} reaches past the trust anchor: issuers end with the anchor (${isoSeconds(anchorInfo.notAfter)}).`);
  }
  if (inUse) {
    say(io, `Rotated the trust anchor: the old one is kept as ${inUse.certificatePath}.old${inUse.keyPem !== undefined ? ` and ${inUse.keyPath}.old` : ''}.`);
    if (orphaned.length) say(io, `‼ These issuers were made from the old anchor and no longer chain to the new one: ${orphaned.join(', ')}. Make new ones with mc certs issuer.`);
    say(io, `‼ Clusters running the old anchor must trust both during the rotation: cat ${anchorFiles.certificate} ${inUse.certificatePath}.old > bundle.crt, then linkerd upgrade --identity-trust-anchors-file bundle.crt.`);
  }
  say(io, '');
  say(io, nextSteps(anchorFiles.certificate, anchorFiles.key, issuerFiles));

  if (json) {
    await printResult(io, 
      JSON.stringify(
        {
          dir,
          trustDomain,
          anchor: certSummary(anchorInfo, anchorFiles),
          issuers: issuerInfos.map((i) => ({ cluster: i.cluster ?? null, ...certSummary(i.info, i) })),
          ...(inUse ? { previousAnchor: { certificate: `${inUse.certificatePath}.old`, ...(inUse.keyPem !== undefined ? { key: `${inUse.keyPath}.old` } : {}), orphanedIssuers: orphaned } } : {}),
        },
        null,
        2,
      ),
    );
  }
}
