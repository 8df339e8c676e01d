/** `mc certs generate`: a trust anchor and one issuer per cluster. */
import { Command, Option } from 'commander';
import { collect, commandAction, isDnsLabel, isDnsName, examples, flagChoices, globalOptions } from '../../cli-kit.js';
import type { IO } from '../../io.js';
import { UsageError } from '../../errors.js';
import type { GenerateOptions } from '../../certs/run-generate.js';
import { invalidTrustDomain } from '../../certs/names.js';
import { jsonOutput, lifetimeFlag } from './shared.js';

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
    .action(
      commandAction(async (flags: Flags, cmd: Command) => {
        const options = generateOptions(flags, cmd);
        const { runGenerate } = await import('../../certs/run-generate.js');
        return runGenerate(options, io);
      }),
    );
}

/** Flags to one GenerateOptions: every usage error before any key is made. */
function generateOptions(flags: Flags, cmd: Command): GenerateOptions {
  const { linkerdNamespace } = globalOptions(cmd);
  const json = jsonOutput(flags.output);
  const clusters = [...new Set(flags.cluster.flatMap((c) => c.split(',')).map((c) => c.trim()).filter(Boolean))];
  for (const c of clusters) {
    if (!isDnsLabel(c)) {
      throw new UsageError(`invalid cluster name "${c}"`, 'Cluster names are DNS labels: lower-case letters, digits and "-", at most 63 characters.');
    }
  }
  const trustDomain = flags.trustDomain.toLowerCase();
  if (!isDnsName(trustDomain)) throw invalidTrustDomain(flags.trustDomain);
  if (flags.rotateAnchor && !flags.force) throw new UsageError('--rotate-anchor replaces existing files: it needs --force');
  const now = new Date();
  const anchorLifetime = lifetimeFlag('anchor-lifetime', flags.anchorLifetime, now);
  const issuerLifetime = lifetimeFlag('issuer-lifetime', flags.issuerLifetime, now);

  return {
    dir: flags.dir,
    clusters,
    trustDomain,
    anchorLifetimeMs: anchorLifetime,
    issuerLifetimeMs: issuerLifetime,
    issuerLifetimeText: flags.issuerLifetime,
    anchorKey: flags.anchorKey,
    force: flags.force,
    rotateAnchor: flags.rotateAnchor,
    json,
    linkerdNamespace,
    now,
  };
}
