/** `mc disconnect`: undo what `mc connect` made, per pair or for a whole cluster. */
import type { Command } from 'commander';
import { examples, globalOptions, commandAction } from '../cli-kit.js';
import { durationFlag } from '../duration.js';
import { UsageError } from '../errors.js';
import type { IO } from '../io.js';
import { LINKERD_VERSION } from '../version.js';

const list = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter((s) => s !== '')];

export function register(program: Command, io: IO): void {
  program
    .command('disconnect')
    .summary('remove what mc connect made: per pair, or every link of a cluster')
    .description(
      'Removes, for each ordered pair SOURCE←TARGET, what connect made: the remote-access account of SOURCE in TARGET (first: access is revoked at once), ' +
        "then in SOURCE the credentials Secrets, the Link, its controller (managed or legacy), its Lease and the mirrors it made. What is already gone is skipped; a rerun finishes after a failure.",
    )
    .argument('[contexts...]', 'two contexts: both directions between them')
    .option('--mesh <contexts...>', 'every ordered pair of these contexts')
    .option('--from <contexts>', 'one way: the links of these contexts (comma separated) to the --to contexts', list)
    .option('--to <contexts>', 'one way: the contexts mirrored', list)
    .option('--cluster <context>', "every link to and from this context, with every other context of the kubeconfig")
    .option('--timeout <duration>', 'timeout of each API request', '10s')
    .option('--linkerd-version <tag>', 'the Linkerd release connect used', LINKERD_VERSION)
    .addHelpText(
      'after',
      examples(`
# Both directions between east and west
mc disconnect east west

# Only west's link to east
mc disconnect --from west --to east

# north leaves the mesh
mc disconnect --cluster north`),
    )
    .action(commandAction(async (args: string[], flags: { mesh?: string[]; from?: string[]; to?: string[]; cluster?: string; timeout: string; linkerdVersion: string }, cmd: Command) => {
      const g = globalOptions(cmd);
      const timeoutMs = durationFlag('--timeout', flags.timeout);
      if (timeoutMs <= 0) throw new UsageError('--timeout must be greater than 0');
      const options = {
        kubeconfig: g.kubeconfig,
        linkerdNamespace: g.linkerdNamespace,
        pairs: { both: args, mesh: flags.mesh?.flatMap((m) => list(m)), from: flags.from, to: flags.to },
        cluster: flags.cluster,
        timeoutMs,
        linkerdVersion: flags.linkerdVersion,
      };
      const { runDisconnect } = await import('../connect/index.js');
      return runDisconnect(options, io);
    }));
}
