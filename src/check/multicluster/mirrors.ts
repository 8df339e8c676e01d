/** The mirror services here: probe gateways with endpoints, mirrors with endpoints, none orphaned. */
import { LOCAL_DISCOVERY_ANNOTATION, MIRROR_CLUSTER_LABEL, MIRRORED_GATEWAY_LABEL, MIRRORED_SERVICE_LABEL, REMOTE_DISCOVERY_ANNOTATION, REMOTE_DISCOVERY_LABEL, SERVICE_MIRROR_POD_COMPONENTS } from '../../multicluster/names.js';
import { GATEWAY_ALIVE, TARGET_CLUSTER_LABEL } from '../../gateways/metrics.js';
import type { GatewayReading } from '../../gateways/read.js';
import type { CheckEnv } from '../env.js';
import { SkipCheck } from '../runner.js';
import type { Endpoints, Service } from '../types.js';
import { bullet, errText, joinErrors, labelsOf, perLink, target } from './shared.js';

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
    // As upstream: the mirror that holds the link's Lease must see the gateway alive.
    const liveness = await gatewayLiveness(env, target(link));
    return liveness ? { error: liveness } : { ok: bullet(link) };
  });
  const errors = results.flatMap((r) => (r?.error ? [r.error] : []));
  if (errors.length > 0) throw new Error(joinErrors(errors, 1));
  const ok = results.flatMap((r) => (r?.ok ? [r.ok] : []));
  if (ok.length === 0) throw new SkipCheck('no links');
  return ok;
}

/** Why the gateway of `cluster` is not known to be alive (gateway_alive of its Lease holder), or undefined when it is. */
async function gatewayLiveness(env: CheckEnv, cluster: string): Promise<string | undefined> {
  let readings: Map<string, GatewayReading>;
  try {
    readings = await env.gatewayReadings();
  } catch (err) {
    return `failed to get the gateway metrics for target cluster ${cluster}: ${errText(err)}`;
  }
  const r = readings.get(cluster);
  if (!r) return `no service mirror pod for target cluster ${cluster} (component in (${SERVICE_MIRROR_POD_COMPONENTS.join(', ')}), ${MIRROR_CLUSTER_LABEL}=${cluster}): nothing probes its gateway`;
  if (r.error) return `failed to get the gateway metrics for target cluster ${cluster}: ${r.error}`;
  if (r.metrics?.alive !== true) {
    return `liveness checks failed for ${cluster}: ${GATEWAY_ALIVE}{${TARGET_CLUSTER_LABEL}="${cluster}"} is 0 in the metrics of pod ${r.namespace}/${r.pod} port ${r.port} (the Lease holder): the gateway does not answer its probes`;
  }
  return undefined;
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
