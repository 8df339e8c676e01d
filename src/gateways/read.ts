/**
 * Reading the gateway metrics of a cluster's links, as upstream's
 * `linkerd multicluster gateways` and check do: in the namespace labelled
 * linkerd.io/extension=multicluster, the service mirror pods (legacy
 * mirrors and the chart's managed controllers), of which only the holder of
 * each link's Lease `service-mirror-write-NAME` probes the gateway; its admin
 * port (the container port named *-admin), GET /metrics through the API
 * server. Pods are read in parallel (one round trip each, whatever the number
 * of links); every failure names the pod, the port, what was read and why.
 */
import { McError } from '../errors.js';
import type { KubeClient, KubeObject } from '../kube/client.js';
import { coreRef, type ResourceRef } from '../kube/resources.js';
import { podProxyGet, portForwardGet, PortForwardRefused, PodHttpTimeout, type PodHttpReply, type PodPort } from '../kube/pod-http.js';
import {
  ADMIN_PORT_NAME_SUFFIX,
  EXTENSION_LABEL,
  EXTENSION_NAME,
  MIRROR_CLUSTER_LABEL,
  SERVICE_MIRROR_CONTAINERS,
  SERVICE_MIRROR_POD_COMPONENTS,
  serviceMirrorLeaseName,
} from '../multicluster/names.js';
import { gatewayMetricsFor, GATEWAY_ALIVE, TARGET_CLUSTER_LABEL, type GatewayMetrics } from './metrics.js';

export const METRICS_PATH = '/metrics';
const LEASES: ResourceRef = { apiVersion: 'coordination.k8s.io/v1', resource: 'leases' };

export type MetricsTransport = 'port-forward' | 'pod proxy';

/** What was read for one linked cluster: its gateway's metrics, or why they could not be read. */
export interface GatewayReading {
  /** The linked (target) cluster. */
  clusterName: string;
  /** The multicluster extension's namespace, where the service mirrors run. */
  namespace: string;
  /** The service mirror pod that holds the link's Lease, when there is one. */
  pod?: string;
  port?: number;
  via?: MetricsTransport;
  metrics?: GatewayMetrics;
  /** Why the metrics could not be read (names pod, port, what and why). */
  error?: string;
  hint?: string;
}

export interface GatewayMetricsOptions {
  /** Only this linked cluster (else every service mirror found). */
  clusterName?: string;
  /** How long all the reads together may take (upstream's --wait). */
  waitMs: number;
  /** --verbose lines (e.g. the fallback from port-forward to the pod proxy). */
  log?: (line: string) => void;
  /** Ctrl-C: open port-forwards are closed. */
  signal?: AbortSignal;
  /** The flag that sets waitMs, for messages (default --wait; check's is --timeout). */
  waitFlag?: string;
  /**
   * Tried first (default port-forward, as upstream; the other one when it is
   * refused). The pod proxy rides the client's keep-alive connections, where
   * each port-forward is a connection of its own: check, which reads every
   * link's mirror among many other reads, prefers it.
   */
  prefer?: MetricsTransport;
}

export interface GatewayMetricsResult {
  /** The multicluster extension's namespace. */
  namespace: string;
  readings: GatewayReading[];
}

interface PodObject extends KubeObject {
  spec?: { containers?: Array<{ name: string; ports?: Array<{ name?: string; containerPort: number }> }> };
  status?: { phase?: string };
}

interface LeaseObject extends KubeObject {
  spec?: { holderIdentity?: string };
}

/** The namespace of the multicluster extension (the first labelled linkerd.io/extension=multicluster, as upstream). */
export async function multiclusterNamespace(client: KubeClient): Promise<string> {
  const namespaces = await client.list(coreRef('namespaces'), { labelSelector: `${EXTENSION_LABEL}=${EXTENSION_NAME}` });
  const name = namespaces[0]?.metadata.name;
  if (!name) {
    throw new McError(
      `the multicluster extension is not installed in context "${client.contextName}": no namespace is labelled ${EXTENSION_LABEL}=${EXTENSION_NAME}`,
      `Install it with \`mc --context ${client.contextName} install | kubectl --context ${client.contextName} apply -f -\`.`,
    );
  }
  return name;
}

/** The admin port of a service mirror pod, or why it has none. */
function adminPort(pod: PodObject): { port: number } | { error: string } {
  const container = (pod.spec?.containers ?? []).find((c) => (SERVICE_MIRROR_CONTAINERS as readonly string[]).includes(c.name));
  if (!container) return { error: `pod ${pod.metadata.name} has no "${SERVICE_MIRROR_CONTAINERS.join('" or "')}" container` };
  const port = (container.ports ?? []).find((p) => p.name?.endsWith(ADMIN_PORT_NAME_SUFFIX));
  if (!port) return { error: `container "${container.name}" of pod ${pod.metadata.name} has no port named *${ADMIN_PORT_NAME_SUFFIX}` };
  return { port: port.containerPort };
}

/** Which pod to read for `cluster`: the Lease holder, or why there is none to read. */
function leaseHolder(cluster: string, namespace: string, pods: PodObject[], leases: LeaseObject[]): { pod: PodObject } | { error: string; hint: string } {
  const leaseName = serviceMirrorLeaseName(cluster);
  const mine = pods.filter((p) => p.metadata.labels?.[MIRROR_CLUSTER_LABEL] === cluster);
  const names = mine.map((p) => p.metadata.name).join(', ') || 'none';
  const logs = `kubectl -n ${namespace} logs -l ${MIRROR_CLUSTER_LABEL}=${cluster} --all-containers`;
  const lease = leases.find((l) => l.metadata.name === leaseName);
  if (!lease) {
    return {
      error: `no service mirror of "${cluster}" holds a Lease: Lease ${namespace}/${leaseName} does not exist (service mirror pods: ${names}); the mirror takes it when it starts, so none is running or it cannot write Leases`,
      hint: `See why in its logs: ${logs}`,
    };
  }
  const holder = lease.spec?.holderIdentity;
  if (!holder) {
    return { error: `Lease ${namespace}/${leaseName} has no holder (service mirror pods: ${names}): no mirror of "${cluster}" is active`, hint: `See why in its logs: ${logs}` };
  }
  const pod = mine.find((p) => p.metadata.name === holder);
  if (!pod) {
    return {
      error: `Lease ${namespace}/${leaseName} is held by "${holder}", which is not a service mirror pod of "${cluster}" here (pods: ${names}); the holder may have just gone away`,
      hint: `Run again in a few seconds; if it stays, see the mirror's logs: ${logs}`,
    };
  }
  if (pod.status?.phase !== 'Running') {
    return { error: `pod ${namespace}/${holder} holds Lease ${leaseName} but is not running (phase ${pod.status?.phase ?? 'unknown'})`, hint: `kubectl -n ${namespace} describe pod ${holder}` };
  }
  return { pod };
}

/**
 * GET /metrics of a pod port: by port-forward, falling back to the pod proxy
 * when the port-forward is refused (not when it times out). Both refused by
 * RBAC: one error that names both grants.
 */
export async function readPodMetrics(
  client: KubeClient,
  target: PodPort,
  timeoutMs: number,
  log?: (line: string) => void,
  signal?: AbortSignal,
  prefer: MetricsTransport = 'port-forward',
): Promise<PodHttpReply & { via: MetricsTransport }> {
  const started = Date.now();
  const left = () => Math.max(1, timeoutMs - (Date.now() - started));
  const forward = async () => ({ ...(await portForwardGet(client, target, METRICS_PATH, left(), signal)), via: 'port-forward' as const });
  const proxy = async () => ({ ...(await podProxyGet(client, target, METRICS_PATH, left())), via: 'pod proxy' as const });
  const bothForbidden = () =>
    new McError(
      `forbidden: context "${client.contextName}" may neither port-forward to nor proxy to pod ${target.namespace}/${target.pod} (port ${target.port})`,
      `Grant its identity "get" on pods/proxy, or "get" and "create" on pods/portforward, in namespace "${target.namespace}" (e.g. kubectl create role mc-gateways -n ${target.namespace} --verb=get --resource=pods/proxy, then bind it).`,
    );
  const isForbidden = (err: unknown) => (err as { code?: number }).code === 403 || (err instanceof PortForwardRefused && err.status === 403);
  if (prefer === 'pod proxy') {
    try {
      return await proxy();
    } catch (err) {
      if (!isForbidden(err)) throw err;
      log?.(`${(err as Error).message}; reading ${METRICS_PATH} through a port-forward instead`);
      try {
        return await forward();
      } catch (forwardErr) {
        throw isForbidden(forwardErr) ? bothForbidden() : forwardErr;
      }
    }
  }
  try {
    return await forward();
  } catch (err) {
    if (!(err instanceof PortForwardRefused)) throw err;
    log?.(`${err.message}; reading ${METRICS_PATH} through the API server's pod proxy instead`);
    try {
      return await proxy();
    } catch (proxyErr) {
      throw isForbidden(err) && isForbidden(proxyErr) ? bothForbidden() : proxyErr;
    }
  }
}

function failure(err: unknown): { error: string; hint?: string } {
  if (err instanceof McError) return { error: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  return { error: (err as Error).message ?? String(err) };
}

type PodRead = (pod: PodObject, port: number) => Promise<PodHttpReply & { via: MetricsTransport }>;

/** Read one Lease holder's metrics for `cluster` (never throws: failures become the reading's error). */
async function readHolder(read: PodRead, cluster: string, namespace: string, pod: PodObject, waitFlag: string): Promise<Omit<GatewayReading, 'namespace'>> {
  const podName = pod.metadata.name!;
  const admin = adminPort(pod);
  if ('error' in admin) return { clusterName: cluster, pod: podName, error: admin.error };
  const where = `pod ${namespace}/${podName} port ${admin.port}`;
  let reply: PodHttpReply & { via: MetricsTransport };
  try {
    reply = await read(pod, admin.port);
  } catch (err) {
    const f = failure(err);
    if (err instanceof PodHttpTimeout) {
      return { clusterName: cluster, pod: podName, port: admin.port, error: `timed out reading GET ${METRICS_PATH} of ${where} for "${cluster}" (${waitFlag}): ${f.error}`, hint: `Give it more time with ${waitFlag}, or look at the pod: its admin server may be overloaded or stuck.` };
    }
    return { clusterName: cluster, pod: podName, port: admin.port, error: `cannot read GET ${METRICS_PATH} of ${where} for "${cluster}": ${f.error}`, ...(f.hint ? { hint: f.hint } : {}) };
  }
  const base = { clusterName: cluster, pod: podName, port: admin.port, via: reply.via };
  if (reply.status !== 200) {
    return { ...base, error: `GET ${METRICS_PATH} of ${where} (${reply.via}) answered HTTP ${reply.status}: ${reply.body.trim().slice(0, 200) || '(empty body)'}` };
  }
  const metrics = gatewayMetricsFor(reply.body, cluster);
  if (metrics.enabled !== false && metrics.alive === undefined) {
    const lines = reply.body.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).length;
    return {
      ...base,
      metrics,
      error: `the metrics of ${where} (${lines} samples read through ${reply.via}) have no ${GATEWAY_ALIVE}{${TARGET_CLUSTER_LABEL}="${cluster}"}: the mirror has not probed the gateway yet`,
      hint: 'Probes run every few seconds after the mirror starts; run again shortly.',
    };
  }
  return { ...base, metrics };
}

/**
 * The gateway metrics of every link of the cluster `client` talks to (or of
 * one, with `clusterName`), from the service mirror that holds each link's
 * Lease. One list of namespaces, then pods and Leases together, then one
 * read per Lease holder, all in parallel within `waitMs`.
 */
export async function readGatewayMetrics(client: KubeClient, options: GatewayMetricsOptions): Promise<GatewayMetricsResult> {
  const namespace = await multiclusterNamespace(client);
  let selector = `component in (${SERVICE_MIRROR_POD_COMPONENTS.join(',')})`;
  if (options.clusterName) selector += `,${MIRROR_CLUSTER_LABEL}=${options.clusterName}`;
  const [pods, leases] = await Promise.all([
    client.list<PodObject>(coreRef('pods', namespace), { labelSelector: selector }),
    client.list<LeaseObject>({ ...LEASES, namespace }),
  ]);
  // --wait is the time for the metrics reads, as upstream's; they all start now.
  const deadline = Date.now() + options.waitMs;
  // One read per pod, even if it held the Leases of several links.
  const reads = new Map<string, Promise<PodHttpReply & { via: MetricsTransport }>>();
  const read: PodRead = (pod, port) => {
    const key = `${pod.metadata.name}:${port}`;
    if (!reads.has(key)) reads.set(key, readPodMetrics(client, { namespace, pod: pod.metadata.name!, port }, Math.max(1, deadline - Date.now()), options.log, options.signal, options.prefer));
    return reads.get(key)!;
  };
  const clusters = new Set(pods.map((p) => p.metadata.labels?.[MIRROR_CLUSTER_LABEL]).filter((c): c is string => Boolean(c)));
  if (options.clusterName && clusters.size === 0) {
    throw new McError(
      `no service mirror for cluster "${options.clusterName}" in namespace "${namespace}" of context "${client.contextName}" (no pod labelled component in (${SERVICE_MIRROR_POD_COMPONENTS.join(', ')}), ${MIRROR_CLUSTER_LABEL}=${options.clusterName})`,
      `Is "${options.clusterName}" linked? \`kubectl --context ${client.contextName} get links -A\` lists the links.`,
    );
  }
  const readings = await Promise.all(
    [...clusters].sort().map(async (cluster): Promise<GatewayReading> => {
      const holder = leaseHolder(cluster, namespace, pods, leases);
      if ('error' in holder) return { clusterName: cluster, namespace, error: holder.error, hint: holder.hint };
      return { ...(await readHolder(read, cluster, namespace, holder.pod, options.waitFlag ?? '--wait')), namespace };
    }),
  );
  return { namespace, readings };
}
