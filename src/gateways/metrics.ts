/**
 * What a service mirror's /metrics says about the gateway of one linked
 * cluster: upstream's probe gauges (multicluster/service-mirror/metrics.go),
 * labelled target_cluster_name. Pure.
 *
 * The text format is parsed by parse-prometheus-text-format (1.1.1: small,
 * no native code, ~40k weekly downloads, works on Node 20; the format itself
 * has not changed since 0.0.4). It is lenient (it never throws, and loses the
 * labels of histograms), so only gauges are read here and every value is
 * checked to be a number.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export const GATEWAY_ALIVE = 'gateway_alive';
export const GATEWAY_LATENCY = 'gateway_latency';
export const GATEWAY_ENABLED = 'gateway_enabled';
export const TARGET_CLUSTER_LABEL = 'target_cluster_name';

export interface GatewayMetrics {
  /** gateway_enabled == 1; undefined when the series is absent. */
  enabled?: boolean;
  /** gateway_alive == 1; undefined when the series is absent. */
  alive?: boolean;
  /** gateway_latency: the last probe's latency, in ms. */
  latencyMs?: number;
}

/** The gauge `name`{target_cluster_name=cluster}, or undefined when absent or not a number. */
function gauge(families: ReturnType<typeof parsePrometheusTextFormat>, name: string, cluster: string): number | undefined {
  const family = families.find((f) => f.name === name);
  const sample = family?.metrics.find((m) => m.labels?.[TARGET_CLUSTER_LABEL] === cluster);
  if (sample?.value === undefined) return undefined;
  const value = Number(sample.value);
  return Number.isFinite(value) ? value : undefined;
}

/** The gateway gauges of `cluster` in a Prometheus text exposition. */
export function gatewayMetricsFor(text: string, cluster: string): GatewayMetrics {
  const families = parsePrometheusTextFormat(text);
  const enabled = gauge(families, GATEWAY_ENABLED, cluster);
  const alive = gauge(families, GATEWAY_ALIVE, cluster);
  const latency = gauge(families, GATEWAY_LATENCY, cluster);
  return {
    ...(enabled === undefined ? {} : { enabled: enabled === 1 }),
    ...(alive === undefined ? {} : { alive: alive === 1 }),
    ...(latency === undefined ? {} : { latencyMs: latency }),
  };
}
