/**
 * `mc split`: weighted routing between a Service and its backends (the local
 * Service and its mirrors from other clusters). Flags in, one SplitOptions
 * out; src/split does the work.
 */
import { Command, Option } from 'commander';
import { booleanFlag, collect, examples, globalOptions, outputFormat, commandAction, parseNamespace, portArg } from '../cli-kit.js';
import { UsageError } from '../errors.js';
import type { SplitOptions } from '../split/run.js';
import type { IO } from '../io.js';

interface SplitFlags {
  namespace?: string;
  to: string[];
  port?: number;
  api: string;
  name?: string;
  failover: boolean;
  primary?: string;
  offline: boolean;
  output?: string;
}

export function splitOptions(service: string, f: SplitFlags, command: Command): SplitOptions {
  const g = globalOptions(command);
  if (!['auto', 'linkerd', 'gateway', 'smi'].includes(f.api)) throw new UsageError(`invalid --api "${f.api}"`, 'Use auto, linkerd (policy.linkerd.io HTTPRoute), gateway (gateway.networking.k8s.io HTTPRoute) or smi (TrafficSplit).');
  const svc = service.replace(/^(svc|service|services)\//, '');
  return {
    kubeconfig: g.kubeconfig,
    context: g.context,
    verbose: g.verbose,
    service: svc,
    namespace: f.namespace === undefined ? undefined : parseNamespace(f.namespace),
    name: f.name,
    to: f.to.flatMap((t) => t.split(',')).map((t) => t.trim()).filter((t) => t !== ''),
    port: f.port,
    api: f.api as SplitOptions['api'],
    failover: f.failover,
    primary: f.primary,
    offline: f.offline,
    output: outputFormat(f.output, ['yaml', 'json']),
  };
}

export function register(program: Command, io: IO): void {
  const cmd = program
    .command('split')
    .summary('weighted routing between a Service and its mirrors in other clusters (HTTPRoute, or SMI TrafficSplit)')
    .description(
      'Prints the routing object that splits the traffic of SERVICE between backends by weight: an HTTPRoute whose parent is the Service ' +
        '(gateway.networking.k8s.io where the cluster serves it, else policy.linkerd.io), or with --api smi the SMI TrafficSplit of the talk ' +
        '(linkerd-smi), or with --failover the TrafficSplit linkerd-failover manages. Against a cluster it checks first that the Service and ' +
        'every backend exist and serve the port, and that mirrored backends have endpoints; --offline (or no cluster) prints without checking.',
    )
    .argument('<SERVICE>', 'the Service clients call (the parent of the route)')
    .option('-n, --namespace <ns>', 'namespace of the Service and its backends (default: the context\'s namespace, else "default")')
    .option('--to <NAME=WEIGHT>', 'a backend Service and its weight (repeatable or comma separated); weights are relative', collect, [])
    .option('--port <port>', "the Service's port to split (default: its only port)", portArg('--port'))
    .addOption(new Option('--api <api>', 'auto, linkerd (policy.linkerd.io HTTPRoute), gateway (gateway.networking.k8s.io HTTPRoute) or smi (TrafficSplit)').default('auto'))
    .option('--name <name>', 'name of the route or split (default: the Service\'s)')
    .option('--primary <NAME>', 'with --failover: the primary backend (default: the first --to)')
    .option('-o, --output <format>', 'output format: yaml or json', 'yaml');
  booleanFlag(cmd, 'failover', 'a TrafficSplit for linkerd-failover (label app.kubernetes.io/managed-by=linkerd-failover, annotation failover.linkerd.io/primary-service)', false);
  booleanFlag(cmd, 'offline', 'print without reading the cluster (no validation)', false);
  cmd.addHelpText(
    'after',
    examples(`
# The talk: half of podinfo's traffic to the local podinfo, half to east's
mc --context west split podinfo -n test --to podinfo=50 --to podinfo-east=50 | kubectl --context west apply -f -

# The talk's own object: an SMI TrafficSplit (linkerd-smi extension)
mc --context west split podinfo -n test --to podinfo=50 --to podinfo-east=50 --api smi

# Disaster recovery: linkerd-failover sends everything to podinfo-east while podinfo is not ready
mc --context west split podinfo -n test --failover --to podinfo --to podinfo-east

# Without a cluster
mc split podinfo -n test --port 9898 --to podinfo=90,podinfo-east=10 --offline`),
  );
  cmd.action(
    commandAction(async (service: string, flags: SplitFlags, command: Command) => {
      const options = splitOptions(service, flags, command);
      const { runSplit } = await import('../split/run.js');
      return runSplit(options, io);
    }),
  );
}
