/** `mc certs issuer`: a new identity issuer from an existing trust anchor. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { commandAction, examples, flagChoices, globalOptions, isDnsName, printResult, requireFlag, say } from '../../cli-kit.js';
import type { IO } from '../../io.js';
import { McError, UsageError } from '../../errors.js';
import { certLine, certSummary, jsonOutput, lifetimeFlag } from './shared.js';
import { isoSeconds } from '../../certs/names.js';

interface Flags {
  caCert?: string;
  caKey?: string;
  dir?: string;
  issuerLifetime: string;
  trustDomain?: string;
  force: boolean;
  output?: string;
}

export function register(certs: Command, io: IO): void {
  const cmd = certs
    .command('issuer')
    .description('make a new identity issuer signed by an existing trust anchor (rotation, or a new cluster)')
    .option('--ca-cert <file>', 'trust anchor certificate (PEM), e.g. certs/ca.crt (required)')
    .option('--ca-key <file>', 'its private key (PEM), e.g. certs/ca.key (required)')
    .option('--dir <dir>', 'folder for issuer.crt and issuer.key, created if missing (required)')
    .option('--issuer-lifetime <duration>', 'validity of the issuer; never past the anchor (Go duration)', '8760h')
    .option('--trust-domain <domain>', 'identity trust domain (default: from the anchor name root.linkerd.<domain>, else cluster.local)')
    .option('--force', 'overwrite existing files', false)
    .option('-o, --output <format>', 'print a summary on stdout: json')
    .addHelpText(
      'after',
      examples(`
# An issuer for one more cluster, from the anchor made by \`mc certs generate\`
mc certs issuer --ca-cert certs/ca.crt --ca-key certs/ca.key --dir certs/north
# Rotate the issuer of cluster east (90 days), replacing the old files
mc certs issuer --ca-cert certs/ca.crt --ca-key certs/ca.key --dir certs/east --issuer-lifetime 2160h --force`),
    );
  flagChoices(cmd, '--output', ['json']);
  cmd
    .action(commandAction(async (flags: Flags, cmd: Command) => issuer(flags, cmd, io)));
}

async function readInput(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new McError(`cannot read the ${what} ${file}: ${reason}`, `Check the path given to --${what === 'CA certificate' ? 'ca-cert' : 'ca-key'}.`);
  }
}

async function issuer(flags: Flags, cmd: Command, io: IO): Promise<void> {
  const { linkerdNamespace } = globalOptions(cmd);
  const caCert = requireFlag(flags.caCert, '--ca-cert', 'e.g. --ca-cert certs/ca.crt');
  const caKey = requireFlag(flags.caKey, '--ca-key', 'e.g. --ca-key certs/ca.key');
  const dir = requireFlag(flags.dir, '--dir', 'e.g. --dir certs/north');
  const json = jsonOutput(flags.output);
  const lifetime = lifetimeFlag('issuer-lifetime', flags.issuerLifetime);
  const targets = { certificate: path.join(dir, 'issuer.crt'), key: path.join(dir, 'issuer.key') };

  const certs = await import('../../certs/index.js');

  const planned = (crt: string, key: string) => [
    { path: targets.certificate, content: crt, mode: certs.CERT_MODE },
    { path: targets.key, content: key, mode: certs.KEY_MODE },
  ];
  // Files already there: refused without --force; with it, this is a rotation.
  const existing = await certs.existingTargets(planned('', ''));
  if (existing.length > 0 && !flags.force) throw certs.overwriteRefusal(existing);

  const [certPem, keyPem] = await Promise.all([readInput(caCert, 'CA certificate'), readInput(caKey, 'CA key')]);
  const { loadSigningCA, createIssuer, describeCertificate, issuerNextSteps } = certs;
  const now = new Date();
  const anchor = await loadSigningCA(certPem, keyPem, { cert: caCert, key: caKey }, now);
  const trustDomain = (flags.trustDomain ?? anchor.trustDomain ?? 'cluster.local').toLowerCase();
  if (!isDnsName(trustDomain)) throw new UsageError(`invalid trust domain "${trustDomain}"`, 'Use a DNS name such as cluster.local.');

  const made = await createIssuer({ anchor, trustDomain, lifetimeMs: lifetime, linkerdNamespace, now });
  await certs.writeFilesAtomically(planned(made.certPem, made.keyPem), { force: flags.force });

  const anchorInfo = describeCertificate(anchor.certificate, { now });
  const info = describeCertificate(made.certificate, { now });
  say(io, `Wrote a new issuer signed by ${anchorInfo.subject} (${anchor.keyDescription}):`);
  say(io, `  ${targets.certificate}, ${targets.key}: ${certLine('issuer', info)}`);
  if (made.clamped) say(io, `‼ --issuer-lifetime ${flags.issuerLifetime} reaches past the trust anchor: the issuer ends with it (${isoSeconds(anchorInfo.notAfter)}).`);
  say(io, '');
  say(io, issuerNextSteps(caCert, { certificate: targets.certificate, key: targets.key }, existing.length > 0));

  if (json) {
    await printResult(io, 
      JSON.stringify({ trustDomain, anchor: certSummary(anchorInfo, { certificate: caCert }), issuer: certSummary(info, targets) }, null, 2),
    );
  }
}
