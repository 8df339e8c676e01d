/**
 * `mc connect` / `mc disconnect`: which ordered pairs, and what each pair's
 * objects are called. Pure.
 *
 * A pair `source ← target` means: source mirrors target's services. Source
 * gets the Link, its credentials Secrets and the controller that serves it;
 * target gets the remote-access account the source's controller reads it
 * with (one per source, so one source's access is revoked without touching
 * the others).
 */
import { parseServerUrl } from '../cli-kit.js';
import { UsageError } from '../errors.js';
import { checkClusterName, suggestClusterName } from '../link/cluster-name.js';

export interface Pair {
  /** Context of the cluster that mirrors (gets the Link). */
  source: string;
  /** Context of the cluster mirrored (gets the remote-access account). */
  target: string;
}

/** How the user named the pairs: `connect A B`, `--mesh A B C...`, or `--from X --to Y`. */
export interface PairSpec {
  /** `connect A B`: both ways. */
  both?: string[];
  /** --mesh: every ordered pair. */
  mesh?: string[];
  /** --from/--to: every source in from with every target in to (one way). */
  from?: string[];
  to?: string[];
}

export function pairKey(p: Pair): string {
  return `${p.source}←${p.target}`;
}

/** "west←east" as users read it: west mirrors east. */
export function describePair(p: Pair): string {
  return `${p.source}←${p.target}`;
}

function unique(list: string[], what: string): string[] {
  const seen = new Set<string>();
  for (const c of list) {
    if (seen.has(c)) throw new UsageError(`${what} names context "${c}" twice`);
    seen.add(c);
  }
  return list;
}

/** Every ordered pair the user asked for, without repeats or self-links. */
export function planPairs(spec: PairSpec): Pair[] {
  const ways = [spec.both?.length ? 1 : 0, spec.mesh?.length ? 1 : 0, spec.from?.length || spec.to?.length ? 1 : 0].reduce((a, b) => a + b, 0);
  if (ways === 0) throw new UsageError('name the clusters to connect', 'e.g. `mc connect east west` (both ways), `mc connect --mesh east west north` (every pair) or `mc connect --from west --to east` (west mirrors east).');
  if (ways > 1) throw new UsageError('use one of: two contexts as arguments, --mesh, or --from/--to');
  const pairs: Pair[] = [];
  const add = (source: string, target: string) => {
    if (source !== target && !pairs.some((p) => p.source === source && p.target === target)) pairs.push({ source, target });
  };
  if (spec.both?.length) {
    if (spec.both.length !== 2) throw new UsageError(`expected two contexts, got ${spec.both.length}`, 'For more clusters use --mesh A B C ...');
    const [a, b] = unique(spec.both, 'the command line');
    if (a === b) throw new UsageError(`cannot connect context "${a}" to itself`);
    add(a!, b!);
    add(b!, a!);
  } else if (spec.mesh?.length) {
    const mesh = unique(spec.mesh, '--mesh');
    if (mesh.length < 2) throw new UsageError('--mesh needs at least two contexts');
    for (const s of mesh) for (const t of mesh) add(s, t);
  } else {
    if (!spec.from?.length || !spec.to?.length) throw new UsageError('--from and --to go together', 'e.g. --from west --to east: west mirrors the services of east.');
    for (const s of unique(spec.from, '--from')) for (const t of unique(spec.to, '--to')) add(s, t);
    if (pairs.length === 0) throw new UsageError('--from and --to name the same single context: nothing to connect');
  }
  return pairs;
}

/** Contexts a plan touches, in first-seen order. */
export function contextsOf(pairs: Pair[]): string[] {
  const out: string[] = [];
  for (const p of pairs) for (const c of [p.source, p.target]) if (!out.includes(c)) out.push(c);
  return out;
}

/** The cluster name of a context (the Link's name, the label on what serves it). */
export function clusterNameOf(context: string): string {
  const name = suggestClusterName(context);
  if (!name) throw new UsageError(`cannot make a cluster name from context "${context}"`, 'Rename the context to contain letters or digits.');
  return checkClusterName(name);
}

/** The remote-access account in target that source's controller reads target with. */
export function remoteAccountName(sourceCluster: string): string {
  return `linkerd-service-mirror-remote-access-${sourceCluster}`;
}

/** `--api-server-address CTX=URL` (repeatable) as a map; a URL must be https with a host. */
export function parseAddressMap(values: string[], flag = '--api-server-address'): Map<string, string> {
  const map = new Map<string, string>();
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0 || i === v.length - 1) throw new UsageError(`invalid ${flag} "${v}": want CONTEXT=https://HOST:PORT`);
    const ctx = v.slice(0, i);
    const url = parseServerUrl(v.slice(i + 1), flag);
    if (map.has(ctx)) throw new UsageError(`${flag} names context "${ctx}" twice`);
    map.set(ctx, url);
  }
  return map;
}
