/**
 * What the API server does with a custom resource and its CRD's structural
 * schema: defaulting, pruning of unknown fields (or refusing them with
 * fieldValidation=Strict), and validation of types, required fields and
 * enums. Enough to catch a manifest that a real cluster would reject or
 * silently change.
 */

/** The parts of an openAPIV3Schema the server applies. */
export interface Schema {
  type?: string;
  nullable?: boolean;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  required?: string[];
  default?: unknown;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  [keyword: string]: unknown;
}

export interface SchemaResult {
  object: unknown;
  /** Paths of fields the schema does not declare (pruned). */
  unknown: string[];
  /** Validation failures: field path + message. */
  errors: Array<{ field: string; message: string; reason: string }>;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeOk(s: Schema, v: unknown): boolean {
  if (s['x-kubernetes-int-or-string']) return typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));
  switch (s.type) {
    case undefined:
      return true;
    case 'object':
      return isObj(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

function walk(s: Schema | undefined, v: unknown, path: string, out: SchemaResult, root: boolean): unknown {
  if (!s) return v;
  if (v === null) return s.nullable ? null : undefined; // nulls of non-nullable fields are pruned
  if (!typeOk(s, v)) {
    const shown = typeof v === 'string' ? JSON.stringify(v) : `"${typeName(v)}"`;
    out.errors.push({ field: path, reason: 'FieldValueTypeInvalid', message: `Invalid value: ${shown}: ${path} in body must be of type ${s['x-kubernetes-int-or-string'] ? 'integer or string' : s.type}: "${typeName(v)}"` });
    return v;
  }
  if (Array.isArray(s.enum) && !s.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(v))) {
    out.errors.push({ field: path, reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(v)}: supported values: ${s.enum.map((e: unknown) => JSON.stringify(e)).join(', ')}` });
  }
  if (Array.isArray(v)) return v.map((x, i) => walk(s.items, x, `${path}[${i}]`, out, false));
  if (!isObj(v)) return v;
  const props: Record<string, Schema> = s.properties ?? {};
  const additional = s.additionalProperties;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  const res: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined) continue;
    const sub = path ? `${path}.${k}` : k;
    if ((root || embedded) && ['apiVersion', 'kind', 'metadata'].includes(k)) {
      res[k] = x;
      continue;
    }
    if (props[k]) {
      const w = walk(props[k], x, sub, out, false);
      if (w !== undefined) res[k] = w;
    } else if (isObj(additional)) {
      const w = walk(additional, x, sub, out, false);
      if (w !== undefined) res[k] = w;
    } else if (additional === true || preserve) {
      res[k] = x;
    } else {
      out.unknown.push(`.${sub}`);
    }
  }
  for (const [k, p] of Object.entries(props)) {
    if (res[k] === undefined && p && p.default !== undefined) res[k] = walk(p, structuredClone(p.default), path ? `${path}.${k}` : k, out, false);
  }
  for (const k of Array.isArray(s.required) ? s.required : []) {
    if (res[k] === undefined) out.errors.push({ field: path ? `${path}.${k}` : k, reason: 'FieldValueRequired', message: 'Required value' });
  }
  return res;
}

/** Default, prune and validate `obj` against an openAPIV3Schema. */
export function applySchema(schema: Schema | undefined, obj: unknown): SchemaResult {
  const out: SchemaResult = { object: obj, unknown: [], errors: [] };
  if (!schema) return out;
  out.object = walk(schema, obj, '', out, true);
  return out;
}
