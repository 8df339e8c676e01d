/**
 * `mc status` output, pure: a report in, text out.
 * - table (default): one row per cluster, one column per cluster it may
 *   mirror (the matrix: row X, column Y is X's link to Y), and the verdict;
 * - wide: the cluster table with dates, then one line per link;
 * - json: the report;
 * - mermaid / dot: a picture (an arrow from the cluster that mirrors to the
 *   cluster mirrored), for a README, a wiki or Graphviz.
 */
import type { ClusterStatus, Health, LinkStatus, StatusReport } from './model.js';

export const STATUS_OUTPUTS = ['table', 'wide', 'json', 'mermaid', 'dot'] as const;
export type StatusOutput = (typeof STATUS_OUTPUTS)[number];

const MARK: Record<Health, string> = { ok: '\u221A', warn: '\u203C', fail: '\u00D7' }; // √ ‼ ×

/** Columns padded to their widest cell (the last column is not padded). */
export function columns(rows: string[][], gap = 3): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length + gap))).join('').trimEnd()).join('\n') + '\n';
}

function latency(l: LinkStatus): string {
  return l.gateway.latencyMs === undefined ? '' : `${Math.round(l.gateway.latencyMs)}ms`;
}

/** The short reason of a failing link for a matrix cell. */
function shortProblem(l: LinkStatus): string {
  const p = l.problems[0] ?? '';
  if (p.startsWith('gateway down')) return 'gateway down';
  if (p.startsWith('credentials refused')) return 'credentials';
  if (p.startsWith('no service mirror')) return 'no mirror';
  if (p.includes('controller not ready')) return 'mirror not ready';
  if (p.startsWith('credentials not verified')) return 'not verified';
  if (p.startsWith('gateway not known')) return 'gateway ?';
  return p;
}

function cell(l: LinkStatus): string {
  if (l.health === 'ok') return [MARK.ok, latency(l) || (l.gateway.enabled ? '' : 'no gw')].filter(Boolean).join(' ');
  return `${MARK[l.health]} ${shortProblem(l)}`;
}

function certsCell(c: ClusterStatus): string {
  return c.earliestExpiry ? `${c.earliestExpiry.daysLeft}d` : '-';
}

/** The columns of the matrix: every cluster shown, then link targets that are not among them. */
function matrixTargets(report: StatusReport): Array<{ label: string; matches: (l: LinkStatus) => boolean; context?: string }> {
  const cols: Array<{ label: string; matches: (l: LinkStatus) => boolean; context?: string }> = report.clusters.map((c) => ({
    label: c.context,
    context: c.context,
    matches: (l: LinkStatus) => l.targetContext === c.context,
  }));
  const others = new Set<string>();
  for (const c of report.clusters) for (const l of c.links) if (!l.targetContext) others.add(l.target);
  for (const t of [...others].sort()) cols.push({ label: t, matches: (l) => !l.targetContext && l.target === t });
  return cols;
}

export function renderTable(report: StatusReport): string {
  const targets = matrixTargets(report);
  const rows: string[][] = [['CLUSTER', 'LINKERD', 'GATEWAY', 'CERTS', ...targets.map((t) => `→${t.label}`), 'VERDICT']];
  for (const c of report.clusters) {
    const cells = targets.map((t) => {
      if (t.context === c.context) return '·';
      if (!c.reachable) return '?';
      const links = c.links.filter(t.matches);
      if (links.length === 0) return '-';
      // Two Links to one cluster (a legacy and a managed one during a migration): the worst shows.
      const shown = links.find((l) => l.health === 'fail') ?? links.find((l) => l.health === 'warn') ?? links[0]!;
      return cell(shown) + (links.length > 1 ? ` (+${links.length - 1})` : '');
    });
    rows.push([c.context, c.linkerdVersion ?? '-', c.gatewayAddress ?? '-', certsCell(c), ...cells, `${MARK[c.health]} ${c.verdict}`]);
  }
  return `${columns(rows)}(row mirrors column: ${MARK.ok} link healthy with gateway latency, ${MARK.fail} failing, ${MARK.warn} not verified, - no link)\n`;
}

export function renderWide(report: StatusReport): string {
  const clusters: string[][] = [['CLUSTER', 'LINKERD', 'GATEWAY', 'EARLIEST EXPIRY', 'LINKS', 'VERDICT']];
  for (const c of report.clusters) {
    const e = c.earliestExpiry;
    clusters.push([
      c.context,
      c.linkerdVersion ?? '-',
      c.gatewayAddress ?? '-',
      e ? `${e.what} ${e.notAfter.slice(0, 10)} (${e.daysLeft}d)` : '-',
      c.reachable ? String(c.links.length) : '?',
      `${MARK[c.health]} ${c.verdict}`,
    ]);
  }
  const links: string[][] = [['CLUSTER', 'LINK', 'TARGET', 'CONTROLLER', 'CREDENTIALS', 'GATEWAY', 'LATENCY', 'MIRRORED', 'STATUS']];
  for (const c of report.clusters) {
    for (const l of c.links) {
      links.push([
        c.context,
        `${l.namespace}/${l.name}`,
        l.targetContext && l.targetContext !== l.target ? `${l.target} (${l.targetContext})` : l.target,
        `${l.controller.kind} ${l.controller.ready}/${l.controller.desired}`,
        l.credentials.valid === undefined ? 'not verified' : l.credentials.valid ? 'valid' : 'refused',
        !l.gateway.enabled ? 'none' : l.gateway.alive === undefined ? 'unknown' : l.gateway.alive ? 'alive' : 'down',
        latency(l) || '-',
        String(l.mirroredServices),
        l.health === 'ok' ? MARK.ok : `${MARK[l.health]} ${l.problems.join('; ')}`,
      ]);
    }
  }
  return `${columns(clusters)}\n${links.length > 1 ? columns(links) : 'No links.\n'}`;
}

export function renderJson(report: StatusReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

interface Edge {
  from: string;
  to: string;
  label: string;
  health: Health;
}

interface Node {
  name: string;
  lines: string[];
  health: Health;
}

/** Nodes (every cluster and every target outside them) and edges (source → target) of the picture. */
function graph(report: StatusReport): { nodes: Node[]; edges: Edge[] } {
  const nodes: Node[] = report.clusters.map((c) => ({
    name: c.context,
    health: c.health,
    lines: c.reachable ? [c.linkerdVersion ?? 'no Linkerd', ...(c.earliestExpiry ? [`certs ${c.earliestExpiry.daysLeft}d`] : [])] : ['unreachable'],
  }));
  const edges: Edge[] = [];
  for (const c of report.clusters) {
    for (const l of c.links) {
      const to = l.targetContext ?? l.target;
      if (!nodes.some((n) => n.name === to)) nodes.push({ name: to, health: 'warn', lines: ['not shown'] });
      const label = l.health === 'ok' ? [MARK.ok, latency(l), `${l.mirroredServices} svc`].filter(Boolean).join(' ') : `${MARK[l.health]} ${shortProblem(l)}`;
      edges.push({ from: c.context, to, label, health: l.health });
    }
  }
  return { nodes, edges };
}

const COLOURS: Record<Health, { fill: string; stroke: string }> = {
  ok: { fill: '#e6f4ea', stroke: '#1e8e3e' },
  warn: { fill: '#fef7e0', stroke: '#f9ab00' },
  fail: { fill: '#fce8e6', stroke: '#d93025' },
};

/** A Mermaid flowchart (renders on GitHub and in most wikis). */
export function renderMermaid(report: StatusReport): string {
  const { nodes, edges } = graph(report);
  const ids = new Map(nodes.map((n, i) => [n.name, `c${i}`]));
  // Mermaid's entity codes keep quotes and angle brackets out of the syntax.
  const text = (s: string) => s.replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
  const out = ['flowchart LR'];
  for (const n of nodes) out.push(`  ${ids.get(n.name)}["${[`<b>${text(n.name)}</b>`, ...n.lines.map(text)].join('<br/>')}"]:::${n.health}`);
  for (const e of edges) out.push(`  ${ids.get(e.from)} ${e.health === 'ok' ? '-->' : '-.->'}|"${text(e.label)}"| ${ids.get(e.to)}`);
  edges.forEach((e, i) => {
    if (e.health !== 'ok') out.push(`  linkStyle ${i} stroke:${COLOURS[e.health].stroke}`);
  });
  for (const h of ['ok', 'warn', 'fail'] as const) out.push(`  classDef ${h} fill:${COLOURS[h].fill},stroke:${COLOURS[h].stroke}`);
  return `${out.join('\n')}\n`;
}

/** A Graphviz digraph (`mc status -o dot | dot -Tsvg > mesh.svg`). */
export function renderDot(report: StatusReport): string {
  const { nodes, edges } = graph(report);
  const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  const out = ['digraph mc {', '  rankdir=LR;', '  node [shape=box, style="rounded,filled", fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=10];'];
  for (const n of nodes) out.push(`  ${q(n.name)} [label=${q([n.name, ...n.lines].join('\n'))}, fillcolor=${q(COLOURS[n.health].fill)}, color=${q(COLOURS[n.health].stroke)}];`);
  for (const e of edges) out.push(`  ${q(e.from)} -> ${q(e.to)} [label=${q(e.label)}, color=${q(COLOURS[e.health].stroke)}${e.health === 'ok' ? '' : ', style=dashed'}];`);
  out.push('}');
  return `${out.join('\n')}\n`;
}

export function renderStatus(report: StatusReport, output: StatusOutput): string {
  switch (output) {
    case 'wide':
      return renderWide(report);
    case 'json':
      return renderJson(report);
    case 'mermaid':
      return renderMermaid(report);
    case 'dot':
      return renderDot(report);
    default:
      return renderTable(report);
  }
}
