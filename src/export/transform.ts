/**
 * What `mc export-service` changes on a Service, as data: pure functions, no
 * I/O. The same changes drive the offline rewrite of manifests and the live
 * merge patch.
 *
 * Upstream facts: Linkerd 2.8 exported with the annotations
 * mirror.linkerd.io/gateway-name and mirror.linkerd.io/gateway-ns (defaults
 * linkerd-gateway / linkerd-multicluster); current Linkerd exports with the
 * label mirror.linkerd.io/exported ("true", or "remote-discovery" for
 * gateway-less mirroring) and federates with mirror.linkerd.io/federated=member.
 * Services carrying mirror.linkerd.io/mirrored-service are mirrors themselves
 * and are never exported. Only kind Service (core v1) is touched.
 */
import { DEFAULT_GATEWAY_NAME, DEFAULT_MULTICLUSTER_NAMESPACE, MIRRORED_SERVICE_LABEL } from '../multicluster/names.js';

export const EXPORTED_LABEL = 'mirror.linkerd.io/exported';
export const FEDERATED_LABEL = 'mirror.linkerd.io/federated';
export const GATEWAY_NAME_ANNOTATION = 'mirror.linkerd.io/gateway-name';
export const GATEWAY_NS_ANNOTATION = 'mirror.linkerd.io/gateway-ns';

export interface ExportOptions {
  /** Remove the marks instead of setting them. */
  unexport?: boolean;
  /** Export for gateway-less mirroring: exported=remote-discovery. */
  remoteDiscovery?: boolean;
  /** Join the federated service: federated=member (alone; with --unexport: leave only the federation). */
  federated?: boolean;
  /** Linkerd 2.8 style: also annotate with the gateway to use. */
  gatewayName?: string;
  gatewayNamespace?: string;
}

/** A key set to a value, or removed (null), as in a JSON merge patch. */
export type KeyChanges = Record<string, string | null>;

export interface ServiceChanges {
  labels: KeyChanges;
  annotations: KeyChanges;
}

export type ServiceOutcome =
  /** Changes to make (possibly none: already in the wanted state). */
  | { action: 'change'; changes: ServiceChanges; unchanged: boolean }
  /** A mirror of a remote service: never exported. */
  | { action: 'skip-mirror' };

interface MetaLike {
  metadata?: { labels?: Record<string, unknown> | null; annotations?: Record<string, unknown> | null } | null;
}

/** What contradicts in the options (a message naming the flags), or undefined; the command makes it a usage error. */
export function validateOptions(o: ExportOptions): string | undefined {
  const gateway = o.gatewayName !== undefined || o.gatewayNamespace !== undefined;
  if (o.gatewayName === '') return '--gateway-name must not be empty';
  if (o.gatewayNamespace === '') return '--gateway-namespace must not be empty';
  if (o.unexport) {
    if (o.remoteDiscovery) return '--unexport removes every export mark; drop --remote-discovery (use --federated to leave only the federation)';
    if (gateway) return '--unexport removes every export mark; drop --gateway-name/--gateway-namespace';
    return undefined;
  }
  const modes = [o.remoteDiscovery && '--remote-discovery', o.federated && '--federated', gateway && '--gateway-name/--gateway-namespace'].filter(Boolean);
  if (modes.length > 1) return `${modes.join(' and ')} cannot be combined: each is a different way to export`;
  return undefined;
}

/** The label and annotation values export sets (null: removed by --unexport). */
export function wantedMarks(o: ExportOptions): ServiceChanges {
  if (o.unexport) {
    if (o.federated) return { labels: { [FEDERATED_LABEL]: null }, annotations: {} };
    return {
      labels: { [EXPORTED_LABEL]: null, [FEDERATED_LABEL]: null },
      annotations: { [GATEWAY_NAME_ANNOTATION]: null, [GATEWAY_NS_ANNOTATION]: null },
    };
  }
  if (o.federated) return { labels: { [FEDERATED_LABEL]: 'member' }, annotations: {} };
  const labels: KeyChanges = { [EXPORTED_LABEL]: o.remoteDiscovery ? 'remote-discovery' : 'true' };
  const annotations: KeyChanges = {};
  if (o.gatewayName !== undefined || o.gatewayNamespace !== undefined) {
    annotations[GATEWAY_NAME_ANNOTATION] = o.gatewayName ?? DEFAULT_GATEWAY_NAME;
    annotations[GATEWAY_NS_ANNOTATION] = o.gatewayNamespace ?? DEFAULT_MULTICLUSTER_NAMESPACE;
  }
  return { labels, annotations };
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Only what differs from the current state: setting a value that is there, or removing one that is not, is no change. */
function diff(current: unknown, wanted: KeyChanges): KeyChanges {
  const cur = isMap(current) ? current : {};
  const out: KeyChanges = {};
  for (const [k, v] of Object.entries(wanted)) {
    const has = Object.prototype.hasOwnProperty.call(cur, k);
    if (v === null ? has : !has || cur[k] !== v) out[k] = v;
  }
  return out;
}

export function isMirror(svc: MetaLike): boolean {
  const labels = svc.metadata?.labels;
  return isMap(labels) && Object.prototype.hasOwnProperty.call(labels, MIRRORED_SERVICE_LABEL);
}

/** Is this object a core v1 Service (the only kind export touches)? */
export function isService(obj: unknown): boolean {
  return isMap(obj) && obj.kind === 'Service' && obj.apiVersion === 'v1';
}

/** What to do with one Service. */
export function serviceOutcome(svc: MetaLike, o: ExportOptions): ServiceOutcome {
  if (isMirror(svc)) return { action: 'skip-mirror' };
  const wanted = wantedMarks(o);
  const changes: ServiceChanges = { labels: diff(svc.metadata?.labels, wanted.labels), annotations: diff(svc.metadata?.annotations, wanted.annotations) };
  const unchanged = Object.keys(changes.labels).length === 0 && Object.keys(changes.annotations).length === 0;
  return { action: 'change', changes, unchanged };
}

/**
 * Apply changes to a plain object (JSON manifests, and the expected result the
 * YAML editor is checked against). Returns a new object; the input is not
 * mutated. Key order is kept; new keys go last; a labels/annotations map
 * emptied by removals is dropped.
 */
export function applyChanges<T extends MetaLike>(obj: T, changes: ServiceChanges): T {
  const meta: Record<string, unknown> = { ...(isMap(obj.metadata) ? obj.metadata : {}) };
  for (const field of ['labels', 'annotations'] as const) {
    const ch = changes[field];
    const keys = Object.keys(ch);
    if (keys.length === 0) continue;
    const map: Record<string, unknown> = { ...(isMap(meta[field]) ? (meta[field] as Record<string, unknown>) : {}) };
    let removed = false;
    for (const k of keys) {
      const v = ch[k];
      if (v === null) {
        removed = removed || k in map;
        delete map[k];
      } else map[k] = v;
    }
    if (removed && Object.keys(map).length === 0) delete meta[field];
    else meta[field] = map;
  }
  return { ...obj, metadata: meta };
}

/**
 * The JSON merge patch (RFC 7386) of the changes: metadata only, null
 * removes. Given the current object, a map the changes would empty is removed
 * whole (as offline).
 */
export function mergePatchOf(changes: ServiceChanges, resourceVersion?: string, current?: MetaLike): { metadata: Record<string, unknown> } {
  const metadata: Record<string, unknown> = {};
  for (const field of ['labels', 'annotations'] as const) {
    const ch = changes[field];
    if (!Object.keys(ch).length) continue;
    const cur = current?.metadata?.[field];
    const emptied = isMap(cur) && Object.keys(cur).length > 0 && Object.keys(cur).every((k) => ch[k] === null) && Object.values(ch).every((v) => v === null);
    metadata[field] = emptied ? null : { ...ch };
  }
  if (resourceVersion) metadata.resourceVersion = resourceVersion;
  return { metadata };
}

/** "deployments", "deployments.apps", "services.serving.knative.dev": how skipped kinds are counted (kubectl's resource.group). */
export function kindKey(obj: unknown): string {
  if (!isMap(obj) || typeof obj.kind !== 'string' || obj.kind === '') return 'documents without a kind';
  const plural = `${obj.kind.toLowerCase()}s`;
  const av = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const group = av.includes('/') ? av.slice(0, av.indexOf('/')) : '';
  return group ? `${plural}.${group}` : plural;
}

/** Is this a List (kind List or XxxList with an items array)? */
export function isList(obj: unknown): obj is { items: unknown[] } {
  return isMap(obj) && typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items);
}
