/** The pure parts of `mc gateways`: reading the probe gauges from Prometheus text, and upstream's table. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gatewayMetricsFor } from '../src/gateways/metrics.js';
import { gatewayStatuses, renderGateways } from '../src/gateways/run.js';

const TEXT = `# HELP gateway_alive A gauge which is 1 if the gateway is alive and 0 if it is not.
# TYPE gateway_alive gauge
gateway_alive{target_cluster_name="east"} 1
gateway_alive{target_cluster_name="north"} 0
# TYPE gateway_enabled gauge
gateway_enabled{target_cluster_name="east"} 1
gateway_enabled{target_cluster_name="north"} 0
# TYPE gateway_latency gauge
gateway_latency{target_cluster_name="east"} 12
gateway_latency{target_cluster_name="weird \\"name\\""} NaN
# TYPE gateway_probe_latency_ms histogram
gateway_probe_latency_ms_bucket{target_cluster_name="east",le="10"} 0
gateway_probe_latency_ms_bucket{target_cluster_name="east",le="+Inf"} 1
gateway_probe_latency_ms_sum{target_cluster_name="east"} 12
gateway_probe_latency_ms_count{target_cluster_name="east"} 1
`;

test('gatewayMetricsFor: the gauges of one target; absent or non-numeric series are undefined', () => {
  assert.deepEqual(gatewayMetricsFor(TEXT, 'east'), { enabled: true, alive: true, latencyMs: 12 });
  assert.deepEqual(gatewayMetricsFor(TEXT, 'north'), { enabled: false, alive: false });
  assert.deepEqual(gatewayMetricsFor(TEXT, 'weird "name"'), {});
  assert.deepEqual(gatewayMetricsFor(TEXT, 'west'), {});
  assert.deepEqual(gatewayMetricsFor('<html>502 Bad Gateway</html>', 'east'), {});
  assert.deepEqual(gatewayMetricsFor('', 'east'), {});
});

test('gatewayStatuses: disabled gateways and failed reads left out, services counted, latency rounded', () => {
  const statuses = gatewayStatuses(
    [
      { clusterName: 'east', namespace: 'linkerd-multicluster', metrics: { enabled: true, alive: true, latencyMs: 12.6 } },
      { clusterName: 'north', namespace: 'linkerd-multicluster', metrics: { enabled: false, alive: false } },
      { clusterName: 'south', namespace: 'linkerd-multicluster', error: 'timed out' },
      { clusterName: 'up', namespace: 'linkerd-multicluster', metrics: { alive: false } },
    ],
    new Map([['east', 3]]),
  );
  assert.deepEqual(statuses, [
    { clusterName: 'east', alive: true, numberOfServices: 3, latency: 13 },
    { clusterName: 'up', alive: false, numberOfServices: 0, latency: 0 },
  ]);
});

test('renderGateways: upstream layout (minimum widths, flexible names, right-aligned numbers, sorted, "-" when dead)', () => {
  assert.equal(renderGateways([]), 'CLUSTER  ALIVE    NUM_SVC      LATENCY  \n');
  const out = renderGateways([
    { clusterName: 'west-long-name', alive: false, numberOfServices: 12, latency: 40 },
    { clusterName: 'east', alive: true, numberOfServices: 1, latency: 3 },
  ]);
  assert.equal(
    out,
    ['CLUSTER         ALIVE    NUM_SVC      LATENCY  ', 'east            True           1          3ms  ', 'west-long-name  False         12            -  ', ''].join('\n'),
  );
});
