/** `mc uninstall`: every resource of the multicluster extension, for `kubectl delete -f -`. */
import { Command, Option } from 'commander';
import { commandAction, examples, flagChoices, globalOptions, outputFormat } from '../cli-kit.js';
import type { UninstallOptions } from '../extension/uninstall.js';
import type { IO } from '../io.js';

export function register(program: Command, io: IO): void {
  const cmd = program
    .command('uninstall')
    .description('print every resource of the multicluster extension in the cluster, for deletion; refuses while Links remain')
    .addHelpText(
      'after',
      examples(`
# Unlink every cluster first, then
mc uninstall | kubectl delete -f -`),
    )
    .addOption(new Option('-o, --output <format>', 'output format: yaml or json').default('yaml'));
  flagChoices(cmd, '--output', ['yaml', 'json']);
  cmd
    .action(commandAction(async (flags: { output?: string }, command: Command) => {
      const g = globalOptions(command);
      const options: UninstallOptions = { kubeconfig: g.kubeconfig, context: g.context, requestTimeoutMs: g.requestTimeoutMs, verbose: g.verbose, output: outputFormat(flags.output, ['yaml', 'json']) };
      const { runUninstall } = await import('../extension/uninstall.js');
      return runUninstall(options, io);
    }));
}
