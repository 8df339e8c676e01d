/**
 * What `unlink` prints for `kubectl delete -f -`: the objects link created in
 * the linking cluster and the services the service mirror made for that link.
 * Pure: the command reads which of them exist and passes them in.
 */
import type { KubeObject } from '../kube/client.js';
import {
  credentialsSecretName,
  localResourcesRoleName,
  probeServiceName,
  pspRoleBindingName,
  remoteCredsRoleName,
  serviceMirrorName,
} from '../multicluster/names.js';
import { LINK_API_VERSION, serviceMirrorLeaseName } from '../multicluster/names.js';

/** `unlink`'s flags. */
export interface UnlinkFlags {
  clusterName?: string;
  namespace: string;
  onlyController?: boolean;
  output?: string;
}

export interface ObjectId {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/**
 * The legacy service mirror of link NAME (what `mc link` adds to link-gen's
 * objects): upstream's `unlink --only-controller` list, plus mc's probe
 * Service (always looked for), PDB and PSP binding.
 */
export function legacyControllerObjects(clusterName: string, namespace: string): ObjectId[] {
  const ns = (apiVersion: string, kind: string, name: string): ObjectId => ({ apiVersion, kind, name, namespace });
  return [
    ns('v1', 'Service', probeServiceName(clusterName)),
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: localResourcesRoleName(clusterName) },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', name: localResourcesRoleName(clusterName) },
    ns('rbac.authorization.k8s.io/v1', 'Role', remoteCredsRoleName(clusterName)),
    ns('rbac.authorization.k8s.io/v1', 'RoleBinding', remoteCredsRoleName(clusterName)),
    ns('rbac.authorization.k8s.io/v1', 'RoleBinding', pspRoleBindingName(clusterName)),
    ns('v1', 'ServiceAccount', serviceMirrorName(clusterName)),
    ns('apps/v1', 'Deployment', serviceMirrorName(clusterName)),
    ns('policy/v1', 'PodDisruptionBudget', serviceMirrorName(clusterName)),
  ];
}

/** The link itself: both credentials Secrets, the Link, and the Lease its active service mirror holds. */
export function linkObjects(clusterName: string, namespace: string, linkerdNamespace: string): ObjectId[] {
  return [
    { apiVersion: 'v1', kind: 'Secret', name: credentialsSecretName(clusterName), namespace },
    { apiVersion: 'v1', kind: 'Secret', name: credentialsSecretName(clusterName), namespace: linkerdNamespace },
    { apiVersion: LINK_API_VERSION, kind: 'Link', name: clusterName, namespace },
    { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name: serviceMirrorLeaseName(clusterName), namespace },
  ];
}

/** Everything link may have created for cluster NAME: the link, then its legacy service mirror. */
export function linkCreatedObjects(clusterName: string, namespace: string, linkerdNamespace: string): ObjectId[] {
  return [...linkObjects(clusterName, namespace, linkerdNamespace), ...legacyControllerObjects(clusterName, namespace)];
}

/** A minimal manifest naming an object, enough for `kubectl delete -f -`. */
export function deletionManifest(id: ObjectId): KubeObject {
  const metadata: KubeObject['metadata'] = { name: id.name };
  if (id.namespace) metadata.namespace = id.namespace;
  return { apiVersion: id.apiVersion, kind: id.kind, metadata };
}

/** Sorted, de-duplicated: link's objects first, then mirrored services by namespace/name. */
export function unlinkPlan(existing: ObjectId[], mirrored: ObjectId[]): KubeObject[] {
  const key = (o: ObjectId) => `${o.apiVersion}/${o.kind}/${o.namespace ?? ''}/${o.name}`;
  const seen = new Set(existing.map(key));
  const extra = mirrored
    .filter((o) => !seen.has(key(o)))
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  return [...existing, ...extra].map(deletionManifest);
}
