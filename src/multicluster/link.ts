/**
 * The Link (multicluster.linkerd.io/v1alpha3), one type for both sides: link
 * and link-gen write it, check, gateways and unlink read it. A Link read from
 * a cluster is untrusted data: every field may be missing or odd.
 */
import { isDnsName, isIpAddress, isPort } from '../cli-kit.js';
import { parseGoDuration } from '../duration.js';
import type { KubeObject } from '../kube/client.js';
import { isEmptySelector, isLabelKey, isLabelValue, type LabelSelector } from './selectors.js';

export interface ProbeSpec {
  path?: string;
  port?: string;
  period?: string;
  /** CRD default 30s; upstream's link-gen leaves it out. */
  timeout?: string;
  /** CRD default "3"; upstream's link-gen leaves it out. */
  failureThreshold?: string;
}

export interface LinkSpec {
  targetClusterName: string;
  targetClusterDomain?: string;
  targetClusterLinkerdNamespace?: string;
  clusterCredentialsSecret: string;
  gatewayAddress?: string;
  gatewayPort?: string;
  gatewayIdentity?: string;
  probeSpec?: ProbeSpec;
  selector?: LabelSelector;
  remoteDiscoverySelector?: LabelSelector;
  federatedServiceSelector?: LabelSelector;
  excludedAnnotations?: string[];
  excludedLabels?: string[];
}

export interface Link extends KubeObject {
  spec: LinkSpec;
}

/**
 * One problem of a Link's spec: the field (spec.gatewayPort), what is wrong
 * with it, and what to set instead.
 */
export interface LinkFieldProblem {
  field: string;
  problem: string;
  fix: string;
}

/** A Link's spec as the service mirror uses it, after parsing. */
export interface ParsedLinkSpec {
  targetClusterName: string;
  clusterCredentialsSecret: string;
  /** Undefined for a Link without a gateway (flat network, remote discovery only). */
  gateway?: {
    addresses: string[];
    port: number;
    identity: string;
    /** probeSpec.port: the port of the gateway's mirror Endpoints, whether or not it is probed. */
    probePort: number;
    /**
     * Undefined when probeSpec.path is empty: the mirror then starts no probe
     * worker (its period, timeout and threshold are never read) and counts the
     * gateway alive, and `linkerd mc check` skips the gateway's probe checks.
     */
    probe?: { path: string; periodMs: number; timeoutMs?: number; failureThreshold?: number };
  };
}

const SELECTOR_FIELDS = ['selector', 'remoteDiscoverySelector', 'federatedServiceSelector'] as const;

/** Go's strconv.ParseInt(s, 10, 32) as the mirror parses gatewayPort and probeSpec.port, and a port Endpoints accept (1-65535). */
function parsePortField(value: string): number | undefined {
  const n = /^\+?\d{1,5}$/.test(value) ? Number(value) : NaN;
  return isPort(n) ? n : undefined;
}

/** An address the mirror resolves with net.LookupIP: an IP or a DNS name. */
function isGatewayAddress(a: string): boolean {
  return isIpAddress(a) || isDnsName(a.toLowerCase());
}

/** metav1.LabelSelectorAsSelector's rules: known operators, values only (and always) for In/NotIn, valid keys and values. */
function selectorProblems(field: string, sel: unknown): LinkFieldProblem[] {
  const fix = `a label selector as \`mc link-gen\` writes it, e.g. {"matchLabels":{"mirror.linkerd.io/exported":"true"}}`;
  if (sel === undefined || sel === null) return [];
  if (typeof sel !== 'object' || Array.isArray(sel)) return [{ field, problem: 'is not a label selector object', fix }];
  const s = sel as { matchLabels?: unknown; matchExpressions?: unknown };
  const out: LinkFieldProblem[] = [];
  if (s.matchLabels !== undefined && s.matchLabels !== null) {
    if (typeof s.matchLabels !== 'object' || Array.isArray(s.matchLabels)) out.push({ field: `${field}.matchLabels`, problem: 'is not a map of label keys to values', fix });
    else {
      for (const [k, v] of Object.entries(s.matchLabels)) {
        if (!isLabelKey(k)) out.push({ field: `${field}.matchLabels`, problem: `has "${k}", which is not a valid label key`, fix });
        if (typeof v !== 'string' || !isLabelValue(v)) out.push({ field: `${field}.matchLabels.${k}`, problem: `${JSON.stringify(v)} is not a valid label value`, fix });
      }
    }
  }
  if (s.matchExpressions !== undefined && s.matchExpressions !== null) {
    if (!Array.isArray(s.matchExpressions)) out.push({ field: `${field}.matchExpressions`, problem: 'is not a list', fix });
    else {
      s.matchExpressions.forEach((e: unknown, i) => {
        const where = `${field}.matchExpressions[${i}]`;
        const r = (e ?? {}) as { key?: unknown; operator?: unknown; values?: unknown };
        const values = Array.isArray(r.values) ? r.values : r.values === undefined || r.values === null ? [] : undefined;
        if (typeof r.key !== 'string' || !isLabelKey(r.key)) out.push({ field: `${where}.key`, problem: `${JSON.stringify(r.key)} is not a valid label key`, fix });
        if (values === undefined || values.some((v) => typeof v !== 'string' || !isLabelValue(v))) out.push({ field: `${where}.values`, problem: 'is not a list of label values', fix });
        switch (r.operator) {
          case 'In':
          case 'NotIn':
            if (values && values.length === 0) out.push({ field: `${where}.values`, problem: `is empty, but operator ${r.operator} needs at least one value`, fix });
            break;
          case 'Exists':
          case 'DoesNotExist':
            if (values && values.length > 0) out.push({ field: `${where}.values`, problem: `must be empty for operator ${r.operator}`, fix });
            break;
          default:
            out.push({ field: `${where}.operator`, problem: `${JSON.stringify(r.operator)} is not a selector operator (In, NotIn, Exists, DoesNotExist)`, fix });
        }
      });
    }
  }
  return out;
}

/**
 * Parse a Link's spec as upstream's service mirror does (edge-26.8.3,
 * multicluster/service-mirror: cluster_watcher.go, probe_worker.go): the
 * target name and credentials Secret; with a gateway (any gateway field or a
 * `selector`, whose mirrors get the gateway as endpoints) its address (a
 * comma-separated list of IPs or DNS names), port and probe port (ParseInt,
 * and a port Endpoints accept), identity; with a probe path (without one the
 * mirror does not probe) the probe period (time.ParseDuration, above 0: the
 * probe ticker needs one), and, when set, probe timeout (duration) and
 * failure threshold (ParseUint 32); the three selectors as
 * LabelSelectorAsSelector. Pure: `link` checks what it writes with it, `check`
 * what it reads. The spec comes from a cluster: anything may be in it.
 */
export function parseLinkSpec(raw: unknown): { spec?: ParsedLinkSpec; problems: LinkFieldProblem[] } {
  const problems: LinkFieldProblem[] = [];
  // A field of the wrong type is reported once, not also as missing.
  const wrongType = new Set<string>();
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    return { problems: [{ field: 'spec', problem: 'is missing', fix: 'the Link as `mc link-gen` prints it' }] };
  }
  const spec = raw as Record<string, unknown>;
  const text = (field: string): string | undefined => {
    const v = spec[field];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') {
      wrongType.add(`spec.${field}`);
      problems.push({ field: `spec.${field}`, problem: `is ${JSON.stringify(v)}, not a string`, fix: `a string (the Link CRD's type)${field === 'gatewayPort' ? ', e.g. "4143"' : ''}` });
      return undefined;
    }
    return v;
  };
  const targetClusterName = text('targetClusterName');
  if (targetClusterName === undefined && !wrongType.has('spec.targetClusterName')) problems.push({ field: 'spec.targetClusterName', problem: 'is missing', fix: 'the name of the linked cluster' });
  const clusterCredentialsSecret = text('clusterCredentialsSecret');
  if (clusterCredentialsSecret === undefined && !wrongType.has('spec.clusterCredentialsSecret')) problems.push({ field: 'spec.clusterCredentialsSecret', problem: 'is missing', fix: 'the name of the credentials Secret, cluster-credentials-<target cluster name>' });
  for (const f of SELECTOR_FIELDS) problems.push(...selectorProblems(`spec.${f}`, spec[f]));

  const address = text('gatewayAddress');
  const portText = text('gatewayPort');
  const identity = text('gatewayIdentity');
  const probeRaw = spec.probeSpec;
  let probe: Record<string, unknown> = {};
  if (probeRaw !== undefined && probeRaw !== null) {
    if (typeof probeRaw === 'object' && !Array.isArray(probeRaw)) probe = probeRaw as Record<string, unknown>;
    else problems.push({ field: 'spec.probeSpec', problem: 'is not an object', fix: '{"path":"/ready","port":"4191","period":"3s"}' });
  }
  const probeText = (field: string): string | undefined => {
    const v = probe[field];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') {
      wrongType.add(`spec.probeSpec.${field}`);
      problems.push({ field: `spec.probeSpec.${field}`, problem: `is ${JSON.stringify(v)}, not a string`, fix: 'a string (the Link CRD\'s type)' });
      return undefined;
    }
    return v;
  };
  const probePortText = probeText('port');
  const usesGateway = address !== undefined || portText !== undefined || identity !== undefined || probePortText !== undefined || !isEmptySelector(spec.selector as LabelSelector | undefined);
  let gateway: ParsedLinkSpec['gateway'];
  if (usesGateway) {
    const addresses = address === undefined ? [] : address.split(',');
    if (address === undefined) {
      if (!wrongType.has('spec.gatewayAddress')) problems.push({ field: 'spec.gatewayAddress', problem: 'is missing, but the Link uses a gateway (it has a gateway port, identity or selector)', fix: 'the gateway\'s address(es), comma-separated IPs or DNS names (the linked cluster\'s linkerd-gateway load balancer)' });
    } else {
      const bad = addresses.filter((a) => !isGatewayAddress(a));
      if (bad.length > 0) problems.push({ field: 'spec.gatewayAddress', problem: `${bad.map((a) => JSON.stringify(a)).join(', ')} is not an IP address or DNS name`, fix: 'comma-separated IPs or DNS names, no spaces, schemes or ports' });
    }
    const port = portText === undefined ? undefined : parsePortField(portText);
    if (port === undefined && !wrongType.has('spec.gatewayPort')) {
      problems.push({ field: 'spec.gatewayPort', problem: portText === undefined ? 'is missing' : `"${portText}" is not a port number (1-65535)`, fix: 'the gateway\'s mc-gateway port, e.g. "4143"' });
    }
    if (identity === undefined && !wrongType.has('spec.gatewayIdentity')) problems.push({ field: 'spec.gatewayIdentity', problem: 'is missing', fix: 'the identity of the gateway\'s pods, e.g. linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.cluster.local' });
    const probePort = probePortText === undefined ? undefined : parsePortField(probePortText);
    if (probePort === undefined && !wrongType.has('spec.probeSpec.port')) {
      problems.push({ field: 'spec.probeSpec.port', problem: probePortText === undefined ? 'is missing' : `"${probePortText}" is not a port number (1-65535)`, fix: 'the gateway\'s mc-probe port, e.g. "4191"' });
    }
    // The mirror probes only with a path (service-mirror main.go); without one it never reads the rest.
    const path = probeText('path');
    let probe: NonNullable<ParsedLinkSpec['gateway']>['probe'];
    if (path !== undefined) {
      const periodText = probeText('period');
      const periodMs = periodText === undefined ? undefined : parseGoDuration(periodText);
      if ((periodMs === undefined || periodMs <= 0) && !wrongType.has('spec.probeSpec.period')) {
        problems.push({ field: 'spec.probeSpec.period', problem: periodText === undefined ? 'is missing' : `"${periodText}" is not a positive duration`, fix: 'a Go duration, e.g. "3s"' });
      }
      const timeoutText = probeText('timeout');
      const timeoutMs = timeoutText === undefined ? undefined : parseGoDuration(timeoutText);
      if (timeoutText !== undefined && timeoutMs === undefined) problems.push({ field: 'spec.probeSpec.timeout', problem: `"${timeoutText}" is not a duration`, fix: 'a Go duration, e.g. "30s" (the CRD default)' });
      const thresholdText = probeText('failureThreshold');
      const threshold = thresholdText !== undefined && /^\d+$/.test(thresholdText) && Number(thresholdText) <= 0xffffffff ? Number(thresholdText) : undefined;
      if (thresholdText !== undefined && threshold === undefined) problems.push({ field: 'spec.probeSpec.failureThreshold', problem: `"${thresholdText}" is not a whole number`, fix: 'a count of failed probes, e.g. "3" (the CRD default)' });
      if (periodMs !== undefined && periodMs > 0) probe = { path, periodMs, timeoutMs, failureThreshold: threshold };
    }
    if (port !== undefined && probePort !== undefined && address !== undefined && identity !== undefined && (path === undefined || probe !== undefined)) {
      gateway = { addresses, port, identity, probePort, ...(probe ? { probe } : {}) };
    }
  }
  if (problems.length > 0) return { problems };
  return { spec: { targetClusterName: targetClusterName!, clusterCredentialsSecret: clusterCredentialsSecret!, gateway }, problems };
}
