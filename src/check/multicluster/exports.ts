/** Beyond upstream: every service exported in a linked cluster has its mirror here, and every mirror its export there. */
import { LOCAL_DISCOVERY_ANNOTATION, MIRRORED_GATEWAY_LABEL, MIRRORED_SERVICE_LABEL, REMOTE_DISCOVERY_LABEL, REMOTE_SVC_FQ_NAME } from '../../multicluster/names.js';
import type { CheckEnv } from '../env.js';
import { CheckWarning, SkipCheck } from '../runner.js';
import { isEmptySelector, matchesSelector } from '../../multicluster/selectors.js';
import type { Service } from '../types.js';
import { bullet, joinErrors, labelsOf, perLink, remoteReadProblem, target } from './shared.js';

export async function checkExportsMatchMirrors(env: CheckEnv): Promise<string[]> {
  const links = await env.validLinks();
  if (links.length === 0) throw new SkipCheck('no links');
  const byCluster = await env.mirrorServicesByCluster();
  const results = await perLink(links, async (link) => {
    const t = target(link);
    const errors: string[] = [];
    const stale: string[] = [];
    let remote: Service[];
    try {
      remote = await env.remoteServices(link);
    } catch (err) {
      return { errors: [remoteReadProblem(t, `list the services of ${t}`, err)], stale, count: 0 };
    }
    const selectors = [link.spec.selector, link.spec.remoteDiscoverySelector].filter((s) => !isEmptySelector(s));
    const exported = remote.filter((s) => selectors.some((sel) => matchesSelector(sel!, labelsOf(s))));
    const exportedKeys = new Set(exported.map((s) => `${s.metadata.namespace}/${s.metadata.name}`));
    const remoteKeys = new Set(remote.map((s) => `${s.metadata.namespace}/${s.metadata.name}`));
    const mirrors = (byCluster.get(t) ?? []).filter((s) => {
      const l = labelsOf(s);
      const a = s.metadata.annotations ?? {};
      return !(MIRRORED_GATEWAY_LABEL in l) && (MIRRORED_SERVICE_LABEL in l || REMOTE_DISCOVERY_LABEL in l) && !a[LOCAL_DISCOVERY_ANNOTATION];
    });
    const mirrorKeys = new Set(mirrors.map((s) => `${s.metadata.namespace}/${s.metadata.name}`));
    const unmirrored = exported.filter((s) => !mirrorKeys.has(`${s.metadata.namespace}/${s.metadata.name}-${t}`));
    const namespaces = unmirrored.length > 0 ? await env.namespaceNames().catch(() => undefined) : undefined;
    for (const s of unmirrored) {
      const ns = s.metadata.namespace ?? '';
      // The service mirror only mirrors into namespaces that exist (unless namespace creation is on).
      const why = namespaces && !namespaces.has(ns) ? ` (namespace ${ns} does not exist in ${env.localName}: create it)` : '';
      errors.push(`* ${t}: exported service ${s.metadata.name}.${ns} has no mirror ${s.metadata.name}-${t}.${ns} in ${env.localName}${why}`);
    }
    for (const m of mirrors) {
      const original = originalOf(m, t);
      const key = `${original.namespace}/${original.name}`;
      if (!remoteKeys.has(key)) stale.push(`* ${t}: mirror ${m.metadata.name}.${m.metadata.namespace} is stale: ${original.name}.${original.namespace} no longer exists in ${t}`);
      else if (!exportedKeys.has(key)) stale.push(`* ${t}: mirror ${m.metadata.name}.${m.metadata.namespace} is stale: ${original.name}.${original.namespace} is no longer exported from ${t}`);
    }
    return { errors, stale, count: exported.length };
  });
  const errors = results.flatMap((r) => r.errors);
  const stale = results.flatMap((r) => r.stale);
  if (errors.length > 0) throw new Error(joinErrors([...errors, ...stale], 1).trimStart());
  if (stale.length > 0) throw new CheckWarning(joinErrors(stale, 1).trimStart());
  return links.map((l, i) => `${bullet(l)}: ${results[i]!.count} exported, all mirrored`);
}

/** The remote Service a mirror stands for: from remote-svc-fq-name, else by removing "-TARGET". */
export function originalOf(mirror: Service, target: string): { name: string; namespace: string } {
  const fq = mirror.metadata.annotations?.[REMOTE_SVC_FQ_NAME];
  if (fq) {
    const [name, namespace] = fq.split('.');
    if (name && namespace) return { name, namespace };
  }
  const name = mirror.metadata.name ?? '';
  const suffix = `-${target}`;
  return { name: name.endsWith(suffix) ? name.slice(0, -suffix.length) : name, namespace: mirror.metadata.namespace ?? '' };
}
