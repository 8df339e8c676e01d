/** `mc connect`: link many clusters (both ways, a full mesh, or one way), preflight first. */
import type { Command } from 'commander';
import { booleanFlag, collect, examples, globalOptions, commandAction, isDnsLabel, isDnsSubdomain, pairFlags, pairSelection, type PairFlags } from '../cli-kit.js';
import { durationFlag } from '../duration.js';
import { UsageError } from '../errors.js';
import type { ConnectOptions } from '../connect/index.js';
import type { IO } from '../io.js';
import { LINKERD_VERSION } from '../version.js';

interface ConnectFlags extends PairFlags {
  install: boolean;
  remoteDiscovery: boolean;
  legacy: boolean;
  apiServerAddress: string[];
  allowLoopback: boolean;
  gateway: string[];
  dryRun: boolean;
  outDir?: string;
  wait?: string;
  timeout: string;
  linkerdVersion: string;
  registry?: string;
}


export function register(program: Command, io: IO): void {
  const cmd = program
    .command('connect')
    .summary('link clusters to each other: both ways, a full mesh, or one way')
    .description(
      'Links clusters in one command. For each ordered pair SOURCE←TARGET (SOURCE mirrors TARGET): a remote-access account for SOURCE in TARGET, ' +
        "the Link and its credentials in SOURCE (as link-gen makes them), and SOURCE's controller for TARGET (the chart's `controllers` entry; --legacy: link's service mirror), " +
        'by server-side apply (field manager mc). Every cluster is checked first, in parallel, and every problem is reported with its fix before anything is written. ' +
        'Pairs run in parallel; a second run changes nothing; after a failure, running again resumes.',
    );
  pairFlags(cmd)
    .option('--api-server-address <context=url>', "the API server address other clusters reach CONTEXT at (repeatable; default: the kubeconfig's)", collect, [])
    .option('--gateway <context=namespace/name>', "the gateway Service of CONTEXT, when it is not linkerd-multicluster/linkerd-gateway and cannot be found (repeatable)", collect, [])
    .option('--out-dir <dir>', 'write the documents to DIR/CONTEXT.yaml (one file per cluster) instead of applying them')
    .option('--wait <duration>', "after applying, wait until every new link's controller holds its Lease and its gateway is alive")
    .option('--timeout <duration>', 'timeout of each API request, and deadline of reading one cluster in the preflight', '10s')
    .option('--linkerd-version <tag>', 'image tag of the controllers (the Linkerd release)', LINKERD_VERSION)
    .option('--registry <registry>', 'registry of the controller images (default: $LINKERD_DOCKER_REGISTRY, else cr.l5d.io/linkerd)');
  booleanFlag(cmd, 'install', 'install the multicluster extension where it is missing (as mc install renders it)', false);
  booleanFlag(cmd, 'remote-discovery', 'link without gateways (flat network): services exported with remote-discovery are mirrored', false);
  booleanFlag(cmd, 'legacy', "run link's service mirror per link instead of the chart's managed controller", false);
  booleanFlag(cmd, 'allow-loopback', 'accept loopback API server addresses (every cluster runs on this machine, e.g. test clusters)', false);
  booleanFlag(cmd, 'dry-run', 'print the documents for each context instead of applying them', false);
  cmd.addHelpText(
    'after',
    examples(`
# east and west mirror each other
mc connect east west

# Every cluster mirrors every other (6 links)
mc connect --mesh east west north

# One way: west mirrors east
mc connect --from west --to east

# kind clusters: tell the others where each API server is
mc connect east west --api-server-address east=https://east-control-plane:6443 --api-server-address west=https://west-control-plane:6443

# GitOps: one file per cluster, nothing applied
mc connect --mesh east west north --out-dir clusters/

# Apply, then wait until every gateway is alive
mc connect --mesh east west north --wait 2m`),
  );
  cmd.action(commandAction(async (args: string[], flags: ConnectFlags, command: Command) => {
    const { parseAddressMap } = await import('../connect/plan.js');
    const g = globalOptions(command);
    const timeoutMs = durationFlag('--timeout', flags.timeout);
    if (timeoutMs <= 0) throw new UsageError('--timeout must be greater than 0');
    const waitMs = flags.wait === undefined ? undefined : durationFlag('--wait', flags.wait);
    if (flags.dryRun && flags.outDir) throw new UsageError('--dry-run and --out-dir go separately', '--dry-run prints, --out-dir writes files; neither applies.');
    if (waitMs !== undefined && (flags.dryRun || flags.outDir)) throw new UsageError('--wait needs links that are applied; drop --dry-run/--out-dir');
    const gateways = new Map<string, { namespace: string; name: string }>();
    for (const v of flags.gateway) {
      const m = /^([^=]+)=([^/]+)\/(.+)$/.exec(v);
      if (!m || !isDnsLabel(m[2]!) || !isDnsSubdomain(m[3]!)) throw new UsageError(`invalid --gateway "${v}": want CONTEXT=NAMESPACE/NAME`, 'e.g. --gateway east=ambassador/ambassador');
      if (gateways.has(m[1]!)) throw new UsageError(`--gateway names context "${m[1]}" twice`);
      gateways.set(m[1]!, { namespace: m[2]!, name: m[3]! });
    }
    const options: ConnectOptions = {
      kubeconfig: g.kubeconfig,
      linkerdNamespace: g.linkerdNamespace,
      pairs: pairSelection(args, flags),
      install: flags.install,
      remoteDiscovery: flags.remoteDiscovery,
      legacy: flags.legacy,
      apiServerAddresses: parseAddressMap(flags.apiServerAddress),
      allowLoopback: flags.allowLoopback,
      gateways,
      dryRun: flags.dryRun,
      outDir: flags.outDir,
      waitMs,
      timeoutMs,
      linkerdVersion: flags.linkerdVersion,
      registry: flags.registry,
      verbose: g.verbose,
    };
    const { runConnect } = await import('../connect/index.js');
    return runConnect(options, io);
  }));
}
