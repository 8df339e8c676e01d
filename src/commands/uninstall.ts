/** `mc uninstall`: every resource of the multicluster extension, for `kubectl delete -f -`. */
import { Command, Option } from 'commander';
import { commandAction, examples, flagChoices, globalOptions, outputFormat, printResult, say } from '../cli-kit.js';
import type { IO } from '../io.js';
import { McError } from '../errors.js';

export function register(program: Command, io: IO): void {
  const cmd = program
    .command('uninstall')
    .description('Print every resource of the multicluster extension in the cluster, for deletion; refuses while Links remain')
    .addHelpText(
      'after',
      examples(`
# Unlink every cluster first, then
mc uninstall | kubectl delete -f -`),
    )
    .addOption(new Option('-o, --output <format>', 'output format: yaml or json').default('yaml'));
  flagChoices(cmd, '--output', ['yaml', 'json']);
  cmd
    .action(commandAction(async (flags: { output?: string }, command: Command) => {
      const globals = globalOptions(command);
      const format = outputFormat(flags.output);
      const { KubeClient, KubeApiError } = await import('../kube/client.js');
      const { EXTENSION_KINDS, LINK_KIND, UNINSTALL_SELECTOR, assertNoLinks, deletionDocs } = await import('../render/uninstall.js');
      const { formatDocuments } = await import('../render/output.js');
      const client = await KubeClient.connect({ ...globals, env: io.env });
      try {
        // A kind the cluster does not serve (CRD absent) has nothing to delete.
        const list = async (k: { apiVersion: string; resource: string }, labelSelector?: string) => {
          try {
            return await client.list<{ metadata: { name?: string; namespace?: string; labels?: Record<string, string> }; spec?: { targetClusterName?: string } }>(
              { apiVersion: k.apiVersion, resource: k.resource },
              labelSelector ? { labelSelector } : {},
            );
          } catch (err) {
            if (err instanceof KubeApiError && err.code === 404) return [];
            throw err;
          }
        };
        const [links, ...found] = await Promise.all([list(LINK_KIND), ...EXTENSION_KINDS.map((k) => list(k, UNINSTALL_SELECTOR))]);
        assertNoLinks(links, client.contextName);
        const docs = deletionDocs(EXTENSION_KINDS.map((kind, i) => ({ kind, items: found[i]! })));
        if (docs.length === 0) {
          throw new McError(`no resources of the multicluster extension (label ${UNINSTALL_SELECTOR}) in context "${client.contextName}"`, 'Nothing to uninstall; check --context.');
        }
        if (globals.verbose) say(io, `${docs.length} resources labelled ${UNINSTALL_SELECTOR}`);
        await printResult(io, formatDocuments(docs, format));
      } finally {
        client.close();
      }
    }));
}
