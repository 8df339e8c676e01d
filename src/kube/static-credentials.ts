/**
 * TLS options and headers for the kubeconfig users that need no plugin:
 * bearer token (inline or file), client certificate (data or files), basic
 * auth, with the cluster's CA (data or file), insecure-skip-tls-verify and
 * tls-server-name. These are read directly, without loading
 * @kubernetes/client-node (whose import costs most of a command's run time);
 * users with exec or auth-provider plugins (or anything else) return
 * undefined and go through client-node as before.
 */
import { readFileSync } from 'node:fs';
import type { RawKubeconfig } from './kubeconfig.js';

export interface StaticCredentials {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
  headers: Record<string, string>;
}

const USER_FIELDS = new Set(['token', 'tokenFile', 'client-certificate-data', 'client-certificate', 'client-key-data', 'client-key', 'username', 'password']);
const CLUSTER_FIELDS = new Set(['server', 'certificate-authority-data', 'certificate-authority', 'insecure-skip-tls-verify', 'tls-server-name', 'extensions']);

function material(entry: Record<string, unknown>, dataKey: string, fileKey: string): Buffer | undefined {
  const data = entry[dataKey];
  if (typeof data === 'string' && data !== '') return Buffer.from(data, 'base64');
  const file = entry[fileKey];
  if (typeof file === 'string' && file !== '') return readFileSync(file);
  return undefined;
}

/** Credentials of the (single) context of `cfg`, or undefined when a plugin or an unknown field needs client-node. */
export function staticCredentials(cfg: RawKubeconfig, contextName: string): StaticCredentials | undefined {
  const ctx = (cfg.contexts.find((c) => c.name === contextName)?.context ?? {}) as { cluster?: string; user?: string };
  const cluster = (cfg.clusters.find((c) => c.name === ctx.cluster)?.cluster ?? {}) as Record<string, unknown>;
  const user = (cfg.users.find((u) => u.name === ctx.user)?.user ?? {}) as Record<string, unknown>;
  if (Object.keys(user).some((k) => !USER_FIELDS.has(k)) || Object.keys(cluster).some((k) => !CLUSTER_FIELDS.has(k))) return undefined;
  if (typeof cluster.server !== 'string' || cluster.server === '') return undefined;
  const out: StaticCredentials = { server: cluster.server, headers: {} };
  out.ca = material(cluster, 'certificate-authority-data', 'certificate-authority');
  if (cluster['insecure-skip-tls-verify'] === true) out.rejectUnauthorized = false;
  if (typeof cluster['tls-server-name'] === 'string') out.servername = cluster['tls-server-name'];
  out.cert = material(user, 'client-certificate-data', 'client-certificate');
  out.key = material(user, 'client-key-data', 'client-key');
  let token = typeof user.token === 'string' ? user.token : undefined;
  if (!token && typeof user.tokenFile === 'string' && user.tokenFile !== '') token = readFileSync(user.tokenFile, 'utf8').trim();
  if (token) out.headers.Authorization = `Bearer ${token}`;
  else if (typeof user.username === 'string' && typeof user.password === 'string') {
    out.headers.Authorization = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
  }
  return out;
}
