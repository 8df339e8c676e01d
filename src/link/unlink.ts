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
} from './names.js';
import { LINK_API_VERSION } from '../multicluster-names.js';

export interface ObjectId {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** Everything link may have created for cluster NAME, in upstream's unlink order (plus the Linkerd-namespace Secret, PDB and PSP binding). */
export function linkCreatedObjects(clusterName: string, namespace: string, linkerdNamespace: string): ObjectId[] {
  const ns = (apiVersion: string, kind: string, name: string, n = namespace): ObjectId => ({ apiVersion, kind, name, namespace: n });
  return [
    ns('v1', 'Secret', credentialsSecretName(clusterName)),
    ns('v1', 'Secret', credentialsSecretName(clusterName), linkerdNamespace),
    ns('v1', 'Service', probeServiceName(clusterName)),
    ns(LINK_API_VERSION, 'Link', clusterName),
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
