/**
 * `mc status`'s model: what was read from each cluster (ClusterReading), and
 * the verdicts made from it (ClusterStatus). Pure: readings in, verdicts out;
 * the renderers (render.ts) only print what is here.
 */
import { EXPIRY_WARNING_DAYS } from '../certs/inspect.js';

export type Health = 'ok' | 'warn' | 'fail';

/** Who runs the service mirror of a Link: the chart's `controllers` (managed), `mc link` (legacy), or nobody. */
export type ControllerKind = 'managed' | 'legacy' | 'none';

export interface LinkReading {
  /** The Link's name and namespace in the cluster that mirrors. */
  name: string;
  namespace: string;
  /** spec.targetClusterName: the cluster mirrored. */
  target: string;
  controller: { kind: ControllerKind; ready: number; desired: number };
  /** Could the Link's credentials read the target? undefined: not known (e.g. the target did not answer). */
  credentials: { valid?: boolean; detail?: string };
  /** The gateway as the Link's controller sees it (`mc gateways`). undefined alive: not known. */
  gateway: { enabled: boolean; address?: string; alive?: boolean; latencyMs?: number; detail?: string };
  /** Services mirrored from the target (mirror.linkerd.io/mirrored-service=true, cluster-name=target). */
  mirroredServices: number;
}

export interface CertExpiry {
  /** "trust anchor" or "issuer" */
  what: string;
  notAfter: string;
  daysLeft: number;
}

export interface ClusterReading {
  /** The kubeconfig context. */
  context: string;
  /** Set when the cluster could not be read at all (unreachable, deadline, refused). */
  error?: string;
  linkerdInstalled?: boolean;
  extensionInstalled?: boolean;
  linkerdVersion?: string;
  /** Addresses of the cluster's gateway (its load balancer), when it has one. */
  gatewayAddress?: string;
  /** The certificate (anchor or issuer) that expires first. */
  earliestExpiry?: CertExpiry;
  links: LinkReading[];
}

export interface LinkStatus extends LinkReading {
  /** The context of the target, when it is one of the clusters shown. */
  targetContext?: string;
  health: Health;
  /** What is wrong, short ("gateway down", "credentials refused"); empty when healthy. */
  problems: string[];
}

export interface ClusterStatus extends Omit<ClusterReading, 'links'> {
  reachable: boolean;
  links: LinkStatus[];
  health: Health;
  /** One line: "ok", "1 of 2 links down: west", "unreachable: ...". */
  verdict: string;
}

export interface StatusReport {
  /** ISO time of the reading. */
  time: string;
  clusters: ClusterStatus[];
}

const worst = (hs: Health[]): Health => (hs.includes('fail') ? 'fail' : hs.includes('warn') ? 'warn' : 'ok');

/** Health and problems of one link. */
export function linkStatus(l: LinkReading, targetContext?: string): LinkStatus {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (l.controller.kind === 'none') problems.push('no service mirror');
  else if (l.controller.ready < Math.max(1, l.controller.desired)) problems.push(`${l.controller.kind} controller not ready (${l.controller.ready}/${l.controller.desired})`);
  if (l.credentials.valid === false) problems.push(`credentials refused${l.credentials.detail ? `: ${l.credentials.detail}` : ''}`);
  else if (l.credentials.valid === undefined) warnings.push(`credentials not verified${l.credentials.detail ? `: ${l.credentials.detail}` : ''}`);
  if (l.gateway.enabled) {
    if (l.gateway.alive === false) problems.push(`gateway down${l.gateway.detail ? `: ${l.gateway.detail}` : ''}`);
    else if (l.gateway.alive === undefined && l.gateway.detail) warnings.push(`gateway not known: ${l.gateway.detail}`);
  }
  const health: Health = problems.length > 0 ? 'fail' : warnings.length > 0 ? 'warn' : 'ok';
  return { ...l, ...(targetContext ? { targetContext } : {}), health, problems: [...problems, ...warnings] };
}

/**
 * A cluster's verdict. `contextOfTarget` maps a Link's target cluster name
 * to the context shown for it (the matrix's columns).
 */
export function clusterStatus(r: ClusterReading, contextOfTarget: (target: string) => string | undefined = () => undefined): ClusterStatus {
  const { links: readings, ...rest } = r;
  const links = readings.map((l) => linkStatus(l, contextOfTarget(l.target))).sort((a, b) => a.target.localeCompare(b.target));
  if (r.error !== undefined) return { ...rest, reachable: false, links, health: 'fail', verdict: `unreachable: ${r.error}` };
  if (r.linkerdInstalled === false) return { ...rest, reachable: true, links, health: 'fail', verdict: 'Linkerd is not installed' };
  const notes: string[] = [];
  const healths: Health[] = links.map((l) => l.health);
  if (r.extensionInstalled === false) {
    healths.push('warn');
    notes.push('multicluster extension not installed');
  }
  const down = links.filter((l) => l.health === 'fail');
  if (down.length > 0) notes.push(`${down.length} of ${links.length} link${links.length === 1 ? '' : 's'} failing: ${down.map((l) => `${l.target} (${l.problems[0]})`).join(', ')}`);
  const unsure = links.filter((l) => l.health === 'warn');
  if (unsure.length > 0) notes.push(`${unsure.map((l) => l.target).join(', ')}: ${unsure[0]!.problems[0]}${unsure.length > 1 ? ' ...' : ''}`);
  const exp = r.earliestExpiry;
  if (exp) {
    if (exp.daysLeft < 0) {
      healths.push('fail');
      notes.push(`${exp.what} expired ${-exp.daysLeft} days ago`);
    } else if (exp.daysLeft < EXPIRY_WARNING_DAYS) {
      healths.push('warn');
      notes.push(`${exp.what} expires in ${exp.daysLeft} days`);
    }
  }
  const health = worst(healths);
  const verdict = notes.length > 0 ? notes.join('; ') : links.length === 0 ? 'ok (no links)' : `ok (${links.length} link${links.length === 1 ? '' : 's'})`;
  return { ...rest, reachable: true, links, health, verdict };
}

/**
 * The report from every cluster's reading. A Link's target is matched to a
 * context by name: the context itself, or the cluster name connect/link made
 * of it.
 */
export function statusReport(readings: ClusterReading[], clusterNameOf: (context: string) => string, time = new Date()): StatusReport {
  const byName = new Map<string, string>();
  for (const r of readings) {
    byName.set(r.context, r.context);
    const n = clusterNameOf(r.context);
    if (!byName.has(n)) byName.set(n, r.context);
  }
  return { time: time.toISOString(), clusters: readings.map((r) => clusterStatus(r, (t) => byName.get(t))) };
}

/** Exit code of `mc status`: 1 when any cluster fails. */
export function statusExitCode(report: StatusReport): number {
  return report.clusters.some((c) => c.health === 'fail') ? 1 : 0;
}
