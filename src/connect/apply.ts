/**
 * Applying and removing one pair `source ← target` (server-side apply, field
 * manager mc). Steps run in an order that never leaves a usable credential
 * without its owner: the account before its token Secret; in source the Link
 * before the credentials Secrets it names, then its controller. Removal runs
 * the other way round, starting with the target's account (access revoked
 * first). Every step is idempotent, so a rerun resumes where a failure stopped.
 */
import { McError } from '../errors.js';
import { type KubeClient, type KubeObject, unlessNotFound } from '../kube/client.js';
import { coreRef, refOf, type ResourceRef } from '../kube/resources.js';
import type { Change, ClusterWrites, TargetReads } from './cluster-state.js';
import { linkGenObjects, loopbackWarning } from '../link/link-gen.js';
import { DEFAULT_FEDERATED_SELECTOR, DEFAULT_REMOTE_DISCOVERY_SELECTOR, DEFAULT_SELECTOR } from '../multicluster/names.js';
import { parseLabelSelector } from '../multicluster/selectors.js';
import { DEFAULT_MULTICLUSTER_NAMESPACE, MIRROR_CLUSTER_LABEL } from '../multicluster/names.js';
import { accountObjects, controllerObjects, leaseRef, linkRefs, type RenderSettings } from './objects.js';
import { describePair, remoteAccountName, type Pair } from './plan.js';
import type { ClusterFacts } from './preflight.js';


export interface PairResult {
  pair: Pair;
  ok: boolean;
  changes: Record<Change, number>;
  /** The step that failed, and why. */
  failedStep?: string;
  error?: string;
  warnings: string[];
}

export interface PairContext {
  clients: Map<string, KubeClient>;
  /** Per context: its writes, and its reads as a target, shared by every pair. */
  writes: Map<string, ClusterWrites>;
  reads: Map<string, TargetReads>;
  facts: Map<string, ClusterFacts>;
  settings: RenderSettings;
  apiServerAddresses: Map<string, string>;
  /** Cluster names of every target of the plan: the controllers of all of them are rendered at once. */
  targets: string[];
  /** How long to wait for the account's token (ms). */
  tokenTimeoutMs: number;
  log: (line: string) => void;
}

class StepError extends Error {
  constructor(
    readonly step: string,
    readonly reason: unknown,
  ) {
    super((reason as Error).message);
  }
}

async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new StepError(name, err);
  }
}

/** The link-gen options of a pair: the account made for source, target's gateway (none with --remote-discovery). */
function linkGenOptions(pair: Pair, c: PairContext) {
  const source = c.facts.get(pair.source)!;
  const target = c.facts.get(pair.target)!;
  const gw = target.gateway;
  return {
    clusterName: target.clusterName,
    namespace: DEFAULT_MULTICLUSTER_NAMESPACE,
    linkerdNamespace: c.settings.linkerdNamespace,
    apiServerAddress: c.apiServerAddresses.get(pair.target),
    serviceAccountName: remoteAccountName(source.clusterName),
    gateway: c.settings.remoteDiscovery || !gw ? undefined : { namespace: gw.namespace, name: gw.name },
    selector: parseLabelSelector(DEFAULT_SELECTOR, '--selector'),
    remoteDiscoverySelector: parseLabelSelector(DEFAULT_REMOTE_DISCOVERY_SELECTOR, '--remote-discovery-selector'),
    federatedServiceSelector: parseLabelSelector(DEFAULT_FEDERATED_SELECTOR, '--federated-service-selector'),
    excludedLabels: [],
    excludedAnnotations: [],
    linkerdVersion: c.settings.linkerdVersion,
  };
}

/** Everything a pair puts in each cluster, without writing: for --dry-run and --out-dir. */
export async function pairObjects(pair: Pair, c: PairContext): Promise<{ source: KubeObject[]; target: KubeObject[]; note?: string }> {
  const source = c.facts.get(pair.source)!;
  const target = c.facts.get(pair.target)!;
  const [account, controllers] = await Promise.all([accountObjects(source.clusterName, c.settings), controllerObjects(c.targets, source.settings, c.settings)]);
  const controller = controllers.get(target.clusterName)!;
  try {
    const lg = await linkGenObjects(c.clients.get(pair.target)!, linkGenOptions(pair, c));
    const [secretA, secretB, link] = lg.objects;
    return { target: account, source: [link!, secretA!, secretB!, ...controller] };
  } catch (err) {
    if (!(err instanceof McError)) throw err;
    const note =
      `${describePair(pair)}: the Link and its credentials Secrets are left out: they hold the token of account ` +
      `${remoteAccountName(source.clusterName)} in ${pair.target}, which does not exist yet (${err.message.split('\n')[0]}). ` +
      `Apply ${pair.target}'s documents first, then run again.`;
    return { target: account, source: controller, note };
  }
}

/** Connect one pair; never throws: a failure is a result that names the step. */
export async function connectPair(pair: Pair, c: PairContext): Promise<PairResult> {
  const changes: Record<Change, number> = { created: 0, configured: 0, unchanged: 0 };
  const warnings: string[] = [];
  const s = c.writes.get(pair.source)!;
  const t = c.writes.get(pair.target)!;
  const reads = c.reads.get(pair.target)!;
  const source = c.facts.get(pair.source)!;
  const target = c.facts.get(pair.target)!;
  const applyAll = async (cluster: ClusterWrites, objs: KubeObject[]) => {
    for (const r of await Promise.all(objs.map((o) => cluster.apply(o)))) changes[r]++;
  };
  try {
    const [account, controllers] = await Promise.all([accountObjects(source.clusterName, c.settings), controllerObjects(c.targets, source.settings, c.settings)]);
    const controller = controllers.get(target.clusterName)!;
    const [owner, ...rest] = account;
    await step(`remote-access account in ${pair.target}`, async () => {
      await applyAll(t, [owner!]);
      await applyAll(t, rest);
    });
    const tokenSecret = rest.find((o) => o.kind === 'Secret')!;
    await step(`token of the remote-access account in ${pair.target}`, () => reads.waitForToken(tokenSecret.metadata.name!, c.tokenTimeoutMs));
    const lg = await step(`link-gen from ${pair.target}`, () => linkGenObjects(reads, linkGenOptions(pair, c), c.log));
    // A loopback address the user allowed (--allow-loopback) or mapped is no news: preflight decided on it.
    const allowed = loopbackWarning(lg.server, pair.target, c.apiServerAddresses.has(pair.target));
    warnings.push(...lg.warnings.filter((w) => w !== allowed));
    const [secretA, secretB, link] = lg.objects;
    await step(`Link ${target.clusterName} in ${pair.source}`, () => applyAll(s, [link!]));
    await step(`credentials Secrets in ${pair.source}`, () => applyAll(s, [secretA!, secretB!]));
    await step(`${c.settings.legacy ? 'service mirror' : 'controller'} for ${target.clusterName} in ${pair.source}`, () => applyAll(s, controller));
    return { pair, ok: true, changes, warnings };
  } catch (err) {
    const e = err instanceof StepError ? err : new StepError('preparing', err);
    return { pair, ok: false, changes, failedStep: e.step, error: e.message.split('\n').join(' '), warnings };
  }
}

/** Delete what exists of `refs`, in order (each group at once); returns how many were deleted. */
async function deleteAll(client: KubeClient, groups: ResourceRef[][]): Promise<number> {
  let removed = 0;
  for (const refs of groups) {
    const results = await Promise.all(
      refs.map((r) =>
        unlessNotFound(client.delete(r).then(() => 1), 0),
      ),
    );
    removed += results.reduce((a, b) => a + b, 0);
  }
  return removed;
}

export interface RemoveResult {
  pair: Pair;
  ok: boolean;
  removed: number;
  failedStep?: string;
  error?: string;
}

/**
 * Remove what connect made for a pair: the account in target (revoking the
 * source's access first), then in source the credentials, the Link, its
 * controller (managed or legacy), the Lease and the mirrors it left.
 */
export async function disconnectPair(pair: Pair, c: Pick<PairContext, 'clients' | 'settings' | 'targets'> & { clusterNames: Map<string, string> }): Promise<RemoveResult> {
  const sourceName = c.clusterNames.get(pair.source)!;
  const targetName = c.clusterNames.get(pair.target)!;
  let removed = 0;
  try {
    const s = c.clients.get(pair.source)!;
    const t = c.clients.get(pair.target)!;
    const [account, managed, legacy] = await Promise.all([
      accountObjects(sourceName, c.settings),
      controllerObjects(c.targets, undefined, { ...c.settings, legacy: false }).then((m) => m.get(targetName)!),
      controllerObjects([targetName], undefined, { ...c.settings, legacy: true }).then((m) => m.get(targetName)!),
    ]);
    // Token Secret first, its owner last.
    const accountRefs = account.map(refOf);
    removed += await step(`remote-access account in ${pair.target}`, () =>
      deleteAll(t, [accountRefs.filter((r) => r.resource === 'secrets'), accountRefs.filter((r) => r.resource !== 'secrets' && r.resource !== 'serviceaccounts'), accountRefs.filter((r) => r.resource === 'serviceaccounts')]),
    );
    const [secretA, secretB, link] = linkRefs(targetName, c.settings.linkerdNamespace);
    removed += await step(`Link ${targetName} in ${pair.source}`, () => deleteAll(s, [[secretA!, secretB!], [link!]]));
    const controllers = [...managed, ...legacy].map(refOf);
    const unique = controllers.filter((r, i) => controllers.findIndex((x) => JSON.stringify(x) === JSON.stringify(r)) === i);
    removed += await step(`controller for ${targetName} in ${pair.source}`, () => deleteAll(s, [unique, [leaseRef(targetName)]]));
    // Mirrors the controller made (it may be gone before it could clean up).
    removed += await step(`mirrors of ${targetName} in ${pair.source}`, async () => {
      const selector = { labelSelector: `${MIRROR_CLUSTER_LABEL}=${targetName}` };
      const [services, endpoints] = await Promise.all([s.list(coreRef('services'), selector), s.list(coreRef('endpoints'), selector)]);
      const refs = [...services.map((o) => coreRef('services', o.metadata.namespace, o.metadata.name)), ...endpoints.map((o) => coreRef('endpoints', o.metadata.namespace, o.metadata.name))];
      return deleteAll(s, [refs]);
    });
    return { pair, ok: true, removed };
  } catch (err) {
    const e = err instanceof StepError ? err : new StepError('preparing', err);
    return { pair, ok: false, removed, failedStep: e.step, error: e.message.split('\n').join(' ') };
  }
}

