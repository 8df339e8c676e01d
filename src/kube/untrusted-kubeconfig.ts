/**
 * Kubeconfigs that come FROM A CLUSTER (a Link's credentials Secret, a
 * kubeconfig in any object): build clients from them only with
 * `clientFromUntrustedKubeconfig(text, { source })` — check, connect, status,
 * gateways and certs rotate all do (issues 13, 15, 16: use this, never
 * KubeClient.connect or client-node, for Link credentials).
 *
 * Anyone who can write Secrets in a cluster can write such a kubeconfig, so
 * it is data, not configuration (as Flux treats kubeconfigs in Secrets): it
 * may hold only inline credentials (token, client-certificate-data +
 * client-key-data, username/password), an inline CA (or none: the system's
 * roots) and TLS verification on. Exec plugins, auth providers, file paths
 * (tokenFile, client-certificate, client-key, certificate-authority),
 * proxies, impersonation and insecure-skip-tls-verify are refused with an
 * error naming the field and the source; `allowInsecureTls` (an operator's
 * explicit flag, like Flux's --insecure-kubeconfig-tls) allows only the last.
 * The user's own kubeconfig keeps kubectl's full semantics (KubeClient.connect).
 */
import yaml from 'js-yaml';
import { McError } from '../errors.js';
import { KubeClient, type ClientOptions } from './client.js';
import { checkKubeconfigShape, selectContext, singleContextConfig, type RawKubeconfig } from './kubeconfig.js';
import { clusterTls, contextEntries, staticUser } from './static-credentials.js';

export interface UntrustedKubeconfigOptions extends ClientOptions {
  /** Where the text came from, for errors: e.g. `Secret linkerd-multicluster/cluster-credentials-east`. */
  source: string;
  /** Accept insecure-skip-tls-verify: true (an explicit operator flag); never exec or files. */
  allowInsecureTls?: boolean;
  /** The flag that sets allowInsecureTls, named in the refusal (default --insecure-remote-tls). */
  insecureTlsFlag?: string;
}

/** A kubeconfig from a cluster asked mc to do what such a kubeconfig may not. */
export class UntrustedKubeconfigError extends McError {
  constructor(
    message: string,
    hint: string,
    /** The refused field, as a path: `users[0] ("x").user.exec`. */
    readonly field: string,
  ) {
    super(message, hint);
    this.name = 'UntrustedKubeconfigError';
  }
}

type Why = 'runs a program' | 'reads a local file' | 'turns TLS verification off' | 'is not accepted';
const ALLOWED: Record<'cluster' | 'user' | 'context', Record<string, Why | 'ok'>> = {
  cluster: {
    server: 'ok',
    'certificate-authority-data': 'ok',
    'tls-server-name': 'ok',
    'disable-compression': 'ok',
    extensions: 'ok',
    'insecure-skip-tls-verify': 'turns TLS verification off',
    'certificate-authority': 'reads a local file',
  },
  user: {
    token: 'ok',
    'client-certificate-data': 'ok',
    'client-key-data': 'ok',
    username: 'ok',
    password: 'ok',
    extensions: 'ok',
    exec: 'runs a program',
    'auth-provider': 'runs a program',
    tokenFile: 'reads a local file',
    'client-certificate': 'reads a local file',
    'client-key': 'reads a local file',
  },
  context: { cluster: 'ok', user: 'ok', namespace: 'ok', extensions: 'ok' },
};

const HINT =
  'A kubeconfig from a cluster may hold only inline credentials (token, or client-certificate-data and client-key-data), an inline CA (certificate-authority-data) and TLS verification on. Re-create the Secret with `mc link` (or `mc link-gen`), and find out who wrote this one.';

/** Absent, null, "" and false set nothing (kubectl reads them as unset). */
function isSet(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '' && v !== false;
}

/**
 * The one context of an untrusted kubeconfig, reduced and checked: shape,
 * then every field of its cluster, user and context against what a
 * kubeconfig from a cluster may do. Pure (no file, no program, no network).
 */
export function checkUntrustedKubeconfig(text: string, options: Pick<UntrustedKubeconfigOptions, 'source' | 'allowInsecureTls' | 'insecureTlsFlag'>): { config: RawKubeconfig; contextName: string } {
  const where = `the kubeconfig in ${options.source}`;
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    throw new McError(`${where} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, HINT);
  }
  const full = checkKubeconfigShape(doc, where);
  let contextName: string;
  try {
    contextName = selectContext(full, undefined);
  } catch (err) {
    throw new McError(`${where}: ${(err as Error).message}`, HINT);
  }
  const config = singleContextConfig(full, contextName);
  const entries: Array<['cluster' | 'user' | 'context', 'clusters' | 'users' | 'contexts', string | undefined]> = [
    ['context', 'contexts', contextName],
    ['cluster', 'clusters', config.clusters[0]?.name],
    ['user', 'users', config.users[0]?.name],
  ];
  for (const [inner, list, name] of entries) {
    if (name === undefined) continue;
    const index = full[list].findIndex((e) => e.name === name);
    const body = (full[list][index]![inner] ?? {}) as Record<string, unknown>;
    for (const [field, value] of Object.entries(body)) {
      if (!isSet(value)) continue;
      const why = ALLOWED[inner][field] ?? 'is not accepted';
      if (why === 'ok') continue;
      if (why === 'turns TLS verification off' && options.allowInsecureTls) continue;
      const path = `${list}[${index}] ("${name}").${inner}.${field}`;
      const reason = why === 'is not accepted' ? 'which mc does not accept from a cluster' : `which mc refuses from a cluster: it ${why} on this machine`;
      const hint = why === 'turns TLS verification off' ? `${HINT} To connect without verifying the server's certificate anyway, pass ${options.insecureTlsFlag ?? '--insecure-remote-tls'}.` : HINT;
      throw new UntrustedKubeconfigError(`${where} sets ${path}, ${reason}`, hint, path);
    }
  }
  return { config, contextName };
}

/** A client for a kubeconfig that came from a cluster: see the top of this file. */
export async function clientFromUntrustedKubeconfig(text: string, options: UntrustedKubeconfigOptions): Promise<KubeClient> {
  const { config, contextName } = checkUntrustedKubeconfig(text, options);
  const { cluster, user, clusterWhere, userWhere } = contextEntries(config, contextName);
  try {
    // Checked above: no plugin and no file, so these read only inline data.
    const tls = clusterTls(cluster, clusterWhere);
    const creds = staticUser(user, userWhere)!;
    return KubeClient.fromCredentials({ ...tls, ...creds }, contextName, config, options);
  } catch (err) {
    if (err instanceof McError) throw new McError(`the kubeconfig in ${options.source}: ${err.message}`, err.hint);
    throw err;
  }
}
