/**
 * `mc unlink`: one parallel round of reads in the linking cluster (the Links
 * of the namespace, each object link may have created, the mirrored
 * services), then the manifests of what exists.
 */
import { parseNamespace, printResult, requireFlag, say, type GlobalOptions } from '../cli-kit.js';
import { McError } from '../errors.js';
import type { IO } from '../io.js';
import { KubeClient, unlessNotFound, type KubeObject } from '../kube/client.js';
import { coreRef, kindInfo } from '../kube/resources.js';
import { LINK_API_VERSION, managedControllerName, MIRROR_CLUSTER_LABEL } from '../multicluster/names.js';
import { outputFormatOf, type Format } from './output.js';
import { formatDocuments } from '../render/output.js';
import { legacyControllerObjects, linkCreatedObjects, unlinkPlan, type ObjectId, type UnlinkFlags } from './unlink.js';

/** `mc unlink`, fully parsed. */
export interface UnlinkOptions {
  kubeconfig?: string;
  context?: string;
  requestTimeoutMs: number;
  verbose: boolean;
  linkerdNamespace: string;
  /** The Link (the linked cluster's name). */
  clusterName: string;
  /** The multicluster extension's namespace, where the Link lives. */
  namespace: string;
  /** --only-controller (upstream's migration path): only the legacy service mirror. */
  onlyController: boolean;
  output: Format;
}

/** Flag checks that need no cluster: usage errors before any request. */
export function unlinkOptionsOf(f: UnlinkFlags, g: Pick<GlobalOptions, 'kubeconfig' | 'context' | 'requestTimeoutMs' | 'verbose' | 'linkerdNamespace'>): UnlinkOptions {
  return {
    kubeconfig: g.kubeconfig,
    context: g.context,
    requestTimeoutMs: g.requestTimeoutMs,
    verbose: g.verbose,
    linkerdNamespace: g.linkerdNamespace,
    output: outputFormatOf(f.output),
    clusterName: requireFlag(f.clusterName, '--cluster-name', 'Name the Link to remove, e.g. --cluster-name east; `kubectl get links -A` lists them.'),
    namespace: parseNamespace(f.namespace),
    onlyController: Boolean(f.onlyController),
  };
}

export async function runUnlink(o: UnlinkOptions, io: IO): Promise<number> {
  const { clusterName: name, namespace, onlyController } = o;
  const client = await KubeClient.connect({ kubeconfig: o.kubeconfig, context: o.context, env: io.env, requestTimeoutMs: o.requestTimeoutMs, signal: io.signal });
  try {
    // --only-controller: the Link, its Secrets and Lease stay, so the chart's controller takes the Lease over.
    const candidates = onlyController ? legacyControllerObjects(name, namespace) : linkCreatedObjects(name, namespace, o.linkerdNamespace);
    const refOf = (id: ObjectId) => ({ apiVersion: id.apiVersion, resource: kindInfo(id.kind).resource, namespace: id.namespace, name: id.name });
    const [links, managed, services, ...found] = await Promise.all([
      // No Link CRD (the extension is gone) still leaves Secrets and mirrors to find.
      unlessNotFound(client.list<KubeObject>({ apiVersion: LINK_API_VERSION, resource: 'links', namespace }), [] as KubeObject[]),
      client.getIfExists<KubeObject>({ apiVersion: 'apps/v1', resource: 'deployments', namespace, name: managedControllerName(name) }),
      client.list<KubeObject>(coreRef('services'), { labelSelector: `${MIRROR_CLUSTER_LABEL}=${name}` }),
      ...candidates.map((c) => client.getIfExists(refOf(c))),
    ]);
    const existing = candidates.filter((_, i) => found[i] !== undefined);
    const mirrored: ObjectId[] = onlyController ? [] : services.map((s) => ({ apiVersion: 'v1', kind: 'Service', name: s.metadata.name!, namespace: s.metadata.namespace }));
    const hasLink = links.some((l) => l.metadata.name === name);
    if (!hasLink && (existing.length > 0 || mirrored.length > 0)) {
      // What a link that failed part-way (or a Link deleted by hand) left behind.
      say(io, `There is no Link "${name}" in namespace "${namespace}" of context "${client.contextName}"; listing what a partial link left: ${[...existing, ...mirrored].map((o) => `${o.kind.toLowerCase()}/${o.name}`).join(', ')}.`);
    } else if (!hasLink) {
      const names = links.map((l) => l.metadata.name).sort();
      throw new McError(
        `there is no Link "${name}" in namespace "${namespace}" of context "${client.contextName}"`,
        names.length > 0 ? `Links there: ${names.join(', ')}.` : 'There are no Links in that namespace; pass --namespace if the link lives elsewhere.',
      );
    }
    if (managed) {
      say(
        io,
        `The service mirror of Link "${name}" is run by the multicluster extension (Deployment ${namespace}/${managedControllerName(name)}, ` +
          `from the \`controllers\` entry with link.ref.name: ${name}). ` +
          (onlyController
            ? 'It stays, and takes over the Link once the legacy mirror is gone.'
            : `Remove that entry from the values of \`mc install\` and apply it again (\`mc --context ${client.contextName} install ... | kubectl --context ${client.contextName} apply -f -\`), or the controller keeps running without its Link.`),
      );
    }
    if (onlyController && existing.length === 0) {
      say(io, `There is no legacy service mirror (\`mc link\`) for Link "${name}" in namespace "${namespace}"; nothing to delete.`);
    }
    const plan = unlinkPlan(existing, mirrored);
    if (o.verbose) say(io, `[unlink] ${existing.length} object(s) of link "${name}" and ${mirrored.length} mirrored service(s) in context "${client.contextName}"`);
    await printResult(io, formatDocuments(plan, o.output));
    return 0;
  } finally {
    client.close();
  }
}
