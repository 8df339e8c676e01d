/** `mc certs inspect FILE...`: what the certificates are, and whether they chain. */
import type { Command } from 'commander';
import { commandAction, examples, flagChoices } from '../../cli-kit.js';
import type { IO } from '../../io.js';
import type { InspectOptions } from '../../certs/run-inspect.js';
import { jsonOutput } from './shared.js';

interface Flags {
  output?: string;
}

export function register(certs: Command, io: IO): void {
  const cmd = certs
    .command('inspect')
    .description('show every certificate in the files (bundles too) and check that each chains to a trust anchor among them')
    .argument('<file...>', 'PEM files: certificates or bundles (trust anchors are the self-signed CAs among them)')
    .option('-o, --output <format>', 'print the report on stdout as: json')
    .addHelpText(
      'after',
      examples(`
# Anchor and issuers together: every issuer must chain to the anchor
mc certs inspect certs/ca.crt certs/east/issuer.crt certs/west/issuer.crt
# A trust bundle with several anchors, as JSON
mc certs inspect bundle.pem -o json

Exit status: 1 when a certificate has expired or does not chain to the given
anchors; a certificate expiring within 60 days only warns (‼).`),
    );
  flagChoices(cmd, '--output', ['json']);
  cmd
    .action(
      commandAction(async (files: string[], flags: Flags) => {
        const options: InspectOptions = { files, json: jsonOutput(flags.output) };
        const { runInspect } = await import('../../certs/run-inspect.js');
        return runInspect(options, io);
      }),
    );
}
