/**
 * Chart values as Helm builds them: the chart's defaults, then `-f` files in
 * order, then `--set`, `--set-string`, `--set-file`. Maps deep-merge; lists
 * and scalars replace; an explicit null deletes a key. Every user-supplied
 * layer is checked against the chart's schema before it is merged, so an
 * unknown key or a wrong type is reported with the flag or file it came from.
 */
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { UsageError } from '../errors.js';
import { validateLayer, type ValuesSchema } from './schema.js';
import { isMap, type ValueOptions, type Values } from './values-map.js';

export { isMap, type ValueOptions, type Values };
import { parseSetInto, type SetMode } from './strvals.js';


/** Deep copy of plain YAML/JSON data. */
export function cloneValues<T>(v: T): T {
  return structuredClone(v);
}

/**
 * Helm's mergeMaps: `b` over `a`, maps merged recursively, anything else
 * (lists, scalars, null) replaced. Neither input is modified.
 */
export function mergeMaps(a: Values, b: Values): Values {
  const out: Values = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] = isMap(v) && isMap(cur) ? mergeMaps(cur, v) : cloneValues(v);
  }
  return out;
}

/**
 * Helm's coalescing of user values over chart defaults (chartutil.CoalesceValues):
 * maps merge; user lists and scalars win; a user null deletes a key only where
 * the chart has a default for it (the default goes too). Anywhere else a null
 * stays (inside a new map key, a list item, a key the chart lacks), and the
 * templates see it as Helm's do.
 */
export function coalesce(defaults: Values, user: Values): Values {
  const out: Values = {};
  const keys = new Set([...Object.keys(defaults), ...Object.keys(user)]);
  for (const k of keys) {
    const has = Object.prototype.hasOwnProperty.call(user, k);
    const hasDefault = Object.prototype.hasOwnProperty.call(defaults, k);
    const u = user[k];
    const d = defaults[k];
    if (!has) {
      if (d !== null && d !== undefined) out[k] = cloneValues(d);
      continue;
    }
    if (u === null) {
      if (!hasDefault) out[k] = null;
      continue;
    }
    out[k] = isMap(u) && isMap(d) ? coalesce(d, u) : cloneValues(u);
  }
  return out;
}

/** One user-supplied source of values, named for error messages. */
export interface ValueLayer {
  source: string;
  values: Values;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UsageError(`cannot read ${what} "${path}": ${code}`, 'Check the path.');
  }
}

/** Parse a values file; a file that is not a YAML map is a usage error. */
export function parseValuesFile(text: string, source: string): Values {
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    throw new UsageError(`${source} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, 'Fix the file; values files are YAML maps like `gateway:\\n  replicas: 3`.');
  }
  if (doc === undefined || doc === null) return {};
  if (!isMap(doc)) throw new UsageError(`${source} must hold a YAML map of values, not ${Array.isArray(doc) ? 'a list' : typeof doc}`, 'Values files are YAML maps like `gateway:\\n  replicas: 3`.');
  return doc;
}

/**
 * Build the user's overrides exactly as Helm's values.Options.MergeValues
 * does (files merged in order, then each --set, --set-string, --set-file
 * parsed into the result), validating every source on its own first.
 */
export function userOverrides(opts: ValueOptions, schema?: ValuesSchema, readFile: (p: string, what: string) => string = readText): Values {
  const read = (p: string, what: string) => (p === '-' ? (opts.stdin ?? '') : readFile(p, what));
  let base: Values = {};
  for (const file of opts.values ?? []) {
    const source = `values file ${file === '-' ? '(stdin)' : file}`;
    const layer = parseValuesFile(read(file, 'values file'), source);
    if (schema) validateLayer(layer, schema, source);
    base = mergeMaps(base, layer);
  }
  const sets: Array<[SetMode, string[] | undefined, string]> = [
    ['typed', opts.set, '--set'],
    ['string', opts.setString, '--set-string'],
    ['file', opts.setFile, '--set-file'],
  ];
  for (const [mode, exprs, flag] of sets) {
    for (const expr of exprs ?? []) {
      const reader = (p: string) => read(p, `file of ${flag} "${expr}"`);
      if (schema) {
        const scratch: Values = {};
        parseSetInto(expr, scratch, mode, reader);
        validateLayer(scratch, schema, `${flag} ${expr}`);
      }
      parseSetInto(expr, base, mode, reader);
    }
  }
  return base;
}

/** Set a dotted path in a values map, creating maps on the way. */
export function setPath(values: Values, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = values;
  for (const p of parts.slice(0, -1)) {
    if (!isMap(cur[p])) cur[p] = {};
    cur = cur[p] as Values;
  }
  cur[parts[parts.length - 1]!] = value;
}

/** Read a dotted path from a values map. */
export function getPath(values: unknown, path: string): unknown {
  let cur = values;
  for (const p of path.split('.')) {
    if (!isMap(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}
