/**
 * Kubeconfig loading as kubectl does it: --kubeconfig, else every path in
 * $KUBECONFIG merged (the first file to define a name wins, the first
 * current-context wins), else ~/.kube/config. File paths inside each file are
 * made absolute relative to that file, as kubectl resolves them.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, resolve } from 'node:path';
import yaml from 'js-yaml';
import { McError } from '../errors.js';
import type { Env } from '../io.js';

export interface NamedEntry {
  name: string;
  [key: string]: unknown;
}

export interface RawKubeconfig {
  apiVersion: string;
  kind: string;
  clusters: NamedEntry[];
  users: NamedEntry[];
  contexts: NamedEntry[];
  'current-context'?: string;
  preferences?: unknown;
}

export interface KubeconfigSource {
  kubeconfig?: string;
  /** The command's environment: $KUBECONFIG and $HOME come from here. */
  env: Env;
}

/** The files kubectl would read, in merge order. */
export function kubeconfigPaths(src: KubeconfigSource): string[] {
  if (src.kubeconfig) return [src.kubeconfig];
  const fromEnv = (src.env.KUBECONFIG ?? '').split(delimiter).filter((p) => p.length > 0);
  if (fromEnv.length > 0) return fromEnv;
  return [resolve(src.env.HOME || homedir(), '.kube', 'config')];
}

const PATH_FIELDS: Record<string, string[]> = {
  cluster: ['certificate-authority'],
  user: ['client-certificate', 'client-key', 'tokenFile'],
};

function absolutize(entry: Record<string, unknown> | undefined, fields: string[], base: string): void {
  if (!entry) return;
  for (const f of fields) {
    const v = entry[f];
    if (typeof v === 'string' && v !== '' && !isAbsolute(v)) entry[f] = resolve(base, v);
  }
}

/**
 * Parsed kubeconfig files by path, with the text they were parsed from:
 * commands that reach many clusters connect once per context, and parsing a
 * kubeconfig of N contexts N times made them grow with N².
 */
const parsed = new Map<string, { text: string; config: RawKubeconfig }>();

function readOne(path: string, explicit: boolean): RawKubeconfig | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // kubectl ignores missing files in $KUBECONFIG, but not an explicit --kubeconfig.
    if (code === 'ENOENT' && !explicit) return undefined;
    throw new McError(`cannot read kubeconfig ${path}: ${code ?? (err as Error).message}`, 'Check the path given by --kubeconfig or $KUBECONFIG.');
  }
  const hit = parsed.get(path);
  // A copy: callers may change what they get.
  if (hit?.text === text) return structuredClone(hit.config);
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    throw new McError(`kubeconfig ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, 'Fix the file or point --kubeconfig at another one.');
  }
  const cfg = checkKubeconfigShape(doc, `kubeconfig ${path}`);
  const base = dirname(resolve(path));
  for (const c of cfg.clusters) absolutize(c.cluster as Record<string, unknown>, PATH_FIELDS.cluster!, base);
  for (const u of cfg.users) absolutize(u.user as Record<string, unknown>, PATH_FIELDS.user!, base);
  parsed.set(path, { text, config: structuredClone(cfg) });
  return cfg;
}

type FieldType = 'string' | 'boolean' | 'array' | 'object';
/** The typed fields of kubectl's clientcmd v1 Config (unknown fields are ignored, as kubectl ignores them). */
const ENTRY_FIELDS: Record<'cluster' | 'user' | 'context', Record<string, FieldType>> = {
  cluster: {
    server: 'string',
    'tls-server-name': 'string',
    'insecure-skip-tls-verify': 'boolean',
    'certificate-authority': 'string',
    'certificate-authority-data': 'string',
    'proxy-url': 'string',
    'disable-compression': 'boolean',
    extensions: 'array',
  },
  user: {
    'client-certificate': 'string',
    'client-certificate-data': 'string',
    'client-key': 'string',
    'client-key-data': 'string',
    token: 'string',
    tokenFile: 'string',
    as: 'string',
    'as-uid': 'string',
    'as-groups': 'array',
    'as-user-extra': 'object',
    username: 'string',
    password: 'string',
    'auth-provider': 'object',
    exec: 'object',
    extensions: 'array',
  },
  context: { cluster: 'string', user: 'string', namespace: 'string', extensions: 'array' },
};
const EXEC_FIELDS: Record<string, FieldType> = { command: 'string', args: 'array', env: 'array', apiVersion: 'string', installHint: 'string', provideClusterInfo: 'boolean', interactiveMode: 'string' };

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function isType(v: unknown, t: FieldType): boolean {
  if (t === 'array') return Array.isArray(v);
  if (t === 'object') return typeof v === 'object' && v !== null && !Array.isArray(v);
  return typeof v === t;
}

/**
 * A kubeconfig document checked for the shape kubectl expects, each problem
 * named by file, entry and field (instead of "number 5 is not iterable").
 * Null lists and fields count as absent, as they do for kubectl.
 */
export function checkKubeconfigShape(doc: unknown, where: string): RawKubeconfig {
  const bad = (field: string, want: string, got: unknown) =>
    new McError(`${where}: ${field} must be ${want}, not ${typeOf(got)}`, 'Fix the kubeconfig (kubectl config view shows what kubectl reads).');
  if (doc === null || doc === undefined) doc = {};
  if (!isType(doc, 'object')) throw bad('the document', 'a mapping (apiVersion, kind, clusters, users, contexts)', doc);
  const cfg = doc as Record<string, unknown>;
  const lists = {} as Record<'clusters' | 'users' | 'contexts', NamedEntry[]>;
  for (const [key, inner] of [['clusters', 'cluster'], ['users', 'user'], ['contexts', 'context']] as const) {
    const list = cfg[key] ?? [];
    if (!Array.isArray(list)) throw bad(`"${key}"`, 'a list', list);
    lists[key] = list.map((entry, i) => {
      const at = `${key}[${i}]`;
      if (!isType(entry, 'object')) throw bad(at, `a mapping with "name" and "${inner}"`, entry);
      const e = entry as Record<string, unknown>;
      if (typeof e.name !== 'string' || e.name === '') throw bad(`${at}.name`, 'a non-empty string', e.name);
      const named = `${at} ("${e.name}")`;
      const body = e[inner] ?? {};
      if (!isType(body, 'object')) throw bad(`${named}.${inner}`, 'a mapping', body);
      for (const [field, t] of Object.entries(ENTRY_FIELDS[inner])) {
        const v = (body as Record<string, unknown>)[field];
        if (v !== undefined && v !== null && !isType(v, t)) throw bad(`${named}.${inner}.${field}`, t === 'array' ? 'a list' : t === 'object' ? 'a mapping' : `a ${t}`, v);
      }
      const exec = (body as Record<string, unknown>).exec as Record<string, unknown> | undefined;
      if (inner === 'user' && exec) {
        for (const [field, t] of Object.entries(EXEC_FIELDS)) {
          const v = exec[field];
          if (v !== undefined && v !== null && !isType(v, t)) throw bad(`${named}.user.exec.${field}`, t === 'array' ? 'a list' : `a ${t}`, v);
        }
      }
      return { ...e, [inner]: { ...(body as object) } } as NamedEntry;
    });
  }
  const current = cfg['current-context'];
  if (current !== undefined && current !== null && typeof current !== 'string') throw bad('"current-context"', 'a string', current);
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: lists.clusters,
    users: lists.users,
    contexts: lists.contexts,
    'current-context': (current as string | undefined) || undefined,
  };
}

/**
 * The API server URL of a cluster entry, as client-go reads it (no scheme
 * means https); anything else names the entry and the field.
 */
export function serverUrl(server: unknown, where: string): URL {
  if (typeof server !== 'string' || server.trim() === '') {
    throw new McError(`${where}: "server" is missing`, 'Set the API server address (https://HOST:PORT) in the cluster entry of the kubeconfig.');
  }
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `https://${server}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new McError(`${where}: "server" is not a URL: ${JSON.stringify(server)}`, 'Use https://HOST:PORT.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new McError(`${where}: "server" must be an https:// (or http://) URL, not ${JSON.stringify(server)}`, 'Use https://HOST:PORT.');
  }
  return url;
}

/** Merge several kubeconfigs with kubectl's rule: first definition wins. */
export function mergeKubeconfigs(configs: RawKubeconfig[]): RawKubeconfig {
  const merged: RawKubeconfig = { apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] };
  // Names seen per list: a kubeconfig of N contexts merges in N steps, not N².
  const seen = { clusters: new Set<string>(), users: new Set<string>(), contexts: new Set<string>() };
  for (const cfg of configs) {
    for (const key of ['clusters', 'users', 'contexts'] as const) {
      for (const entry of cfg[key]) {
        if (seen[key].has(entry.name)) continue;
        seen[key].add(entry.name);
        merged[key].push(entry);
      }
    }
    if (!merged['current-context'] && cfg['current-context']) merged['current-context'] = cfg['current-context'];
  }
  return merged;
}

/**
 * The user's kubeconfig as read once: a command that reaches many contexts
 * (status, connect) loads it once and connects to each context from it
 * (ConnectSource.loaded), instead of reading and parsing it per context.
 * Read-only: clients of several contexts share its entries.
 */
export interface LoadedKubeconfig {
  config: RawKubeconfig;
  paths: string[];
}

/** Read and merge the kubeconfig files; an empty result is an error. */
export function loadKubeconfig(src: KubeconfigSource): LoadedKubeconfig {
  const paths = kubeconfigPaths(src);
  const configs = paths.map((p) => readOne(p, Boolean(src.kubeconfig))).filter((c): c is RawKubeconfig => c !== undefined);
  const config = mergeKubeconfigs(configs);
  if (config.contexts.length === 0) {
    throw new McError(
      `no Kubernetes contexts found in ${paths.join(delimiter)}`,
      'Point --kubeconfig or $KUBECONFIG at a kubeconfig, or use a command that works without a cluster (for example `mc install --ignore-cluster`).',
    );
  }
  return { config, paths };
}

/** Choose the context: --context, else current-context; unknown names list the known ones. */
export function selectContext(config: RawKubeconfig, wanted: string | undefined): string {
  const name = wanted ?? config['current-context'];
  const known = config.contexts.map((c) => c.name);
  if (!name) {
    throw new McError('no current context is set in the kubeconfig', `Pass --context with one of: ${known.join(', ')}.`);
  }
  if (!known.includes(name)) {
    throw new McError(`context "${name}" does not exist in the kubeconfig`, `Known contexts: ${known.join(', ')}.`);
  }
  return name;
}

/** A kubeconfig reduced to one context, its cluster and its user. */
export function singleContextConfig(config: RawKubeconfig, contextName: string): RawKubeconfig {
  const context = config.contexts.find((c) => c.name === contextName)!;
  const ctx = (context.context ?? {}) as { cluster?: string; user?: string };
  const cluster = config.clusters.find((c) => c.name === ctx.cluster);
  if (!cluster) {
    throw new McError(`context "${contextName}" names cluster "${ctx.cluster}", which the kubeconfig does not define`, 'Fix the kubeconfig.');
  }
  const user = config.users.find((u) => u.name === ctx.user);
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [cluster],
    users: user ? [user] : [],
    contexts: [context],
    'current-context': contextName,
  };
}
