/**
 * `mc check`'s "probe services able to communicate with all gateway mirrors"
 * also requires, as upstream, that the mirror holding each link's Lease sees
 * its gateway alive (gateway_alive == 1 in its /metrics), and says which link,
 * which pod and what the metric said, or why it could not be read.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runMc, type RunResult } from './helpers/index.js';
import { makePki, putWestLinkedToEast, setGatewayProbe } from './fixtures/check.js';
import { startTestClusters, type TestCluster, type TestEnv } from './support/index.js';

const PROBE_CHECK = 'probe services able to communicate with all gateway mirrors';
let env: TestEnv;
let west: TestCluster;

before(async () => {
  env = await startTestClusters(['west', 'east']);
  west = env.cluster('west');
  const east = env.cluster('east');
  const pki = await makePki();
  putWestLinkedToEast(west, east, pki, ['podinfo']);
});

after(async () => {
  await env?.stop();
});

function check(...args: string[]): Promise<RunResult> {
  return runMc(['--kubeconfig', env.kubeconfigPath, '--context', 'west', 'check', '--wait', '1s', '--timeout', '2s', ...args]);
}

/** The line of the probe check and the lines under it. */
function probeBlock(out: string): string {
  const lines = out.split('\n');
  const i = lines.findIndex((l) => l.slice(2).startsWith(PROBE_CHECK));
  assert.ok(i >= 0, `no probe check in:\n${out}`);
  const rest = lines.slice(i + 1);
  const end = rest.findIndex((l) => /^[√×‼] /.test(l) || l === '');
  return [lines[i], ...rest.slice(0, end < 0 ? rest.length : end)].join('\n');
}

test('gateway alive (the Lease holder says gateway_alive 1): √ with the link', async () => {
  const r = await check();
  assert.equal(probeBlock(r.stdout), `√ ${PROBE_CHECK}\n\t* east`);
});

test('gateway dead while its probe mirror still has endpoints: × naming link, pod and metric', async (t) => {
  setGatewayProbe(west, 'east', { alive: false });
  t.after(() => setGatewayProbe(west, 'east'));
  const r = await check();
  assert.equal(r.code, 1);
  assert.match(
    probeBlock(r.stdout),
    /^× probe services able to communicate with all gateway mirrors\n {8}liveness checks failed for east: gateway_alive\{target_cluster_name="east"\} is 0 in the metrics of pod linkerd-multicluster\/linkerd-service-mirror-east-\S+ port 9999 \(the Lease holder\): the gateway does not answer its probes\n {4}see https:\/\/linkerd\.io\/2\/checks\/#l5d-multicluster-gateways-endpoints for hints$/,
  );
});

test('no Lease holder: × that explains the missing Lease', async (t) => {
  const lease = west.get('coordination.k8s.io/v1', 'Lease', 'linkerd-multicluster', 'service-mirror-write-east');
  west.remove('coordination.k8s.io/v1', 'Lease', 'linkerd-multicluster', 'service-mirror-write-east');
  t.after(() => setGatewayProbe(west, 'east'));
  assert.ok(lease);
  const r = await check();
  assert.equal(r.code, 1);
  assert.match(probeBlock(r.stdout), /failed to get the gateway metrics for target cluster east: no service mirror of "east" holds a Lease: Lease linkerd-multicluster\/service-mirror-write-east does not exist \(service mirror pods: linkerd-service-mirror-east-5d8f7c9b4-x2x7q\)/);
});

test('metrics slower than --timeout: said as a timeout, naming pod and port', async (t) => {
  const admin = setGatewayProbe(west, 'east');
  admin.faults.delayMs = 10_000;
  t.after(() => (admin.faults.delayMs = 0));
  const r = await check('--timeout', '500ms');
  assert.equal(r.code, 1);
  assert.match(probeBlock(r.stdout), /failed to get the gateway metrics for target cluster east: timed out reading GET \/metrics of pod linkerd-multicluster\/linkerd-service-mirror-east-5d8f7c9b4-x2x7q port 9999 for "east" \(--timeout\): no answer/);
});
