/**
 * `mc install`: the multicluster extension's manifests. Unless told to
 * ignore the cluster, the trust domain and proxy port come from the
 * control plane's linkerd-config; bad values are refused before any request.
 */
import { printResult, say, valueOptions } from '../cli-kit.js';
import type { Env, IO } from '../io.js';
import { registryOf } from '../multicluster/names.js';
import { linkerdConfigRef, linkerdNotInstalled, linkerdSettings } from '../linkerd-config.js';
import { installValues, renderInstall, type InstallOptions } from '../render/multicluster.js';
import { formatDocuments } from '../render/output.js';

/** What `mc install` renders and where it reads the cluster. */
export interface InstallRunOptions extends Omit<InstallOptions, 'user' | 'cluster' | 'readFile'> {
  kubeconfig?: string;
  context?: string;
  requestTimeoutMs: number;
  verbose: boolean;
  /** Render with the chart defaults instead of reading linkerd-config. */
  ignoreCluster: boolean;
  /** -f / --set / --set-string / --set-file as given ("-" reads standard input). */
  values: { values: string[]; set: string[]; setString: string[]; setFile: string[] };
  output: 'yaml' | 'json';
}

export async function runInstall(o: InstallRunOptions, io: IO): Promise<number> {
  const { kubeconfig, context, requestTimeoutMs, verbose, ignoreCluster, values, output, ...render } = o;
  const options: InstallOptions = {
    ...render,
    registry: registryOf(render.registry, io.env),
    user: await valueOptions(values, io),
  };
  let cluster;
  if (!ignoreCluster) {
    // Bad values are reported before any cluster round trip.
    installValues(options);
    cluster = await readLinkerdSettings({ kubeconfig, context, requestTimeoutMs, linkerdNamespace: o.linkerdNamespace, env: io.env, signal: io.signal });
    if (verbose) say(io, `Linkerd in namespace "${o.linkerdNamespace}": trust domain ${cluster.identityTrustDomain}, proxy outbound port ${cluster.proxyOutboundPort}`);
  }
  const docs = await renderInstall({ ...options, cluster });
  await printResult(io, formatDocuments(docs, output));
  return 0;
}

/** linkerd-config of the context's control plane; no Linkerd is an McError saying what to do. */
export async function readLinkerdSettings(src: { kubeconfig?: string; context?: string; requestTimeoutMs: number; linkerdNamespace: string; env: Env; signal: AbortSignal }) {
  // Imported here: `install --ignore-cluster` reads no cluster, and need not load the client (node:https, node:tls, ...).
  const { isNotFound, KubeClient } = await import('../kube/client.js');
  const client = await KubeClient.connect(src);
  try {
    let cm;
    try {
      cm = await client.get<{ data?: Record<string, string> }>(linkerdConfigRef(src.linkerdNamespace));
    } catch (err) {
      if (isNotFound(err)) {
        throw linkerdNotInstalled(client.contextName, src.linkerdNamespace, ', or render without a cluster with --ignore-cluster');
      }
      throw err;
    }
    return linkerdSettings(cm, `ConfigMap linkerd-config in namespace "${src.linkerdNamespace}" of context "${client.contextName}"`);
  } finally {
    client.close();
  }
}
