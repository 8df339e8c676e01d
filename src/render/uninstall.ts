/**
 * `mc uninstall` without the cluster: which kinds to look for, the message
 * when Links remain, and the deletion manifest. Upstream selects the
 * extension's resources by the label linkerd.io/extension=multicluster; it
 * prints the cluster-scoped ones and the namespace. mc also lists the
 * labelled namespaced objects, so deletion does not depend on namespace
 * cascading, and prints them first (the namespace and the CRD last).
 */
import { McError } from '../errors.js';
import type { KubeObject } from '../kube/client.js';
import { EXTENSION_LABEL, EXTENSION_NAME, LINK_API_VERSION } from '../multicluster/names.js';

export const UNINSTALL_SELECTOR = `${EXTENSION_LABEL}=${EXTENSION_NAME}`;

export interface KindRef {
  apiVersion: string;
  kind: string;
  resource: string;
  namespaced: boolean;
}

/** What `mc install` (and the Helm chart) creates, in deletion order. */
export const EXTENSION_KINDS: KindRef[] = [
  { apiVersion: 'apps/v1', kind: 'Deployment', resource: 'deployments', namespaced: true },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', resource: 'poddisruptionbudgets', namespaced: true },
  { apiVersion: 'v1', kind: 'Service', resource: 'services', namespaced: true },
  { apiVersion: 'policy.linkerd.io/v1alpha1', kind: 'AuthorizationPolicy', resource: 'authorizationpolicies', namespaced: true },
  { apiVersion: 'policy.linkerd.io/v1alpha1', kind: 'MeshTLSAuthentication', resource: 'meshtlsauthentications', namespaced: true },
  { apiVersion: 'policy.linkerd.io/v1alpha1', kind: 'NetworkAuthentication', resource: 'networkauthentications', namespaced: true },
  { apiVersion: 'policy.linkerd.io/v1beta3', kind: 'Server', resource: 'servers', namespaced: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', resource: 'rolebindings', namespaced: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', resource: 'roles', namespaced: true },
  { apiVersion: 'v1', kind: 'Secret', resource: 'secrets', namespaced: true },
  { apiVersion: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', namespaced: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', resource: 'clusterrolebindings', namespaced: false },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', resource: 'clusterroles', namespaced: false },
  { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', resource: 'customresourcedefinitions', namespaced: false },
  { apiVersion: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false },
];

/** The Link resources, listed cluster-wide before anything else. */
export const LINK_KIND: KindRef = { apiVersion: LINK_API_VERSION, kind: 'Link', resource: 'links', namespaced: true };

interface Found {
  metadata: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: { targetClusterName?: string };
}

/** Refuse while Links remain: name each and say how to unlink. */
export function assertNoLinks(links: Found[], context: string): void {
  if (links.length === 0) return;
  const lines = links
    .map((l) => `  * ${l.spec?.targetClusterName ?? l.metadata.name} (Link ${l.metadata.namespace}/${l.metadata.name})`)
    .sort();
  const first = links[0]!.spec?.targetClusterName ?? links[0]!.metadata.name;
  throw new McError(
    `cannot uninstall the multicluster extension from context "${context}": ${links.length === 1 ? '1 Link remains' : `${links.length} Links remain`}:\n${lines.join('\n')}`,
    `Unlink each cluster first, e.g. \`mc unlink --cluster-name ${first} | kubectl delete -f -\`, then run mc uninstall again.`,
  );
}

/** The deletion manifest: identity and labels of each object, in EXTENSION_KINDS order. */
export function deletionDocs(found: Array<{ kind: KindRef; items: Found[] }>): KubeObject[] {
  const docs: KubeObject[] = [];
  for (const { kind, items } of found) {
    const sorted = [...items].sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
    for (const item of sorted) {
      const metadata: KubeObject['metadata'] = { name: item.metadata.name };
      if (kind.namespaced && item.metadata.namespace) metadata.namespace = item.metadata.namespace;
      if (item.metadata.labels) metadata.labels = item.metadata.labels;
      docs.push({ apiVersion: kind.apiVersion, kind: kind.kind, metadata });
    }
  }
  return docs;
}
