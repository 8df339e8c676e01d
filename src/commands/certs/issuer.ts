/** `mc certs issuer`: a new identity issuer from an existing trust anchor. */
import type { Command } from 'commander';
import { commandAction, examples, flagChoices, globalOptions, isDnsName, requireFlag } from '../../cli-kit.js';
import type { IO } from '../../io.js';
import { invalidTrustDomain } from '../../certs/names.js';
import type { IssuerOptions } from '../../certs/run-issuer.js';
import { jsonOutput, lifetimeFlag } from './shared.js';

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
    .action(
      commandAction(async (flags: Flags, cmd: Command) => {
        const options = issuerOptions(flags, cmd);
        const { runIssuer } = await import('../../certs/run-issuer.js');
        return runIssuer(options, io);
      }),
    );
}

/** Flags to one IssuerOptions: every usage error before any file is read. */
function issuerOptions(flags: Flags, cmd: Command): IssuerOptions {
  const { linkerdNamespace } = globalOptions(cmd);
  const caCert = requireFlag(flags.caCert, '--ca-cert', 'e.g. --ca-cert certs/ca.crt');
  const caKey = requireFlag(flags.caKey, '--ca-key', 'e.g. --ca-key certs/ca.key');
  const dir = requireFlag(flags.dir, '--dir', 'e.g. --dir certs/north');
  const json = jsonOutput(flags.output);
  const now = new Date();
  const lifetimeMs = lifetimeFlag('issuer-lifetime', flags.issuerLifetime, now);
  const trustDomain = flags.trustDomain?.toLowerCase();
  if (trustDomain !== undefined && !isDnsName(trustDomain)) throw invalidTrustDomain(trustDomain);
  return { caCert, caKey, dir, lifetimeMs, lifetimeText: flags.issuerLifetime, trustDomain, force: flags.force, json, linkerdNamespace, now };
}
