/**
 * `mc adopt-gateway`: make an existing ingress (Ambassador / Emissary-ingress,
 * or any Deployment + Service) the multicluster gateway of this cluster.
 * Flags in, one AdoptGatewayOptions out; src/gateway-adoption does the work.
 */
import { Command, Option } from 'commander';
import { examples, globalOptions, outputFormat, commandAction, isDnsSubdomain, parseNamespace, portArg } from '../cli-kit.js';
import { parseGoDuration } from '../duration.js';
import { UsageError } from '../errors.js';
import type { AdoptGatewayOptions } from '../gateway-adoption/run.js';
import type { IO } from '../io.js';

interface AdoptGatewayFlags {
  namespace?: string;
  ingress: string;
  gatewayPort: number;
  probePort: number;
  probePath?: string;
  probePeriod?: string;
  apply?: boolean;
  output?: string;
}

const DEPLOYMENT_PREFIXES = ['deploy', 'deployment', 'deployments', 'deployment.apps', 'deployments.apps'];
const SERVICE_PREFIXES = ['svc', 'service', 'services'];

/** deploy/NAME and svc/NAME (either order); without svc/NAME the Service has the Deployment's name. */
export function parseTargets(args: string[]): { deployment: string; service: string } {
  let deployment: string | undefined;
  let service: string | undefined;
  for (const arg of args) {
    const slash = arg.indexOf('/');
    const prefix = arg.slice(0, slash).toLowerCase();
    const name = arg.slice(slash + 1);
    const valid = slash > 0 && isDnsSubdomain(name);
    if (valid && DEPLOYMENT_PREFIXES.includes(prefix) && deployment === undefined) deployment = name;
    else if (valid && SERVICE_PREFIXES.includes(prefix) && service === undefined) service = name;
    else throw new UsageError(`unexpected argument "${arg}"`, 'Name the ingress as deploy/NAME and its Service as svc/NAME, e.g. `mc adopt-gateway -n ambassador deploy/ambassador svc/ambassador`.');
  }
  if (deployment === undefined) throw new UsageError('the Deployment of the ingress is missing', 'Name it as deploy/NAME, e.g. `mc adopt-gateway -n ambassador deploy/ambassador svc/ambassador`.');
  return { deployment, service: service ?? deployment };
}

function probePeriodSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : parseGoDuration(value);
  if (ms === undefined || ms < 1000 || ms % 1000 !== 0) {
    throw new UsageError(`invalid --probe-period "${value}"`, 'Give whole seconds, e.g. 3 or 10s.');
  }
  return ms / 1000;
}

export function adoptGatewayOptions(args: string[], f: AdoptGatewayFlags, command: Command): AdoptGatewayOptions {
  const g = globalOptions(command);
  const { deployment, service } = parseTargets(args);
  if (!['auto', 'ambassador', 'generic'].includes(f.ingress)) throw new UsageError(`invalid --ingress "${f.ingress}"`, 'Use auto, ambassador or generic.');
  if (f.probePath !== undefined && !/^\/[^\s]*$/.test(f.probePath)) throw new UsageError(`invalid --probe-path "${f.probePath}"`, 'A path starts with "/" and has no spaces, e.g. /ready.');
  return {
    kubeconfig: g.kubeconfig,
    context: g.context,
    linkerdNamespace: g.linkerdNamespace,
    verbose: g.verbose,
    namespace: f.namespace === undefined ? undefined : parseNamespace(f.namespace),
    deployment,
    service,
    ingress: f.ingress as AdoptGatewayOptions['ingress'],
    gatewayPort: f.gatewayPort,
    probePort: f.probePort,
    probePath: f.probePath,
    probePeriodSeconds: probePeriodSeconds(f.probePeriod),
    apply: Boolean(f.apply),
    output: outputFormat(f.output, ['yaml', 'json']),
  };
}

export function register(program: Command, io: IO): void {
  program
    .command('adopt-gateway')
    .summary('make an existing ingress (Ambassador / Emissary-ingress, or any Deployment + Service) the multicluster gateway')
    .description(
      'Reads the Deployment and Service of an ingress and the Linkerd config of the cluster, and prints what makes them the multicluster gateway: ' +
        'the pod-template annotations (injection, gateway mode, the public ports skipped by the proxy, identity required on the gateway port), ' +
        'the Service ports mc-gateway and mc-probe and the gateway annotations (identity from the pods\' ServiceAccount), and for Ambassador / ' +
        'Emissary-ingress the Module (add_linkerd_headers) and the probe Mapping in the API version the cluster serves. Only what changes is printed; ' +
        'existing ports and annotations are kept. --apply applies it (server-side apply, field manager mc).',
    )
    .argument('<deploy/NAME>', 'the Deployment of the ingress')
    .argument('[svc/NAME]', 'its Service (default: the Deployment\'s name)')
    .option('-n, --namespace <ns>', 'namespace of the Deployment and Service (default: the context\'s namespace, else "default")')
    .addOption(new Option('--ingress <kind>', 'auto (Ambassador / Emissary-ingress when the Deployment runs it), ambassador or generic').default('auto'))
    .option('--gateway-port <port>', 'Service port of mc-gateway (to the proxy\'s inbound port)', portArg('--gateway-port'), 4143)
    .option('--probe-port <port>', 'Service port of mc-probe (Ambassador: its HTTP listener; else the proxy\'s admin port)', portArg('--probe-port'), 4191)
    .option('--probe-path <path>', 'probe path (default: the Service\'s, else /-/ambassador/ready for Ambassador, /ready otherwise)')
    .option('--probe-period <seconds>', 'seconds between probes (default: the Service\'s, else 3)')
    .option('--apply', 'apply the changes to the cluster (server-side apply, field manager mc) instead of printing them', false)
    .option('-o, --output <format>', 'output format: yaml or json', 'yaml')
    .addHelpText(
      'after',
      examples(`
# The talk: east's Ambassador becomes its multicluster gateway
mc --context east adopt-gateway -n ambassador deploy/ambassador svc/ambassador | kubectl --context east apply --server-side --field-manager mc -f -
mc --context east adopt-gateway -n ambassador deploy/ambassador svc/ambassador --apply

# Then link through it
mc --context east link --cluster-name east --gateway-name ambassador --gateway-namespace ambassador | kubectl --context west apply -f -

# Any other ingress: only the Deployment and Service part
mc adopt-gateway -n ingress deploy/edge svc/edge --ingress generic`),
    )
    .action(
      commandAction(async (deployArg: string, svcArg: string | undefined, flags: AdoptGatewayFlags, command: Command) => {
        const options = adoptGatewayOptions(svcArg === undefined ? [deployArg] : [deployArg, svcArg], flags, command);
        const { runAdoptGateway } = await import('../gateway-adoption/run.js');
        return runAdoptGateway(options, io);
      }),
    );
}
