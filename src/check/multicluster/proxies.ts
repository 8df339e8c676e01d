/** The proxies of the extension's pods (in the Links' namespaces): healthy, current bundle, CLI version. */
import { LINKERD_VERSION } from '../../version.js';
import type { CheckEnv } from '../env.js';
import { proxyVersion } from '../../versions/read.js';
import { FINISHED_POD_STATUSES, podStatus, PROXY_CONTAINER, proxyReady, proxyTrustBundle } from '../pods.js';
import { linkNamespaces } from './shared.js';

export async function checkProxyHealth(env: CheckEnv, attempt: number): Promise<void> {
  if (attempt > 0) env.forget('retry:pods');
  let proxyBundle: string | undefined;
  for (const ns of linkNamespaces(await env.validLinks())) {
    const pods = await env.meshedPods(ns);
    if (pods.length === 0) throw new Error(`no "${PROXY_CONTAINER}" containers found in the "${ns}" namespace`);
    for (const pod of pods) {
      const status = podStatus(pod);
      if (FINISHED_POD_STATUSES.has(status)) continue;
      if (status !== 'Running' && status !== 'Evicted') throw new Error(`pod "${pod.metadata.name}" status is ${status}`);
      if (!proxyReady(pod)) throw new Error(`container "${PROXY_CONTAINER}" in pod "${pod.metadata.name}" is not ready`);
    }
    if (proxyBundle === undefined) {
      const identity = await env.localIdentity();
      proxyBundle = (identity.proxyTrustBundlePem ?? identity.anchorsPem ?? '').trim();
    }
    const offending = pods
      .filter((pod) => {
        const injected = proxyTrustBundle(pod)?.pem;
        return injected !== undefined && injected.trim() !== proxyBundle;
      })
      .map((pod) => `* ${pod.metadata.name}`);
    if (offending.length > 0) throw new Error(`Some pods do not have the current trust bundle and must be restarted:\n\t${offending.join('\n\t')}`);
  }
}

/** Upstream stops at the first pod of another version; this lists them all. */
export async function checkProxyVersions(env: CheckEnv): Promise<void> {
  const mismatched: string[] = [];
  for (const ns of linkNamespaces(await env.validLinks())) {
    for (const pod of await env.meshedPods(ns)) {
      const version = proxyVersion(pod);
      if (version !== '' && version !== LINKERD_VERSION) mismatched.push(`${pod.metadata.name} running ${version} but cli running ${LINKERD_VERSION}`);
    }
  }
  if (mismatched.length > 0) throw new Error(mismatched.join('\n'));
}
