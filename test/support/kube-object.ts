/**
 * The shape of what the test API server stores and hands out: a Kubernetes
 * object's envelope (apiVersion, kind, metadata) is typed; everything else is
 * `unknown` until the reader says what it expects, e.g.
 * `cluster.get<Service>('v1', 'Service', ns, name)` with its own `Service`
 * interface extending KubeObject.
 */

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  generateName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  uid?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: ManagedFieldsEntry[];
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/**
 * The value at `path` under `value`, read the way `value.a.b[0]` reads it: a
 * missing last step is undefined, a missing step before it is an error (as
 * the TypeError the plain expression would throw). For tests that check one
 * deep field without declaring the whole shape.
 */
export function field(value: unknown, ...path: Array<string | number>): unknown {
  let cur = value;
  path.forEach((step, i) => {
    if (typeof cur !== 'object' || cur === null) {
      const at = path.slice(0, i).join('.') || '(the value)';
      throw new TypeError(`field(): cannot read "${step}" of ${at}, which is ${cur === null ? 'null' : typeof cur}`);
    }
    cur = (cur as Record<string | number, unknown>)[step];
  });
  return cur;
}

/** The items of a list answer; an error when `body` holds no items array. */
export function itemsOf(body: unknown): KubeObject[] {
  const items = field(body, 'items');
  if (!Array.isArray(items)) throw new TypeError(`itemsOf(): not a list (items is ${typeof items})`);
  return items as KubeObject[];
}
