/** `mc install`: the multicluster extension's manifests, for `kubectl apply -f -`. */
import { Command, Option } from 'commander';
import { addValueFlags, booleanFlag, commandAction, examples, flagChoices, globalOptions, outputFormat, printResult, say, uintArg, valueOptions } from '../cli-kit.js';
import type { Env, IO } from '../io.js';
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
    .description('Print the Kubernetes manifests of the Linkerd multicluster extension (gateway, remote-access account, Link CRD, local service mirror)')
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
    .option('--gateway-port <port>', 'port of the gateway for all incoming traffic (default 4143)', uintArg())
    .option('--gateway-probe-port <port>', 'liveness probe port of the gateway (default 4191)', uintArg())
    .option('--gateway-probe-seconds <n>', 'seconds between probes of the gateway (default 3)', uintArg(2 ** 31 - 1))
    .option('--gateway-service-type <type>', 'type of the gateway Service: LoadBalancer (default), NodePort or ClusterIP')
    .option('--gateway-healthcheck-nodeport <port>', 'healthCheckNodePort of the gateway Service (sets externalTrafficPolicy Local)', uintArg());
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
      const globals = globalOptions(command);
      const format = outputFormat(flags.output);
      const { installValues, renderInstall, DEFAULT_REGISTRY_ENV } = await import('../render/multicluster.js');
      const { formatDocuments } = await import('../render/output.js');
      const registry = flags.registry || io.env[DEFAULT_REGISTRY_ENV] || undefined;
      const options = {
        linkerdVersion: flags.linkerdVersion,
        linkerdNamespace: globals.linkerdNamespace,
        registry,
        gateway: flags.gateway,
        gatewayPort: flags.gatewayPort,
        gatewayProbePort: flags.gatewayProbePort,
        gatewayProbeSeconds: flags.gatewayProbeSeconds,
        gatewayServiceType: flags.gatewayServiceType,
        gatewayHealthcheckNodePort: flags.gatewayHealthcheckNodeport,
        serviceMirrorCredentials: flags.serviceMirrorCredentials,
        ha: flags.ha,
        user: await valueOptions(flags, io),
      };
      let cluster;
      if (!flags.ignoreCluster) {
        // Bad values are reported before any cluster round trip.
        installValues(options);
        cluster = await readLinkerdSettings({ ...globals, env: io.env });
        if (globals.verbose) say(io, `Linkerd in namespace "${globals.linkerdNamespace}": trust domain ${cluster.identityTrustDomain}, proxy outbound port ${cluster.proxyOutboundPort}`);
      }
      const docs = await renderInstall({ ...options, cluster });
      await printResult(io, formatDocuments(docs, format));
    }));
}

/** linkerd-config of the context's control plane; no Linkerd is an McError saying what to do. */
export async function readLinkerdSettings(globals: { kubeconfig?: string; context?: string; linkerdNamespace: string; env: Env }) {
  const { KubeClient, KubeApiError } = await import('../kube/client.js');
  const { linkerdConfigRef, linkerdNotInstalled, linkerdSettings } = await import('../linkerd-config.js');
  const client = await KubeClient.connect(globals);
  try {
    let cm;
    try {
      cm = await client.get<{ data?: Record<string, string> }>(linkerdConfigRef(globals.linkerdNamespace));
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) {
        throw linkerdNotInstalled(client.contextName, globals.linkerdNamespace, ', or render without a cluster with --ignore-cluster');
      }
      throw err;
    }
    return linkerdSettings(cm, `ConfigMap linkerd-config in namespace "${globals.linkerdNamespace}" of context "${client.contextName}"`);
  } finally {
    client.close();
  }
}
