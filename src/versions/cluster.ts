/**
 * The Linkerd versions one cluster runs: the control plane (linkerd-config's
 * `linkerdVersion`, as upstream's `linkerd version` reads it, else the tags
 * of the control plane's proxies), the multicluster extension (the
 * `linkerd.io/created-by` annotations and Linkerd image tags of its
 * Deployments) and each Link's creator. One parallel round of reads.
 */
import { type KubeClient, type KubeObject, unlessNotFound } from '../kube/client.js';
import { coreRef } from '../kube/resources.js';
import { linkerdConfig, linkerdConfigRef } from '../linkerd-config.js';
import { EXTENSION_LABEL, EXTENSION_NAME, LINK_API_VERSION } from '../multicluster/names.js';
import type { PodObject } from '../check/pods.js';
import { createdBy, imageTag, isLinkerdImage, linkCreatorVersion, proxyVersion } from './read.js';

/** A version and where it was read. */
export interface SeenVersion {
  version: string;
  from: string;
}

export interface ClusterVersions {
  /** undefined when Linkerd is not installed (no linkerd-config, no control plane pods). */
  controlPlane?: SeenVersion;
  /** Every distinct version the extension shows; empty when it is not installed. */
  multicluster: SeenVersion[];
  /** Each Link (namespace/name) and the CLI version that made it (undefined: cannot be told). */
  links: Array<{ name: string; namespace: string; version?: string }>;
}

interface Deployment extends KubeObject {
  spec?: { template?: { spec?: { containers?: Array<{ name: string; image?: string }>; initContainers?: Array<{ name: string; image?: string }> } } };
}


async function controlPlaneVersion(client: KubeClient, linkerdNamespace: string): Promise<SeenVersion | undefined> {
  const cm = await client.getIfExists(linkerdConfigRef(linkerdNamespace));
  const where = `ConfigMap linkerd-config in namespace "${linkerdNamespace}"`;
  const fromConfig = cm ? linkerdConfig(cm, where, { optional: true }).values.linkerdVersion : undefined;
  if (typeof fromConfig === 'string' && fromConfig !== '') return { version: fromConfig, from: 'linkerd-config' };
  // Before linkerdVersion was in linkerd-config: the control plane's proxies.
  const pods = await client.list<PodObject>(coreRef('pods', linkerdNamespace), { labelSelector: 'linkerd.io/control-plane-component' });
  const tags = [...new Set(pods.map(proxyVersion).filter((v) => v !== ''))].sort();
  return tags.length > 0 ? { version: tags.join(', '), from: 'control plane proxies' } : undefined;
}

/** Each distinct version of the extension's Deployments, with the first place it was seen. */
function multiclusterVersions(deployments: Deployment[]): SeenVersion[] {
  const seen = new Map<string, string>();
  const note = (version: string, from: string) => {
    if (version !== '' && !seen.has(version)) seen.set(version, from);
  };
  for (const d of deployments) {
    const name = `Deployment ${d.metadata.namespace}/${d.metadata.name}`;
    const made = createdBy(d.metadata.annotations);
    if (made) note(made.version, `${name} (${made.tool})`);
    const pod = d.spec?.template?.spec;
    for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
      if (c.image && isLinkerdImage(c.image)) note(imageTag(c.image), `${name} (image ${c.image})`);
    }
  }
  return [...seen].map(([version, from]) => ({ version, from }));
}

export async function readClusterVersions(client: KubeClient, linkerdNamespace: string): Promise<ClusterVersions> {
  const [controlPlane, deployments, links] = await Promise.all([
    controlPlaneVersion(client, linkerdNamespace),
    client.list<Deployment>({ apiVersion: 'apps/v1', resource: 'deployments' }, { labelSelector: `${EXTENSION_LABEL}=${EXTENSION_NAME}` }),
    unlessNotFound(client.list<KubeObject>({ apiVersion: LINK_API_VERSION, resource: 'links' }), [] as KubeObject[]), // no Link CRD: no Links
  ]);
  return {
    controlPlane,
    multicluster: multiclusterVersions(deployments),
    links: links.map((l) => ({ name: l.metadata.name ?? '', namespace: l.metadata.namespace ?? '', version: linkCreatorVersion(l) })),
  };
}
