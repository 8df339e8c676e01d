/** The mirror services here: probe gateways with endpoints, mirrors with endpoints, none orphaned. */
import { LOCAL_DISCOVERY_ANNOTATION, MIRROR_CLUSTER_LABEL, MIRRORED_GATEWAY_LABEL, MIRRORED_SERVICE_LABEL, REMOTE_DISCOVERY_ANNOTATION, REMOTE_DISCOVERY_LABEL } from '../../multicluster-names.js';
import type { CheckEnv } from '../env.js';
import { SkipCheck } from '../runner.js';
import type { Endpoints, Service } from '../types.js';
import { bullet, joinErrors, labelsOf, perLink, target } from './shared.js';

export async function checkIfGatewayMirrorsHaveEndpoints(env: CheckEnv): Promise<string[]> {
  const mcNamespaces = await env.multiclusterNamespaces().catch(() => []);
  if (mcNamespaces.length === 0) throw new SkipCheck('failed to find the linkerd-multicluster namespace');
  const byCluster = await env.mirrorServicesByCluster();
  const links = await env.validLinks();
  const results = await perLink(links, async (link): Promise<{ ok?: string; error?: string } | undefined> => {
    // Linked without a gateway (flat network): nothing to probe.
    if (!link.spec.gatewayAddress || !link.spec.probeSpec?.path) return undefined;
    const gateways = (byCluster.get(target(link)) ?? []).filter((s) => MIRRORED_GATEWAY_LABEL in labelsOf(s));
    if (gateways.length !== 1) return { error: `wrong number (${gateways.length}) of probe gateways for target cluster ${target(link)}` };
    const svc = gateways[0]!;
    const ep = await env.endpointsOf(svc.metadata.namespace ?? '', svc.metadata.name ?? '');
    if (!ep || (ep.subsets ?? []).length === 0) {
      return { error: `${svc.metadata.name}.${svc.metadata.namespace} mirrored from cluster [${labelsOf(svc)[MIRROR_CLUSTER_LABEL]}] has no endpoints` };
    }
    return { ok: bullet(link) };
  });
  const errors = results.flatMap((r) => (r?.error ? [r.error] : []));
  if (errors.length > 0) throw new Error(joinErrors(errors, 1));
  const ok = results.flatMap((r) => (r?.ok ? [r.ok] : []));
  if (ok.length === 0) throw new SkipCheck('no links');
  return ok;
}

/** Mirrors of exported services (not the probe gateways). */
async function mirrorServicesOnly(env: CheckEnv): Promise<Service[]> {
  const services = await env.mirrorServices();
  return services.filter((s) => {
    const l = labelsOf(s);
    return MIRRORED_SERVICE_LABEL in l && !(MIRRORED_GATEWAY_LABEL in l);
  });
}

export async function checkIfMirrorServicesHaveEndpoints(env: CheckEnv): Promise<void> {
  const mirrors = (await mirrorServicesOnly(env)).filter((s) => !(REMOTE_DISCOVERY_LABEL in labelsOf(s)));
  if (mirrors.length === 0) throw new SkipCheck('no mirror services');
  const index = await env.mirrorEndpointsIndex();
  const hasAddresses = (ep: Endpoints | undefined) => Boolean(ep && (ep.subsets ?? []).some((s) => (s.addresses ?? []).length > 0));
  const list: string[] = [];
  for (const svc of mirrors) {
    const a = svc.metadata.annotations ?? {};
    // Federated services do not need endpoints of their own.
    if (a[REMOTE_DISCOVERY_ANNOTATION] || a[LOCAL_DISCOVERY_ANNOTATION]) continue;
    const ns = svc.metadata.namespace ?? '';
    const name = svc.metadata.name ?? '';
    // Endpoints without the mirror labels are read one by one (rare).
    const ep = index.get(`${ns}/${name}`) ?? (await env.endpointsOf(ns, name).catch(() => undefined));
    if (!hasAddresses(ep)) list.push(`${name}.${ns} mirrored from cluster [${labelsOf(svc)[MIRROR_CLUSTER_LABEL]}]`);
  }
  if (list.length > 0) throw new Error(`Some mirror services do not have endpoints:\n    ${list.join('\n    ')}`);
}

export async function checkForOrphanedServices(env: CheckEnv): Promise<void> {
  const mirrors = await mirrorServicesOnly(env);
  if (mirrors.length === 0) throw new SkipCheck('no mirror services');
  const links = await env.links();
  const targets = new Set(links.map((l) => l.spec?.targetClusterName));
  const errors = mirrors
    .filter((s) => !targets.has(labelsOf(s)[MIRROR_CLUSTER_LABEL]))
    .map((s) => `mirror service ${s.metadata.name}.${s.metadata.namespace} is not part of any Link (${MIRROR_CLUSTER_LABEL}=${labelsOf(s)[MIRROR_CLUSTER_LABEL]})`);
  if (errors.length > 0) throw new Error(joinErrors(errors, 1));
}
