/**
 * `mc link-gen` (upstream's current flow, since Linkerd 2.18): from the
 * cluster being linked (the --context), the credentials Secrets and the Link
 * for another cluster, whose multicluster extension runs the service mirror
 * (`mc install` with a `controllers` entry for this cluster).
 */
import type { Command } from 'commander';
import { commandAction, examples, globalOptions } from '../cli-kit.js';
import type { IO } from '../io.js';
import type { LinkGenFlagValues } from '../link/options.js';
import { addLinkGenFlags } from './link/flags.js';

export function register(program: Command, io: IO): void {
  const cmd = program
    .command('link-gen')
    .summary('credentials Secrets and Link for another cluster to mirror this one (current upstream flow)')
    .description(
      'Outputs the Link and its credentials that let another cluster mirror services from this one (the --context): ' +
        'the cluster-credentials Secrets (a kubeconfig with only this cluster and the remote-access service account token) ' +
        'and the Link (gateway address, port, identity and probe read from the gateway Service). ' +
        'No service mirror: the other cluster runs it from a `controllers` entry of its multicluster extension ' +
        "(`mc install --set 'controllers[0].link.ref.name=NAME'`). A Link works in one direction; link both ways for mutual mirroring.",
    );
  addLinkGenFlags(cmd);
  cmd.addHelpText(
    'after',
    examples(`
# West runs the service mirror for east (once, in west's extension)
mc --context west install --set 'controllers[0].link.ref.name=east' | kubectl --context west apply -f -
# Let west mirror services from east
mc --context east link-gen --cluster-name east | kubectl --context west apply -f -

# The same, applied directly (no kubectl needed)
mc --context east link-gen --cluster-name east --apply-to west

# Ambassador as east's gateway
mc --context east link-gen --cluster-name east --gateway-name ambassador --gateway-namespace ambassador

# Flat network: pods reach each other directly, no gateway
mc --context east link-gen --cluster-name east --gateway=false`),
  );
  cmd.action(
    commandAction(async (flags: LinkGenFlagValues, command: Command) => {
      const [{ linkGenOptionsOf }, { runLinkGen }] = await Promise.all([import('../link/options.js'), import('../link/run-link-gen.js')]);
      const g = globalOptions(command);
      const options = { ...linkGenOptionsOf(flags, g.linkerdNamespace), kubeconfig: g.kubeconfig, context: g.context, requestTimeoutMs: g.requestTimeoutMs, verbose: g.verbose };
      return runLinkGen(options, io);
    }),
  );
}
