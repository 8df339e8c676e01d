/**
 * Kind → REST resource names for what mc reads and writes, so objects from a
 * manifest can be addressed without a discovery round trip.
 */
export interface ResourceRef {
  /** "v1" or "group/version" */
  apiVersion: string;
  /** plural resource name, e.g. "services" */
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** A core (v1) resource: the object named `name`, or without a name all of them in `namespace` (in the cluster without either). */
export function coreRef(resource: string, namespace?: string, name?: string): ResourceRef {
  return { apiVersion: 'v1', resource, ...(namespace === undefined ? {} : { namespace }), ...(name === undefined ? {} : { name }) };
}

/** A ConfigMap in `namespace` (all of them there without a name). */
export function configMapRef(namespace: string, name?: string): ResourceRef {
  return coreRef('configmaps', namespace, name);
}

/** A Secret in `namespace` (all of them there without a name). */
export function secretRef(namespace: string, name?: string): ResourceRef {
  return coreRef('secrets', namespace, name);
}

/** A value of a Secret's `data` (base64), as text; undefined stays undefined. */
export function secretText(b64: string | undefined): string | undefined {
  return b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8');
}

interface KindInfo {
  resource: string;
  namespaced: boolean;
}

const KINDS: Record<string, KindInfo> = {
  Namespace: { resource: 'namespaces', namespaced: false },
  Service: { resource: 'services', namespaced: true },
  Endpoints: { resource: 'endpoints', namespaced: true },
  EndpointSlice: { resource: 'endpointslices', namespaced: true },
  Pod: { resource: 'pods', namespaced: true },
  Deployment: { resource: 'deployments', namespaced: true },
  Secret: { resource: 'secrets', namespaced: true },
  ConfigMap: { resource: 'configmaps', namespaced: true },
  ServiceAccount: { resource: 'serviceaccounts', namespaced: true },
  ClusterRole: { resource: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { resource: 'clusterrolebindings', namespaced: false },
  Role: { resource: 'roles', namespaced: true },
  RoleBinding: { resource: 'rolebindings', namespaced: true },
  PodDisruptionBudget: { resource: 'poddisruptionbudgets', namespaced: true },
  Job: { resource: 'jobs', namespaced: true },
  CustomResourceDefinition: { resource: 'customresourcedefinitions', namespaced: false },
  Link: { resource: 'links', namespaced: true },
  Server: { resource: 'servers', namespaced: true },
  AuthorizationPolicy: { resource: 'authorizationpolicies', namespaced: true },
  MeshTLSAuthentication: { resource: 'meshtlsauthentications', namespaced: true },
  NetworkAuthentication: { resource: 'networkauthentications', namespaced: true },
  PodSecurityPolicy: { resource: 'podsecuritypolicies', namespaced: false },
};

export function kindInfo(kind: string): KindInfo {
  return KINDS[kind] ?? { resource: `${kind.toLowerCase()}s`, namespaced: true };
}

/** The REST reference of a manifest object. */
export function refOf(obj: { apiVersion: string; kind: string; metadata: { name?: string; namespace?: string } }): ResourceRef {
  const info = kindInfo(obj.kind);
  return {
    apiVersion: obj.apiVersion,
    resource: info.resource,
    namespace: info.namespaced ? (obj.metadata.namespace ?? 'default') : undefined,
    name: obj.metadata.name,
  };
}

/** URL path of a reference: /api/v1/... or /apis/group/version/... */
export function pathOf(ref: ResourceRef): string {
  const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  const ns = ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  const name = ref.name ? `/${encodeURIComponent(ref.name)}` : '';
  const sub = ref.subresource ? `/${ref.subresource}` : '';
  return `${base}${ns}/${ref.resource}${name}${sub}`;
}

/** "services \"podinfo\" in namespace \"test\"" — for messages. */
export function describeRef(ref: ResourceRef): string {
  const what = ref.name ? `${ref.resource} "${ref.name}"` : ref.resource;
  return ref.namespace ? `${what} in namespace "${ref.namespace}"` : what;
}
