/**
 * `mc gateways`: per linked cluster, whether its gateway is alive, how many
 * services are mirrored from it and the last probe's latency, as upstream's
 * `linkerd multicluster gateways` reports it (columns, JSON shape, the
 * gateways whose gateway_enabled is 0 left out). Failures to read a mirror's
 * metrics go to stderr and make the exit code 1; the others are printed.
 */
import { McError } from '../errors.js';
import type { IO } from '../io.js';
import { KubeClient } from '../kube/client.js';
import { coreRef } from '../kube/resources.js';
import { MIRROR_CLUSTER_LABEL, MIRRORED_SERVICE_LABEL } from '../multicluster/names.js';
import { renderTable } from '../render/table.js';
import { readGatewayMetrics, type GatewayReading } from './read.js';

export const GATEWAYS_OUTPUTS = ['table', 'json'] as const;

export interface GatewaysOptions {
  kubeconfig?: string;
  context?: string;
  /** --request-timeout in ms (0 = none). */
  requestTimeoutMs?: number;
  verbose: boolean;
  /** Only this linked cluster. */
  clusterName?: string;
  /** How long reading the metrics may take, in ms (upstream's -w/--wait, 30s). */
  waitMs: number;
  output: (typeof GATEWAYS_OUTPUTS)[number];
}

/** One row of the report; the JSON field names are upstream's. */
export interface GatewayStatus {
  clusterName: string;
  alive: boolean;
  numberOfServices: number;
  /** ms */
  latency: number;
}

/** Upstream's columns: CLUSTER ALIVE NUM_SVC LATENCY (latency "-" when the gateway is not alive). */
export function renderGateways(statuses: GatewayStatus[]): string {
  const columns = [
    { header: 'CLUSTER', width: 7, flexible: true, leftAlign: true },
    { header: 'ALIVE', width: 5, flexible: true, leftAlign: true },
    { header: 'NUM_SVC', width: 9 },
    { header: 'LATENCY', width: 11 },
  ];
  const rows = statuses.map((s) => [s.clusterName, s.alive ? 'True' : 'False', String(s.numberOfServices), s.alive ? `${s.latency}ms` : '-']);
  return renderTable(columns, rows, [0]);
}

/** Statuses of the readings that worked (disabled gateways left out), with their mirrored-service counts. */
export function gatewayStatuses(readings: GatewayReading[], servicesPerCluster: Map<string, number>): GatewayStatus[] {
  return readings
    .filter((r) => !r.error && r.metrics && r.metrics.enabled !== false)
    .map((r) => ({
      clusterName: r.clusterName,
      alive: r.metrics!.alive === true,
      numberOfServices: servicesPerCluster.get(r.clusterName) ?? 0,
      latency: Math.max(0, Math.round(r.metrics!.latencyMs ?? 0)),
    }));
}

export async function run(options: GatewaysOptions, io: IO): Promise<number> {
  const say = (line: string) => void io.stderr.write(`${line}\n`);
  const client = await KubeClient.connect({ kubeconfig: options.kubeconfig, context: options.context, env: io.env, requestTimeoutMs: options.requestTimeoutMs, signal: io.signal });
  // Ctrl-C: the run ends at once (nothing printed) and the requests in flight with the client's connections.
  let onAbort = () => {};
  const interrupted = new Promise<never>((_, reject) => {
    onAbort = () => {
      reject(new McError((io.signal.reason as Error | undefined)?.message ?? 'interrupted'));
      client.close();
    };
  });
  if (io.signal.aborted) onAbort();
  io.signal.addEventListener('abort', onAbort, { once: true });
  try {
    let selector = `${MIRRORED_SERVICE_LABEL}=true`;
    if (options.clusterName) selector += `,${MIRROR_CLUSTER_LABEL}=${options.clusterName}`;
    // The mirrored services of every link in one list, alongside the metrics.
    const [{ namespace, readings }, services] = await Promise.race([interrupted, Promise.all([
      readGatewayMetrics(client, { clusterName: options.clusterName, waitMs: options.waitMs, log: options.verbose ? say : undefined, signal: io.signal }),
      client.list(coreRef('services'), { labelSelector: selector }),
    ])]);
    const counts = new Map<string, number>();
    for (const s of services) {
      const c = s.metadata.labels?.[MIRROR_CLUSTER_LABEL];
      if (c) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    if (options.verbose) {
      for (const r of readings) {
        if (r.error) continue;
        say(`${r.clusterName}: read pod ${namespace}/${r.pod} port ${r.port} through ${r.via}${r.metrics?.enabled === false ? ' (gateway disabled: gateway_enabled is 0, left out)' : ''}`);
      }
      if (readings.length === 0) say(`no service mirror pods in namespace ${namespace}`);
    }
    const statuses = gatewayStatuses(readings, counts);
    const out = options.output === 'json' ? `${JSON.stringify(statuses, null, 2)}\n` : renderGateways(statuses);
    const failed = readings.filter((r) => r.error);
    for (const r of failed) {
      say(`Error: cannot get the gateway status of "${r.clusterName}": ${r.error}`);
      if (r.hint) say(r.hint);
    }
    await new Promise<void>((resolve, reject) => io.stdout.write(out, (err) => (err ? reject(err) : resolve())));
    return failed.length > 0 ? 1 : 0;
  } finally {
    io.signal.removeEventListener('abort', onAbort);
    client.close();
  }
}
