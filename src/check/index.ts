/**
 * `mc check`: connect, verify the extension is there (as upstream does before
 * running any check), run the multicluster category, report each result.
 */
import { McError } from '../errors.js';
import type { Env } from '../io.js';
import { KubeApiError, KubeClient } from '../kube/client.js';
import { CheckEnv } from './env.js';
import { multiclusterCategory } from './multicluster/index.js';
import { runChecks, type CheckObserver, type RunSummary } from './runner.js';

export interface CheckOptions {
  kubeconfig?: string;
  context?: string;
  env: Env;
  linkerdNamespace: string;
  /** --wait: how long retrying checks may keep failing, ms. */
  waitMs: number;
  /** --timeout: per request, ms (remote clusters and the local one). */
  timeoutMs: number;
  /** --insecure-remote-tls: Link credentials may turn TLS verification off. */
  insecureRemoteTls?: boolean;
  /** Pause between attempts of retrying checks (upstream: 5s). */
  retryIntervalMs?: number;
  /** Ctrl-C: every request in flight stops, and the run with it. */
  signal?: AbortSignal;
}

export async function runMulticlusterCheck(options: CheckOptions, observer: CheckObserver): Promise<RunSummary> {
  const local = await KubeClient.connect({ kubeconfig: options.kubeconfig, context: options.context, env: options.env }, { timeoutMs: options.timeoutMs, signal: options.signal });
  const env = new CheckEnv(local, { linkerdNamespace: options.linkerdNamespace, remoteTimeoutMs: options.timeoutMs, signal: options.signal, insecureRemoteTls: options.insecureRemoteTls });
  try {
    env.prefetchLocal();
    const [namespaces] = await Promise.all([
      env.multiclusterNamespaces(),
      env.localIdentity().catch((err: Error) => {
        // An unreachable cluster keeps the client's own hint; "is Linkerd installed?" would mislead.
        const unreachable = err instanceof KubeApiError && err.code === 0;
        throw new McError(
          `Failed to fetch linkerd config: ${err.message}`,
          unreachable ? err.hint : `Is Linkerd installed in namespace "${options.linkerdNamespace}" of context "${local.contextName}"? Use --linkerd-namespace if it lives elsewhere.`,
        );
      }),
    ]);
    if (namespaces.length === 0) {
      throw new McError(
        `could not find the multicluster extension in context "${local.contextName}": no namespace has the label linkerd.io/extension=multicluster`,
        'Install it by running `mc install | kubectl apply -f -`.',
      );
    }
    return await runChecks([multiclusterCategory(env)], observer, {
      retryDeadline: Date.now() + options.waitMs,
      retryIntervalMs: options.retryIntervalMs ?? 5000,
      // One attempt of one check: a few sequential requests at most.
      checkTimeoutMs: Math.max(30_000, 3 * options.timeoutMs),
      signal: options.signal,
    });
  } finally {
    env.close();
  }
}
