/**
 * SIMULATED admin side of service mirrors (legacy `link` mirrors, component
 * linkerd-service-mirror, and the chart's managed controllers, component
 * controller): the Lease `service-mirror-write-TARGET` the active mirror of a
 * link holds (holderIdentity = its pod's name, as upstream's leader
 * election), and the Prometheus text its admin port (the container port named
 * *-admin, 9999) serves on GET /metrics: gateway_enabled, gateway_alive and
 * gateway_latency per target_cluster_name (multicluster/service-mirror/
 * metrics.go). Only the Lease holder probes, so only its metrics carry the
 * gateway series. Test double only.
 */
import type { TestCluster } from './index.js';
import type { PodHttpAnswer } from './pod-network.js';
import type { KubeObject } from './kube-object.js';
import type { Endpoints, Lease, LinkSpec, Pod, Service } from './kinds.js';

export interface GatewayProbe {
  /** gateway_enabled: the Link has a gateway (address and probe spec). */
  enabled: boolean;
  /** gateway_alive: the last probe got an answer. */
  alive: boolean;
  /** gateway_latency: the last probe's latency, ms. */
  latencyMs: number;
}

export interface MirrorAdminFaults {
  /** Nothing listens on the admin port (connection refused). */
  refuse: boolean;
  /** The admin server answers this late (ms). */
  delayMs: number;
}

export interface MirrorAdmin {
  /** Probe results per target cluster name (what the holder's /metrics says). */
  probes: Map<string, GatewayProbe>;
  faults: MirrorAdminFaults;
  /** Take or renew each Link's Lease for a running mirror pod of its target (the first by name). */
  syncLeases(links: LeaseHolderLink[]): void;
  stop(): void;
}

const COMPONENTS = ['linkerd-service-mirror', 'controller'];
const CONTAINERS = ['service-mirror', 'controller'];
const CLUSTER_LABEL = 'mirror.linkerd.io/cluster-name';
const RENEW_MS = 10_000;

/** What syncLeases reads of a Link: where it is and which cluster it targets. */
export interface LeaseHolderLink {
  metadata: { namespace?: string };
  spec?: Pick<LinkSpec, 'targetClusterName'>;
}

export const leaseName = (target: string) => `service-mirror-write-${target}`;

/** A Link's gateway is enabled when it has an address and a probe path (upstream skips the rest). */
export function gatewayEnabled(spec: LinkSpec | undefined): boolean {
  return Boolean(spec?.gatewayAddress) && Boolean(spec?.probeSpec?.path);
}

/**
 * Whether the simulated gateway answers the Link's probe: the target cluster
 * answered (its services and endpoints were read) and one of its Services
 * exposes the probe port with ready endpoints.
 */
export function gatewayAnswers(spec: LinkSpec | undefined, remoteServices: Service[], remoteEndpoints: Endpoints[]): boolean {
  if (!gatewayEnabled(spec)) return false;
  const probePort = Number(spec?.probeSpec?.port ?? 4191);
  return remoteServices.some((svc) => {
    if (!(svc.spec?.ports ?? []).some((p) => p.port === probePort)) return false;
    const ep = remoteEndpoints.find((e) => e.metadata.namespace === svc.metadata.namespace && e.metadata.name === svc.metadata.name);
    return (ep?.subsets ?? []).some((s) => (s.addresses ?? []).length > 0);
  });
}

function isMirrorPod(pod: KubeObject): boolean {
  return COMPONENTS.includes(pod.metadata.labels?.component ?? '') && Boolean(pod.metadata.labels?.[CLUSTER_LABEL]);
}

function adminPortOf(pod: Pod): number | undefined {
  for (const c of pod.spec?.containers ?? []) {
    if (!CONTAINERS.includes(c.name)) continue;
    for (const p of c.ports ?? []) if (String(p.name ?? '').endsWith('-admin')) return p.containerPort;
  }
  return undefined;
}

function metricsText(target: string, probe: GatewayProbe | undefined, holder: boolean): string {
  const lines = ['# HELP go_goroutines Number of goroutines that currently exist.', '# TYPE go_goroutines gauge', 'go_goroutines 57'];
  if (holder && probe) {
    const l = `{target_cluster_name=${JSON.stringify(target)}}`;
    const latency = Math.round(probe.latencyMs);
    lines.push(
      '# HELP gateway_alive A gauge which is 1 if the gateway is alive and 0 if it is not.',
      '# TYPE gateway_alive gauge',
      `gateway_alive${l} ${probe.alive ? 1 : 0}`,
      '# HELP gateway_enabled A gauge which is 1 if the gateway is enabled, and 0 if it is not',
      '# TYPE gateway_enabled gauge',
      `gateway_enabled${l} ${probe.enabled ? 1 : 0}`,
      '# HELP gateway_latency A gauge which is the latency of the last probe to the gateway.',
      '# TYPE gateway_latency gauge',
      `gateway_latency${l} ${latency}`,
      '# HELP gateway_probe_latency_ms A histogram of latencies to a gateway in a target cluster.',
      '# TYPE gateway_probe_latency_ms histogram',
      ...[10, 100, 1000].map((le) => `gateway_probe_latency_ms_bucket{target_cluster_name=${JSON.stringify(target)},le="${le}"} ${latency <= le ? 1 : 0}`),
      `gateway_probe_latency_ms_bucket{target_cluster_name=${JSON.stringify(target)},le="+Inf"} 1`,
      `gateway_probe_latency_ms_sum${l} ${latency}`,
      `gateway_probe_latency_ms_count${l} 1`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Serve the admin port of every service mirror pod of `cluster` and keep their Leases. */
export function serveMirrorAdmin(cluster: TestCluster): MirrorAdmin {
  const probes = new Map<string, GatewayProbe>();
  const faults: MirrorAdminFaults = { refuse: false, delayMs: 0 };
  const stopServing = cluster.apiServer.pods.serve((pod, port) => {
    if (!isMirrorPod(pod) || adminPortOf(pod) !== port) return undefined;
    return async ({ path }): Promise<PodHttpAnswer> => {
      if (faults.refuse) return 'refused';
      if (faults.delayMs > 0) await new Promise((r) => setTimeout(r, faults.delayMs).unref());
      if (path.split('?')[0] !== '/metrics') return { status: 404, body: '404 page not found\n' };
      const target = pod.metadata.labels![CLUSTER_LABEL]!;
      const lease = cluster.get<Lease>('coordination.k8s.io/v1', 'Lease', pod.metadata.namespace, leaseName(target));
      const holder = lease?.spec?.holderIdentity === pod.metadata.name;
      return { status: 200, contentType: 'text/plain; version=0.0.4; charset=utf-8', body: metricsText(target, probes.get(target), holder) };
    };
  });

  const syncLeases = (links: LeaseHolderLink[]) => {
    const now = new Date();
    const stamp = now.toISOString().replace('Z', '000Z'); // MicroTime
    for (const link of links) {
      const ns = link.metadata.namespace ?? 'default';
      const target: string | undefined = link.spec?.targetClusterName;
      if (!target) continue;
      const pods = cluster
        .list<Pod>('v1', 'Pod', ns)
        .filter((p) => isMirrorPod(p) && p.metadata.labels![CLUSTER_LABEL] === target && p.status?.phase === 'Running')
        .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
      const lease = cluster.get<Lease>('coordination.k8s.io/v1', 'Lease', ns, leaseName(target));
      const holder = lease?.spec?.holderIdentity;
      if (holder && pods.some((p) => p.metadata.name === holder)) {
        if (now.getTime() - Date.parse(lease!.spec!.renewTime ?? '0') > RENEW_MS) cluster.put({ ...lease, spec: { ...lease!.spec, renewTime: stamp } });
        continue;
      }
      if (pods.length === 0) continue; // nobody to take it: an old Lease stays until it expires
      cluster.put({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: leaseName(target), namespace: ns, ...(lease ? { resourceVersion: lease.metadata.resourceVersion } : {}) },
        spec: { holderIdentity: pods[0].metadata.name, leaseDurationSeconds: 30, acquireTime: stamp, renewTime: stamp, leaseTransitions: (lease?.spec?.leaseTransitions ?? -1) + 1 },
      });
    }
  };

  return { probes, faults, syncLeases, stop: stopServing };
}
