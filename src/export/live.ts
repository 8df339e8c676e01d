/**
 * Live export: merge-patch the metadata of Services in the cluster of a
 * context. Each Service is read first (mirrors are skipped, services already
 * in the wanted state are left alone), then patched with its resourceVersion
 * so a concurrent change shows as a conflict, which is retried on fresh data.
 * One failure does not stop the others: failures are returned, not printed
 * (the caller reports them through the one error path).
 */
// live.ts is itself loaded only for live exports, so its imports can be static.
import { McError } from '../errors.js';
import { KubeApiError, KubeClient, type ConnectSource, type KubeObject } from '../kube/client.js';
import { coreRef, type ResourceRef } from '../kube/resources.js';
import { mergePatchOf, serviceOutcome, type ExportOptions } from './transform.js';

export interface LiveTargets {
  /** Service names (from svc/NAME); empty when selecting with -l/--all. */
  names: string[];
  selector?: string;
  namespace?: string;
  allNamespaces: boolean;
  dryRun: boolean;
  /** Patches in flight at once. */
  concurrency?: number;
}

export interface LiveResult {
  total: number;
  /** The error of each Service that failed, in input order. */
  failures: unknown[];
  /** --dry-run: one JSON line per patch that would be sent. */
  dryRunOutput: string;
}

const CONFLICT_ATTEMPTS = 3;

function svcRef(namespace: string, name: string): ResourceRef {
  return coreRef('services', namespace, name);
}

function where(ns: string, name: string): string {
  return `service "${name}" in namespace "${ns}"`;
}

interface Outcome {
  line: string;
  error?: unknown;
  patch?: string;
}

async function exportOne(client: KubeClient, ns: string, name: string, first: KubeObject | undefined, options: ExportOptions, dryRun: boolean): Promise<Outcome> {
  const verb = options.unexport ? 'unexported' : 'exported';
  let svc = first;
  for (let attempt = 1; ; attempt++) {
    try {
      const current: KubeObject = svc ?? (await client.get(svcRef(ns, name)));
      svc = current;
      const outcome = serviceOutcome(current, options);
      if (outcome.action === 'skip-mirror') {
        return { line: `${where(ns, name)} skipped: it is a mirror of a remote service (label mirror.linkerd.io/mirrored-service)` };
      }
      if (outcome.unchanged) return { line: `${where(ns, name)} already ${verb}` };
      const patch = mergePatchOf(outcome.changes, current.metadata.resourceVersion, current);
      if (dryRun) {
        const line = JSON.stringify({ apiVersion: 'v1', kind: 'Service', namespace: ns, name, patchType: 'merge', patch });
        return { line: `${where(ns, name)} ${verb} (dry run)`, patch: line };
      }
      await client.patch(svcRef(ns, name), patch, 'merge');
      return { line: `${where(ns, name)} ${verb}` };
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 409 && attempt < CONFLICT_ATTEMPTS) {
        svc = undefined; // changed meanwhile: read it again and recompute
        continue;
      }
      if (err instanceof KubeApiError && err.code === 409) {
        return {
          line: '',
          error: new McError(
            `conflict: ${where(ns, name)} in context "${client.contextName}" kept changing while mc patched it (${CONFLICT_ATTEMPTS} attempts): ${err.message}`,
            'Run the command again once whatever else is changing the service has settled.',
          ),
        };
      }
      return { line: '', error: err };
    }
  }
}

/** Run `fn` over items with at most `limit` in flight; results in input order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function exportLive(
  src: ConnectSource,
  t: LiveTargets,
  options: ExportOptions,
  log: (line: string) => void,
): Promise<LiveResult> {
  const client = await KubeClient.connect(src);
  try {
    const namespace = t.allNamespaces ? undefined : (t.namespace ?? client.contextNamespace ?? 'default');
    let targets: Array<{ ns: string; name: string; svc?: KubeObject }>;
    if (t.names.length) {
      targets = [...new Set(t.names)].map((name) => ({ ns: namespace!, name }));
    } else {
      const items = await client.list(coreRef('services', namespace), { labelSelector: t.selector, limit: 500 });
      targets = items.map((svc) => ({ ns: svc.metadata.namespace ?? namespace ?? 'default', name: svc.metadata.name ?? '', svc }));
      if (targets.length === 0) {
        const scope = namespace ? `in namespace "${namespace}"` : 'in any namespace';
        log(`no services ${t.selector ? `matching "${t.selector}" ` : ''}${scope} (context "${client.contextName}")`);
      }
    }
    const results = await mapLimit(targets, t.concurrency ?? 8, (x) => exportOne(client, x.ns, x.name, x.svc, options, t.dryRun));
    const failures: unknown[] = [];
    const patches: string[] = [];
    for (const r of results) {
      if (r.error !== undefined) failures.push(r.error);
      else log(r.line);
      if (r.patch) patches.push(r.patch);
    }
    return { total: targets.length, failures, dryRunOutput: patches.length ? `${patches.join('\n')}\n` : '' };
  } finally {
    client.close();
  }
}
