/**
 * `mc allow`: a remote-access ServiceAccount, its token Secret and RBAC for
 * another cluster's service mirror; refuses an account that already exists
 * unless told not to read the cluster.
 */
import { printResult } from '../cli-kit.js';
import { McError } from '../errors.js';
import type { IO } from '../io.js';
import { KubeClient } from '../kube/client.js';
import { coreRef } from '../kube/resources.js';
import { renderAllow } from '../render/multicluster.js';
import { formatDocuments } from '../render/output.js';

export interface AllowOptions {
  kubeconfig?: string;
  context?: string;
  requestTimeoutMs: number;
  linkerdNamespace: string;
  serviceAccountName: string;
  /** Namespace of the ServiceAccount and its token Secret. */
  namespace: string;
  /** Print without reading the cluster. */
  ignoreCluster: boolean;
  output: 'yaml' | 'json';
  linkerdVersion: string;
}

export async function runAllow(o: AllowOptions, io: IO): Promise<number> {
  if (!o.ignoreCluster) {
    const client = await KubeClient.connect({ kubeconfig: o.kubeconfig, context: o.context, env: io.env, requestTimeoutMs: o.requestTimeoutMs, signal: io.signal });
    try {
      const existing = await client.getIfExists(coreRef('serviceaccounts', o.namespace, o.serviceAccountName));
      if (existing) {
        throw new McError(
          `ServiceAccount "${o.serviceAccountName}" already exists in namespace "${o.namespace}" of context "${client.contextName}"`,
          'Link with it as it is (mc link --service-account-name ...), choose another name, or pass --ignore-cluster to print the resources anyway.',
        );
      }
    } finally {
      client.close();
    }
  }
  const docs = await renderAllow({ serviceAccountName: o.serviceAccountName, namespace: o.namespace, linkerdVersion: o.linkerdVersion, linkerdNamespace: o.linkerdNamespace });
  await printResult(io, formatDocuments(docs, o.output));
  return 0;
}
