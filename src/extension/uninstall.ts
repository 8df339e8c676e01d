/** `mc uninstall`: every resource of the multicluster extension in the cluster, for `kubectl delete -f -`; refuses while Links remain. */
import { printResult, say } from '../cli-kit.js';
import { McError } from '../errors.js';
import type { IO } from '../io.js';
import { KubeClient, unlessNotFound } from '../kube/client.js';
import { formatDocuments } from '../render/output.js';
import { EXTENSION_KINDS, LINK_KIND, UNINSTALL_SELECTOR, assertNoLinks, deletionDocs } from '../render/uninstall.js';

export interface UninstallOptions {
  kubeconfig?: string;
  context?: string;
  requestTimeoutMs: number;
  verbose: boolean;
  output: 'yaml' | 'json';
}

type Found = { metadata: { name?: string; namespace?: string; labels?: Record<string, string> }; spec?: { targetClusterName?: string } };

export async function runUninstall(o: UninstallOptions, io: IO): Promise<number> {
  const client = await KubeClient.connect({ kubeconfig: o.kubeconfig, context: o.context, env: io.env, requestTimeoutMs: o.requestTimeoutMs, signal: io.signal });
  try {
    // A kind the cluster does not serve (CRD absent) has nothing to delete.
    const list = (k: { apiVersion: string; resource: string }, labelSelector?: string) =>
      unlessNotFound(client.list<Found>({ apiVersion: k.apiVersion, resource: k.resource }, labelSelector ? { labelSelector } : {}), [] as Found[]);
    const [links, ...found] = await Promise.all([list(LINK_KIND), ...EXTENSION_KINDS.map((k) => list(k, UNINSTALL_SELECTOR))]);
    assertNoLinks(links, client.contextName);
    const docs = deletionDocs(EXTENSION_KINDS.map((kind, i) => ({ kind, items: found[i]! })));
    if (docs.length === 0) {
      throw new McError(`no resources of the multicluster extension (label ${UNINSTALL_SELECTOR}) in context "${client.contextName}"`, 'Nothing to uninstall; check --context.');
    }
    if (o.verbose) say(io, `${docs.length} resources labelled ${UNINSTALL_SELECTOR}`);
    await printResult(io, formatDocuments(docs, o.output));
    return 0;
  } finally {
    client.close();
  }
}
