/**
 * The certificates meshed proxies hold now, read as upstream's `linkerd
 * identity` reads them: a port-forward to the proxy's admin port
 * (`linkerd-admin`, 4191) and a TLS handshake naming the proxy's identity
 * (LINKERD2_PROXY_IDENTITY_LOCAL_NAME with the pod's service account and
 * namespace filled in), whose answer is the proxy's leaf certificate and the
 * issuer it was signed by. Running pods only; a few at a time per cluster.
 */
import type { PodObject } from '../check/pods.js';
import { proxyContainer } from '../check/pods.js';
import type { KubeClient } from '../kube/client.js';
import { portForwardCertificates } from '../kube/pod-http.js';
import { describePemCertificates, type CertificateInfo } from './inspect.js';

/** A proxy's certificate chain (leaf first), or why it could not be read. */
export type ProxyCertificate = { chain: CertificateInfo[] } | { unreadable: string };

const ADMIN_PORT_NAME = 'linkerd-admin';
const IDENTITY_ENV = 'LINKERD2_PROXY_IDENTITY_LOCAL_NAME';
const PER_CLUSTER = 8;

interface ProxySpec {
  env?: Array<{ name: string; value?: string }>;
  ports?: Array<{ name?: string; containerPort?: number }>;
}

export function podKey(p: PodObject): string {
  return `${p.metadata.namespace}/${p.metadata.name}`;
}

/** The identity a proxy answers to, as upstream's k8s.PodIdentity; the default name when the pod does not say. */
export function proxyIdentity(pod: PodObject, linkerdNamespace: string, trustDomain: string): string {
  const sa = (pod.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName ?? 'default';
  const ns = pod.metadata.namespace ?? 'default';
  const value = (proxyContainer(pod) as ProxySpec | undefined)?.env?.find((e) => e.name === IDENTITY_ENV)?.value;
  return value ? value.replaceAll('$(_pod_sa).$(_pod_ns)', `${sa}.${ns}`) : `${sa}.${ns}.serviceaccount.identity.${linkerdNamespace}.${trustDomain}`;
}

/** Every running meshed pod's certificate, by "namespace/name". */
export async function readProxyCertificates(client: KubeClient, pods: PodObject[], o: { linkerdNamespace: string; trustDomain: string; timeoutMs: number; signal?: AbortSignal }): Promise<Map<string, ProxyCertificate>> {
  const out = new Map<string, ProxyCertificate>();
  const queue = pods.filter((p) => proxyContainer(p) && p.status?.phase === 'Running');
  const readOne = async (pod: PodObject): Promise<ProxyCertificate> => {
    const port = (proxyContainer(pod) as ProxySpec).ports?.find((x) => x.name === ADMIN_PORT_NAME)?.containerPort;
    if (!port) return { unreadable: `its proxy has no ${ADMIN_PORT_NAME} port` };
    try {
      const pems = await portForwardCertificates(client, { namespace: pod.metadata.namespace ?? 'default', pod: pod.metadata.name ?? '', port }, proxyIdentity(pod, o.linkerdNamespace, o.trustDomain), o.timeoutMs, o.signal);
      return { chain: pems.flatMap((pem) => describePemCertificates(pem)) };
    } catch (err) {
      return { unreadable: (err as Error).message.split('\n')[0]! };
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(PER_CLUSTER, queue.length) }, async () => {
      for (let pod = queue.shift(); pod; pod = queue.shift()) out.set(podKey(pod), await readOne(pod));
    }),
  );
  return out;
}
