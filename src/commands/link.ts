/**
 * `mc link`: from the cluster being linked (the --context), everything another
 * cluster needs to mirror its services: the credentials Secrets, the Link and
 * the service mirror. Printed for `kubectl apply -f -`, or applied directly
 * with --apply-to.
 */
import { Command, Option } from 'commander';
import { addValueFlags, booleanFlag, commandAction, examples, flagChoices, globalOptions } from '../cli-kit.js';
import type { IO } from '../io.js';
import type { LinkFlags } from '../link/options.js';
import { addLinkGenFlags } from './link/flags.js';
import { LINKERD_VERSION } from '../version.js';

export function register(program: Command, io: IO): void {
  const cmd = program
    .command('link')
    .summary('credentials Secrets, Link and service mirror for another cluster to mirror this one')
    .description(
      'Outputs the resources that let another cluster mirror services from this one (the --context): ' +
        'the cluster-credentials Secrets (a kubeconfig with only this cluster and the remote-access service account token), ' +
        'the Link (gateway address, port, identity and probe read from the gateway Service), and the service mirror. ' +
        'A Link works in one direction; link both ways for mutual mirroring. ' +
        'The service mirror takes the chart values of upstream linkerd-multicluster-link through -f/--set. ' +
        'Legacy flow (deprecated upstream since Linkerd 2.18): prefer `mc link-gen` with a `controllers` entry in `mc install`.',
    );
  addLinkGenFlags(cmd);
  cmd
    .option('--log-level <level>', 'log level of the service mirror', 'info')
    .option('--log-format <format>', 'log format of the service mirror: plain or json', 'plain')
    .option('--service-mirror-retry-limit <n>', 'times a failed update from the linked cluster is retried', '3')
    .option('--linkerd-version <tag>', 'image tag of the service mirror (the Linkerd release)', LINKERD_VERSION)
    .addOption(new Option('--control-plane-version <tag>', "upstream's name for --linkerd-version").hideHelp())
    .option('--registry <registry>', 'registry of the service mirror image ($LINKERD_DOCKER_REGISTRY)');
  addValueFlags(cmd);
  booleanFlag(cmd, 'ha', 'run the service mirror with the HA values (3 spread replicas)', false);
  flagChoices(cmd, '--log-format', ['plain', 'json']);
  cmd.addHelpText(
    'after',
    examples(`
# Let west mirror services from east
mc --context east link --cluster-name east | kubectl --context west apply -f -

# The same, applied directly (no kubectl needed)
mc --context east link --cluster-name east --apply-to west

# Ambassador as east's gateway
mc --context east link --cluster-name east --gateway-name ambassador --gateway-namespace ambassador

# Flat network: pods reach each other directly, no gateway
mc --context east link --cluster-name east --gateway=false

# Two service mirror replicas, debug logs
mc --context east link --cluster-name east --set replicas=2 --log-level debug`),
  );
  cmd.action(
    commandAction(async (flags: LinkFlags, command: Command) => {
      const { linkOptionsOf, runLink } = await import('../link/run.js');
      return runLink(linkOptionsOf(flags, globalOptions(command)), io);
    }),
  );
}
