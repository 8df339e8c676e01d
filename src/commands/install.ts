/** `mc install`: the multicluster extension's manifests, for `kubectl apply -f -`. */
import { Command, Option } from 'commander';
import { addValueFlags, booleanFlag, commandAction, examples, flagChoices, globalOptions, outputFormat, portArg, uintArg } from '../cli-kit.js';
import type { InstallRunOptions } from '../extension/install.js';
import type { IO } from '../io.js';
import { LINKERD_VERSION } from '../version.js';

interface InstallFlags {
  gateway: boolean;
  gatewayPort?: number;
  gatewayProbePort?: number;
  gatewayProbeSeconds?: number;
  gatewayServiceType?: string;
  gatewayHealthcheckNodeport?: number;
  serviceMirrorCredentials: boolean;
  ha: boolean;
  ignoreCluster: boolean;
  values: string[];
  set: string[];
  setString: string[];
  setFile: string[];
  output?: string;
  linkerdVersion: string;
  registry?: string;
}

export function register(program: Command, io: IO): void {
  const cmd = program
    .command('install')
    .description('print the Kubernetes manifests of the Linkerd multicluster extension (gateway, remote-access account, Link CRD, local service mirror)')
    .addHelpText(
      'after',
      examples(`
# Install with the gateway
mc install | kubectl apply -f -

# Without a gateway (another ingress such as Ambassador serves as the gateway)
mc --context east install --gateway=false | kubectl --context east apply -f -

# High availability, three gateway replicas, a NodePort service
mc install --ha --gateway-service-type NodePort --set gateway.nodePort=30143 | kubectl apply -f -

# Render without a cluster (chart defaults for trust domain and proxy port)
mc install --ignore-cluster -f my-values.yaml -o json

Values: every key of upstream's linkerd-multicluster chart (see templates/multicluster/values.yaml)
works with -f, --set, --set-string and --set-file, under Helm's merge rules.`),
    );
  booleanFlag(cmd, 'gateway', 'install the gateway (--gateway=false leaves it out)', true);
  cmd
    .option('--gateway-port <port>', 'port of the gateway for all incoming traffic (default 4143)', portArg('--gateway-port'))
    .option('--gateway-probe-port <port>', 'liveness probe port of the gateway (default 4191)', portArg('--gateway-probe-port'))
    .option('--gateway-probe-seconds <n>', 'seconds between probes of the gateway (default 3)', uintArg('--gateway-probe-seconds'))
    .option('--gateway-service-type <type>', 'type of the gateway Service: LoadBalancer (default), NodePort or ClusterIP')
    .option('--gateway-healthcheck-nodeport <port>', 'healthCheckNodePort of the gateway Service (sets externalTrafficPolicy Local)', portArg('--gateway-healthcheck-nodeport'));
  booleanFlag(cmd, 'service-mirror-credentials', 'install the account that service mirrors of other clusters use to read this one', true);
  booleanFlag(cmd, 'ha', 'apply the chart\'s high-availability values (3 gateway replicas, pod anti-affinity)', false);
  booleanFlag(cmd, 'ignore-cluster', 'do not read the cluster (linkerd-config); use the chart defaults', false);
  addValueFlags(cmd);
  cmd
    .addOption(new Option('-o, --output <format>', 'output format: yaml or json').default('yaml'))
    .option('--linkerd-version <tag>', 'image tag of the Linkerd release', LINKERD_VERSION)
    .option('--registry <registry>', 'registry of the service mirror images (default: $LINKERD_DOCKER_REGISTRY, else cr.l5d.io/linkerd)');
  flagChoices(cmd, '--output', ['yaml', 'json']);
  flagChoices(cmd, '--gateway-service-type', ['LoadBalancer', 'NodePort', 'ClusterIP']);
  cmd
    .action(commandAction(async (flags: InstallFlags, command: Command) => {
      const g = globalOptions(command);
      const options: InstallRunOptions = {
        kubeconfig: g.kubeconfig,
        context: g.context,
        requestTimeoutMs: g.requestTimeoutMs,
        verbose: g.verbose,
        linkerdNamespace: g.linkerdNamespace,
        linkerdVersion: flags.linkerdVersion,
        registry: flags.registry,
        gateway: flags.gateway,
        gatewayPort: flags.gatewayPort,
        gatewayProbePort: flags.gatewayProbePort,
        gatewayProbeSeconds: flags.gatewayProbeSeconds,
        gatewayServiceType: flags.gatewayServiceType,
        gatewayHealthcheckNodePort: flags.gatewayHealthcheckNodeport,
        serviceMirrorCredentials: flags.serviceMirrorCredentials,
        ha: flags.ha,
        ignoreCluster: flags.ignoreCluster,
        values: { values: flags.values, set: flags.set, setString: flags.setString, setFile: flags.setFile },
        output: outputFormat(flags.output, ['yaml', 'json']),
      };
      const { runInstall } = await import('../extension/install.js');
      return runInstall(options, io);
    }));
}
