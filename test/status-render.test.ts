import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterStatus, statusExitCode, statusReport, type ClusterReading, type LinkReading } from '../src/status/model.js';
import { renderDot, renderJson, renderMermaid, renderStatus, renderTable, renderWide } from '../src/status/render.js';

const healthy = (target: string, extra: Partial<LinkReading> = {}): LinkReading => ({
  name: target,
  namespace: 'linkerd-multicluster',
  target,
  controller: { kind: 'managed', ready: 1, desired: 1 },
  credentials: { valid: true },
  gateway: { enabled: true, address: '192.0.2.1', alive: true, latencyMs: 3 },
  mirroredServices: 2,
  ...extra,
});

const cluster = (context: string, links: LinkReading[], extra: Partial<ClusterReading> = {}): ClusterReading => ({
  context,
  linkerdInstalled: true,
  extensionInstalled: true,
  linkerdVersion: 'edge-26.8.3',
  gatewayAddress: '192.0.2.1',
  earliestExpiry: { what: 'issuer', notAfter: '2027-11-29T00:00:00.000Z', daysLeft: 365 },
  links,
  ...extra,
});

const name = (c: string) => c;
const NOW = new Date('2026-11-29T20:00:00Z');

function threeClusters(): ClusterReading[] {
  return [
    cluster('east', [healthy('west'), healthy('north', { gateway: { enabled: true, alive: false, detail: 'probe failed' } })]),
    cluster('west', [healthy('east', { gateway: { enabled: true, alive: true, latencyMs: 12.4 } }), healthy('north')]),
    { context: 'north', error: 'API server unreachable', links: [] },
  ];
}

test('verdicts: a healthy cluster, a failing link, an unreachable cluster', () => {
  const r = statusReport(threeClusters(), name, NOW);
  const [east, west, north] = r.clusters;
  assert.equal(west!.health, 'ok');
  assert.equal(west!.verdict, 'ok (2 links)');
  assert.equal(east!.health, 'fail');
  assert.match(east!.verdict, /1 of 2 links failing: north \(gateway down: probe failed\)/);
  assert.equal(north!.health, 'fail');
  assert.equal(north!.reachable, false);
  assert.equal(north!.verdict, 'unreachable: API server unreachable');
  assert.equal(statusExitCode(r), 1);
  assert.equal(statusExitCode(statusReport([threeClusters()[1]!], name, NOW)), 0);
});

test('verdicts: controller, credentials and certificates each count', () => {
  const noMirror = clusterStatus(cluster('a', [healthy('b', { controller: { kind: 'none', ready: 0, desired: 0 } })]));
  assert.equal(noMirror.health, 'fail');
  assert.match(noMirror.links[0]!.problems[0]!, /no service mirror/);
  const notReady = clusterStatus(cluster('a', [healthy('b', { controller: { kind: 'legacy', ready: 0, desired: 1 } })]));
  assert.match(notReady.links[0]!.problems[0]!, /legacy controller not ready \(0\/1\)/);
  const refused = clusterStatus(cluster('a', [healthy('b', { credentials: { valid: false, detail: 'Unauthorized' } })]));
  assert.equal(refused.health, 'fail');
  assert.match(refused.verdict, /credentials refused: Unauthorized/);
  const unknown = clusterStatus(cluster('a', [healthy('b', { credentials: { detail: 'b did not answer' } })]));
  assert.equal(unknown.health, 'warn');
  const soon = clusterStatus(cluster('a', [], { earliestExpiry: { what: 'issuer', notAfter: '2026-12-09T00:00:00Z', daysLeft: 10 } }));
  assert.equal(soon.health, 'warn');
  assert.match(soon.verdict, /issuer expires in 10 days/);
  const expired = clusterStatus(cluster('a', [], { earliestExpiry: { what: 'trust anchor', notAfter: '2026-11-19T00:00:00Z', daysLeft: -10 } }));
  assert.equal(expired.health, 'fail');
  assert.match(expired.verdict, /trust anchor expired 10 days ago/);
  const noLinkerd = clusterStatus({ context: 'a', linkerdInstalled: false, links: [] });
  assert.equal(noLinkerd.health, 'fail');
  assert.equal(noLinkerd.verdict, 'Linkerd is not installed');
  const noGateway = clusterStatus(cluster('a', [healthy('b', { gateway: { enabled: false } })]));
  assert.equal(noGateway.health, 'ok', 'a link without a gateway (remote discovery) has nothing to probe');
});

test('table: a matrix, row mirrors column, with the verdict', () => {
  const text = renderTable(statusReport(threeClusters(), name, NOW));
  const lines = text.trimEnd().split('\n');
  assert.match(lines[0]!, /^CLUSTER\s+LINKERD\s+GATEWAY\s+CERTS\s+→east\s+→west\s+→north\s+VERDICT$/);
  const row = (c: string) => lines.find((l) => l.startsWith(`${c} `))!;
  const col = (header: string) => lines[0]!.indexOf(header);
  // Cells sit under their column headers.
  assert.equal(row('east').slice(col('→east'), col('→east') + 1), '·');
  assert.equal(row('east').slice(col('→west')).split(/\s{3,}/)[0], '√ 3ms');
  assert.equal(row('east').slice(col('→north')).split(/\s{3,}/)[0], '× gateway down');
  assert.equal(row('west').slice(col('→east')).split(/\s{3,}/)[0], '√ 12ms');
  assert.equal(row('north').slice(col('→east')).split(/\s{3,}/)[0], '?');
  assert.match(row('north'), /× unreachable: API server unreachable$/);
  assert.match(row('west'), /edge-26\.8\.3\s+192\.0\.2\.1\s+365d/);
  assert.match(lines.at(-1)!, /row mirrors column/);
});

test('table: links to clusters not shown get their own column; no link is "-"', () => {
  const text = renderTable(statusReport([cluster('a', [healthy('elsewhere')]), cluster('b', [])], name, NOW));
  const lines = text.split('\n');
  assert.match(lines[0]!, /→a\s+→b\s+→elsewhere/);
  const b = lines.find((l) => l.startsWith('b '))!;
  assert.equal(b.slice(lines[0]!.indexOf('→elsewhere')).split(/\s{3,}/)[0], '-');
});

test('links match contexts by the cluster name made of the context', () => {
  const r = statusReport([cluster('kind-east', [healthy('kind-west')]), cluster('Kind_West', [])], (c) => c.toLowerCase().replace(/_/g, '-'), NOW);
  assert.equal(r.clusters[0]!.links[0]!.targetContext, 'Kind_West');
});

test('wide: cluster table with dates, then one line per link', () => {
  const text = renderWide(statusReport(threeClusters(), name, NOW));
  assert.match(text, /^CLUSTER\s+LINKERD\s+GATEWAY\s+EARLIEST EXPIRY\s+LINKS\s+VERDICT$/m);
  assert.match(text, /^east\s+edge-26\.8\.3\s+192\.0\.2\.1\s+issuer 2027-11-29 \(365d\)\s+2\s+×/m);
  assert.match(text, /^CLUSTER\s+LINK\s+TARGET\s+CONTROLLER\s+CREDENTIALS\s+GATEWAY\s+LATENCY\s+MIRRORED\s+STATUS$/m);
  assert.match(text, /^east\s+linkerd-multicluster\/north\s+north\s+managed 1\/1\s+valid\s+down\s+-\s+2\s+× gateway down: probe failed$/m);
  assert.match(text, /^west\s+linkerd-multicluster\/east\s+east\s+managed 1\/1\s+valid\s+alive\s+12ms\s+2\s+√$/m);
});

test('json: the report, parseable, with verdicts', () => {
  const parsed = JSON.parse(renderJson(statusReport(threeClusters(), name, NOW)));
  assert.equal(parsed.time, NOW.toISOString());
  assert.deepEqual(parsed.clusters.map((c: { context: string; health: string }) => [c.context, c.health]), [['east', 'fail'], ['west', 'ok'], ['north', 'fail']]);
  assert.equal(parsed.clusters[1].links[0].gateway.latencyMs, 12.4);
});

test('mermaid: one node per cluster, an arrow per link, failing ones dashed and red', () => {
  const text = renderMermaid(statusReport(threeClusters(), name, NOW));
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], 'flowchart LR');
  assert.ok(lines.includes('  c0["<b>east</b><br/>edge-26.8.3<br/>certs 365d"]:::fail'));
  assert.ok(lines.includes('  c2["<b>north</b><br/>unreachable"]:::fail'));
  assert.ok(lines.includes('  c0 -->|"√ 3ms 2 svc"| c1'));
  assert.ok(lines.includes('  c0 -.->|"× gateway down"| c2'));
  const edges = lines.filter((l) => /-->|-\.->/.test(l));
  assert.equal(edges.length, 4);
  const dashed = edges.findIndex((l) => l.includes('-.->'));
  assert.ok(lines.includes(`  linkStyle ${dashed} stroke:#d93025`));
  assert.ok(lines.some((l) => l.startsWith('  classDef fail ')));
});

test('mermaid and dot: names with quotes cannot break the syntax', () => {
  const r = statusReport([cluster('we"ird<ctx>', [])], name, NOW);
  const m = renderMermaid(r);
  assert.ok(!m.includes('we"ird'));
  assert.match(m, /we#quot;ird#lt;ctx#gt;/);
  const d = renderDot(r);
  assert.match(d, /"we\\"ird<ctx>"/);
});

test('dot: a digraph with every cluster and link', () => {
  const text = renderDot(statusReport(threeClusters(), name, NOW));
  assert.match(text, /^digraph mc \{\n  rankdir=LR;/);
  assert.match(text, /\n  "east" -> "west" \[label="√ 3ms 2 svc", color="#1e8e3e"\];/);
  assert.match(text, /\n  "east" -> "north" \[label="× gateway down", color="#d93025", style=dashed\];/);
  assert.match(text, /\n  "north" \[label="north\\nunreachable", fillcolor="#fce8e6", color="#d93025"\];/);
  assert.ok(text.endsWith('}\n'));
});

test('renderStatus picks the renderer', () => {
  const r = statusReport(threeClusters(), name, NOW);
  assert.equal(renderStatus(r, 'table'), renderTable(r));
  assert.equal(renderStatus(r, 'mermaid'), renderMermaid(r));
  assert.equal(renderStatus(r, 'dot'), renderDot(r));
  assert.equal(renderStatus(r, 'wide'), renderWide(r));
  assert.equal(renderStatus(r, 'json'), renderJson(r));
});
