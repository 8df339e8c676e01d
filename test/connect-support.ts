/**
 * Clusters for the connect/status tests and benchmarks: N test API servers,
 * each with the simulated Linkerd control plane (one shared anchor unless
 * told otherwise), the multicluster extension as `mc install` renders it, and
 * a gateway whose load balancer has an address.
 */
import { PassThrough } from 'node:stream';
import type { IO } from '../src/io.js';
import { installObjects } from '../src/connect/objects.js';
import { LINKERD_VERSION } from '../src/version.js';
import { makePki, type Pki } from './check-fixture.js';
import { startTestClusters, type TestCluster, type TestEnv } from './support/index.js';
import { installSimulatedLinkerd, settleWorkloads } from './support/linkerd-sim.js';

export interface MeshEnvOptions {
  /** Clusters given their own trust anchor (they share none with the others). */
  ownAnchor?: string[];
  /** Clusters left without the multicluster extension. */
  withoutExtension?: string[];
}

/** The gateway's load balancer gets an address, as a cloud controller would give it. */
export function giveGatewayAddress(c: TestCluster, address: string): void {
  const svc = c.get('v1', 'Service', 'linkerd-multicluster', 'linkerd-gateway');
  if (svc) c.put({ ...svc, status: { loadBalancer: { ingress: [{ ip: address }] } } });
}

export async function installExtension(c: TestCluster, address: string): Promise<void> {
  const groups = await installObjects({ identityTrustDomain: 'cluster.local', proxyOutboundPort: 4140, cniEnabled: false }, { linkerdNamespace: 'linkerd', linkerdVersion: LINKERD_VERSION, legacy: false, remoteDiscovery: false });
  for (const o of groups.flat()) c.put(o);
  // The gateway's (and the local mirror's) Pods and Endpoints, as the controllers and kubelet make them.
  settleWorkloads(c, 'linkerd-multicluster');
  giveGatewayAddress(c, address);
}

export async function startMeshClusters(names: string[], options: MeshEnvOptions = {}): Promise<TestEnv> {
  const env = await startTestClusters(names);
  try {
    const shared = await makePki();
    const own = new Map<string, Pki>();
    for (const n of options.ownAnchor ?? []) own.set(n, await makePki());
    for (const [i, n] of names.entries()) {
      const c = env.cluster(n);
      installSimulatedLinkerd(c, own.get(n) ?? shared);
      if (!options.withoutExtension?.includes(n)) await installExtension(c, `192.0.2.${i + 1}`);
    }
    return env;
  } catch (err) {
    await env.stop();
    throw err;
  }
}

/** Every object of a cluster, as "kind namespace/name" → resourceVersion (to compare before and after). */
export function snapshot(c: TestCluster): Map<string, string> {
  const store = c.apiServer.store;
  const out = new Map<string, string>();
  for (const t of store.allTypes()) {
    if (t.virtual) continue;
    for (const o of store.objects(t)) out.set(`${t.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`, String(o.metadata.resourceVersion));
  }
  return out;
}

export interface TestIO extends IO {
  out(): string;
  err(): string;
}

/** An IO in memory: what a command prints, for in-process runs. */
export function testIO(env: Record<string, string | undefined> = {}): TestIO {
  let out = '';
  let err = '';
  const stream = (append: (s: string) => void) => ({
    write(chunk: string, cb?: (e?: Error | null) => void) {
      append(chunk);
      cb?.();
      return true;
    },
    isTTY: false,
  });
  return {
    stdin: new PassThrough(),
    stdout: stream((s) => (out += s)),
    stderr: stream((s) => (err += s)),
    env,
    signal: new AbortController().signal,
    out: () => out,
    err: () => err,
  };
}
