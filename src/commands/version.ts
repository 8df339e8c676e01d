/**
 * `mc version`: mc's version and the Linkerd release it targets, and per
 * context the versions of the control plane, the multicluster extension and
 * each Link's creator. (`mc --version` prints only mc's, as before.)
 */
import { Command } from 'commander';
import { commandAction, examples, flagChoices, globalOptions, outputFormat } from '../cli-kit.js';
import { durationFlag } from '../duration.js';
import { UsageError } from '../errors.js';
import type { IO } from '../io.js';
import type { VersionOptions, VersionOutput } from '../versions/run.js';

interface Flags {
  client: boolean;
  output?: string;
  timeout: string;
}

export function register(program: Command, io: IO): void {
  // --context is the global option, repeatable here: every occurrence, before or after `version`, is read.
  const contexts: string[] = [];
  program.on('option:context', (value: string) => contexts.push(value));
  const cmd = program
    .command('version')
    .summary('versions of mc and of the Linkerd it targets, and what runs in each cluster')
    .description(
      'Prints the version of mc and the Linkerd release it targets; then, for each --context (repeatable; default: the current context; all at once), the version of the ' +
        'Linkerd control plane (linkerd-config), of the multicluster extension (its created-by annotations and image tags) and of ' +
        'the CLI that made each Link. Versions other than the target are warned about on stderr, with the --linkerd-version to render for them.',
    )
    .usage('[--context NAME]... [options]')
    .option('--client', 'only the version of mc; do not read any cluster', false)
    .option('-o, --output <format>', 'output format: json or yaml (default: text)')
    .option('--timeout <duration>', 'timeout of each Kubernetes API call', '5s')
    .addHelpText(
      'after',
      examples(`
# mc and the clusters of two contexts
mc version --context east --context west

# Only mc, as JSON
mc version --client -o json`),
    );
  flagChoices(cmd, '--output', ['json', 'yaml']);
  cmd.action(commandAction(async (flags: Flags, command: Command) => {
    const { runVersion } = await import('../versions/run.js');
    const output: VersionOutput = outputFormat(flags.output, ['json', 'yaml'], 'text');
    const timeoutMs = durationFlag('--timeout', flags.timeout);
    if (timeoutMs <= 0) throw new UsageError('--timeout must be greater than 0');
    const g = globalOptions(command);
    const options: VersionOptions = {
      clientOnly: flags.client,
      kubeconfig: g.kubeconfig,
      contexts: contexts.length > 0 ? [...new Set(contexts)] : [undefined],
      linkerdNamespace: g.linkerdNamespace,
      output,
      timeoutMs,
    };
    return runVersion(options, io);
  }));
}
