/**
 * Schema checks for rendered documents: built-in kinds against the Kubernetes
 * OpenAPI schemas (kubernetes-models' validators), Links against the v1alpha3
 * schema of the Link CRD that `mc install` prints.
 */
import assert from 'node:assert/strict';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Model = new (doc: any) => { validate(): void };

const MODELS: Record<string, () => Promise<Model>> = {
  'v1/Namespace': async () => (await import('kubernetes-models/v1/Namespace')).Namespace,
  'v1/Service': async () => (await import('kubernetes-models/v1/Service')).Service,
  'v1/ServiceAccount': async () => (await import('kubernetes-models/v1/ServiceAccount')).ServiceAccount,
  'v1/Secret': async () => (await import('kubernetes-models/v1/Secret')).Secret,
  'apps/v1/Deployment': async () => (await import('kubernetes-models/apps/v1/Deployment')).Deployment,
  'policy/v1/PodDisruptionBudget': async () => (await import('kubernetes-models/policy/v1/PodDisruptionBudget')).PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/ClusterRole': async () => (await import('kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole')).ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': async () => (await import('kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding')).ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': async () => (await import('kubernetes-models/rbac.authorization.k8s.io/v1/Role')).Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': async () => (await import('kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding')).RoleBinding,
  'apiextensions.k8s.io/v1/CustomResourceDefinition': async () =>
    (await import('kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition')).CustomResourceDefinition,
};

/** Fails unless `doc` is valid for its built-in kind (an unknown kind fails too). */
export async function assertValidBuiltIn(doc: { apiVersion: string; kind: string }, label: string): Promise<void> {
  const id = `${doc.apiVersion}/${doc.kind}`;
  const load = MODELS[id] ?? assert.fail(`no schema for ${id} (${label})`);
  const Model = await load();
  assert.doesNotThrow(() => new Model(doc).validate(), label);
}

export interface SchemaValidator {
  (doc: unknown): boolean;
  errors?: unknown;
}

/** A validator for Links from the Link CRD's v1alpha3 openAPIV3Schema. */
export async function linkSchemaValidator(crd: { spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: object } }> } }): Promise<SchemaValidator> {
  const schema = crd.spec.versions.find((v) => v.name === 'v1alpha3')!.schema.openAPIV3Schema;
  const { Ajv } = await import('ajv');
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('duration', /^([-+]?(\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('date-time', true);
  return ajv.compile(schema) as SchemaValidator;
}
