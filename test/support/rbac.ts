/** RBAC authorization from the Role/ClusterRole objects and bindings in a store. */
import type { KubeObject } from './kube-object.js';
import type { LabelSelector } from './kinds.js';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
}

export interface Attributes {
  verb: string;
  apiGroup: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface RbacSource {
  list(apiVersion: string, kind: string, namespace?: string): KubeObject[];
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined;
}

const RBAC = 'rbac.authorization.k8s.io/v1';

interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}

interface RoleRef {
  kind?: string;
  name: string;
}

/** A Role or ClusterRole as the authorizer reads it. */
interface Role extends KubeObject {
  rules?: PolicyRule[];
  aggregationRule?: { clusterRoleSelectors?: LabelSelector[] };
}

/** A RoleBinding or ClusterRoleBinding as the authorizer reads it. */
interface Binding extends KubeObject {
  subjects?: Subject[];
  roleRef?: RoleRef;
}

/** Paths every authenticated identity may GET (system:discovery, system:public-info-viewer). */
const DISCOVERY = ['/api', '/api/*', '/apis', '/apis/*', '/version', '/version/', '/healthz', '/livez', '/readyz', '/openapi', '/openapi/*'];

export function isSuperUser(u: UserInfo): boolean {
  return u.groups.includes('system:masters');
}

function subjectMatches(s: Subject | undefined, u: UserInfo, bindingNs: string | undefined): boolean {
  switch (s?.kind) {
    case 'User':
      return s.name === u.username;
    case 'Group':
      return u.groups.includes(s.name ?? '');
    case 'ServiceAccount':
      return u.username === `system:serviceaccount:${s.namespace ?? bindingNs}:${s.name}`;
    default:
      return false;
  }
}

function roleRules(src: RbacSource, ref: RoleRef | undefined, bindingNs: string | undefined): PolicyRule[] {
  if (!ref) return [];
  if (ref.kind === 'ClusterRole') {
    const cr = src.get(RBAC, 'ClusterRole', undefined, ref.name) as Role | undefined;
    if (!cr) return [];
    if (cr.aggregationRule) return aggregated(src, cr);
    return cr.rules ?? [];
  }
  if (ref.kind === 'Role' && bindingNs) return (src.get(RBAC, 'Role', bindingNs, ref.name) as Role | undefined)?.rules ?? [];
  return [];
}

function aggregated(src: RbacSource, cr: Role): PolicyRule[] {
  const rules: PolicyRule[] = [...(cr.rules ?? [])];
  for (const sel of cr.aggregationRule?.clusterRoleSelectors ?? []) {
    const want: Record<string, string> = sel.matchLabels ?? {};
    for (const other of src.list(RBAC, 'ClusterRole') as Role[]) {
      if (other.metadata.name === cr.metadata.name) continue;
      const l = other.metadata.labels ?? {};
      if (Object.entries(want).every(([k, v]) => l[k] === v)) rules.push(...(other.rules ?? []));
    }
  }
  return rules;
}

/** Rules that apply to the user in a namespace (cluster-wide ones included). */
export function rulesFor(src: RbacSource, u: UserInfo, namespace: string | undefined): PolicyRule[] {
  if (isSuperUser(u)) return [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }];
  const rules: PolicyRule[] = [];
  for (const b of src.list(RBAC, 'ClusterRoleBinding') as Binding[]) {
    if ((b.subjects ?? []).some((s) => subjectMatches(s, u, undefined))) rules.push(...roleRules(src, b.roleRef, undefined));
  }
  if (namespace) {
    for (const b of src.list(RBAC, 'RoleBinding', namespace) as Binding[]) {
      if ((b.subjects ?? []).some((s) => subjectMatches(s, u, namespace))) rules.push(...roleRules(src, b.roleRef, namespace));
    }
  }
  return rules;
}

function has(list: string[] | undefined, v: string): boolean {
  return !!list && (list.includes('*') || list.includes(v));
}

export function ruleAllows(r: PolicyRule, a: Attributes): boolean {
  if (!has(r.verbs, a.verb)) return false;
  if (!has(r.apiGroups, a.apiGroup)) return false;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resources = r.resources ?? [];
  const resOk = resources.includes('*') || resources.includes(res) || (a.subresource !== undefined && resources.includes(`*/${a.subresource}`));
  if (!resOk) return false;
  if (r.resourceNames && r.resourceNames.length > 0) return a.name !== undefined && r.resourceNames.includes(a.name);
  return true;
}

export function nonResourceAllows(r: PolicyRule, verb: string, path: string): boolean {
  if (!has(r.verbs, verb) || !r.nonResourceURLs) return false;
  return r.nonResourceURLs.some((p) => p === '*' || p === path || (p.endsWith('*') && path.startsWith(p.slice(0, -1))));
}

export function authorize(src: RbacSource, u: UserInfo, a: Attributes): boolean {
  if (isSuperUser(u)) return true;
  // a user may always review itself
  if (a.apiGroup === 'authorization.k8s.io' && ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'].includes(a.resource) && a.verb === 'create') return true;
  if (a.apiGroup === 'authentication.k8s.io' && a.resource === 'selfsubjectreviews' && a.verb === 'create') return true;
  return rulesFor(src, u, a.namespace).some((r) => ruleAllows(r, a));
}

export function authorizeNonResource(src: RbacSource, u: UserInfo, verb: string, path: string): boolean {
  if (isSuperUser(u)) return true;
  if (verb === 'get' && DISCOVERY.some((p) => p === path || (p.endsWith('*') && path.startsWith(p.slice(0, -1))))) return true;
  return rulesFor(src, u, undefined).some((r) => nonResourceAllows(r, verb, path));
}

/** The message the API server puts into a Forbidden Status. */
export function forbiddenMessage(u: UserInfo, a: Attributes): string {
  const what = a.name ? `${a.resource} "${a.name}"` : a.resource;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `${what} is forbidden: User "${u.username}" cannot ${a.verb} resource "${res}" in API group "${a.apiGroup}" ${scope}`;
}
