/**
 * `mc split`: check the flags (plan.ts), then, unless --offline, read what
 * the cluster serves and the parent and backend Services (and a mirror's
 * Endpoints) in one parallel round, validate, and print the route or split.
 * No reachable cluster means offline, said on stderr.
 */
import { printResult, sayTo } from '../cli-kit.js';
import { McError } from '../errors.js';
import type { IO } from '../io.js';
import { KubeApiError, KubeClient, unlessNotFound } from '../kube/client.js';
import { servedGroups } from '../kube/discovery.js';
import { coreRef } from '../kube/resources.js';
import { formatDocuments } from '../render/output.js';
import {
  describeWeights,
  isMirror,
  pickRouteApi,
  ROUTE_APIS,
  splitObject,
  splitSpec,
  validateLive,
  type EndpointsLike,
  type LiveFacts,
  type RouteApi,
  type Served,
  type ServiceLike,
} from './plan.js';

export interface SplitOptions {
  kubeconfig?: string;
  context?: string;
  verbose: boolean;
  service: string;
  /** Default: the context's namespace, else "default". */
  namespace?: string;
  name?: string;
  to: string[];
  port?: number;
  api: RouteApi | 'auto';
  failover: boolean;
  primary?: string;
  offline: boolean;
  output: 'yaml' | 'json';
}


/**
 * No cluster at all: no kubeconfig (when none was named) or no answer from
 * the API server. split then goes offline; refusals, unknown contexts and
 * broken kubeconfigs named on the command line stay errors.
 */
function noCluster(err: unknown, o: SplitOptions): boolean {
  if (err instanceof KubeApiError) return err.code === 0;
  return err instanceof McError && o.kubeconfig === undefined && o.context === undefined;
}

export async function runSplit(o: SplitOptions, io: IO): Promise<number> {
  const say = sayTo(io.stderr);
  const log = (line: string) => {
    if (o.verbose) say(`[split] ${line}`);
  };
  // Usage errors before anything touches a cluster.
  splitSpec({ ...o, namespace: o.namespace ?? 'default' });

  let client: KubeClient | undefined;
  let offlineWhy = o.offline ? '--offline' : undefined;
  if (!o.offline) {
    try {
      client = await KubeClient.connect({ kubeconfig: o.kubeconfig, context: o.context, env: io.env });
    } catch (err) {
      if (!noCluster(err, o)) throw err;
      offlineWhy = `no cluster (${(err as Error).message.split('\n')[0]})`;
    }
  }
  try {
    const namespace = o.namespace ?? client?.contextNamespace ?? 'default';
    const spec = splitSpec({ ...o, namespace });
    let served: Served | undefined;
    let port = spec.port;
    const notes: string[] = [];
    if (client) {
      const where = `namespace "${namespace}" of context "${client.contextName}"`;
      const svc = (name: string) => unlessNotFound(client!.get<ServiceLike>(coreRef('services', namespace, name)), undefined);
      log(`reading /apis and the Services ${[spec.service, ...spec.backends.map((b) => b.name)].join(', ')} in ${namespace} from ${client.server}`);
      let groups: Map<string, string[]>;
      let parent: ServiceLike | undefined;
      let backendSvcs: Array<ServiceLike | undefined>;
      try {
        [groups, parent, ...backendSvcs] = await Promise.all([servedGroups(client), svc(spec.service), ...spec.backends.map((b) => svc(b.name))]);
      } catch (err) {
        if (!noCluster(err, o)) throw err;
        groups = new Map();
        offlineWhy = `the cluster is unreachable (${(err as Error).message.split('\n')[0]})`;
        parent = undefined;
        backendSvcs = [];
      }
      if (offlineWhy === undefined) {
        served = new Map(Object.values(ROUTE_APIS).map((a) => [a.group, groups.get(a.group) ?? []]));
        // Only mirrors need their Endpoints read.
        const endpoints = await Promise.all(
          spec.backends.map((b, i) => (isMirror(backendSvcs[i]) ? unlessNotFound(client!.get<EndpointsLike>(coreRef('endpoints', namespace, b.name)), undefined) : Promise.resolve(undefined))),
        );
        const facts: LiveFacts = { parent, backends: new Map(spec.backends.map((b, i) => [b.name, { service: backendSvcs[i], endpoints: endpoints[i] }])) };
        const checked = validateLive(spec, facts, where);
        port = checked.port;
        for (const w of checked.warnings) say(`Warning: ${w}`);
        notes.push(...checked.notes);
      }
    }
    const choice = pickRouteApi(o.api, served, o.failover);
    const object = splitObject({ ...spec, port }, choice.api, choice.apiVersion);
    await printResult(io, formatDocuments([object], o.output));
    say(`${object.kind} ${namespace}/${spec.name} (${choice.apiVersion}; ${choice.why}): ${describeWeights(spec.backends)}${notes.length > 0 ? ` [${notes.join('; ')}]` : ''}`);
    if (spec.failover) say(`linkerd-failover moves the weights: primary ${spec.primary}, the others while it is not ready.`);
    if (offlineWhy !== undefined) say(`Not validated against a cluster (${offlineWhy}): the backends, their port and their endpoints were not checked.`);
    return 0;
  } finally {
    client?.close();
  }
}
