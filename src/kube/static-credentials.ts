/**
 * TLS options and headers of a kubeconfig context, read directly (without
 * loading @kubernetes/client-node, whose import costs most of a command's run
 * time): the cluster's server, CA (data or file), insecure-skip-tls-verify and
 * tls-server-name; the user's bearer token (inline or file), client
 * certificate (data or files) or basic auth. Users with an exec plugin go
 * through exec-credential.ts, auth-provider users through client-node
 * (client.ts). Every problem names the entry and the field.
 */
import { readFileSync } from 'node:fs';
import { McError } from '../errors.js';
import { serverUrl, type RawKubeconfig } from './kubeconfig.js';

export interface ClusterTls {
  server: URL;
  ca?: Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface UserCredentials {
  cert?: Buffer;
  key?: Buffer;
  headers: Record<string, string>;
}

export type StaticCredentials = ClusterTls & UserCredentials;

const FIX_DATA = 'It must hold the base64 of a PEM file (`base64 -w0 < FILE`); fix or re-create the kubeconfig.';

/**
 * Base64 as Go's decoder reads it (strict; line breaks allowed): a value that
 * is not base64 is an error, never silently shortened as Buffer.from would.
 * The result must be PEM, as kubectl requires.
 */
export function decodePemData(value: string, where: string): Buffer {
  const compact = value.replace(/[\r\n]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
    throw new McError(`${where} is not valid base64`, FIX_DATA);
  }
  const bytes = Buffer.from(compact, 'base64');
  if (!bytes.toString('latin1').includes('-----BEGIN ')) {
    throw new McError(`${where} does not hold PEM data (unable to parse bytes as PEM block)`, FIX_DATA);
  }
  return bytes;
}

function readLocal(path: string, where: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new McError(`cannot read ${path} (${where}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'Check the file paths named in the kubeconfig.');
  }
}

function material(entry: Record<string, unknown>, dataKey: string, fileKey: string, where: string): Buffer | undefined {
  const data = entry[dataKey];
  if (typeof data === 'string' && data !== '') return decodePemData(data, `${where}.${dataKey}`);
  const file = entry[fileKey];
  if (typeof file === 'string' && file !== '') return readLocal(file, `${where}.${fileKey}`);
  return undefined;
}

/** The entries of the (single) context of `cfg`, and how to name them in errors. */
export function contextEntries(cfg: RawKubeconfig, contextName: string) {
  const ctx = (cfg.contexts.find((c) => c.name === contextName)?.context ?? {}) as { cluster?: string; user?: string };
  const cluster = (cfg.clusters.find((c) => c.name === ctx.cluster)?.cluster ?? {}) as Record<string, unknown>;
  const user = (cfg.users.find((u) => u.name === ctx.user)?.user ?? {}) as Record<string, unknown>;
  return { cluster, user, clusterWhere: `cluster "${ctx.cluster}"`, userWhere: `user "${ctx.user ?? ''}"` };
}

/** Server and TLS settings of a cluster entry. */
export function clusterTls(cluster: Record<string, unknown>, where: string): ClusterTls {
  const out: ClusterTls = { server: serverUrl(cluster.server, where) };
  out.ca = material(cluster, 'certificate-authority-data', 'certificate-authority', where);
  if (cluster['insecure-skip-tls-verify'] === true) out.rejectUnauthorized = false;
  if (typeof cluster['tls-server-name'] === 'string' && cluster['tls-server-name'] !== '') out.servername = cluster['tls-server-name'];
  return out;
}

/** Credentials of a user entry without a plugin, or undefined for exec / auth-provider users. */
export function staticUser(user: Record<string, unknown>, where: string): UserCredentials | undefined {
  if (user.exec || user['auth-provider']) return undefined;
  const out: UserCredentials = { headers: {} };
  out.cert = material(user, 'client-certificate-data', 'client-certificate', where);
  out.key = material(user, 'client-key-data', 'client-key', where);
  let token = typeof user.token === 'string' && user.token !== '' ? user.token : undefined;
  if (!token && typeof user.tokenFile === 'string' && user.tokenFile !== '') token = readLocal(user.tokenFile, `${where}.tokenFile`).toString('utf8').trim();
  if (token) out.headers.Authorization = `Bearer ${token}`;
  else if (typeof user.username === 'string' && typeof user.password === 'string') {
    out.headers.Authorization = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
  }
  return out;
}
