/**
 * Beyond upstream: the HTTPRoutes (Linkerd's and the Gateway API's) and SMI
 * TrafficSplits here (what `mc split` writes) that send traffic to a mirror
 * service without endpoints: those requests fail until the linked cluster's
 * gateway and service are back. A warning, with each route and backend.
 */
import { KubeApiError } from '../../kube/client.js';
import { servedGroups } from '../../kube/discovery.js';
import { MIRRORED_SERVICE_LABEL } from '../../multicluster/names.js';
import { hasEndpoints, ROUTE_APIS } from '../../split/plan.js';
import type { CheckEnv } from '../env.js';
import { SkipCheck } from '../runner.js';
import type { Service } from '../types.js';

interface RouteObject {
  kind: string;
  metadata: { name?: string; namespace?: string };
  spec?: {
    rules?: Array<{ backendRefs?: Array<{ name: string; kind?: string; group?: string; namespace?: string; weight?: number }> }>;
    backends?: Array<{ service: string; weight?: number | string }>;
  };
}

/** Backends that get traffic (weight > 0; an HTTPRoute's default weight is 1), as "namespace/name". */
function weightedBackends(r: RouteObject): string[] {
  const ns = r.metadata.namespace ?? 'default';
  if (r.kind === 'TrafficSplit') return (r.spec?.backends ?? []).filter((b) => Number.parseFloat(String(b.weight ?? 0)) > 0).map((b) => `${ns}/${b.service}`);
  return (r.spec?.rules ?? [])
    .flatMap((rule) => rule.backendRefs ?? [])
    .filter((b) => (b.kind ?? 'Service') === 'Service' && ['', 'core', undefined].includes(b.group) && (b.weight ?? 1) > 0)
    .map((b) => `${b.namespace ?? ns}/${b.name}`);
}

export async function checkRoutesToMirrors(env: CheckEnv): Promise<string[]> {
  const mirrors = new Map<string, Service>();
  for (const s of await env.mirrorServices()) if (s.metadata.labels?.[MIRRORED_SERVICE_LABEL] === 'true') mirrors.set(`${s.metadata.namespace}/${s.metadata.name}`, s);
  if (mirrors.size === 0) throw new SkipCheck('no mirror services');
  const groups = await servedGroups(env.local);
  const kinds = Object.values(ROUTE_APIS).flatMap((api) => {
    const v = api.versions.find((x) => groups.get(api.group)?.includes(x));
    return v ? [{ apiVersion: `${api.group}/${v}`, resource: api.resource }] : [];
  });
  if (kinds.length === 0) throw new SkipCheck('no HTTPRoute or TrafficSplit API served');
  const lists = await Promise.all(
    kinds.map((k) =>
      env.local.list<RouteObject>(k).catch((err) => {
        if (err instanceof KubeApiError && (err.code === 404 || err.code === 403)) return [];
        throw err;
      }),
    ),
  );
  const problems: string[] = [];
  let checked = 0;
  for (const [i, items] of lists.entries()) {
    for (const r of items) {
      for (const backend of weightedBackends(r)) {
        if (!mirrors.has(backend)) continue;
        checked++;
        const [ns, name] = backend.split('/') as [string, string];
        if (!hasEndpoints(await env.endpointsOf(ns, name))) {
          problems.push(`* ${r.kind} ${r.metadata.namespace}/${r.metadata.name} (${kinds[i]!.apiVersion}) sends traffic to ${backend}, a mirror without endpoints`);
        }
      }
    }
  }
  if (problems.length > 0) throw new Error(`${problems.join('\n    ')}\n    (is the linked cluster's gateway alive? \`mc gateways\`)`);
  return checked > 0 ? [`\t* ${checked} route backend(s) on mirrors, all with endpoints`] : [];
}
