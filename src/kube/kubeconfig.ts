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
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    throw new McError(`kubeconfig ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, 'Fix the file or point --kubeconfig at another one.');
  }
  const cfg = (doc ?? {}) as Partial<RawKubeconfig>;
  const base = dirname(resolve(path));
  for (const c of cfg.clusters ?? []) absolutize(c.cluster as Record<string, unknown>, PATH_FIELDS.cluster!, base);
  for (const u of cfg.users ?? []) absolutize(u.user as Record<string, unknown>, PATH_FIELDS.user!, base);
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: cfg.clusters ?? [],
    users: cfg.users ?? [],
    contexts: cfg.contexts ?? [],
    'current-context': cfg['current-context'],
  };
}

/** Merge several kubeconfigs with kubectl's rule: first definition wins. */
export function mergeKubeconfigs(configs: RawKubeconfig[]): RawKubeconfig {
  const merged: RawKubeconfig = { apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] };
  for (const cfg of configs) {
    for (const key of ['clusters', 'users', 'contexts'] as const) {
      for (const entry of cfg[key]) {
        if (!merged[key].some((e) => e.name === entry.name)) merged[key].push(entry);
      }
    }
    if (!merged['current-context'] && cfg['current-context']) merged['current-context'] = cfg['current-context'];
  }
  return merged;
}

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
