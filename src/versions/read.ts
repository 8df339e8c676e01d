/**
 * How mc tells which Linkerd release made or runs something, from what the
 * cluster shows (pure: objects in, versions out). `mc version` and `mc check`
 * both read versions through this module.
 */
import { proxyContainer, type PodObject } from '../check/pods.js';
import { CREATED_BY_ANNOTATION } from '../multicluster/names.js';

/** `linkerd.io/created-by: "linkerd/cli edge-26.8.3"` (or linkerd/helm): the tool and its version; undefined for any other shape. */
export function createdBy(annotations: Record<string, string> | undefined): { tool: string; version: string } | undefined {
  const [tool, version, ...rest] = (annotations?.[CREATED_BY_ANNOTATION] ?? '').split(' ');
  if (!tool || !version || rest.length > 0) return undefined;
  return { tool, version };
}

/** The CLI version a Link records (`linkerd/cli VERSION`), as upstream's check reads it; undefined when it cannot be told. */
export function linkCreatorVersion(link: { metadata: { annotations?: Record<string, string> } }): string | undefined {
  const made = createdBy(link.metadata.annotations);
  return made?.tool === 'linkerd/cli' ? made.version : undefined;
}

/** The tag of an image reference: '' when it is pinned by digest or has no tag. */
export function imageTag(image: string): string {
  if (image.includes('@')) return '';
  const lastColon = image.lastIndexOf(':');
  return lastColon > image.lastIndexOf('/') ? image.slice(lastColon + 1) : '';
}

/** Names of Linkerd's own images (whatever the registry), whose tag is the release: not pause or app containers. */
const LINKERD_IMAGES = new Set(['controller', 'proxy', 'policy-controller']);

export function isLinkerdImage(image: string): boolean {
  const repository = image.split('@')[0]!.replace(/:[^/:]*$/, '');
  return LINKERD_IMAGES.has(repository.slice(repository.lastIndexOf('/') + 1));
}

/** The proxy's version: its image tag ('' for an image pinned by digest, or no proxy). */
export function proxyVersion(pod: PodObject): string {
  return imageTag(proxyContainer(pod)?.image ?? '');
}
