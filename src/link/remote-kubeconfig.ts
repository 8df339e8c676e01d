/**
 * The kubeconfig a linking cluster uses to reach the cluster being linked:
 * only that cluster, its CA embedded as data (read from the file when the
 * local kubeconfig points at one), and the remote-access service account's
 * token as the only user. Exec plugins and client certificates of the local
 * user never leave this machine.
 */
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { McError } from '../errors.js';
import type { RawKubeconfig } from '../kube/kubeconfig.js';

export interface RemoteKubeconfigInput {
  /** The local kubeconfig reduced to the linked context (file paths absolute). */
  local: RawKubeconfig;
  contextName: string;
  serviceAccountName: string;
  token: string;
  /** --api-server-address: replaces the context's server. */
  apiServerAddress?: string;
  /** --insecure-skip-tls-verify: the context's insecure-skip-tls-verify may be copied (refused otherwise). */
  allowInsecureSkipTlsVerify?: boolean;
  readFile?: (path: string) => Buffer;
}

export interface RemoteKubeconfig {
  text: string;
  server: string;
}

const KEPT_CLUSTER_FIELDS = ['server', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name', 'proxy-url', 'disable-compression'];

export function buildRemoteKubeconfig(input: RemoteKubeconfigInput): RemoteKubeconfig {
  const readFile = input.readFile ?? ((p: string) => readFileSync(p));
  const ctxEntry = input.local.contexts.find((c) => c.name === input.contextName);
  if (!ctxEntry) throw new McError(`context "${input.contextName}" is not in the kubeconfig`, 'Pass --context with an existing context.');
  const ctx = { ...((ctxEntry.context ?? {}) as Record<string, unknown>) };
  const clusterEntry = input.local.clusters.find((c) => c.name === ctx.cluster);
  if (!clusterEntry) throw new McError(`context "${input.contextName}" names cluster "${String(ctx.cluster)}", which the kubeconfig does not define`, 'Fix the kubeconfig.');
  const src = (clusterEntry.cluster ?? {}) as Record<string, unknown>;
  if (src['insecure-skip-tls-verify'] === true && !input.allowInsecureSkipTlsVerify) {
    throw new McError(
      `cluster "${clusterEntry.name}" of context "${input.contextName}" sets insecure-skip-tls-verify: the credentials would let the linking cluster talk to this API server without verifying its certificate`,
      'Give the cluster entry its CA (certificate-authority or certificate-authority-data), or pass --insecure-skip-tls-verify to copy the setting knowingly (`mc check` on the linking side then needs --insecure-remote-tls).',
    );
  }
  const cluster: Record<string, unknown> = {};
  for (const f of KEPT_CLUSTER_FIELDS) if (src[f] !== undefined) cluster[f] = src[f];
  if (input.apiServerAddress) cluster.server = input.apiServerAddress;
  if (typeof cluster.server !== 'string' || cluster.server === '') {
    throw new McError(`cluster "${clusterEntry.name}" of context "${input.contextName}" has no server address`, 'Pass --api-server-address https://HOST:PORT.');
  }
  if (cluster['certificate-authority-data'] === undefined && typeof src['certificate-authority'] === 'string' && src['certificate-authority'] !== '') {
    const caPath = src['certificate-authority'];
    let ca: Buffer;
    try {
      ca = readFile(caPath);
    } catch (err) {
      throw new McError(
        `cannot read the CA file ${caPath} of cluster "${clusterEntry.name}" (context "${input.contextName}"): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        'The linking cluster needs this CA to trust the API server; fix the certificate-authority path in the kubeconfig.',
      );
    }
    cluster['certificate-authority-data'] = ca.toString('base64');
  }
  ctx.user = input.serviceAccountName;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: clusterEntry.name, cluster }],
    contexts: [{ name: input.contextName, context: ctx }],
    'current-context': input.contextName,
    preferences: {},
    users: [{ name: input.serviceAccountName, user: { token: input.token } }],
  };
  return { text: yaml.dump(config, { lineWidth: -1, noRefs: true }), server: cluster.server as string };
}
