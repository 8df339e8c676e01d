/**
 * The resource types the test API server knows: the built-in ones mc and
 * kubectl touch, plus whatever CustomResourceDefinitions add at run time.
 */

import type { Schema } from './schema.js';

export interface ResourceType {
  group: string; // '' for core
  versions: string[]; // served versions, preferred first
  resource: string; // plural
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  /** Subresources served: 'status', 'token', 'scale'... */
  subresources: string[];
  /** Objects are not stored (reviews): POST answers computed results. */
  virtual?: boolean;
  /** Defined by a CRD (items in lists keep apiVersion/kind). */
  custom?: boolean;
  /** additionalPrinterColumns of a CRD version (for tables). */
  /** openAPIV3Schema per served version (CRDs). */
  schemas?: Record<string, Schema | undefined>;
  printerColumns?: Array<{ name: string; type: string; jsonPath: string; description?: string; priority?: number }>;
}

export const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function t(group: string, version: string, resource: string, kind: string, namespaced: boolean, extra: Partial<ResourceType> = {}): ResourceType {
  return {
    group,
    versions: [version],
    resource,
    singular: kind.toLowerCase(),
    kind,
    namespaced,
    verbs: CRUD,
    subresources: [],
    ...extra,
  };
}

export function builtinTypes(): ResourceType[] {
  return [
    t('', 'v1', 'namespaces', 'Namespace', false, { shortNames: ['ns'], subresources: ['status', 'finalize'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] }),
    t('', 'v1', 'services', 'Service', true, { shortNames: ['svc'], categories: ['all'], subresources: ['status'] }),
    t('', 'v1', 'endpoints', 'Endpoints', true, { shortNames: ['ep'], singular: 'endpoints' }),
    t('', 'v1', 'pods', 'Pod', true, { shortNames: ['po'], categories: ['all'], subresources: ['status', 'log', 'portforward', 'proxy'] }),
    t('', 'v1', 'secrets', 'Secret', true),
    t('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
    t('', 'v1', 'serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'], subresources: ['token'] }),
    t('', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }),
    t('', 'v1', 'nodes', 'Node', false, { shortNames: ['no'], subresources: ['status'] }),
    t('apps', 'v1', 'deployments', 'Deployment', true, { shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] }),
    t('apps', 'v1', 'replicasets', 'ReplicaSet', true, { shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'] }),
    t('apps', 'v1', 'daemonsets', 'DaemonSet', true, { shortNames: ['ds'], categories: ['all'], subresources: ['status'] }),
    t('apps', 'v1', 'statefulsets', 'StatefulSet', true, { shortNames: ['sts'], categories: ['all'], subresources: ['status', 'scale'] }),
    t('batch', 'v1', 'jobs', 'Job', true, { categories: ['all'], subresources: ['status'] }),
    t('batch', 'v1', 'cronjobs', 'CronJob', true, { shortNames: ['cj'], categories: ['all'], subresources: ['status'] }),
    t('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, { shortNames: ['pdb'], subresources: ['status'] }),
    t('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
    t('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
    t('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
    t('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true),
    t('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
    t('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, { shortNames: ['crd', 'crds'], categories: ['api-extensions'], subresources: ['status'] }),
    t('admissionregistration.k8s.io', 'v1', 'mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', false, { categories: ['api-extensions'] }),
    t('admissionregistration.k8s.io', 'v1', 'validatingwebhookconfigurations', 'ValidatingWebhookConfiguration', false, { categories: ['api-extensions'] }),
    t('apiregistration.k8s.io', 'v1', 'apiservices', 'APIService', false, { categories: ['api-extensions'], subresources: ['status'] }),
    t('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, { shortNames: ['netpol'] }),
    t('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
    t('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, { verbs: ['create'], virtual: true }),
    t('authorization.k8s.io', 'v1', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', false, { verbs: ['create'], virtual: true }),
    t('authorization.k8s.io', 'v1', 'subjectaccessreviews', 'SubjectAccessReview', false, { verbs: ['create'], virtual: true }),
    t('authorization.k8s.io', 'v1', 'localsubjectaccessreviews', 'LocalSubjectAccessReview', true, { verbs: ['create'], virtual: true }),
    t('authentication.k8s.io', 'v1', 'tokenreviews', 'TokenReview', false, { verbs: ['create'], virtual: true }),
    t('authentication.k8s.io', 'v1', 'selfsubjectreviews', 'SelfSubjectReview', false, { verbs: ['create'], virtual: true }),
  ];
}

/** Subresources that have a kind of their own in discovery. */
export const SUBRESOURCE_KINDS: Record<string, { kind: string; group?: string; version?: string; verbs: string[] }> = {
  status: { kind: '', verbs: ['get', 'patch', 'update'] },
  scale: { kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] },
  token: { kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] },
  finalize: { kind: '', verbs: ['update'] },
  log: { kind: 'Pod', verbs: ['get'] },
  portforward: { kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
  proxy: { kind: 'PodProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
};

export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}
