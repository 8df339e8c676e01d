/**
 * A stand-in for kubectl when it is not installed, just enough for the demo:
 *   kubectl [--kubeconfig K] [--context C] apply [--server-side] -f FILE|-
 *   kubectl [--kubeconfig K] [--context C] get TYPE[,TYPE...] [NAME] [-n NS | -A]
 * It talks to the test API servers with the credentials of the kubeconfig
 * (inline certificate data or a token, as startTestClusters writes them).
 * Output imitates kubectl's. Never used when the real kubectl is on PATH.
 */
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { httpsRequest } from './https-request.js';

interface Conn {
  server: string;
  ca?: string;
  cert?: string;
  key?: string;
  token?: string;
  namespace?: string;
}

/** What kubectl-lite reads of a kubeconfig (inline data only). */
interface KubeconfigFile {
  'current-context'?: string;
  contexts?: Array<{ name: string; context?: { cluster?: string; user?: string; namespace?: string } }>;
  clusters?: Array<{ name: string; cluster?: { server?: string; 'certificate-authority-data'?: string } }>;
  users?: Array<{ name: string; user?: { token?: string; 'client-certificate-data'?: string; 'client-key-data'?: string } }>;
}

function connection(kubeconfig: string, context?: string): Conn {
  const cfg = (yaml.load(readFileSync(kubeconfig, 'utf8')) ?? {}) as KubeconfigFile;
  const name = context ?? cfg['current-context'];
  const ctx = (cfg.contexts ?? []).find((c) => c.name === name)?.context;
  if (!ctx) throw new Error(`context "${name}" not found in ${kubeconfig}`);
  const cluster = (cfg.clusters ?? []).find((c) => c.name === ctx.cluster)?.cluster ?? {};
  const user = (cfg.users ?? []).find((u) => u.name === ctx.user)?.user ?? {};
  const dec = (s?: string) => (s ? Buffer.from(s, 'base64').toString('utf8') : undefined);
  return { server: cluster.server!, ca: dec(cluster['certificate-authority-data']), cert: dec(user['client-certificate-data']), key: dec(user['client-key-data']), token: user.token, namespace: ctx.namespace };
}

/** What kubectl-lite reads of the server's answers: a Status, an object, discovery or a Table. */
interface Answer {
  reason?: string;
  message?: string;
  metadata?: { resourceVersion?: string };
  resources?: Array<Omit<ApiResource, 'group' | 'version'>>;
  groups?: Array<{ name: string; versions: Array<{ groupVersion: string; version: string }>; preferredVersion: { version: string } }>;
  columnDefinitions?: Array<{ name: string; priority: number }>;
  rows?: Array<{ cells: unknown[]; object?: { metadata?: { namespace?: string } } }>;
}

async function call(c: Conn, method: string, path: string, body?: unknown, contentType = 'application/json', accept = 'application/json'): Promise<{ status: number; body: Answer }> {
  // Always JSON (valid YAML too, for apply patches).
  const r = await httpsRequest(c, method, path, { body: body === undefined ? undefined : JSON.stringify(body), contentType, accept });
  // an answer that is not a JSON object (text) has none of the fields read
  return { status: r.status, body: typeof r.body === 'object' && r.body !== null ? (r.body as Answer) : {} };
}

interface ApiResource {
  group: string;
  version: string;
  name: string;
  singularName: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
}

async function discover(c: Conn): Promise<ApiResource[]> {
  const out: ApiResource[] = [];
  const add = async (group: string, version: string, path: string) => {
    const r = await call(c, 'GET', path);
    for (const res of r.body.resources ?? []) if (!res.name.includes('/')) out.push({ group, version, ...res });
  };
  await add('', 'v1', '/api/v1');
  const groups = (await call(c, 'GET', '/apis')).body.groups ?? [];
  await Promise.all(groups.flatMap((g) => g.versions.map((v) => add(g.name, v.version, `/apis/${v.groupVersion}`))));
  // preferred versions first, as kubectl resolves short names
  const preferred = new Map<string, string>(groups.map((g) => [g.name, g.preferredVersion.version]));
  return out.sort((a, b) => Number(preferred.get(b.group) === b.version || b.group === '') - Number(preferred.get(a.group) === a.version || a.group === ''));
}

function findResource(all: ApiResource[], what: string): ApiResource | undefined {
  const [name, ...groupParts] = what.split('.');
  const group = groupParts.join('.');
  return all.find((r) => (!group || r.group === group) && (r.name === name || r.singularName === name || r.kind.toLowerCase() === name || (r.shortNames ?? []).includes(name!)));
}

function basePath(r: { group: string; version: string }): string {
  return r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
}

function qualified(r: ApiResource): string {
  return r.group ? `${r.singularName || r.kind.toLowerCase()}.${r.group}` : r.singularName || r.kind.toLowerCase();
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join('').trimEnd()).join('\n') + '\n';
}

async function apply(c: Conn, files: string[], serverSide: boolean): Promise<number> {
  const all = await discover(c);
  let failed = 0;
  for (const file of files) {
    const text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
    for (const loaded of yaml.loadAll(text)) {
      if (!loaded || typeof loaded !== 'object') continue;
      const doc = loaded as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
      const group = String(doc.apiVersion).includes('/') ? String(doc.apiVersion).split('/')[0] : '';
      const byKind = () => all.find((r) => r.kind === doc.kind && r.group === group);
      let res = byKind();
      if (!res) {
        all.splice(0, all.length, ...(await discover(c))); // a CRD applied just before
        res = byKind();
      }
      if (!res) {
        process.stderr.write(`error: resource mapping not found for name: "${doc.metadata?.name}" kind: "${doc.kind}"\n`);
        failed++;
        continue;
      }
      const ns = res.namespaced ? (doc.metadata.namespace ?? c.namespace ?? 'default') : undefined;
      const path = `/${doc.apiVersion.includes('/') ? 'apis' : 'api'}/${doc.apiVersion}${ns ? `/namespaces/${ns}` : ''}/${res.name}/${encodeURIComponent(doc.metadata.name)}`;
      const before = await call(c, 'GET', path);
      const r = await call(c, 'PATCH', `${path}?fieldManager=kubectl&force=true`, doc, 'application/apply-patch+yaml');
      if (r.status >= 300) {
        process.stderr.write(`Error from server (${r.body?.reason ?? r.status}): error when applying "${file}": ${r.body?.message ?? ''}\n`);
        failed++;
        continue;
      }
      const verb = serverSide ? 'serverside-applied' : before.status === 404 ? 'created' : before.body?.metadata?.resourceVersion === r.body?.metadata?.resourceVersion ? 'unchanged' : 'configured';
      process.stdout.write(`${qualified(res)}/${doc.metadata.name} ${verb}\n`);
    }
  }
  return failed ? 1 : 0;
}

async function get(c: Conn, types: string, name: string | undefined, ns: string | undefined, allNs: boolean): Promise<number> {
  const all = await discover(c);
  const wanted = types.split(',');
  const many = wanted.length > 1;
  let printed = false;
  for (const w of wanted) {
    const res = findResource(all, w);
    if (!res) {
      process.stderr.write(`error: the server doesn't have a resource type "${w}"\n`);
      return 1;
    }
    const nsPart = res.namespaced && !allNs ? `/namespaces/${ns ?? c.namespace ?? 'default'}` : '';
    const r = await call(c, 'GET', `${basePath(res)}${nsPart}/${res.name}${name ? `/${encodeURIComponent(name)}` : ''}`, undefined, 'application/json', 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json');
    if (r.status >= 300) {
      process.stderr.write(`Error from server (${r.body?.reason ?? r.status}): ${r.body?.message ?? ''}\n`);
      return 1;
    }
    const rows: string[][] = [];
    const cols = (r.body.columnDefinitions ?? []).filter((d) => d.priority === 0);
    const idx = (r.body.columnDefinitions ?? []).map((d, i) => (d.priority === 0 ? i : -1)).filter((i) => i >= 0);
    if ((r.body.rows ?? []).length === 0) continue;
    rows.push([...(allNs && res.namespaced ? ['NAMESPACE'] : []), ...cols.map((d) => d.name.toUpperCase())]);
    for (const row of r.body.rows ?? []) {
      const cells = idx.map((i) => String(row.cells[i] ?? ''));
      if (many) cells[0] = `${qualified(res)}/${cells[0]}`;
      rows.push([...(allNs && res.namespaced ? [row.object?.metadata?.namespace ?? ''] : []), ...cells]);
    }
    if (printed) process.stdout.write('\n');
    process.stdout.write(table(rows));
    printed = true;
  }
  if (!printed) process.stderr.write(allNs || !ns ? 'No resources found\n' : `No resources found in ${ns} namespace.\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  let kubeconfig = process.env.KUBECONFIG ?? '';
  let context: string | undefined;
  let ns: string | undefined;
  let allNs = false;
  let serverSide = false;
  const files: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = () => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]!);
    if (a.startsWith('--kubeconfig')) kubeconfig = val();
    else if (a.startsWith('--context')) context = val();
    else if (a === '-n' || a.startsWith('--namespace')) ns = val();
    else if (a === '-A' || a === '--all-namespaces') allNs = true;
    else if (a === '-f' || a.startsWith('--filename')) files.push(val());
    else if (a === '--server-side') serverSide = true;
    else if (a.startsWith('--validate') || a.startsWith('--request-timeout')) {
      if (!a.includes('=')) i++;
    } else rest.push(a);
  }
  const c = connection(kubeconfig.split(':')[0]!, context);
  if (ns) c.namespace = ns;
  const [verb, types, name] = rest;
  if (verb === 'apply' && files.length > 0) return apply(c, files, serverSide);
  if (verb === 'get' && types) return get(c, types, name, ns, allNs);
  process.stderr.write(`kubectl-lite (test stand-in for kubectl): unsupported command: ${argv.join(' ')}\n`);
  return 2;
}

import { fileURLToPath } from 'node:url';
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err) => {
      process.stderr.write(`error: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
