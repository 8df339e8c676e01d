/**
 * `mc export-service` from options to output: live (merge patches through
 * the API of a context) or offline (manifests in, exported manifests out).
 * Each live Service is tried; the ones that failed are reported together
 * through the one error path (cli.ts), after the ones that worked.
 */
import { printResult, say, sayTo } from '../cli-kit.js';
import { McErrors } from '../errors.js';
import type { IO } from '../io.js';
import type { ExportOptions } from './transform.js';

interface Common {
  /** What the marks become (export, unexport, remote discovery, federation, gateway annotations). */
  marks: ExportOptions;
}

/** Services in the cluster of a context. */
export interface LiveExportOptions extends Common {
  mode: 'live';
  kubeconfig?: string;
  context?: string;
  requestTimeoutMs: number;
  /** Service names (svc/NAME); empty when selecting with a selector or all. */
  names: string[];
  /** A label query, already checked to parse (sent to the server as given). */
  selector?: string;
  namespace?: string;
  allNamespaces: boolean;
  dryRun: boolean;
}

/** Manifests: files, folders, URLs, "-" for standard input. */
export interface OfflineExportOptions extends Common {
  mode: 'offline';
  inputs: string[];
  /** Deadline of each URL's answer and body (--request-timeout), ms; 0 for none. */
  requestTimeoutMs: number;
}

export type ExportServiceOptions = LiveExportOptions | OfflineExportOptions;

export async function runExportService(o: ExportServiceOptions, io: IO): Promise<number> {
  if (o.mode === 'offline') {
    const { readSources, exportOffline, formatReport } = await import('./offline.js');
    const sources = await readSources(o.inputs, { stdin: io.stdin, timeoutMs: o.requestTimeoutMs, signal: io.signal, warn: sayTo(io.stderr) });
    const { output, report } = await exportOffline(sources, o.marks);
    await printResult(io, output);
    const text = formatReport(report);
    if (text) say(io, text);
    return 0;
  }
  const { exportLive } = await import('./live.js');
  const result = await exportLive(
    { kubeconfig: o.kubeconfig, context: o.context, env: io.env, requestTimeoutMs: o.requestTimeoutMs, signal: io.signal },
    { names: o.names, selector: o.selector, namespace: o.namespace, allNamespaces: o.allNamespaces, dryRun: o.dryRun },
    o.marks,
    sayTo(io.stderr),
  );
  if (o.dryRun && result.dryRunOutput) await printResult(io, result.dryRunOutput);
  if (result.failures.length > 0) {
    throw new McErrors(result.failures, `${result.failures.length} of ${result.total} service${result.total === 1 ? '' : 's'} failed`);
  }
  return 0;
}
