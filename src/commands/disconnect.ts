/** `mc disconnect`: undo what `mc connect` made, per pair or for a whole cluster. */
import type { Command } from 'commander';
import { examples, globalOptions, commandAction, pairFlags, pairSelection, type PairFlags } from '../cli-kit.js';
import { durationFlag } from '../duration.js';
import { UsageError } from '../errors.js';
import type { IO } from '../io.js';
import { LINKERD_VERSION } from '../version.js';

export function register(program: Command, io: IO): void {
  const disconnect = program
    .command('disconnect')
    .summary('remove what mc connect made: per pair, or every link of a cluster')
    .description(
      'Removes, for each ordered pair SOURCE←TARGET, what connect made: the remote-access account of SOURCE in TARGET (first: access is revoked at once), ' +
        "then in SOURCE the credentials Secrets, the Link, its controller (managed or legacy), its Lease and the mirrors it made. What is already gone is skipped; a rerun finishes after a failure.",
    );
  pairFlags(disconnect)
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
    .action(commandAction(async (args: string[], flags: PairFlags & { cluster?: string; timeout: string; linkerdVersion: string }, cmd: Command) => {
      const g = globalOptions(cmd);
      const timeoutMs = durationFlag('--timeout', flags.timeout);
      if (timeoutMs <= 0) throw new UsageError('--timeout must be greater than 0');
      const options = {
        kubeconfig: g.kubeconfig,
        linkerdNamespace: g.linkerdNamespace,
        pairs: pairSelection(args, flags),
        cluster: flags.cluster,
        timeoutMs,
        linkerdVersion: flags.linkerdVersion,
      };
      const { runDisconnect } = await import('../connect/index.js');
      return runDisconnect(options, io);
    }));
}
