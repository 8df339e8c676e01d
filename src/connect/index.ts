/**
 * `mc connect` and `mc disconnect`: many links in one command. Connect reads
 * every cluster at once and reports every problem with its fix before
 * anything is written; then all pairs run in parallel, each idempotent, and
 * the report says which pairs changed, which did not and which failed (a
 * rerun resumes). `--dry-run` and `--out-dir` write nothing to the clusters.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { McError, UsageError } from '../errors.js';
import type { IO } from '../io.js';
import { KubeClient, type KubeObject } from '../kube/client.js';
import { loadKubeconfig, type LoadedKubeconfig } from '../kube/kubeconfig.js';
import { FIELD_MANAGER } from '../link/apply.js';
import { readGatewayMetrics } from '../gateways/read.js';
import { loopbackWarning } from '../link/link-gen.js';
import { DEFAULT_MULTICLUSTER_NAMESPACE, registryOf } from '../multicluster/names.js';
import { connectPair, disconnectPair, pairObjects, type PairContext, type PairResult, type RemoveResult } from './apply.js';
import { ClusterWrites, TargetReads } from './cluster-state.js';
import { installObjects, type RenderSettings } from './objects.js';
import { clusterNameOf, contextsOf, describePair, planPairs, type Pair, type PairSpec } from './plan.js';
import { clusterFacts, formatProblems, preflightProblems, type ClusterFacts } from './preflight.js';

export interface ConnectOptions {
  kubeconfig?: string;
  linkerdNamespace: string;
  pairs: PairSpec;
  /** Install the extension where it is missing. */
  install: boolean;
  remoteDiscovery: boolean;
  legacy: boolean;
  apiServerAddresses: Map<string, string>;
  allowLoopback: boolean;
  /** --gateway CTX=NAMESPACE/NAME */
  gateways: Map<string, { namespace: string; name: string }>;
  dryRun: boolean;
  outDir?: string;
  /** --wait: until every new link's controller holds its Lease and its gateway is alive (ms). */
  waitMs?: number;
  /** Per request, and per cluster for the preflight reads (ms). */
  timeoutMs: number;
  linkerdVersion: string;
  /** --registry; $LINKERD_DOCKER_REGISTRY comes from the IO's environment. */
  registry?: string;
  verbose: boolean;
}

export interface DisconnectOptions {
  kubeconfig?: string;
  linkerdNamespace: string;
  /** The pairs, or (cluster) every pair between that context and each other one. */
  pairs?: PairSpec;
  cluster?: string;
  timeoutMs: number;
  linkerdVersion: string;
}

const say = (io: Pick<IO, 'stderr'>, line: string) => void io.stderr.write(`${line}\n`);

/** The kubeconfig, read once per run: each cluster's client comes from it. */
function readKubeconfig(kubeconfig: string | undefined, env: IO['env']): { loaded: LoadedKubeconfig; known: string[] } {
  const loaded = loadKubeconfig({ kubeconfig, env });
  return { loaded, known: loaded.config.contexts.map((c) => c.name) };
}

function requireContexts(contexts: string[], known: string[]): void {
  const missing = contexts.filter((c) => !known.includes(c));
  if (missing.length > 0) throw new UsageError(`context${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} not in the kubeconfig`, `Known contexts: ${known.join(', ')}.`);
}

/** Whether an API server address is one only this machine reaches (link-gen's rule). */
function isLoopback(server: string): boolean {
  return loopbackWarning(server, '', false) !== undefined;
}

/**
 * Connections per cluster. Connect sends each cluster a burst of applies (a
 * mesh of 10: some 140 per cluster); past a few connections, each new TLS
 * handshake costs both ends more CPU than waiting for a free connection
 * (measured with bench/status-connect.ts: 32 connections took 1.4x the time of 8).
 */
const CONNECTIONS_PER_CLUSTER = 8;

/** A client per context; a context that cannot be connected to is left out (the preflight says why). */
async function connectClients(contexts: string[], o: { kubeconfig?: string; timeoutMs: number }, loaded: LoadedKubeconfig, env: IO['env']): Promise<Map<string, KubeClient>> {
  const clients = new Map<string, KubeClient>();
  await Promise.all(
    contexts.map((c) =>
      KubeClient.connect({ kubeconfig: o.kubeconfig, loaded, context: c, env }, { timeoutMs: o.timeoutMs, maxSockets: CONNECTIONS_PER_CLUSTER }).then(
        (client) => void clients.set(c, client),
        () => undefined,
      ),
    ),
  );
  return clients;
}

function changeSummary(r: PairResult): string {
  const { created, configured, unchanged } = r.changes;
  if (created + configured === 0) return 'no changes';
  return [created ? `${created} created` : '', configured ? `${configured} configured` : '', unchanged ? `${unchanged} unchanged` : ''].filter(Boolean).join(', ');
}

/** One YAML stream per context: `# context: NAME`, then its documents. */
function documentsText(byContext: Map<string, KubeObject[]>): string {
  const parts: string[] = [];
  for (const [context, objs] of byContext) {
    parts.push(`# context: ${context}\n${objs.map((o) => `---\n${yaml.dump(o, { lineWidth: -1, noRefs: true })}`).join('')}`);
  }
  return parts.join('\n');
}

/** Write every file, or none: each to a temporary name first, then all renamed. */
function writeFilesAtomically(dir: string, files: Map<string, string>): string[] {
  mkdirSync(dir, { recursive: true });
  const temps: Array<[string, string]> = [];
  try {
    for (const [name, text] of files) {
      const path = join(dir, name);
      const tmp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
      writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
      temps.push([tmp, path]);
    }
  } catch (err) {
    for (const [tmp] of temps) rmSync(tmp, { force: true });
    throw new McError(`cannot write to ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'Choose a folder you can write to.');
  }
  for (const [tmp, path] of temps) renameSync(tmp, path);
  return temps.map(([, p]) => p);
}

/** Run `mc connect`; returns the exit code. */
export async function runConnect(o: ConnectOptions, io: IO): Promise<number> {
  const pairs = planPairs(o.pairs);
  const contexts = contextsOf(pairs);
  const { loaded, known } = readKubeconfig(o.kubeconfig, io.env);
  requireContexts(contexts, known);
  for (const c of [...o.apiServerAddresses.keys(), ...o.gateways.keys()]) {
    if (!contexts.includes(c)) throw new UsageError(`context "${c}" (in --api-server-address or --gateway) is not one of the clusters to connect`, `The clusters: ${contexts.join(', ')}.`);
  }
  const log = o.verbose ? (line: string) => say(io, `[connect] ${line}`) : () => {};
  say(io, `Preflight: ${contexts.length} clusters (${contexts.join(', ')}), ${pairs.length} links`);
  // One client per cluster for the preflight and the writes: their connections serve both.
  const clients = await connectClients(contexts, o, loaded, io.env);
  try {
    return await connectWith(clients, loaded, contexts, pairs, o, io, log);
  } finally {
    for (const c of clients.values()) c.close();
  }
}

async function connectWith(clients: Map<string, KubeClient>, loaded: LoadedKubeconfig, contexts: string[], pairs: Pair[], o: ConnectOptions, io: IO, log: (line: string) => void): Promise<number> {
  const factsList = await Promise.all(contexts.map((c) => clusterFacts(c, { kubeconfig: o.kubeconfig, loaded, env: io.env, linkerdNamespace: o.linkerdNamespace, timeoutMs: o.timeoutMs, gateways: o.gateways }, clients.get(c))));
  const facts = new Map(factsList.map((f) => [f.context, f]));
  const problems = preflightProblems(pairs, facts, {
    install: o.install,
    remoteDiscovery: o.remoteDiscovery,
    apiServerAddresses: o.apiServerAddresses,
    allowLoopback: o.allowLoopback,
    isLoopback,
  });
  if (problems.length > 0) {
    say(io, `Preflight found ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was written:\n${formatProblems(problems)}`);
    return 1;
  }
  const settings: RenderSettings = { linkerdNamespace: o.linkerdNamespace, linkerdVersion: o.linkerdVersion, registry: registryOf(o.registry, io.env), legacy: o.legacy, remoteDiscovery: o.remoteDiscovery };
  // A target installed just now has linkerd-gateway (its address comes later: link-gen says so, a rerun resumes).
  const toInstall = o.install ? factsList.filter((f) => !f.extensionInstalled) : [];
  for (const f of toInstall) if (!f.gateway && !o.remoteDiscovery) f.gateway = { namespace: 'linkerd-multicluster', name: 'linkerd-gateway' };
  const targets = [...new Set(pairs.map((p) => facts.get(p.target)!.clusterName))];
  const writes = new Map([...clients].map(([c, client]) => [c, new ClusterWrites(client)]));
  const reads = new Map([...clients].map(([c, client]) => [c, new TargetReads(client, DEFAULT_MULTICLUSTER_NAMESPACE)]));
  const ctx: PairContext = { clients, writes, reads, facts, settings, targets, apiServerAddresses: o.apiServerAddresses, tokenTimeoutMs: Math.max(o.timeoutMs, 10_000), log };

  if (o.dryRun || o.outDir) return await render(pairs, toInstall, ctx, o, io);

  for (const f of toInstall) {
    say(io, `${f.context}: installing the multicluster extension`);
    const [first, rest] = await installObjects(f.settings!, settings);
    const client = clients.get(f.context)!;
    await Promise.all(first!.map((obj) => client.apply(obj, FIELD_MANAGER)));
    await Promise.all(rest!.map((obj) => client.apply(obj, FIELD_MANAGER)));
  }
  const results = await Promise.all(pairs.map((p) => connectPair(p, ctx)));
  const code = report(results, io);
  if (o.waitMs === undefined) return code;
  const ready = await waitForLinks(results.filter((r) => r.ok).map((r) => r.pair), ctx, o.waitMs, io);
  return ready ? code : 1;
}

/** --dry-run (stdout) and --out-dir (one file per cluster): what would be applied, per context. */
async function render(pairs: Pair[], toInstall: ClusterFacts[], ctx: PairContext, o: ConnectOptions, io: IO): Promise<number> {
  const byContext = new Map<string, KubeObject[]>(contextsOf(pairs).map((c) => [c, []]));
  for (const f of toInstall) byContext.get(f.context)!.push(...(await installObjects(f.settings!, ctx.settings)).flat());
  const parts = await Promise.all(pairs.map((p) => pairObjects(p, ctx)));
  parts.forEach((part, i) => {
    byContext.get(pairs[i]!.target)!.push(...part.target);
    byContext.get(pairs[i]!.source)!.push(...part.source);
    if (part.note) say(io, part.note);
  });
  if (o.outDir) {
    const files = new Map([...byContext].map(([c, objs]) => [`${c}.yaml`, objs.map((obj) => `---\n${yaml.dump(obj, { lineWidth: -1, noRefs: true })}`).join('')]));
    for (const path of writeFilesAtomically(o.outDir, files)) say(io, `wrote ${path}`);
    say(io, `Apply each file to its cluster: kubectl --context CONTEXT apply --server-side --field-manager ${FIELD_MANAGER} -f ${join(o.outDir, 'CONTEXT.yaml')}`);
    return 0;
  }
  const text = documentsText(byContext);
  await new Promise<void>((resolve, reject) => io.stdout.write(text, (err) => (err ? reject(err) : resolve())));
  say(io, `(dry run: nothing was written; ${pairs.length} links among ${byContext.size} clusters)`);
  return 0;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * --wait: until the controller of every link holds its Lease and reports its
 * gateway alive (mc gateways' reading, one per source cluster per round);
 * links without a gateway only need the Lease holder. Progress on a
 * terminal; elsewhere a line per link as it gets ready.
 */
async function waitForLinks(pairs: Pair[], ctx: PairContext, waitMs: number, io: IO): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  const pending = new Map(pairs.map((p) => [describePair(p), { pair: p, why: 'not read yet' }]));
  const tty = Boolean(io.stderr.isTTY);
  for (;;) {
    const sources = [...new Set([...pending.values()].map((w) => w.pair.source))];
    await Promise.all(
      sources.map(async (source) => {
        const mine = [...pending.entries()].filter(([, w]) => w.pair.source === source);
        try {
          const { readings } = await readGatewayMetrics(ctx.clients.get(source)!, { waitMs: Math.max(200, Math.min(5000, deadline - Date.now())) });
          for (const [key, w] of mine) {
            const r = readings.find((x) => x.clusterName === ctx.facts.get(w.pair.target)!.clusterName);
            if (!r) w.why = 'its controller has no Pod yet';
            else if (r.error !== undefined) w.why = r.error;
            else if (r.metrics?.enabled === false || r.metrics?.alive) {
              pending.delete(key);
              if (!tty) say(io, `${key}: controller ${r.pod} holds the Lease${r.metrics?.alive ? `, gateway alive (${r.metrics.latencyMs ?? '?'} ms)` : ''}`);
            } else w.why = `${r.pod} holds the Lease, but the gateway is not alive yet`;
          }
        } catch (err) {
          for (const [, w] of mine) w.why = (err as Error).message.split('\n')[0]!;
        }
      }),
    );
    if (tty) io.stderr.write(`\r\x1b[Kwaiting: ${pairs.length - pending.size} of ${pairs.length} links ready`);
    if (pending.size === 0 || Date.now() >= deadline || io.signal.aborted) break;
    await sleep(Math.min(1000, Math.max(0, deadline - Date.now())), io.signal);
  }
  if (tty) io.stderr.write('\n');
  if (pending.size === 0) {
    say(io, `${pairs.length} of ${pairs.length} links ready: every controller holds its Lease and sees its gateway alive`);
    return true;
  }
  say(io, `${pending.size} of ${pairs.length} links not ready after ${waitMs / 1000}s:`);
  for (const [key, w] of pending) say(io, `  ${key}: ${w.why}`);
  return false;
}

function report(results: PairResult[], io: IO): number {
  for (const r of results) {
    for (const w of r.warnings) say(io, `Warning: ${describePair(r.pair)}: ${w}`);
    if (r.ok) say(io, `${describePair(r.pair)}: ${r.changes.created + r.changes.configured === 0 ? 'no changes' : `connected (${changeSummary(r)})`}`);
    else say(io, `${describePair(r.pair)}: FAILED at ${r.failedStep}: ${r.error}`);
  }
  const failed = results.filter((r) => !r.ok);
  const unchanged = results.filter((r) => r.ok && r.changes.created + r.changes.configured === 0).length;
  const changed = results.length - failed.length - unchanged;
  say(io, `${results.length} links: ${changed} connected, ${unchanged} unchanged, ${failed.length} failed`);
  if (failed.length > 0) {
    say(io, `Failed: ${failed.map((r) => describePair(r.pair)).join(', ')}. Fix the cause above and run the same command again: the links done stay as they are, the others resume.`);
    return 1;
  }
  return 0;
}

/** The pairs of `mc disconnect`: those named, or every pair between --cluster and each other context. */
export function disconnectPairs(o: Pick<DisconnectOptions, 'pairs' | 'cluster'>, known: string[]): Pair[] {
  if (o.cluster !== undefined) {
    if (o.pairs && Object.values(o.pairs).some((v) => v?.length)) throw new UsageError('--cluster cannot be combined with other clusters to disconnect');
    requireContexts([o.cluster], known);
    return known.filter((c) => c !== o.cluster).flatMap((c) => [{ source: c, target: o.cluster! }, { source: o.cluster!, target: c }]);
  }
  return planPairs(o.pairs ?? {});
}

/** Run `mc disconnect`; returns the exit code. */
export async function runDisconnect(o: DisconnectOptions, io: IO): Promise<number> {
  const { loaded, known } = readKubeconfig(o.kubeconfig, io.env);
  const pairs = disconnectPairs(o, known);
  const contexts = contextsOf(pairs);
  requireContexts(contexts, known);
  const settings: RenderSettings = { linkerdNamespace: o.linkerdNamespace, linkerdVersion: o.linkerdVersion, legacy: false, remoteDiscovery: false };
  const clients = await connectClients(contexts, o, loaded, io.env);
  try {
    const clusterNames = new Map(contexts.map((c) => [c, clusterNameOf(c)]));
    const targets = [...new Set(pairs.map((p) => clusterNames.get(p.target)!))];
    const results: RemoveResult[] = await Promise.all(pairs.map((p) => disconnectPair(p, { clients, settings, targets, clusterNames })));
    for (const r of results) {
      if (!r.ok) say(io, `${describePair(r.pair)}: FAILED at ${r.failedStep}: ${r.error}${r.removed ? ` (${r.removed} objects removed before)` : ''}`);
      else if (r.removed > 0 || o.cluster === undefined) say(io, `${describePair(r.pair)}: ${r.removed > 0 ? `disconnected (${r.removed} objects removed)` : 'nothing to remove'}`);
    }
    const failed = results.filter((r) => !r.ok);
    const removed = results.filter((r) => r.ok && r.removed > 0).length;
    say(io, `${results.length} links: ${removed} disconnected, ${results.length - removed - failed.length} had nothing to remove, ${failed.length} failed`);
    if (failed.length > 0) {
      say(io, `Failed: ${failed.map((r) => describePair(r.pair)).join(', ')}. Run the same command again once the clusters answer: it removes what is left.`);
      return 1;
    }
    return 0;
  } finally {
    for (const c of clients.values()) c.close();
  }
}
