/** Helpers the multicluster checks share: upstream's message shapes, per-link runs. */
import { KubeApiError, type KubeObject } from '../../kube/client.js';
import { CredentialsError, type CheckEnv } from '../env.js';
import type { Link } from '../types.js';

/** Upstream's joinErrors: each line indented by tabDepth × 4 spaces. */
export function joinErrors(errors: string[], tabDepth: number): string {
  const indent = '    '.repeat(tabDepth);
  return errors.map((e) => indent + e).join('\n');
}

export function target(link: Link): string {
  return link.spec.targetClusterName;
}

/** A link's detail line under a success: "\t* NAME". */
export function bullet(link: Link): string {
  return `\t* ${target(link)}`;
}

export function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function labelsOf(o: KubeObject): Record<string, string> {
  return o.metadata.labels ?? {};
}

/** Run fn for every link in parallel; results in link order. */
export function perLink<T>(links: Link[], fn: (link: Link) => Promise<T>): Promise<T[]> {
  return Promise.all(links.map(fn));
}

/** The namespaces the Links live in (where the service mirrors run). */
export function linkNamespaces(links: Link[]): string[] {
  return [...new Set(links.map((l) => l.metadata.namespace ?? 'default'))];
}

/**
 * Why a linked cluster could not be read, for the checks upstream lacks: a
 * short note when the cluster is unreachable (the connectivity check already
 * gave the details), else the error itself.
 */
export function remoteReadProblem(cluster: string, what: string, err: unknown): string {
  if (err instanceof KubeApiError && err.code === 0) return `* ${cluster}: not checked, ${cluster} is unreachable (${err.reason === 'Timeout' ? 'timed out' : 'connection failed'})`;
  if (err instanceof CredentialsError) return `* ${cluster}: not checked, its credentials are unusable: ${err.message}`;
  return `* ${cluster}: unable to ${what}: ${errText(err)}`;
}

/**
 * The problem with a link's credentials Secret or kubeconfig, in upstream's
 * words, or undefined when the remote client could be made.
 */
export async function credentialsProblem(env: CheckEnv, link: Link): Promise<string | undefined> {
  const ns = link.metadata.namespace;
  const name = link.spec.clusterCredentialsSecret;
  try {
    await env.credentialsSecret(link);
  } catch (err) {
    return `* secret: [${ns}/${name}]: ${errText(err)}`;
  }
  try {
    await env.remote(link);
  } catch (err) {
    if (err instanceof CredentialsError && /kubeconfig under/.test(err.message)) return `* secret: [${ns}/${name}]: could not parse config secret: ${err.message}`;
    return `* secret: [${ns}/${name}] cluster: [${target(link)}]: unable to parse api config: ${errText(err)}`;
  }
  return undefined;
}
