/**
 * What a chart's values may contain, learnt from its defaults file plus a few
 * hints (templates/<chart>/chart.yaml): keys documented only in comments,
 * keys whose type is wider than their default's, free-form maps, and the
 * shape of list items. Used to reject unknown keys and wrong types with a
 * message that names the key and where it came from.
 */
import { isPort } from '../cli-kit.js';
import { UsageError } from '../errors.js';
import { isMap, type Values } from './values-map.js';

export type TypeName = 'string' | 'integer' | 'number' | 'boolean' | 'map' | 'list';

export interface SchemaNode {
  types: TypeName[];
  /** Known keys of a map; absent for free-form maps. */
  children?: Record<string, SchemaNode>;
  /** Schema of list items; absent when items are free-form. */
  items?: SchemaNode;
  /** Map whose values must all be strings (labels, annotations). */
  stringValues?: boolean;
  /** The only values allowed (for strings such as a Service type). */
  enum?: unknown[];
  /** A port number: 1-65535. */
  port?: boolean;
  /**
   * false when null (Helm's "delete this key") would leave the templates
   * without a value they need: closed maps, numbers, non-empty strings, true.
   */
  nullable?: boolean;
  /** The chart's default, for messages. */
  default?: unknown;
}

export type ValuesSchema = SchemaNode;

/** The hints a chart gives beside its defaults. */
export interface SchemaHints {
  /** Optional keys the defaults leave out (upstream documents them in comments). */
  optional?: Record<string, TypeName | TypeName[]>;
  /** Keys whose allowed types are wider than their default's. */
  types?: Record<string, TypeName | TypeName[]>;
  /** Maps or lists whose contents are free-form although their default is not empty. */
  freeForm?: string[];
  /** Free-form maps whose values must be strings. */
  stringMaps?: string[];
  /** Keys that take one of a fixed set of values. */
  enums?: Record<string, unknown[]>;
  /** Keys that hold a port number (1-65535). */
  ports?: string[];
  /** List item schemas: the item looks like the map at `like`, plus `extra` keys (a values-like sample). */
  items?: Record<string, { like?: string; extra?: Values }>;
}

function typeOf(v: unknown): TypeName | undefined {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (Array.isArray(v)) return 'list';
  if (isMap(v)) return 'map';
  return undefined;
}

/** Schema of a sample value: maps with content are closed, empty ones free-form. */
export function schemaOf(sample: unknown): SchemaNode {
  const t = typeOf(sample);
  if (t === 'map') {
    const entries = Object.entries(sample as Values);
    if (entries.length === 0) return { types: ['map'] };
    return { types: ['map'], nullable: false, children: Object.fromEntries(entries.map(([k, v]) => [k, schemaOf(v)])) };
  }
  if (t === 'list') return { types: ['list'] };
  if (t === 'integer') return { types: ['integer'], nullable: false, default: sample };
  if (t === 'number') return { types: ['number', 'integer'], nullable: false, default: sample };
  if (t === undefined) return { types: ['string', 'integer', 'number', 'boolean', 'map', 'list'] };
  return { types: [t], nullable: sample === '' || sample === false, default: sample };
}

/** Every node below (and at) `node` may be null: list items fall back to their defaults. */
function allNullable(node: SchemaNode): SchemaNode {
  node.nullable = true;
  for (const c of Object.values(node.children ?? {})) allNullable(c);
  return node;
}

function nodeAt(root: SchemaNode, path: string, create: boolean): SchemaNode | undefined {
  let cur = root;
  const parts = path.split('.');
  for (const [i, p] of parts.entries()) {
    cur.children ??= {};
    let next = cur.children[p];
    if (!next) {
      if (!create) return undefined;
      next = i === parts.length - 1 ? { types: [] } : { types: ['map'], children: {} };
      cur.children[p] = next;
    }
    cur = next;
  }
  return cur;
}

const asList = (t: TypeName | TypeName[]): TypeName[] => (Array.isArray(t) ? t : [t]);

export function buildSchema(defaults: Values, hints: SchemaHints = {}): ValuesSchema {
  const root = schemaOf(defaults);
  for (const [path, t] of Object.entries(hints.optional ?? {})) {
    const node = nodeAt(root, path, true)!;
    node.types = asList(t);
    node.nullable = true;
  }
  for (const [path, t] of Object.entries(hints.types ?? {})) {
    const node = nodeAt(root, path, true)!;
    node.types = asList(t);
  }
  for (const path of hints.freeForm ?? []) {
    const node = nodeAt(root, path, true)!;
    delete node.children;
    delete node.items;
  }
  for (const path of hints.stringMaps ?? []) {
    const node = nodeAt(root, path, true)!;
    node.stringValues = true;
  }
  for (const [path, values] of Object.entries(hints.enums ?? {})) {
    const node = nodeAt(root, path, true)!;
    node.enum = values;
  }
  for (const path of hints.ports ?? []) {
    nodeAt(root, path, true)!.port = true;
  }
  // Last: list items copy the nodes they are like, hints included.
  for (const [path, spec] of Object.entries(hints.items ?? {})) {
    const node = nodeAt(root, path, true)!;
    const like = spec.like ? nodeAt(root, spec.like, false) : undefined;
    const item: SchemaNode = allNullable(like ? structuredClone(like) : { types: ['map'], children: {} });
    if (spec.extra) {
      const extra = schemaOf(spec.extra);
      item.children = { ...(item.children ?? {}), ...(extra.children ?? {}) };
    }
    node.items = item;
  }
  return root;
}

const ARTICLE: Record<TypeName, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean (true or false)',
  map: 'a map',
  list: 'a list',
};

function describe(v: unknown): string {
  const t = typeOf(v);
  const shown = JSON.stringify(v);
  const short = shown && shown.length > 40 ? `${shown.slice(0, 37)}...` : shown;
  return t === 'map' || t === 'list' ? (t === 'map' ? 'a map' : 'a list') : `${ARTICLE[t ?? 'string'].replace(/ \(.*\)/, '')} ${short}`;
}

function typeMatches(v: unknown, types: TypeName[]): boolean {
  const t = typeOf(v);
  if (t === undefined) return false;
  if (types.includes(t)) return true;
  return t === 'integer' && types.includes('number');
}

/**
 * Check one user layer: every key must be known, every value of an allowed
 * type. Nulls are always allowed (they delete a key).
 */
export function validateLayer(layer: Values, schema: ValuesSchema, source: string): void {
  walk(layer, schema, '', source);
}

function join(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}.${key}`;
}

function walk(value: unknown, node: SchemaNode, path: string, source: string): void {
  if (value === null || value === undefined) {
    if (value === null && path !== '' && node.nullable === false) {
      const d = node.default !== undefined ? ` (default ${JSON.stringify(node.default)})` : '';
      throw new UsageError(`"${path}" in ${source} cannot be null: the manifests need a value there${d}`, `Give "${path}" a value instead of null.`);
    }
    return;
  }
  if (path !== '' && !typeMatches(value, node.types)) {
    const want = node.types.map((t) => ARTICLE[t]).join(' or ');
    const hint =
      typeof value !== 'string' && node.types.includes('string') && source.startsWith('--set ')
        ? 'Use --set-string to pass it as a string.'
        : typeof value === 'string' && source.startsWith('--set-string')
          ? 'Use --set to pass a number or boolean.'
          : `Give "${path}" ${want}.`;
    throw new UsageError(`invalid value for "${path}" in ${source}: must be ${want}, got ${describe(value)}`, hint);
  }
  if (node.enum && !node.enum.includes(value)) {
    const allowed = node.enum.map((v) => JSON.stringify(v)).join(', ');
    throw new UsageError(`invalid value for "${path}" in ${source}: ${JSON.stringify(value)} is not one of ${allowed}`, `Give "${path}" one of ${allowed}.`);
  }
  if (node.port && !isPort(value)) {
    throw new UsageError(`invalid value for "${path}" in ${source}: ${JSON.stringify(value)} is not a port number`, `Give "${path}" a port from 1 to 65535.`);
  }
  if (isMap(value)) {
    if (node.stringValues) {
      for (const [k, v] of Object.entries(value)) {
        if (v !== null && typeof v !== 'string') {
          throw new UsageError(`invalid value for "${join(path, k)}" in ${source}: must be a string, got ${describe(v)}`, source.startsWith('--set ') ? 'Use --set-string, or quote it in a values file.' : 'Quote it, e.g. "true" or "8080".');
        }
      }
    }
    if (!node.children) return;
    for (const [k, v] of Object.entries(value)) {
      const child = node.children[k];
      const p = join(path, k);
      if (!child) {
        const known = Object.keys(node.children).sort();
        throw new UsageError(
          `unknown value "${p}" in ${source}`,
          `${path === '' ? 'Top-level keys' : `Keys under "${path}"`}: ${known.join(', ')}.${suggest(k, known)}`,
        );
      }
      walk(v, child, p, source);
    }
    return;
  }
  if (Array.isArray(value) && node.items) {
    value.forEach((item, i) => walk(item, node.items!, `${path}[${i}]`, source));
  }
}

function suggest(key: string, known: string[]): string {
  const lower = key.toLowerCase();
  const close = known.filter((k) => k.toLowerCase() === lower || distance(k.toLowerCase(), lower) <= 2);
  return close.length > 0 ? ` Did you mean "${close[0]}"?` : '';
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i]![j] = Math.min(dp[i - 1]![j]! + 1, dp[i]![j - 1]! + 1, dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return dp[a.length]![b.length]!;
}

/**
 * After coalescing: a null that deleted nothing (the chart has no default for
 * that key, so Helm keeps it) inside a map of strings would be rendered as
 * `key: null` on a label, annotation or node selector. Refused, with why.
 */
export function checkKeptNulls(values: Values, schema: ValuesSchema, path = ''): void {
  for (const [k, v] of Object.entries(values)) {
    const p = join(path, k);
    const node = schema.children?.[k];
    if (!node) continue;
    if (node.stringValues && isMap(v)) {
      for (const [key, x] of Object.entries(v)) {
        if (x === null) {
          throw new UsageError(
            `"${join(p, key)}" is null, which deletes nothing: a null removes only a key the chart has a default for (Helm's rule), so Helm would render ${key}: null`,
            `Leave "${join(p, key)}" out of your values instead of setting it to null.`,
          );
        }
      }
    } else if (isMap(v)) {
      checkKeptNulls(v, node, p);
    }
  }
}
