/**
 * `mc unlink`: everything `mc link` created in this (the linking) cluster for
 * one link, and the services mirrored through it, for `kubectl delete -f -`.
 */
import { Command } from 'commander';
import { commandAction, completeFlag, examples, flagChoices, globalOptions } from '../cli-kit.js';
import type { IO } from '../io.js';
import type { UnlinkFlags } from '../link/unlink.js';

export function register(program: Command, io: IO): void {
  const cmd = program
    .command('unlink')
    .summary('what link created for a linked cluster, for kubectl delete -f -')
    .description(
      'Reads the linking cluster (the --context) and outputs the Link named --cluster-name, its credentials Secrets and Lease, ' +
        'its legacy service mirror (made by `mc link`) and the services mirrored through it, as manifests for `kubectl delete -f -`. ' +
        'Only objects that exist are listed. With --only-controller, only the legacy service mirror: the migration to a ' +
        '`controllers` entry of the multicluster extension, which then takes over the Link and its Lease.',
    )
    .option('--cluster-name <name>', 'name of the linked cluster (the Link)')
    .option('-n, --namespace <ns>', "the multicluster extension's namespace (not the context's): of the Link and its service mirror", 'linkerd-multicluster')
    .option('-o, --output <format>', 'output format: yaml or json', 'yaml')
    .option('--only-controller', 'only the legacy service mirror and its RBAC: leave the Link, its credentials, its Lease and the mirrored services', false)
    .addHelpText(
      'after',
      examples(`
# Remove west's link to east
mc --context west unlink --cluster-name east | kubectl --context west delete -f -

# Migrate west's legacy link to east to a controller of the extension
mc --context west install --set 'controllers[0].link.ref.name=east' | kubectl --context west apply -f -
mc --context west unlink --cluster-name east --only-controller | kubectl --context west delete -f -`),
    );
  completeFlag(cmd, '--cluster-name', 'links');
  flagChoices(cmd, '--output', ['yaml', 'json']);
  cmd
    .action(
      commandAction(async (flags: UnlinkFlags, command: Command) => {
        const { runUnlink, unlinkOptionsOf } = await import('../link/run-unlink.js');
        return runUnlink(unlinkOptionsOf(flags, globalOptions(command)), io);
      }),
    );
  void cmd;
}
