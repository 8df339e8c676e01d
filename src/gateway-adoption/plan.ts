/**
 * What an existing ingress (a Deployment and its Service) needs to serve as
 * Linkerd's multicluster gateway, as Linkerd 2.8's "Leverage Ambassador"
 * steps list it, computed from the live objects. Pure: values in, objects
 * out. The result is a set of apply configurations (only the fields mc owns,
 * for server-side apply with field manager mc, or `kubectl apply`), each
 * with the changes it makes; an object that already has everything is left
 * out, so a second run changes nothing.
 */
import { McError, UsageError } from '../errors.js';
import type { KubeObject } from '../kube/client.js';
import { GATEWAY_PORT_NAME, PROBE_PATH_ANNOTATION, PROBE_PERIOD_ANNOTATION, PROBE_PORT_NAME } from '../multicluster/names.js';
import { GATEWAY_IDENTITY_ANNOTATION, MULTICLUSTER_GATEWAY_ANNOTATION } from '../multicluster/names.js';

/** Proxy annotations on the pod template (upstream pkg/k8s/labels.go). */
export const INJECT_ANNOTATION = 'linkerd.io/inject';
export const ENABLE_GATEWAY_ANNOTATION = 'config.linkerd.io/enable-gateway';
export const SKIP_INBOUND_PORTS_ANNOTATION = 'config.linkerd.io/skip-inbound-ports';
export const REQUIRE_IDENTITY_PORTS_ANNOTATION = 'config.linkerd.io/proxy-require-identity-inbound-ports';

export const AMBASSADOR_GROUP = 'getambassador.io';
/** Ambassador 1.x serves getambassador.io/v2; Emissary-ingress 2.x and 3.x also serve v3alpha1 (preferred). */
export const AMBASSADOR_API_VERSIONS = ['v3alpha1', 'v2'] as const;
export type AmbassadorApiVersion = `${typeof AMBASSADOR_GROUP}/${(typeof AMBASSADOR_API_VERSIONS)[number]}`;

/** Ambassador's probe: its readiness endpoint on the admin port, published on its HTTP listener. */
export const AMBASSADOR_PROBE_PATH = '/-/ambassador/ready';
export const AMBASSADOR_READY_PATH = '/ambassador/v0/check_ready';
export const AMBASSADOR_ADMIN_PORT = 8877;
export const AMBASSADOR_HTTP_PORT = 8080;
export const AMBASSADOR_MODULE_NAME = 'ambassador';
export const PROBE_MAPPING_NAME = 'linkerd-multicluster-probe';

/** Linkerd's gateway: the proxy's own readiness endpoint. */
export const DEFAULT_PROBE_PATH = '/ready';
export const DEFAULT_PROBE_PERIOD_SECONDS = 3;
export const DEFAULT_GATEWAY_PORT = 4143;
export const DEFAULT_PROBE_PORT = 4191;

export type IngressKind = 'ambassador' | 'generic';

export interface ContainerPort {
  name?: string;
  containerPort?: number;
  protocol?: string;
}

export interface DeploymentLike {
  metadata: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: {
    template?: {
      metadata?: { annotations?: Record<string, string>; labels?: Record<string, string> };
      spec?: { serviceAccountName?: string; serviceAccount?: string; containers?: Array<{ name?: string; image?: string; ports?: ContainerPort[] }> };
    };
  };
}

export interface ServicePortLike {
  name?: string;
  port?: number;
  targetPort?: number | string;
  protocol?: string;
  nodePort?: number;
}

export interface ServiceLike {
  metadata: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: { type?: string; ports?: ServicePortLike[]; selector?: Record<string, string> };
}

export interface AmbassadorObjects {
  apiVersion: AmbassadorApiVersion;
  /** The live Module `ambassador` and probe Mapping of the namespace, when they exist. */
  module?: KubeObject;
  mapping?: KubeObject;
}

export interface AdoptionInput {
  deployment: DeploymentLike;
  service: ServiceLike;
  kind: IngressKind;
  /** From linkerd-config. */
  trustDomain: string;
  linkerdNamespace: string;
  proxyInboundPort: number;
  proxyAdminPort: number;
  /** Service port of mc-gateway and mc-probe. */
  gatewayPort: number;
  probePort: number;
  /** Flags; when absent, what the Service has, else the defaults. */
  probePath?: string;
  probePeriodSeconds?: number;
  ambassador?: AmbassadorObjects;
}

export interface PlannedObject {
  /** The apply configuration: identifying fields plus only the fields mc sets. */
  object: KubeObject;
  /** What applying it changes, for the report ("annotation x: a -> b"). */
  changes: string[];
}

export interface AdoptionPlan {
  /** Objects that need a change, in apply order (Ambassador config first, the Service's gateway annotations last). */
  objects: PlannedObject[];
  identity: string;
  probe: { port: number; path: string; periodSeconds: number };
  /** The ports skipped by the proxy (served publicly by the ingress). */
  skippedPorts: number[];
}

/** Image names (last path segment, without tag) of Ambassador 1.x, Edge Stack and Emissary-ingress. */
const AMBASSADOR_IMAGES = new Set(['ambassador', 'aes', 'emissary', 'emissary-ingress', 'edge-stack']);

function imageName(image: string): string {
  const last = image.split('@')[0]!.split('/').pop() ?? '';
  return last.split(':')[0]!;
}

/** Is this Deployment Ambassador / Emissary-ingress (by image or by its app name label)? */
export function looksLikeAmbassador(d: DeploymentLike): boolean {
  const images = (d.spec?.template?.spec?.containers ?? []).map((c) => imageName(c.image ?? ''));
  if (images.some((i) => AMBASSADOR_IMAGES.has(i))) return true;
  const name = d.metadata.labels?.['app.kubernetes.io/name'] ?? d.spec?.template?.metadata?.labels?.['app.kubernetes.io/name'];
  return name !== undefined && AMBASSADOR_IMAGES.has(name);
}

/** The newest getambassador.io version mc writes among those the cluster serves. */
export function pickAmbassadorApiVersion(served: string[]): AmbassadorApiVersion | undefined {
  const v = AMBASSADOR_API_VERSIONS.find((x) => served.includes(x));
  return v === undefined ? undefined : `${AMBASSADOR_GROUP}/${v}`;
}

/** "1,2,3" → [1,2,3]; ranges ("4000-4010") and names are kept as text. */
function portList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function unionList(existing: string | undefined, add: number[]): string {
  const items = portList(existing);
  for (const p of add) if (!items.includes(String(p))) items.push(String(p));
  return items.join(',');
}

function containerPorts(d: DeploymentLike): ContainerPort[] {
  return (d.spec?.template?.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
}

/** The container port a Service port reaches (a named targetPort is looked up in the pod template). */
function targetPortNumber(p: ServicePortLike, d: DeploymentLike): number | undefined {
  if (typeof p.targetPort === 'number') return p.targetPort;
  if (typeof p.targetPort === 'string' && p.targetPort !== '') {
    if (/^\d+$/.test(p.targetPort)) return Number(p.targetPort);
    return containerPorts(d).find((c) => c.name === p.targetPort)?.containerPort;
  }
  return p.port;
}

function describePort(p: ServicePortLike): string {
  return `${p.name ? `"${p.name}" ` : ''}(${p.port}/${p.protocol ?? 'TCP'})`;
}

/** The gateway's identity: its pods' ServiceAccount as Linkerd's identity controller names it. */
export function gatewayIdentity(serviceAccount: string, namespace: string, linkerdNamespace: string, trustDomain: string): string {
  return `${serviceAccount}.${namespace}.serviceaccount.identity.${linkerdNamespace}.${trustDomain}`;
}

export function serviceAccountOf(d: DeploymentLike): string {
  const spec = d.spec?.template?.spec;
  return spec?.serviceAccountName || spec?.serviceAccount || 'default';
}

/**
 * The mc-gateway / mc-probe entry the Service needs: kept when a port of that
 * name already carries it; refused when the port number (or the name) is
 * taken by something else.
 */
function wantedPort(svc: ServiceLike, name: string, port: number, targetPort: number, flag: string): { entry: ServicePortLike; change?: string } {
  const ports = svc.spec?.ports ?? [];
  const entry: ServicePortLike = { name, port, targetPort, protocol: 'TCP' };
  const sameName = ports.find((p) => p.name === name);
  const samePort = ports.find((p) => p.port === port && (p.protocol ?? 'TCP') === 'TCP');
  const where = `Service "${svc.metadata.name}" in namespace "${svc.metadata.namespace}"`;
  if (samePort && samePort.name !== name) {
    throw new McError(
      `port ${port} of ${where} is already taken by port ${describePort(samePort)}; the multicluster gateway needs it for "${name}"`,
      `Pick a free port with ${flag} PORT (the Service port only; the pods keep their ports).`,
    );
  }
  if (sameName && sameName.port !== port) {
    throw new McError(
      `${where} already has a port named "${name}" on ${sameName.port}, not ${port}`,
      `Pass ${flag} ${sameName.port} to keep it, or rename that port first.`,
    );
  }
  if (sameName) {
    const t = typeof sameName.targetPort === 'string' && /^\d+$/.test(sameName.targetPort) ? Number(sameName.targetPort) : (sameName.targetPort ?? sameName.port);
    if (t === targetPort) return { entry: { ...entry } };
    return { entry, change: `port ${name} (${port}): targetPort ${String(sameName.targetPort ?? sameName.port)} -> ${targetPort}` };
  }
  return { entry, change: `port ${name} ${port} -> ${targetPort} added` };
}

function setAnnotation(current: Record<string, string>, key: string, value: string, into: Record<string, string>, changes: string[]): void {
  into[key] = value;
  const old = current[key];
  if (old === value) return;
  changes.push(old === undefined ? `annotation ${key}=${value} added` : `annotation ${key}: ${old} -> ${value}`);
}

function objectRef(apiVersion: string, kind: string, name: string, namespace: string): KubeObject {
  return { apiVersion, kind, metadata: { name, namespace } };
}

/** The Module and probe Mapping, in the API version the cluster serves. */
function ambassadorObjects(input: AdoptionInput, namespace: string, probePath: string): PlannedObject[] {
  const amb = input.ambassador!;
  const out: PlannedObject[] = [];
  const moduleChanges: string[] = [];
  const liveConfig = ((amb.module?.spec as { config?: Record<string, unknown> } | undefined)?.config ?? {}) as Record<string, unknown>;
  if (!amb.module) moduleChanges.push('created with add_linkerd_headers: true');
  else if (liveConfig.add_linkerd_headers !== true) moduleChanges.push(`add_linkerd_headers: ${JSON.stringify(liveConfig.add_linkerd_headers ?? null)} -> true`);
  if (moduleChanges.length > 0) {
    out.push({ object: { ...objectRef(amb.apiVersion, 'Module', AMBASSADOR_MODULE_NAME, namespace), spec: { config: { add_linkerd_headers: true } } }, changes: moduleChanges });
  }

  const adminPort = containerPorts(input.deployment).find((p) => p.name === 'admin')?.containerPort ?? AMBASSADOR_ADMIN_PORT;
  const spec: Record<string, unknown> = {
    ...(amb.apiVersion.endsWith('/v3alpha1') ? { hostname: '*' } : {}),
    prefix: probePath,
    rewrite: AMBASSADOR_READY_PATH,
    service: `localhost:${adminPort}`,
    bypass_auth: true,
  };
  const live = (amb.mapping?.spec ?? {}) as Record<string, unknown>;
  const differing = Object.keys(spec).filter((k) => JSON.stringify(live[k]) !== JSON.stringify(spec[k]));
  if (differing.length > 0) {
    const changes = amb.mapping
      ? differing.map((k) => `${k}: ${JSON.stringify(live[k] ?? null)} -> ${JSON.stringify(spec[k])}`)
      : [`created: ${probePath} -> ${spec.service}${AMBASSADOR_READY_PATH}`];
    out.push({ object: { ...objectRef(amb.apiVersion, 'Mapping', PROBE_MAPPING_NAME, namespace), spec }, changes });
  }
  return out;
}

export function planAdoption(input: AdoptionInput): AdoptionPlan {
  const { deployment: d, service: svc } = input;
  const namespace = d.metadata.namespace ?? svc.metadata.namespace ?? 'default';
  if (input.kind === 'ambassador' && !input.ambassador) throw new Error('planAdoption: an Ambassador gateway needs its API version');
  const ambassador = input.kind === 'ambassador';

  // ---- the pod's ports: the proxy's must be free, the public ones are skipped
  const own = new Set([input.proxyInboundPort, input.proxyAdminPort]);
  const podPorts = containerPorts(d);
  const clash = podPorts.find((p) => own.has(p.containerPort ?? -1));
  if (clash) {
    throw new McError(
      `container port ${clash.containerPort}${clash.name ? ` ("${clash.name}")` : ''} of Deployment "${d.metadata.name}" in namespace "${namespace}" is one the Linkerd proxy needs (inbound ${input.proxyInboundPort}, admin ${input.proxyAdminPort})`,
      'Move that container port, or change the proxy ports (config.linkerd.io/inbound-port, admin-port) first.',
    );
  }
  if (input.gatewayPort === input.probePort) throw new UsageError(`--gateway-port and --probe-port are both ${input.gatewayPort}: they must differ`);

  const httpTarget = ambassador
    ? (svc.spec?.ports ?? []).map((p) => (p.port === 80 || p.name === 'http' ? targetPortNumber(p, d) : undefined)).find((x) => x !== undefined) ??
      podPorts.find((p) => p.name === 'http')?.containerPort ??
      AMBASSADOR_HTTP_PORT
    : input.proxyAdminPort;
  const gateway = wantedPort(svc, GATEWAY_PORT_NAME, input.gatewayPort, input.proxyInboundPort, '--gateway-port');
  const probe = wantedPort(svc, PROBE_PORT_NAME, input.probePort, httpTarget, '--probe-port');

  const publicPorts = (svc.spec?.ports ?? [])
    .filter((p) => p.name !== GATEWAY_PORT_NAME && p.name !== PROBE_PORT_NAME)
    .map((p) => targetPortNumber(p, d))
    .filter((p): p is number => p !== undefined && !own.has(p));
  const skippedPorts = [...new Set(publicPorts)].sort((a, b) => a - b);

  // ---- the pod template
  const tmplAnn = d.spec?.template?.metadata?.annotations ?? {};
  const podAnn: Record<string, string> = {};
  const podChanges: string[] = [];
  const inject = tmplAnn[INJECT_ANNOTATION];
  setAnnotation(tmplAnn, INJECT_ANNOTATION, inject === 'enabled' || inject === 'ingress' ? inject : 'enabled', podAnn, podChanges);
  setAnnotation(tmplAnn, ENABLE_GATEWAY_ANNOTATION, 'true', podAnn, podChanges);
  if (skippedPorts.length > 0 || tmplAnn[SKIP_INBOUND_PORTS_ANNOTATION] !== undefined) {
    setAnnotation(tmplAnn, SKIP_INBOUND_PORTS_ANNOTATION, unionList(tmplAnn[SKIP_INBOUND_PORTS_ANNOTATION], skippedPorts), podAnn, podChanges);
  }
  setAnnotation(tmplAnn, REQUIRE_IDENTITY_PORTS_ANNOTATION, unionList(tmplAnn[REQUIRE_IDENTITY_PORTS_ANNOTATION], [input.proxyInboundPort]), podAnn, podChanges);

  // ---- the Service
  const svcAnn = svc.metadata.annotations ?? {};
  const identity = gatewayIdentity(serviceAccountOf(d), namespace, input.linkerdNamespace, input.trustDomain);
  const probePath = input.probePath ?? (svcAnn[PROBE_PATH_ANNOTATION] || (ambassador ? AMBASSADOR_PROBE_PATH : DEFAULT_PROBE_PATH));
  if (!probePath.startsWith('/')) throw new UsageError(`invalid probe path "${probePath}": it must start with "/"`);
  const livePeriod = /^\d+$/.test(svcAnn[PROBE_PERIOD_ANNOTATION] ?? '') ? Number(svcAnn[PROBE_PERIOD_ANNOTATION]) : undefined;
  const periodSeconds = input.probePeriodSeconds ?? livePeriod ?? DEFAULT_PROBE_PERIOD_SECONDS;
  const svcAnnOut: Record<string, string> = {};
  const svcChanges: string[] = [];
  setAnnotation(svcAnn, GATEWAY_IDENTITY_ANNOTATION, identity, svcAnnOut, svcChanges);
  setAnnotation(svcAnn, MULTICLUSTER_GATEWAY_ANNOTATION, 'true', svcAnnOut, svcChanges);
  setAnnotation(svcAnn, PROBE_PATH_ANNOTATION, probePath, svcAnnOut, svcChanges);
  setAnnotation(svcAnn, PROBE_PERIOD_ANNOTATION, String(periodSeconds), svcAnnOut, svcChanges);
  for (const p of [gateway, probe]) if (p.change) svcChanges.push(p.change);

  const objects: PlannedObject[] = [];
  if (ambassador) objects.push(...ambassadorObjects(input, namespace, probePath));
  if (podChanges.length > 0) {
    objects.push({
      object: { ...objectRef('apps/v1', 'Deployment', d.metadata.name!, namespace), spec: { template: { metadata: { annotations: podAnn } } } },
      changes: podChanges,
    });
  }
  if (svcChanges.length > 0) {
    objects.push({
      object: { apiVersion: 'v1', kind: 'Service', metadata: { name: svc.metadata.name!, namespace, annotations: svcAnnOut }, spec: { ports: [gateway.entry, probe.entry] } },
      changes: svcChanges,
    });
  }
  return { objects, identity, probe: { port: input.probePort, path: probePath, periodSeconds }, skippedPorts };
}
