/** `mc allow`: a remote-access ServiceAccount, its token Secret and RBAC, for another cluster's service mirror. */
import { Command, Option } from 'commander';
import { booleanFlag, commandAction, examples, flagChoices, globalOptions, outputFormat, printResult } from '../cli-kit.js';
import { McError, UsageError } from '../errors.js';
import type { IO } from '../io.js';
import { LINKERD_VERSION } from '../version.js';

interface AllowFlags {
  serviceAccountName?: string;
  namespace: string;
  ignoreCluster: boolean;
  output?: string;
  linkerdVersion: string;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function register(program: Command, io: IO): void {
  const cmd = program
    .command('allow')
    .description('Print a ServiceAccount, its token Secret and the RBAC that let the service mirror of another cluster read this one')
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
    .option('--namespace <ns>', 'namespace of the ServiceAccount and its token Secret', 'linkerd-multicluster');
  booleanFlag(cmd, 'ignore-cluster', 'print even if the account already exists (do not read the cluster)', false);
  cmd
    .addOption(new Option('-o, --output <format>', 'output format: yaml or json').default('yaml'))
    .option('--linkerd-version <tag>', 'Linkerd release recorded in the created-by annotations', LINKERD_VERSION);
  flagChoices(cmd, '--output', ['yaml', 'json']);
  cmd
    .action(commandAction(async (flags: AllowFlags, command: Command) => {
      const globals = globalOptions(command);
      const format = outputFormat(flags.output);
      const name = flags.serviceAccountName;
      if (!name) throw new UsageError('--service-account-name is required', 'Name the account, e.g. --service-account-name west-mirror.');
      if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
        throw new UsageError(`invalid --service-account-name "${name}": must be a lowercase DNS name (letters, digits, "-" and ".")`, 'e.g. --service-account-name west-mirror');
      }
      if (!DNS_SUBDOMAIN.test(flags.namespace) || flags.namespace.includes('.') || flags.namespace.length > 63) {
        throw new UsageError(`invalid --namespace "${flags.namespace}": must be a DNS label`, 'e.g. --namespace linkerd-multicluster');
      }
      const namespace = flags.namespace;
      const { renderAllow } = await import('../render/multicluster.js');
      const { formatDocuments } = await import('../render/output.js');
      if (!flags.ignoreCluster) {
        const { KubeClient } = await import('../kube/client.js');
        const { coreRef } = await import('../kube/resources.js');
        const client = await KubeClient.connect({ ...globals, env: io.env });
        try {
          const existing = await client.getIfExists(coreRef('serviceaccounts', namespace, name));
          if (existing) {
            throw new McError(
              `ServiceAccount "${name}" already exists in namespace "${namespace}" of context "${client.contextName}"`,
              'Link with it as it is (mc link --service-account-name ...), choose another name, or pass --ignore-cluster to print the resources anyway.',
            );
          }
        } finally {
          client.close();
        }
      }
      const docs = await renderAllow({ serviceAccountName: name, namespace, linkerdVersion: flags.linkerdVersion, linkerdNamespace: globals.linkerdNamespace });
      await printResult(io, formatDocuments(docs, format));
    }));
}
