/**
 * Weighted routing between a Service and its backends (the local Service and
 * mirrors of it from other clusters): the talk's SMI TrafficSplit, its
 * current Linkerd form (an HTTPRoute whose parent is the Service and whose
 * backendRefs carry the weights), and linkerd-failover's TrafficSplit.
 * Pure: the checks that need no cluster, the API choice from what the cluster
 * serves, the object, and the live checks from objects read by run.ts.
 */
import { isDnsLabel } from '../cli-kit.js';
import { McError, UsageError } from '../errors.js';
import type { KubeObject } from '../kube/client.js';
import { MIRROR_CLUSTER_LABEL, MIRRORED_SERVICE_LABEL } from '../multicluster/names.js';

export type RouteApi = 'linkerd' | 'gateway' | 'smi';

/** The groups (and the versions mc writes, newest first) of each routing API. */
export const ROUTE_APIS: Record<RouteApi, { group: string; versions: string[]; kind: string; resource: string }> = {
  gateway: { group: 'gateway.networking.k8s.io', versions: ['v1', 'v1beta1'], kind: 'HTTPRoute', resource: 'httproutes' },
  linkerd: { group: 'policy.linkerd.io', versions: ['v1beta3', 'v1beta2', 'v1beta1'], kind: 'HTTPRoute', resource: 'httproutes' },
  smi: { group: 'split.smi-spec.io', versions: ['v1alpha2'], kind: 'TrafficSplit', resource: 'trafficsplits' },
};

/** linkerd-failover watches TrafficSplits with this label and reads the primary from this annotation. */
export const FAILOVER_LABEL = 'app.kubernetes.io/managed-by';
export const FAILOVER_LABEL_VALUE = 'linkerd-failover';
export const FAILOVER_PRIMARY_ANNOTATION = 'failover.linkerd.io/primary-service';

export interface Backend {
  name: string;
  weight: number;
}

export interface SplitSpec {
  /** The Service clients address (the parent / the apex). */
  service: string;
  namespace: string;
  /** Name of the route or split; default the Service's. */
  name: string;
  backends: Backend[];
  /** The parent's port the route applies to; the backends serve the same port. */
  port?: number;
  failover: boolean;
  /** The primary backend (failover only). */
  primary?: string;
}

/** `NAME=WEIGHT` (with --failover, `NAME` alone is weight 0, or 1 for the primary). */
export function parseBackend(text: string, failover: boolean): { name: string; weight?: number } {
  const eq = text.indexOf('=');
  const name = (eq < 0 ? text : text.slice(0, eq)).trim();
  const weightText = eq < 0 ? undefined : text.slice(eq + 1).trim();
  if (!isDnsLabel(name)) throw new UsageError(`invalid --to "${text}": "${name}" is not a Service name`, 'Write --to NAME=WEIGHT, e.g. --to podinfo=50 --to podinfo-east=50.');
  if (weightText === undefined) {
    if (failover) return { name };
    throw new UsageError(`invalid --to "${text}": the weight is missing`, 'Write --to NAME=WEIGHT, e.g. --to podinfo-east=50.');
  }
  if (!/^\d+$/.test(weightText) || Number(weightText) > 2 ** 31 - 1) {
    throw new UsageError(`invalid --to "${text}": the weight "${weightText}" is not a whole number >= 0`, 'Weights are relative: --to a=1 --to b=3 sends a quarter to a.');
  }
  return { name, weight: Number(weightText) };
}

/** The checks that need no cluster: names, duplicates, weights (not all zero), the failover primary. */
export function splitSpec(input: { service: string; namespace: string; name?: string; to: string[]; port?: number; failover: boolean; primary?: string }): SplitSpec {
  if (!isDnsLabel(input.service)) throw new UsageError(`invalid Service name "${input.service}"`);
  if (input.to.length === 0) throw new UsageError('no backends: give at least one --to NAME=WEIGHT', 'e.g. mc split podinfo -n test --to podinfo=50 --to podinfo-east=50');
  const parsed = input.to.map((t) => parseBackend(t, input.failover));
  const seen = new Set<string>();
  for (const b of parsed) {
    if (seen.has(b.name)) throw new UsageError(`backend "${b.name}" is given twice in --to`);
    seen.add(b.name);
  }
  const primary = input.failover ? (input.primary ?? parsed[0]!.name) : undefined;
  if (input.primary !== undefined && !input.failover) throw new UsageError('--primary needs --failover');
  if (primary !== undefined && !seen.has(primary)) throw new UsageError(`the primary "${primary}" is not one of the backends (${[...seen].join(', ')})`, 'Name it in --to too.');
  const backends = parsed.map((b) => ({ name: b.name, weight: b.weight ?? (b.name === primary ? 1 : 0) }));
  if (backends.every((b) => b.weight === 0)) throw new UsageError('every weight is 0: no traffic would go anywhere', 'Give at least one backend a weight above 0.');
  const name = input.name ?? input.service;
  if (!isDnsLabel(name)) throw new UsageError(`invalid --name "${name}"`);
  return { service: input.service, namespace: input.namespace, name, backends, port: input.port, failover: input.failover, primary };
}

/** What the cluster serves of the three APIs: group → versions. */
export type Served = Map<string, string[]>;

/** The API and version to write: --api when given (it must be served), else gateway API, then Linkerd's, when served. */
export function pickRouteApi(requested: RouteApi | 'auto', served: Served | undefined, failover: boolean): { api: RouteApi; apiVersion: string; why: string } {
  const version = (api: RouteApi) => ROUTE_APIS[api].versions.find((v) => served?.get(ROUTE_APIS[api].group)?.includes(v));
  const at = (api: RouteApi, v: string) => `${ROUTE_APIS[api].group}/${v}`;
  if (failover && requested !== 'auto' && requested !== 'smi') throw new UsageError(`--failover writes the TrafficSplit linkerd-failover watches: it cannot be combined with --api ${requested}`);
  const wanted: RouteApi | 'auto' = failover ? 'smi' : requested;
  if (served === undefined) {
    const api = wanted === 'auto' ? 'linkerd' : wanted;
    return { api, apiVersion: at(api, ROUTE_APIS[api].versions[0]!), why: wanted === 'auto' ? "offline: Linkerd's own HTTPRoute (--api to choose)" : 'offline' };
  }
  if (wanted !== 'auto') {
    const v = version(wanted);
    if (!v) {
      const install = wanted === 'smi' ? 'Install the linkerd-smi extension (it serves TrafficSplit)' : wanted === 'gateway' ? 'Install the Gateway API CRDs' : "Install Linkerd's CRDs (linkerd install --crds)";
      throw new McError(`the cluster does not serve ${ROUTE_APIS[wanted].kind} of ${ROUTE_APIS[wanted].group} (${ROUTE_APIS[wanted].versions.join(' or ')})`, `${install}, or pick another --api (linkerd, gateway, smi).`);
    }
    return { api: wanted, apiVersion: at(wanted, v), why: `--api ${wanted}` };
  }
  for (const api of ['gateway', 'linkerd'] as const) {
    const v = version(api);
    if (v) return { api, apiVersion: at(api, v), why: `the cluster serves ${at(api, v)}` };
  }
  throw new McError('the cluster serves no HTTPRoute (gateway.networking.k8s.io or policy.linkerd.io)', "Install Linkerd's CRDs, or write the talk's TrafficSplit with --api smi (linkerd-smi extension).");
}

/** The routing object. */
export function splitObject(spec: SplitSpec, api: RouteApi, apiVersion: string): KubeObject {
  if (api === 'smi') {
    return {
      apiVersion,
      kind: 'TrafficSplit',
      metadata: {
        name: spec.name,
        namespace: spec.namespace,
        ...(spec.failover ? { labels: { [FAILOVER_LABEL]: FAILOVER_LABEL_VALUE }, annotations: { [FAILOVER_PRIMARY_ANNOTATION]: spec.primary! } } : {}),
      },
      spec: { service: spec.service, backends: spec.backends.map((b) => ({ service: b.name, weight: b.weight })) },
    };
  }
  if (spec.port === undefined) throw new UsageError(`an HTTPRoute needs the port of Service "${spec.service}"`, 'Pass --port PORT (or run against the cluster, where a Service with one port gives it).');
  return {
    apiVersion,
    kind: 'HTTPRoute',
    metadata: { name: spec.name, namespace: spec.namespace },
    spec: {
      parentRefs: [{ name: spec.service, kind: 'Service', group: 'core', port: spec.port }],
      rules: [{ backendRefs: spec.backends.map((b) => ({ name: b.name, port: spec.port, weight: b.weight })) }],
    },
  };
}

export interface ServiceLike {
  metadata: { name?: string; labels?: Record<string, string> };
  spec?: { ports?: Array<{ name?: string; port?: number }> };
}

export interface EndpointsLike {
  subsets?: Array<{ addresses?: unknown[] }>;
}

export interface LiveFacts {
  parent?: ServiceLike;
  /** Backend name → its Service (undefined when missing) and Endpoints. */
  backends: Map<string, { service?: ServiceLike; endpoints?: EndpointsLike }>;
}

export function isMirror(svc: ServiceLike | undefined): boolean {
  return svc?.metadata.labels?.[MIRRORED_SERVICE_LABEL] === 'true';
}

export function hasEndpoints(ep: EndpointsLike | undefined): boolean {
  return (ep?.subsets ?? []).some((s) => (s.addresses ?? []).length > 0);
}

/**
 * The live checks: the parent exists (and gives the port when it has only
 * one), every backend exists and serves that port, a mirrored backend that
 * gets traffic has endpoints. Every problem at once; warnings for what only
 * matters later (a weight-0 mirror without endpoints).
 */
export function validateLive(spec: SplitSpec, facts: LiveFacts, where: string): { port?: number; warnings: string[]; notes: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const notes: string[] = [];
  if (!facts.parent) {
    throw new McError(`there is no Service "${spec.service}" in ${where}`, 'The parent of the split is the Service clients call (e.g. podinfo); create it, or check -n and --context.');
  }
  const parentPorts = (facts.parent.spec?.ports ?? []).map((p) => p.port).filter((p): p is number => p !== undefined);
  let port = spec.port;
  if (port === undefined && parentPorts.length === 1) port = parentPorts[0];
  if (port === undefined && parentPorts.length > 1) problems.push(`Service "${spec.service}" has several ports (${parentPorts.join(', ')}): pass --port PORT`);
  if (port !== undefined && !parentPorts.includes(port)) problems.push(`Service "${spec.service}" does not serve port ${port} (it serves ${parentPorts.join(', ') || 'none'})`);
  for (const b of spec.backends) {
    const found = facts.backends.get(b.name);
    const svc = found?.service;
    if (!svc) {
      problems.push(`backend "${b.name}" does not exist (no Service "${b.name}")${b.name.includes('-') ? '; a mirror appears once its cluster is linked and the Service is exported there' : ''}`);
      continue;
    }
    const ports = (svc.spec?.ports ?? []).map((p) => p.port);
    if (port !== undefined && !ports.includes(port)) problems.push(`backend "${b.name}" does not serve port ${port} (it serves ${ports.join(', ') || 'none'})`);
    if (isMirror(svc)) {
      const cluster = svc.metadata.labels?.[MIRROR_CLUSTER_LABEL] ?? '?';
      if (hasEndpoints(found.endpoints)) notes.push(`${b.name}: mirror from cluster ${cluster}`);
      else if (b.weight > 0) problems.push(`backend "${b.name}" is a mirror from cluster ${cluster} without endpoints: its weight ${b.weight} would fail (is the gateway of ${cluster} alive? \`mc gateways\`)`);
      else warnings.push(`backend "${b.name}" (mirror from cluster ${cluster}) has no endpoints; it gets no traffic now (weight 0)`);
    }
  }
  if (problems.length > 0) {
    throw new McError(`the split of Service "${spec.service}" in ${where} cannot be written:\n  - ${problems.join('\n  - ')}`, 'Fix the backends (--to) or the port (--port); --offline prints without these checks.');
  }
  return { port, warnings, notes };
}

/** "podinfo 50%, podinfo-east 50%" */
export function describeWeights(backends: Backend[]): string {
  const total = backends.reduce((s, b) => s + b.weight, 0);
  return backends.map((b) => `${b.name} ${Math.round((b.weight / total) * 1000) / 10}%`).join(', ');
}
