/**
 * What one pair `source ← target` consists of, rendered by the commands that
 * own each part: the remote-access account in target (`mc allow`'s
 * documents), the Link and its credentials Secrets (`mc link-gen`), and the
 * controller in source (`mc install`'s documents for one `controllers`
 * entry; `mc link`'s service mirror with --legacy).
 */
import type { KubeObject } from '../kube/client.js';
import { refOf, type ResourceRef } from '../kube/resources.js';
import { credentialsSecretName } from '../multicluster/names.js';
import { renderServiceMirror } from '../link/service-mirror.js';
import { DEFAULT_REGISTRY } from '../multicluster/names.js';
import { DEFAULT_MULTICLUSTER_NAMESPACE, LINK_API_VERSION, MIRROR_CLUSTER_LABEL } from '../multicluster/names.js';
import { renderAllow, renderInstall } from '../render/multicluster.js';
import { remoteAccountName } from './plan.js';

export interface RenderSettings {
  linkerdNamespace: string;
  linkerdVersion: string;
  /** --registry, else $LINKERD_DOCKER_REGISTRY */
  registry?: string;
  /** --legacy: `mc link`'s service mirror instead of the chart's managed controller. */
  legacy: boolean;
  /** --remote-discovery: no gateway. */
  remoteDiscovery: boolean;
}

export interface ClusterSettings {
  identityTrustDomain: string;
  proxyOutboundPort: number;
  cniEnabled: boolean;
}

const asObjects = (docs: Array<{ object: unknown }>) => docs.map((d) => d.object as KubeObject).filter((o) => o && typeof o === 'object' && o.kind);

/** Rendering is the costly part (a whole chart): each distinct input is rendered once per mc run. */
const rendered = new Map<string, Promise<KubeObject[]>>();
function once(key: string, render: () => Promise<KubeObject[]>): Promise<KubeObject[]> {
  let p = rendered.get(key);
  if (!p) {
    p = render();
    rendered.set(key, p);
  }
  return p.then((objs) => structuredClone(objs));
}

/**
 * The account target gives source's controller: ServiceAccount, its token
 * Secret, ClusterRole and ClusterRoleBinding (the namespace is the
 * extension's, never connect's). The ServiceAccount comes first: the token
 * Secret is only ever applied once its owner exists.
 */
export function accountObjects(sourceCluster: string, s: RenderSettings): Promise<KubeObject[]> {
  return once(JSON.stringify(['account', sourceCluster, s.linkerdVersion, s.linkerdNamespace]), async () => {
    const docs = asObjects(
      await renderAllow({ serviceAccountName: remoteAccountName(sourceCluster), linkerdVersion: s.linkerdVersion, linkerdNamespace: s.linkerdNamespace, namespace: DEFAULT_MULTICLUSTER_NAMESPACE }),
    ).filter((o) => o.kind !== 'Namespace');
    const rank = (o: KubeObject) => (o.kind === 'ServiceAccount' ? 0 : 1);
    return docs.sort((a, b) => rank(a) - rank(b));
  });
}

/** The link a controller document serves: its cluster-name label (a PDB has it in its selector only). */
function servedCluster(o: KubeObject): string | undefined {
  const selector = (o.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector;
  return o.metadata.labels?.[MIRROR_CLUSTER_LABEL] ?? selector?.matchLabels?.[MIRROR_CLUSTER_LABEL];
}

/**
 * The controllers that serve source's Links to each target: the chart's
 * `controllers` entries (one render for all targets), or link's service
 * mirror per target with --legacy.
 */
export async function controllerObjects(targets: string[], source: ClusterSettings | undefined, s: RenderSettings): Promise<Map<string, KubeObject[]>> {
  const out = new Map<string, KubeObject[]>(targets.map((t) => [t, []]));
  if (s.legacy) {
    for (const t of targets) {
      const docs = await once(JSON.stringify(['legacy', t, s]), async () =>
        asObjects(
          await renderServiceMirror({
            clusterName: t,
            namespace: DEFAULT_MULTICLUSTER_NAMESPACE,
            version: s.linkerdVersion,
            registry: s.registry ?? DEFAULT_REGISTRY,
            logLevel: 'info',
            logFormat: 'plain',
            retryLimit: 3,
            gateway: !s.remoteDiscovery,
            ha: false,
            valueOptions: {},
          }),
        ),
      );
      out.set(t, docs);
    }
    return out;
  }
  const all = await once(JSON.stringify(['managed', targets, source, s]), async () => {
    const docs = await renderInstall({
      linkerdVersion: s.linkerdVersion,
      linkerdNamespace: s.linkerdNamespace,
      registry: s.registry,
      cluster: source,
      user: { set: targets.map((t, i) => `controllers[${i}].link.ref.name=${t}`) },
    });
    return asObjects(docs.filter((d) => d.template.endsWith('/controllers.yaml.hbs')));
  });
  for (const o of all) out.get(servedCluster(o) ?? '')?.push(o);
  return out;
}

/** The extension itself, for --install: namespaces and CRDs first (the rest lives in them). */
export async function installObjects(cluster: ClusterSettings, s: RenderSettings): Promise<KubeObject[][]> {
  const all = asObjects(await renderInstall({ linkerdVersion: s.linkerdVersion, linkerdNamespace: s.linkerdNamespace, registry: s.registry, cluster }));
  const first = (o: KubeObject) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition';
  return [all.filter(first), all.filter((o) => !first(o))];
}

/** The Link and both credentials Secrets link-gen makes in source for target, by name (for disconnect). */
export function linkRefs(targetCluster: string, linkerdNamespace: string): ResourceRef[] {
  const secret = credentialsSecretName(targetCluster);
  return [
    { apiVersion: 'v1', resource: 'secrets', namespace: DEFAULT_MULTICLUSTER_NAMESPACE, name: secret },
    { apiVersion: 'v1', resource: 'secrets', namespace: linkerdNamespace, name: secret },
    { apiVersion: LINK_API_VERSION, resource: 'links', namespace: DEFAULT_MULTICLUSTER_NAMESPACE, name: targetCluster },
  ];
}

/** The Lease a controller holds for its Link (upstream: service-mirror-write-NAME). */
export function leaseRef(targetCluster: string): ResourceRef {
  return { apiVersion: 'coordination.k8s.io/v1', resource: 'leases', namespace: DEFAULT_MULTICLUSTER_NAMESPACE, name: `service-mirror-write-${targetCluster}` };
}

export function describeObject(o: KubeObject): string {
  return `${o.kind.toLowerCase()}/${o.metadata.name}${o.metadata.namespace ? ` -n ${o.metadata.namespace}` : ''}`;
}

export { refOf };
