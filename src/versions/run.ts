/**
 * `mc version`: mc's own version and the Linkerd release it targets; then,
 * per context (all at once, each request with a deadline), what that cluster
 * runs: control plane, multicluster extension, and the CLI behind each Link.
 * Versions other than the target are warned about on stderr, with the flag
 * that renders for them.
 */
import yaml from 'js-yaml';
import { McError } from '../errors.js';
import type { IO } from '../io.js';
import { KubeClient } from '../kube/client.js';
import { LINKERD_VERSION, mcVersion } from '../version.js';
import { readClusterVersions, type ClusterVersions } from './cluster.js';

export type VersionOutput = 'text' | 'json' | 'yaml';

export interface VersionOptions {
  /** Only mc's own version: no cluster is touched. */
  clientOnly: boolean;
  kubeconfig?: string;
  /** The contexts to read; [undefined] is the current context. */
  contexts: Array<string | undefined>;
  linkerdNamespace: string;
  output: VersionOutput;
  /** Deadline of each API request. */
  timeoutMs: number;
}

interface ContextReport extends Partial<ClusterVersions> {
  context: string;
  error?: string;
  warnings: string[];
}

async function readContext(name: string | undefined, options: VersionOptions, io: IO): Promise<ContextReport> {
  let client: KubeClient | undefined;
  try {
    client = await KubeClient.connect({ kubeconfig: options.kubeconfig, context: name, env: io.env }, { timeoutMs: options.timeoutMs, signal: io.signal });
    const versions = await readClusterVersions(client, options.linkerdNamespace);
    return { context: client.contextName, ...versions, warnings: warnings(client.contextName, versions) };
  } catch (err) {
    const hint = err instanceof McError && err.hint ? `\n${err.hint}` : '';
    return { context: client?.contextName ?? name ?? '(current context)', error: `${(err as Error).message}${hint}`, warnings: [] };
  } finally {
    client?.close();
  }
}

function warnings(context: string, v: ClusterVersions): string[] {
  const out: string[] = [];
  const differs = (what: string, version: string) =>
    out.push(`context "${context}": ${what} is ${version} but mc targets ${LINKERD_VERSION}; render for it with --linkerd-version ${version}`);
  if (v.controlPlane && v.controlPlane.version !== LINKERD_VERSION) differs('the control plane', v.controlPlane.version);
  for (const m of v.multicluster) if (m.version !== LINKERD_VERSION) differs(`the multicluster extension (${m.from})`, m.version);
  for (const l of v.links) {
    if (l.version === undefined) out.push(`context "${context}": the version that made Link ${l.namespace}/${l.name} cannot be told (no linkerd.io/created-by "linkerd/cli VERSION")`);
    else if (l.version !== LINKERD_VERSION) differs(`Link ${l.namespace}/${l.name} (made by linkerd/cli)`, l.version);
  }
  return out;
}

function renderText(reports: ContextReport[]): string {
  const lines = [`Client version: mc ${mcVersion()}`, `Targets Linkerd: ${LINKERD_VERSION}`];
  for (const r of reports) {
    lines.push('', `Context ${r.context}:`);
    if (r.error !== undefined) {
      lines.push('  unavailable (see the error above)');
      continue;
    }
    lines.push(`  Control plane: ${r.controlPlane ? `${r.controlPlane.version} (${r.controlPlane.from})` : 'not installed'}`);
    const mc = r.multicluster ?? [];
    if (mc.length === 0) lines.push('  Multicluster extension: not installed');
    else if (mc.length === 1) lines.push(`  Multicluster extension: ${mc[0]!.version}`);
    else lines.push('  Multicluster extension: several versions', ...mc.map((m) => `    ${m.version} (${m.from})`));
    for (const l of r.links ?? []) lines.push(`  Link ${l.namespace}/${l.name}: ${l.version ?? 'unknown'}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Prints the report on stdout, errors and warnings on stderr; 1 when a context could not be read. */
export async function runVersion(options: VersionOptions, io: IO): Promise<number> {
  const reports = options.clientOnly ? [] : await Promise.all(options.contexts.map((c) => readContext(c, options, io)));
  for (const r of reports) {
    if (r.error !== undefined) io.stderr.write(`Error: context "${r.context}": ${r.error}\n`);
    for (const w of r.warnings) io.stderr.write(`‼ ${w}\n`);
  }
  const doc = {
    client: { mc: mcVersion(), linkerd: LINKERD_VERSION },
    ...(options.clientOnly ? {} : { contexts: reports }),
  };
  const text = options.output === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : options.output === 'yaml' ? yaml.dump(doc) : renderText(reports);
  await new Promise<void>((resolve, reject) => io.stdout.write(text, (err) => (err ? reject(err) : resolve())));
  return reports.some((r) => r.error !== undefined) ? 1 : 0;
}
