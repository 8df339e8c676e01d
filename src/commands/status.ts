/** `mc status`: every cluster at once — links, gateway liveness and latency, mirrors, certificate expiry. */
import type { Command } from 'commander';
import { examples, globalOptions, commandAction, outputFormat } from '../cli-kit.js';
import { durationFlag } from '../duration.js';
import { UsageError } from '../errors.js';
import type { IO } from '../io.js';

interface StatusFlags {
  contexts?: string;
  output: string;
  watch: boolean;
  interval: string;
  timeout: string;
}

export function register(program: Command, io: IO): void {
  program
    .command('status')
    .description('show every cluster at once: Linkerd version, gateway, certificate expiry, and per link its controller, credentials, gateway liveness and latency and mirrored services')
    .option('--contexts <list>', 'kubeconfig contexts to show, comma separated (default: every context that has the multicluster extension)')
    .option('-o, --output <format>', 'output format: table (a matrix: row mirrors column), wide, json, mermaid or dot', 'table')
    .option('-w, --watch', 'refresh until interrupted (in place on a terminal)', false)
    .option('--interval <duration>', 'time between refreshes with --watch', '2s')
    .option('--timeout <duration>', 'deadline for reading one cluster (a cluster that misses it is shown as unreachable)', '10s')
    .addHelpText(
      'after',
      examples(`
# Every cluster of the kubeconfig with the multicluster extension
mc status

# Three clusters, one line per link
mc status --contexts east,west,north -o wide

# A picture for the wiki (renders on GitHub), or for Graphviz
mc status -o mermaid
mc status -o dot | dot -Tsvg > mesh.svg

# Keep watching
mc status -w`),
    )
    .action(commandAction(async (flags: StatusFlags, cmd: Command) => {
      const { STATUS_OUTPUTS, runStatus } = await import('../status/index.js');
      const output = outputFormat(flags.output, STATUS_OUTPUTS);
      const timeoutMs = durationFlag('--timeout', flags.timeout);
      if (timeoutMs <= 0) throw new UsageError('--timeout must be greater than 0', 'e.g. --timeout 5s');
      const intervalMs = durationFlag('--interval', flags.interval);
      if (intervalMs <= 0) throw new UsageError('--interval must be greater than 0', 'e.g. --interval 2s');
      let contexts: string[] | undefined;
      if (flags.contexts !== undefined) {
        contexts = flags.contexts.split(',').map((c) => c.trim()).filter((c) => c !== '');
        if (contexts.length === 0) throw new UsageError('--contexts is empty', 'e.g. --contexts east,west');
      }
      const g = globalOptions(cmd);
      if (g.context !== undefined && contexts === undefined) contexts = [g.context];
      const options = { kubeconfig: g.kubeconfig, contexts, linkerdNamespace: g.linkerdNamespace, output, watch: flags.watch, intervalMs, timeoutMs };
      return runStatus(options, io);
    }));
}
