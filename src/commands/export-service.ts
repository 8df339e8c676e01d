/**
 * `mc export-service`: mark Services for mirroring, offline in manifests
 * (files, folders, URLs, stdin) or live through the API of the --context.
 */
import { Command } from 'commander';
import { booleanFlag, commandAction, completeArguments, examples, globalOptions, isDns1035Label } from '../cli-kit.js';
import type { ExportServiceOptions } from '../export/run.js';
import type { IO } from '../io.js';
import { UsageError } from '../errors.js';

interface Flags {
  namespace?: string;
  selector?: string;
  all: boolean;
  allNamespaces: boolean;
  unexport: boolean;
  remoteDiscovery: boolean;
  federated: boolean;
  gatewayName?: string;
  gatewayNamespace?: string;
  dryRun: boolean;
}

/** svc/NAME, service/NAME, services/NAME with NAME a DNS-1035 label: a live Service. Anything else is a path or URL. */
function liveService(arg: string): string | undefined {
  const m = /^(?:svc|service|services)\/(.*)$/.exec(arg);
  return m && isDns1035Label(m[1]!) ? m[1] : undefined;
}

export function register(program: Command, io: IO): void {
  const cmd = program
    .command('export-service')
    .summary('mark services for mirroring: in manifests (offline) or in the cluster (live)')
    .usage('[options] FILE... | svc/NAME... | -l SELECTOR | --all')
    .argument('[inputs...]', 'manifests (FILE: a file, a folder, an http(s) URL, or - for stdin) or live services (svc/NAME)')
    .description(
      'Marks Services so that linked clusters mirror them. By default it sets the label mirror.linkerd.io/exported=true; ' +
        '--remote-discovery sets it to "remote-discovery" (mirrored without a gateway); --federated sets ' +
        'mirror.linkerd.io/federated=member instead; --gateway-name/--gateway-namespace also set the Linkerd 2.8 ' +
        'annotations mirror.linkerd.io/gateway-name and mirror.linkerd.io/gateway-ns. --unexport removes every export ' +
        'mark (with --federated: only the federation label). Services that are themselves mirrors (label ' +
        'mirror.linkerd.io/mirrored-service) are never exported.',
    )
    .option('-n, --namespace <ns>', 'live: namespace of the services')
    .option('-l, --selector <selector>', 'live: export the services matching this label selector')
    .option('--gateway-name <name>', 'also annotate mirror.linkerd.io/gateway-name (Linkerd 2.8); default with --gateway-namespace: linkerd-gateway')
    .option('--gateway-namespace <ns>', 'also annotate mirror.linkerd.io/gateway-ns (Linkerd 2.8); default with --gateway-name: linkerd-multicluster');
  booleanFlag(cmd, 'all', 'live: every service in the namespace (with -A: in every namespace)', false);
  cmd.option('-A, --all-namespaces', 'live: with -l or --all, look in every namespace', false);
  booleanFlag(cmd, 'unexport', 'remove the export marks instead of setting them', false);
  booleanFlag(cmd, 'remote-discovery', 'export for remote discovery (mirror.linkerd.io/exported=remote-discovery)', false);
  booleanFlag(cmd, 'federated', 'join the federated service (mirror.linkerd.io/federated=member)', false);
  booleanFlag(cmd, 'dry-run', 'live: print the patches instead of sending them', false);
  cmd.addHelpText(
    'after',
    `
Offline or live:
  Arguments svc/NAME (also service/NAME, services/NAME), -l or --all act on
  the cluster of the --context: each Service gets a merge patch of its
  metadata. Namespace: -n, else the context's namespace, else "default". One
  failure does not stop the others; the exit code is 1 if any failed.
  --dry-run prints the patches (JSON lines) instead of sending them.

  Any other argument is a manifest: a file, a folder (read recursively:
  .yaml, .yml, .json), an http(s) URL, or - for standard input. Multi-document
  YAML, JSON and List objects are read; the result goes to stdout (for
  kubectl apply -f -), the report to stderr. In YAML only the changed lines
  change: comments, key order and other documents stay as they were. To read
  a path that looks like svc/NAME, write it as ./svc/NAME.
` +
      examples(`
# Export the services of a manifest and apply the result
mc export-service podinfo.yaml | kubectl apply -f -

# Export every service of a cluster, offline, through kubectl
kubectl get svc -A -o yaml | mc export-service - | kubectl apply -f -

# A folder (recursively) and a URL, Linkerd 2.8 style with the talk's gateway
mc export-service k8s/ https://example.com/app.yaml --gateway-name ambassador --gateway-namespace ambassador

# Live: patch services in the cluster of the context
mc --context east export-service svc/podinfo -n test
mc --context east export-service -l app=web -A --remote-discovery
mc --context east export-service --all -n test --unexport --dry-run
`),
  );
  completeArguments(cmd, 'service-refs', 'files');
  cmd.action(commandAction(async (inputs: string[], flags: Flags, command: Command) => {
    const options = await exportServiceOptions(inputs, flags, command);
    const { runExportService } = await import('../export/run.js');
    return runExportService(options, io);
  }));
}

/** Flags and arguments to one ExportServiceOptions: live or offline, every usage error before any work. */
async function exportServiceOptions(inputs: string[], flags: Flags, command: Command): Promise<ExportServiceOptions> {
  const { validateOptions } = await import('../export/transform.js');
  const marks = {
    unexport: flags.unexport,
    remoteDiscovery: flags.remoteDiscovery,
    federated: flags.federated,
    gatewayName: flags.gatewayName,
    gatewayNamespace: flags.gatewayNamespace,
  };
  const invalid = validateOptions(marks);
  if (invalid) throw new UsageError(invalid);

  const liveArgs = inputs.filter((a) => liveService(a) !== undefined);
  const live = liveArgs.length > 0 || flags.selector !== undefined || flags.all;
  if (live) {
    if (liveArgs.length !== inputs.length) {
      const other = inputs.find((a) => liveService(a) === undefined);
      throw new UsageError(`cannot mix manifests ("${other}") with live services`, 'Run mc export-service once for files and once for services in the cluster.');
    }
    if ((flags.selector !== undefined || flags.all) && liveArgs.length) throw new UsageError('give either service names or -l/--all, not both');
    if (flags.selector !== undefined && flags.all) throw new UsageError('give either -l or --all, not both');
    if (flags.allNamespaces && liveArgs.length) throw new UsageError('-A/--all-namespaces works with -l or --all, not with service names', 'Name the namespace with -n.');
    if (flags.allNamespaces && flags.namespace) throw new UsageError('give either -n or -A, not both');
    if (flags.selector !== undefined) {
      // Checked here, as link checks its selectors: a bad query is a usage error, not a request.
      // A list query, as kubectl's -l: `rank>2` too, which a Link's selector cannot hold.
      const { parseLabelQuery } = await import('../multicluster/selectors.js');
      parseLabelQuery(flags.selector, '--selector');
    }
    const g = globalOptions(command);
    return {
      mode: 'live',
      marks,
      kubeconfig: g.kubeconfig,
      context: g.context,
      requestTimeoutMs: g.requestTimeoutMs,
      names: liveArgs.map((a) => liveService(a)!),
      selector: flags.selector,
      namespace: flags.namespace,
      allNamespaces: flags.allNamespaces,
      dryRun: flags.dryRun,
    };
  }

  if (flags.dryRun) throw new UsageError('--dry-run is for live services (svc/NAME, -l, --all)', 'Offline, the output already is the result: nothing is sent anywhere.');
  if (flags.allNamespaces || flags.namespace) throw new UsageError('-n and -A are for live services (svc/NAME, -l, --all)');
  if (inputs.length === 0) {
    throw new UsageError('nothing to export: give manifests (FILE, DIR, URL or - for stdin) or live services (svc/NAME, -l SELECTOR, --all)');
  }
  return { mode: 'offline', marks, inputs, requestTimeoutMs: globalOptions(command).requestTimeoutMs };
}
