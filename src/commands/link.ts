/**
 * `mc link`: from the cluster being linked (the --context), everything another
 * cluster needs to mirror its services: the credentials Secrets, the Link and
 * the service mirror. Printed for `kubectl apply -f -`, or applied directly
 * with --apply-to.
 */
import { Command, Option } from 'commander';
import { booleanFlag, collect, examples, globalOptions } from '../cli-kit.js';
import { LINKERD_VERSION } from '../version.js';
import { addValueFlags } from './install.js';

export interface LinkFlags {
  clusterName?: string;
  namespace: string;
  apiServerAddress?: string;
  serviceAccountName: string;
  gatewayName: string;
  gatewayNamespace: string;
  gateway: boolean;
  gatewayAddresses?: string;
  gatewayPort?: string;
  selector: string;
  remoteDiscoverySelector: string;
  federatedServiceSelector: string;
  excludedLabels: string[];
  excludedAnnotations: string[];
  ha: boolean;
  logLevel: string;
  logFormat: string;
  serviceMirrorRetryLimit: string;
  linkerdVersion: string;
  controlPlaneVersion?: string;
  registry?: string;
  set: string[];
  setString: string[];
  setFile: string[];
  values: string[];
  output?: string;
  applyTo?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('link')
    .summary('credentials Secrets, Link and service mirror for another cluster to mirror this one')
    .description(
      'Outputs the resources that let another cluster mirror services from this one (the --context): ' +
        'the cluster-credentials Secrets (a kubeconfig with only this cluster and the remote-access service account token), ' +
        'the Link (gateway address, port, identity and probe read from the gateway Service), and the service mirror. ' +
        'A Link works in one direction; link both ways for mutual mirroring. ' +
        'The service mirror takes the chart values of upstream linkerd-multicluster-link through -f/--set.',
    )
    .option('--cluster-name <name>', 'name of this cluster as the other cluster will know it (default: the context name made a DNS-1123 label)')
    .option('--namespace <ns>', 'namespace of the Link and service mirror in the linking cluster', 'linkerd-multicluster')
    .option('--api-server-address <url>', "API server address the linking cluster should use (default: the context's server)")
    .option('--service-account-name <name>', 'remote-access service account whose token goes into the credentials', 'linkerd-service-mirror-remote-access-default')
    .option('--gateway-name <name>', 'name of the gateway Service', 'linkerd-gateway')
    .option('--gateway-namespace <ns>', 'namespace of the gateway Service', 'linkerd-multicluster')
    .option('--gateway-addresses <list>', "gateway addresses (comma separated); default: the Service's load balancer ingress")
    .option('--gateway-port <port>', 'gateway port; default: the Service port named mc-gateway')
    .option('-l, --selector <selector>', 'label query selecting the services to mirror (gateway mode)', 'mirror.linkerd.io/exported=true')
    .option('--remote-discovery-selector <selector>', 'label query selecting the services to mirror in remote-discovery mode', 'mirror.linkerd.io/exported=remote-discovery')
    .option('--federated-service-selector <selector>', 'label query selecting federated service members', 'mirror.linkerd.io/federated=member')
    .option('--excluded-labels <list>', 'labels not copied to mirrored services (comma separated, repeatable)', collect, [])
    .option('--excluded-annotations <list>', 'annotations not copied to mirrored services (comma separated, repeatable)', collect, [])
    .option('--log-level <level>', 'log level of the service mirror', 'info')
    .option('--log-format <format>', 'log format of the service mirror: plain or json', 'plain')
    .option('--service-mirror-retry-limit <n>', 'times a failed update from the linked cluster is retried', '3')
    .option('--linkerd-version <tag>', 'image tag of the service mirror (the Linkerd release)', LINKERD_VERSION)
    .addOption(new Option('--control-plane-version <tag>', "upstream's name for --linkerd-version").hideHelp())
    .option('--registry <registry>', 'registry of the service mirror image ($LINKERD_DOCKER_REGISTRY)')
    .option('-o, --output <format>', 'output format: yaml or json', 'yaml')
    .option('--apply-to <context>', 'apply the result to this kubeconfig context (server-side apply, field manager mc) instead of printing it');
  addValueFlags(cmd);
  booleanFlag(cmd, 'gateway', 'link through the gateway; --gateway=false links without one (flat network)', true);
  booleanFlag(cmd, 'ha', 'run the service mirror with the HA values (3 spread replicas)', false);
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
  cmd.action(async (flags: LinkFlags, command: Command) => {
    const { runLink } = await import('../link/run.js');
    await runLink(flags, globalOptions(command));
  });
}
