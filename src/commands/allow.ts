/** `mc allow`: a remote-access ServiceAccount, its token Secret and RBAC, for another cluster's service mirror. */
import { Command, Option } from 'commander';
import { booleanFlag, commandAction, examples, flagChoices, globalOptions, isDnsSubdomain, outputFormat, parseNamespace, requireFlag } from '../cli-kit.js';
import { UsageError } from '../errors.js';
import type { AllowOptions } from '../extension/allow.js';
import type { IO } from '../io.js';
import { LINKERD_VERSION } from '../version.js';

interface AllowFlags {
  serviceAccountName?: string;
  namespace: string;
  ignoreCluster: boolean;
  output?: string;
  linkerdVersion: string;
}

export function register(program: Command, io: IO): void {
  const cmd = program
    .command('allow')
    .description('print a ServiceAccount, its token Secret and the RBAC that let the service mirror of another cluster read this one')
    .addHelpText(
      'after',
      examples(`
# An account for the mirror of cluster west, then link with it
mc --context east allow --service-account-name west-mirror | kubectl --context east apply -f -
mc --context east link --cluster-name east --service-account-name west-mirror | kubectl --context west apply -f -

# Print without checking the cluster for an existing account
mc allow --service-account-name west-mirror --ignore-cluster`),
    )
    .option('--service-account-name <name>', 'name of the remote-access ServiceAccount (required)')
    .option('-n, --namespace <ns>', "namespace of the ServiceAccount and its token Secret: the multicluster extension's (not the context's)", 'linkerd-multicluster');
  booleanFlag(cmd, 'ignore-cluster', 'print even if the account already exists (do not read the cluster)', false);
  cmd
    .addOption(new Option('-o, --output <format>', 'output format: yaml or json').default('yaml'))
    .option('--linkerd-version <tag>', 'Linkerd release recorded in the created-by annotations', LINKERD_VERSION);
  flagChoices(cmd, '--output', ['yaml', 'json']);
  cmd
    .action(commandAction(async (flags: AllowFlags, command: Command) => {
      const g = globalOptions(command);
      const output = outputFormat(flags.output, ['yaml', 'json']);
      const name = requireFlag(flags.serviceAccountName, '--service-account-name', 'Name the account, e.g. --service-account-name west-mirror.');
      if (!isDnsSubdomain(name)) {
        throw new UsageError(`invalid --service-account-name "${name}": must be a lowercase DNS name (letters, digits, "-" and ".")`, 'e.g. --service-account-name west-mirror');
      }
      const options: AllowOptions = {
        kubeconfig: g.kubeconfig,
        context: g.context,
        requestTimeoutMs: g.requestTimeoutMs,
        linkerdNamespace: g.linkerdNamespace,
        serviceAccountName: name,
        namespace: parseNamespace(flags.namespace),
        ignoreCluster: flags.ignoreCluster,
        output,
        linkerdVersion: flags.linkerdVersion,
      };
      const { runAllow } = await import('../extension/allow.js');
      return runAllow(options, io);
    }));
}
