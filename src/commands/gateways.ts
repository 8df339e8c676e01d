/** `mc gateways`: per linked cluster, gateway liveness, mirrored services and latency. */
import type { Command } from 'commander';
import { commandAction, completeFlag, examples, flagChoices, globalOptions, isDnsLabel, outputFormat } from '../cli-kit.js';
import { durationFlag } from '../duration.js';
import { UsageError } from '../errors.js';
import type { IO } from '../io.js';

export function register(program: Command, io: IO): void {
  const cmd = program
    .command('gateways')
    .description('display stats information about the gateways in target clusters: alive, mirrored services, latency')
    .option('--cluster-name <name>', 'only the gateway of this linked cluster')
    .option('-w, --wait <duration>', 'time allowed to fetch the metrics of the service mirrors', '30s')
    .option('-o, --output <format>', 'output format: table or json', 'table')
    .addHelpText(
      'after',
      examples(`
# Every gateway west's service mirrors probe
mc --context west gateways

# One linked cluster, as JSON
mc --context west gateways --cluster-name east -o json`),
    );
  completeFlag(cmd, '--cluster-name', 'links');
  flagChoices(cmd, '--output', ['table', 'json']);
  cmd
    .action(commandAction(async (flags: { clusterName?: string; wait: string; output: string }, cmd: Command) => {
      const { GATEWAYS_OUTPUTS, run } = await import('../gateways/run.js');
      const output = outputFormat(flags.output, GATEWAYS_OUTPUTS);
      const waitMs = durationFlag('--wait', flags.wait);
      if (waitMs <= 0) throw new UsageError('--wait must be greater than 0', 'e.g. --wait 30s');
      if (flags.clusterName !== undefined && !isDnsLabel(flags.clusterName)) {
        throw new UsageError(`invalid --cluster-name "${flags.clusterName}": a linked cluster's name is a DNS-1123 label (lowercase letters, digits, "-")`);
      }
      const g = globalOptions(cmd);
      return run({ kubeconfig: g.kubeconfig, context: g.context, requestTimeoutMs: g.requestTimeoutMs, verbose: g.verbose, clusterName: flags.clusterName, waitMs, output }, io);
    }));
}
