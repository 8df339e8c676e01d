/**
 * Names that completion reads from the kubeconfig (contexts, merged as
 * everywhere else) and from the cluster of the chosen context (namespaces,
 * services, Links). A completion must never hang the shell: every cluster
 * read has one short deadline, and any failure (no kubeconfig, unknown
 * context, cluster down or slow, forbidden) completes to nothing, silently.
 */
import { KubeClient } from '../kube/client.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import { coreRef } from '../kube/resources.js';
import { LINK_API_VERSION } from '../multicluster/names.js';

export interface ClusterSource {
  kubeconfig?: string;
  context?: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Time allowed for one cluster read, connection included. */
  deadlineMs: number;
}

interface Named {
  metadata: { name?: string };
}

/** The context names of the kubeconfig (--kubeconfig, else $KUBECONFIG merged, else ~/.kube/config). */
export function kubeconfigContexts(src: ClusterSource): string[] {
  try {
    return loadKubeconfig({ kubeconfig: src.kubeconfig, env: src.env }).config.contexts.map((c) => c.name);
  } catch {
    return [];
  }
}

/** Run `read` against the chosen context; [] when it fails or misses the deadline. */
async function readCluster<T>(src: ClusterSource, read: (client: KubeClient) => Promise<T[]>): Promise<T[]> {
  let client: KubeClient | undefined;
  let late = false;
  let timer: NodeJS.Timeout | undefined;
  const work = (async () => {
    const c = await KubeClient.connect({ kubeconfig: src.kubeconfig, context: src.context, env: src.env }, { timeoutMs: src.deadlineMs });
    // Connected after the deadline: nobody waits for it any more.
    if (late) c.close();
    else client = c;
    return late ? [] : read(c);
  })().catch((): T[] => []);
  const deadline = new Promise<T[]>((resolve) => {
    timer = setTimeout(() => {
      late = true;
      resolve([]);
    }, src.deadlineMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    // Ends in-flight requests too, so the process exits at once.
    client?.close();
  }
}

const names = (items: Named[]) => items.map((i) => i.metadata.name ?? '').filter((n) => n !== '').sort();

export interface ClusterValues {
  namespaces(): Promise<string[]>;
  /** Services of `namespace` (default: the context's namespace, else "default"). */
  services(namespace?: string): Promise<string[]>;
  /** The linked clusters: each Link's target cluster name, in every namespace. */
  links(): Promise<string[]>;
}

export function clusterValues(src: ClusterSource): ClusterValues {
  return {
    namespaces: () => readCluster(src, async (c) => names(await c.list<Named>(coreRef('namespaces')))),
    services: (namespace) => readCluster(src, async (c) => names(await c.list<Named>(coreRef('services', namespace ?? c.contextNamespace ?? 'default')))),
    links: () =>
      readCluster(src, async (c) => {
        const links = await c.list<Named & { spec?: { targetClusterName?: string } }>({ apiVersion: LINK_API_VERSION, resource: 'links' });
        return [...new Set(links.map((l) => l.spec?.targetClusterName ?? l.metadata.name ?? ''))].filter((n) => n !== '').sort();
      }),
  };
}
