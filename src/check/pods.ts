/**
 * What the checks read from a Pod: the status kubectl shows for it and its
 * Linkerd proxy. The proxy is a container, or (Linkerd's native sidecar mode)
 * an init container with `restartPolicy: Always`; both are looked at.
 */

/** On every meshed pod: the namespace of its control plane. */
export const CONTROL_PLANE_NS_LABEL = 'linkerd.io/control-plane-ns';

interface ContainerState {
  waiting?: { reason?: string };
  running?: unknown;
  terminated?: { reason?: string; exitCode?: number; signal?: number };
}

export interface ContainerStatus {
  name: string;
  ready: boolean;
  started?: boolean;
  state?: ContainerState;
}

export interface Container {
  name: string;
  image?: string;
  restartPolicy?: string;
  env?: Array<{ name: string; value?: string; valueFrom?: { configMapKeyRef?: { name?: string; key?: string } } }>;
}

export interface PodObject {
  metadata: {
    name?: string;
    namespace?: string;
    deletionTimestamp?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }>;
  };
  spec?: { containers?: Container[]; initContainers?: Container[] };
  status?: {
    phase?: string;
    startTime?: string;
    reason?: string;
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

export const PROXY_CONTAINER = 'linkerd-proxy';

/** Statuses of pods that have no running proxy to judge; upstream skips them. */
export const FINISHED_POD_STATUSES = new Set(['Completed', 'NodeShutdown', 'Shutdown', 'Terminated']);

/** The proxy container's spec, in the init containers (native sidecar) or the containers. */
export function proxyContainer(pod: PodObject): Container | undefined {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === PROXY_CONTAINER);
}

export function proxyReady(pod: PodObject): boolean {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return statuses.find((c) => c.name === PROXY_CONTAINER)?.ready === true;
}

function terminatedReason(t: NonNullable<ContainerState['terminated']>): string {
  if (t.reason) return t.reason;
  return t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode ?? 0}`;
}

/**
 * The STATUS column of `kubectl get pods` (kubectl's printPod): the phase,
 * refined by init progress and the reason a container is waiting or ended,
 * e.g. Running, CrashLoopBackOff, Init:0/2, Completed, Terminating.
 */
export function podStatus(pod: PodObject): string {
  const status = pod.status ?? {};
  let reason = status.reason || status.phase || 'Unknown';
  const initSpecs = new Map((pod.spec?.initContainers ?? []).map((c) => [c.name, c]));
  const initStatuses = status.initContainerStatuses ?? [];
  let initializing = false;
  for (const [i, c] of initStatuses.entries()) {
    const t = c.state?.terminated;
    if (t && (t.exitCode ?? 0) === 0) continue;
    // A native sidecar (such as the proxy) keeps running: started is done.
    if (initSpecs.get(c.name)?.restartPolicy === 'Always' && c.started) continue;
    initializing = true;
    const waiting = c.state?.waiting?.reason;
    if (t) reason = `Init:${terminatedReason(t)}`;
    else if (waiting && waiting !== 'PodInitializing') reason = `Init:${waiting}`;
    else reason = `Init:${i}/${initSpecs.size || initStatuses.length}`;
    break;
  }
  const initialized = status.conditions?.some((c) => c.type === 'Initialized' && c.status === 'True') ?? false;
  if (!initializing || initialized) {
    let hasRunning = false;
    for (const c of [...(status.containerStatuses ?? [])].reverse()) {
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (c.state?.terminated) reason = terminatedReason(c.state.terminated);
      else if (c.ready && c.state?.running) hasRunning = true;
    }
    if (reason === 'Completed' && hasRunning) reason = 'Running';
  }
  if (pod.metadata.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

/** The proxy's trust anchors (upstream: pkg/identity EnvTrustAnchors). */
export const TRUST_ANCHORS_ENV = 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS';
/** Digest of the bundle a pod was injected with (upstream: k8s.ProxyTrustRootSHA). */
export const TRUST_ROOT_SHA_ANNOTATION = 'linkerd.io/trust-root-sha256';

/**
 * The trust bundle a pod's proxy started with, as far as the pod tells: the
 * PEM itself when injected as an env value; only the digest annotation when
 * the proxy reads ConfigMap linkerd-identity-trust-roots (control-plane pods).
 * Undefined without a proxy.
 */
export function proxyTrustBundle(pod: PodObject): { pem?: string; sha256?: string } | undefined {
  const proxy = proxyContainer(pod);
  if (!proxy) return undefined;
  const env = proxy.env?.find((e) => e.name === TRUST_ANCHORS_ENV);
  const sha256 = pod.metadata.annotations?.[TRUST_ROOT_SHA_ANNOTATION];
  return { ...(env?.value !== undefined ? { pem: env.value } : {}), ...(sha256 ? { sha256 } : {}) };
}

/** What owns a pod, for `kubectl rollout restart`: its Deployment (through the ReplicaSet), StatefulSet or DaemonSet, else the pod itself. */
export function podWorkload(pod: PodObject): { kind: 'deployment' | 'statefulset' | 'daemonset' | 'pod'; name: string } {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller) ?? pod.metadata.ownerReferences?.[0];
  if (owner?.kind === 'ReplicaSet') {
    const hash = pod.metadata.labels?.['pod-template-hash'];
    const name = hash && owner.name.endsWith(`-${hash}`) ? owner.name.slice(0, -hash.length - 1) : owner.name.replace(/-[a-z0-9]+$/, '');
    return { kind: 'deployment', name };
  }
  if (owner?.kind === 'StatefulSet') return { kind: 'statefulset', name: owner.name };
  if (owner?.kind === 'DaemonSet') return { kind: 'daemonset', name: owner.name };
  return { kind: 'pod', name: pod.metadata.name ?? '' };
}
