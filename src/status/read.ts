/**
 * Reading the clusters for `mc status`: every context at once, each within
 * its own deadline, so a dead cluster becomes a row that says so and never
 * holds up the others. One cluster's reads are check's (CheckEnv): one
 * parallel round for linkerd-config, the issuer, the Links, the service
 * mirror Deployments and the mirror Services, then, per Link, the target
 * through the Link's own credentials.
 */
import { CheckEnv, CredentialsError } from '../check/env.js';
import type { Deployment, Link, Service } from '../check/types.js';
import { readGatewayMetrics } from '../gateways/read.js';
import { parsePemBundle } from '../check/certs.js';
import { AgentCache, KubeApiError, KubeClient, unlessNotFound } from '../kube/client.js';
import type { Env } from '../io.js';
import type { LoadedKubeconfig } from '../kube/kubeconfig.js';
import { coreRef } from '../kube/resources.js';
import { linkerdConfig } from '../linkerd-config.js';
import { DEFAULT_GATEWAY_NAME, DEFAULT_MULTICLUSTER_NAMESPACE, MIRROR_CLUSTER_LABEL, MIRRORED_SERVICE_LABEL } from '../multicluster/names.js';
import type { CertExpiry, ClusterReading, ControllerKind, LinkReading } from './model.js';

/** What the Lease holder of each link reports about its gateway, by target cluster name. */
export type GatewayHealth = Map<string, { alive?: boolean; latencyMs?: number; detail?: string }>;

/** `mc gateways`' reading: every Lease holder's metrics, in parallel, within the deadline. */
async function gatewayHealth(env: CheckEnv, waitMs: number): Promise<GatewayHealth> {
  // Through the pod proxy first, as check reads them: over the keep-alive connections, where each port-forward opens one.
  const { readings } = await readGatewayMetrics(env.local, { waitMs, prefer: 'pod proxy' });
  return new Map(
    readings.map((r) => [r.clusterName, r.error !== undefined ? { detail: r.error } : { alive: r.metrics?.alive, ...(r.metrics?.latencyMs !== undefined ? { latencyMs: r.metrics.latencyMs } : {}) }]),
  );
}

export interface ReadOptions {
  kubeconfig?: string;
  /** That kubeconfig, already loaded: every cluster's client comes from it. */
  loaded?: LoadedKubeconfig;
  /** $KUBECONFIG and $HOME. */
  env: Env;
  linkerdNamespace: string;
  /** Deadline for one cluster, everything included (ms); also each request's timeout. */
  timeoutMs: number;
  signal?: AbortSignal;
}

const DAY_MS = 86_400_000;

function errorText(err: unknown): string {
  if (err instanceof KubeApiError && err.code === 0) return err.reason === 'Timeout' ? 'no answer in time' : 'API server unreachable';
  return (err as Error).message.split('\n')[0]!;
}

function deploymentReplicas(d: Deployment): { ready: number; desired: number } {
  const spec = (d as { spec?: { replicas?: number } }).spec;
  return { ready: d.status?.readyReplicas ?? d.status?.availableReplicas ?? 0, desired: spec?.replicas ?? 1 };
}

/** The controller serving a Link: the chart's (component=controller) wins over a legacy one still present. */
function controllerOf(deployments: Deployment[], target: string): LinkReading['controller'] {
  const mine = deployments.filter((d) => d.metadata.labels?.[MIRROR_CLUSTER_LABEL] === target);
  const managed = mine.find((d) => d.metadata.labels?.component === 'controller');
  const legacy = mine.find((d) => d.metadata.labels?.component === 'service-mirror');
  const d = managed ?? legacy;
  if (!d) return { kind: 'none', ready: 0, desired: 0 };
  const kind: ControllerKind = managed ? 'managed' : 'legacy';
  return { kind, ...deploymentReplicas(d) };
}

/** Whether the Link's credentials can read the target: a good answer (or a 404) means yes. */
async function credentialsOf(env: CheckEnv, link: Link): Promise<LinkReading['credentials']> {
  try {
    await env.remoteIdentity(link);
    return { valid: true };
  } catch (err) {
    if (err instanceof CredentialsError) return { valid: false, detail: err.message };
    if (err instanceof KubeApiError) {
      if (err.code === 404) return { valid: true };
      if (err.code === 401 || err.code === 403) return { valid: false, detail: err.code === 401 ? 'Unauthorized' : 'Forbidden' };
      if (err.code === 0) return { detail: `${link.spec.targetClusterName} did not answer` };
    }
    return { detail: errorText(err) };
  }
}

function earliestExpiry(anchorsPem: string | undefined, issuerPem: string | undefined, now: Date): CertExpiry | undefined {
  const all: Array<{ what: string; notAfter: Date }> = [];
  for (const [what, pem] of [['trust anchor', anchorsPem], ['issuer', issuerPem]] as const) {
    if (!pem?.trim()) continue;
    try {
      for (const c of parsePemBundle(pem, now)) all.push({ what, notAfter: c.notAfter });
    } catch {
      // An unparsable bundle is check's business; status shows what it can.
    }
  }
  if (all.length === 0) return undefined;
  const first = all.reduce((a, b) => (b.notAfter < a.notAfter ? b : a));
  return { what: first.what, notAfter: first.notAfter.toISOString(), daysLeft: Math.floor((first.notAfter.getTime() - now.getTime()) / DAY_MS) };
}

function ingressAddresses(svc: Service | undefined): string | undefined {
  const list = (svc?.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter((a) => a !== '');
  return list.length > 0 ? list.join(',') : undefined;
}

/** Everything status shows of one cluster; throws when the cluster cannot be read at all. */
async function readWith(env: CheckEnv, o: ReadOptions): Promise<ClusterReading> {
  const now = new Date();
  const context = env.localName;
  // No Link CRD: the extension is not installed, so there are no links.
  const linksP = unlessNotFound(env.links(), [] as Link[]);
  const [cm, identity, namespaces, links, deployments, mirrors, gateway] = await Promise.all([
    unlessNotFound(env.localLinkerdConfig(), undefined),
    env.localIdentity().catch(() => undefined),
    env.multiclusterNamespaces(),
    linksP,
    env.serviceMirrorDeployments(),
    env.mirrorServicesByCluster(),
    env.local.getIfExists<Service>(coreRef('services', DEFAULT_MULTICLUSTER_NAMESPACE, DEFAULT_GATEWAY_NAME)),
  ]);
  if (!cm) return { context, linkerdInstalled: false, extensionInstalled: namespaces.length > 0, links: [] };
  const config = linkerdConfig(cm, `ConfigMap linkerd-config of context "${context}"`, { optional: true });
  const version = typeof config.values.linkerdVersion === 'string' ? config.values.linkerdVersion : undefined;
  const usable = links.filter((l) => l.spec?.targetClusterName && l.spec?.clusterCredentialsSecret);
  const [credentials, gateways] = await Promise.all([
    Promise.all(usable.map((l) => credentialsOf(env, l))),
    usable.some((l) => l.spec.gatewayAddress) ? gatewayHealth(env, Math.max(100, o.timeoutMs * 0.4)).catch((err: Error): GatewayHealth => new Map(usable.map((l) => [l.spec.targetClusterName, { detail: err.message.split('\n')[0]! }]))) : Promise.resolve<GatewayHealth>(new Map()),
  ]);
  const linkReadings: LinkReading[] = usable.map((l, i) => {
    const target = l.spec.targetClusterName;
    const gw = gateways.get(target);
    const enabled = Boolean(l.spec.gatewayAddress);
    return {
      name: l.metadata.name ?? target,
      namespace: l.metadata.namespace ?? 'default',
      target,
      controller: controllerOf(deployments, target),
      credentials: credentials[i]!,
      gateway: { enabled, ...(enabled && l.spec.gatewayAddress ? { address: l.spec.gatewayAddress } : {}), ...(enabled && gw ? gw : {}) },
      mirroredServices: (mirrors.get(target) ?? []).filter((s) => s.metadata.labels?.[MIRRORED_SERVICE_LABEL] === 'true').length,
    };
  });
  return {
    context,
    linkerdInstalled: true,
    extensionInstalled: namespaces.length > 0,
    ...(version ? { linkerdVersion: version } : {}),
    ...(ingressAddresses(gateway) ? { gatewayAddress: ingressAddresses(gateway) } : {}),
    ...(identity ? { earliestExpiry: earliestExpiry(identity.anchorsPem, identity.issuerPem, now) } : {}),
    links: linkReadings,
  };
}

/**
 * Connections to one API server (per identity). A status reading is a burst
 * of a dozen reads per cluster; with 20 clusters, a connection per read in
 * flight made each cluster open about 10, and their TLS handshakes (on both
 * ends, most of them in this process) grew status's time with the number of
 * clusters. A few connections serve the burst in a few round trips instead.
 * The context's own identity has the burst (7 reads at once): 4 connections
 * take it in 2 round trips, where 2 took 4 (100 ms away, status of 2
 * clusters took 1330 ms with 2, 1057 with 4, 1056 with 8). The Links'
 * tokens to a cluster read once each: 2 (bench/status-connect.ts).
 */
export const CONNECTIONS_PER_SERVER = 2;
/** The context's own identity: its burst of reads. */
export const OWN_CONNECTIONS_PER_SERVER = 4;

/** One cluster, within its deadline; an unreachable cluster is a reading with `error`. */
async function readCluster(context: string, o: ReadOptions, agents: AgentCache): Promise<ClusterReading> {
  let env: CheckEnv | undefined;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${o.timeoutMs / 1000}s`)), o.timeoutMs);
  });
  try {
    const work = (async () => {
      // Local reads, then the targets and the gateways: each part gets a share of the deadline.
      const client = await KubeClient.connect({ kubeconfig: o.kubeconfig, loaded: o.loaded, context, env: o.env }, { timeoutMs: o.timeoutMs * 0.5, agents, maxSockets: OWN_CONNECTIONS_PER_SERVER });
      env = new CheckEnv(client, { linkerdNamespace: o.linkerdNamespace, remoteTimeoutMs: o.timeoutMs * 0.4, agents });
      return readWith(env, o);
    })();
    work.catch(() => undefined);
    return await Promise.race([work, deadline]);
  } catch (err) {
    return { context, error: errorText(err), links: [] };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Every context at once. All reads of one cluster share its connections:
 * the context's own, and those of the Links' credentials (bearer tokens) to
 * it, which differ only in their headers.
 */
export async function readClusters(contexts: string[], o: ReadOptions): Promise<ClusterReading[]> {
  const agents = new AgentCache(CONNECTIONS_PER_SERVER);
  try {
    return await Promise.all(contexts.map((c) => readCluster(c, o, agents)));
  } finally {
    // Closing drops the sockets of requests still running past a cluster's deadline.
    agents.close();
  }
}

/**
 * A cluster without a gateway Service of its own (e.g. Ambassador as the
 * gateway) shows the address the Links pointing at it use.
 */
export function fillGatewayAddresses(readings: ClusterReading[], contextOfTarget: (target: string) => string | undefined): void {
  for (const r of readings) {
    if (r.gatewayAddress || r.error) continue;
    for (const other of readings) {
      const l = other.links.find((x) => contextOfTarget(x.target) === r.context && x.gateway.address);
      if (l) {
        r.gatewayAddress = l.gateway.address;
        break;
      }
    }
  }
}
