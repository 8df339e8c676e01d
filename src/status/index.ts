/**
 * `mc status`: every cluster at once — Linkerd version, gateway, certificate
 * expiry, and per link the controller, credentials, gateway liveness and
 * latency and the mirrored services — as a matrix, a list, JSON or a picture.
 * With --watch, refreshed in place on a terminal.
 */
import { McError, UsageError } from '../errors.js';
import type { IO } from '../io.js';
import { loadKubeconfig, type LoadedKubeconfig } from '../kube/kubeconfig.js';
import { suggestClusterName } from '../link/cluster-name.js';
import { statusExitCode, statusReport, type StatusReport } from './model.js';
import { fillGatewayAddresses, readClusters } from './read.js';
import { renderStatus, type StatusOutput } from './render.js';

export { STATUS_OUTPUTS, type StatusOutput } from './render.js';

export interface StatusOptions {
  kubeconfig?: string;
  /** --contexts; undefined: every context of the kubeconfig that has the multicluster extension. */
  contexts?: string[];
  linkerdNamespace: string;
  output: StatusOutput;
  /** Refresh until interrupted. */
  watch: boolean;
  /** Pause between refreshes (ms). */
  intervalMs: number;
  /** Deadline per cluster (ms). */
  timeoutMs: number;
}

/** The cluster name connect and link give a context; Links are matched to contexts by it. */
export function clusterNameOf(context: string): string {
  return suggestClusterName(context) ?? context;
}

/** The contexts to show, and the kubeconfig they come from (read once per run, however many contexts). */
export interface StatusTargets {
  contexts: string[];
  /** Named by --contexts (else: every context with the extension). */
  explicit: boolean;
  kubeconfig: LoadedKubeconfig;
}

/** The contexts to show: those asked for (each must exist), else all of them. */
export function statusContexts(o: Pick<StatusOptions, 'kubeconfig' | 'contexts'>, env: IO['env']): StatusTargets {
  const kubeconfig = loadKubeconfig({ kubeconfig: o.kubeconfig, env });
  const known = kubeconfig.config.contexts.map((c) => c.name);
  if (!o.contexts) return { contexts: known, explicit: false, kubeconfig };
  const missing = o.contexts.filter((c) => !known.includes(c));
  if (missing.length > 0) {
    throw new UsageError(`context${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} not in the kubeconfig`, `Known contexts: ${known.join(', ')}.`);
  }
  return { contexts: [...new Set(o.contexts)], explicit: true, kubeconfig };
}

/** One reading of every cluster. Without --contexts, reachable clusters without the extension are left out (said on stderr). */
export async function statusSnapshot(o: StatusOptions, io: Pick<IO, 'stderr' | 'env'>, { contexts, explicit, kubeconfig }: StatusTargets): Promise<StatusReport> {
  let readings = await readClusters(contexts, { kubeconfig: o.kubeconfig, loaded: kubeconfig, env: io.env, linkerdNamespace: o.linkerdNamespace, timeoutMs: o.timeoutMs });
  if (!explicit) {
    const without = readings.filter((r) => !r.error && !r.extensionInstalled && r.links.length === 0);
    if (without.length > 0) io.stderr.write(`Left out (no multicluster extension): ${without.map((r) => r.context).join(', ')}\n`);
    readings = readings.filter((r) => !without.includes(r));
    if (readings.length === 0) {
      throw new McError('no context of the kubeconfig has the multicluster extension', 'Install it (`mc install | kubectl apply -f -`), or name the clusters with --contexts a,b,c.');
    }
  }
  const byName = new Map(readings.map((r) => [clusterNameOf(r.context), r.context]));
  fillGatewayAddresses(readings, (t) => readings.find((r) => r.context === t)?.context ?? byName.get(t));
  return statusReport(readings, clusterNameOf);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Run `mc status`; returns the exit code (1 when any cluster fails). */
export async function runStatus(o: StatusOptions, io: IO): Promise<number> {
  const targets = statusContexts(o, io.env);
  const tty = Boolean(io.stdout.isTTY);
  let code = 0;
  for (;;) {
    const report = await statusSnapshot(o, io, targets);
    code = statusExitCode(report);
    let text = renderStatus(report, o.output);
    if (o.watch) {
      // JSON while watching: one report per line, a stream a program can follow.
      if (o.output === 'json') text = `${JSON.stringify(report)}\n`;
      // On a terminal the picture is redrawn in place; elsewhere each reading is appended.
      else if (tty) text = `\x1b[H\x1b[2J${report.time.slice(11, 19)}Z  every ${o.intervalMs / 1000}s, Ctrl-C to stop\n\n${text}`;
      else text = `${report.time}\n${text}\n`;
    }
    await new Promise<void>((resolve, reject) => io.stdout.write(text, (err) => (err ? reject(err) : resolve())));
    if (!o.watch || io.signal.aborted) return code;
    await sleep(o.intervalMs, io.signal);
    if (io.signal.aborted) return code;
  }
}
