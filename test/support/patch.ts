/**
 * Patch kinds of the API server: JSON merge patch (RFC 7386), JSON patch
 * (RFC 6902), strategic merge patch (for the kinds we use: lists of
 * containers, ports, env, volumes... merge by key; other lists replace) and
 * server-side apply (a three-way merge per field manager).
 */

export class PatchError extends Error {
  constructor(message: string, readonly code = 422) {
    super(message);
  }
}

type Json = unknown;

const isObj = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
/**
 * A deep copy of a stored object. Objects here are JSON trees: copying them field by field is about
 * five times faster than structuredClone, and the store copies on every read, write and event.
 * Anything else (a Date, a Buffer put by a test) still goes through structuredClone.
 */
export function clone<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(clone) as T;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = clone((v as Record<string, unknown>)[k]);
  return out as T;
}

// ---------------------------------------------------------------- merge patch

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return clone(patch);
  const out: Record<string, Json> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// ----------------------------------------------------------------- JSON patch

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new PatchError(`invalid JSON pointer "${p}"`);
  return p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function walk(doc: Json, path: string[]): { parent: Json; key: string } {
  let cur = doc;
  for (const seg of path.slice(0, -1)) {
    cur = Array.isArray(cur) ? cur[Number(seg)] : isObj(cur) ? cur[seg] : undefined;
    if (cur === undefined) throw new PatchError(`JSON patch: path "/${path.join('/')}" does not exist`);
  }
  return { parent: cur, key: path[path.length - 1]! };
}

function getAt(doc: Json, path: string[]): Json {
  let cur = doc;
  for (const seg of path) {
    cur = Array.isArray(cur) ? cur[Number(seg)] : isObj(cur) ? cur[seg] : undefined;
    if (cur === undefined) throw new PatchError(`JSON patch: path "/${path.join('/')}" does not exist`);
  }
  return cur;
}

function removeAt(doc: Json, path: string[]): Json {
  const { parent, key } = walk(doc, path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!(i >= 0 && i < parent.length)) throw new PatchError(`JSON patch: cannot remove "/${path.join('/')}": index out of range`);
    return parent.splice(i, 1)[0];
  }
  if (!isObj(parent) || !(key in parent)) throw new PatchError(`JSON patch: cannot remove "/${path.join('/')}": not found`);
  const v = parent[key];
  delete parent[key];
  return v;
}

function addAt(doc: Json, path: string[], value: Json, replace: boolean): Json {
  if (path.length === 0) return value;
  const { parent, key } = walk(doc, path);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!(i >= 0 && i <= parent.length) || (replace && i >= parent.length)) throw new PatchError(`JSON patch: index out of range at "/${path.join('/')}"`);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else if (isObj(parent)) {
    if (replace && !(key in parent)) throw new PatchError(`JSON patch: cannot replace "/${path.join('/')}": not found`);
    parent[key] = value;
  } else throw new PatchError(`JSON patch: parent of "/${path.join('/')}" is not a container`);
  return doc;
}

export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new PatchError('JSON patch must be an array of operations', 400);
  let doc = clone(target);
  for (const op of ops) {
    const path = parsePointer(String(op.path ?? ''));
    switch (op.op) {
      case 'add':
        doc = addAt(doc, path, clone(op.value), false);
        break;
      case 'replace':
        doc = path.length === 0 ? clone(op.value) : addAt(doc, path, clone(op.value), true);
        break;
      case 'remove':
        removeAt(doc, path);
        break;
      case 'move': {
        const v = removeAt(doc, parsePointer(op.from));
        doc = addAt(doc, path, v, false);
        break;
      }
      case 'copy':
        doc = addAt(doc, path, clone(getAt(doc, parsePointer(op.from))), false);
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(op.value)) throw new PatchError(`JSON patch: test failed at "${op.path}"`);
        break;
      default:
        throw new PatchError(`JSON patch: unknown op "${op.op}"`, 400);
    }
  }
  return doc;
}

// ------------------------------------------------------- strategic merge patch

/** Lists that merge by key (field name → key); everything else replaces. */
const MERGE_KEYS: Record<string, string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
  imagePullSecrets: ['name'],
  ports: ['containerPort', 'port', 'name'],
  ownerReferences: ['uid'],
  conditions: ['type'],
  hostAliases: ['ip'],
  topologySpreadConstraints: ['topologyKey'],
};

/** Primitive lists that merge as sets. */
const MERGE_SETS = new Set(['finalizers']);

function mergeKeyFor(field: string, elems: Json[]): string | undefined {
  const keys = MERGE_KEYS[field];
  if (!keys) return undefined;
  for (const k of keys) if (elems.some((e) => isObj(e) && k in e)) return k;
  return keys[0];
}

function smpList(field: string, target: Json[] | undefined, patch: Json[], order?: Json[]): Json[] {
  const base = Array.isArray(target) ? target : [];
  // {$patch: replace} as an element replaces the whole list
  if (patch.some((e) => isObj(e) && e.$patch === 'replace')) return patch.filter((e) => !(isObj(e) && e.$patch === 'replace')).map(stripDirectives);
  if (MERGE_SETS.has(field)) {
    const out = [...base];
    for (const v of patch) if (!out.includes(v)) out.push(v);
    return out;
  }
  const key = mergeKeyFor(field, [...base, ...patch]);
  if (!key || !patch.every(isObj)) return patch.map(stripDirectives);
  const out: Json[] = base.map(clone);
  for (const el of patch) {
    const idx = out.findIndex((o) => isObj(o) && o[key] === el[key]);
    if (el.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMerge(out[idx], el);
    else out.push(strategicMerge({}, el));
  }
  if (order && order.every(isObj)) {
    const rank = (o: Json) => {
      const i = order.findIndex((x) => isObj(x) && isObj(o) && x[key] === o[key]);
      return i < 0 ? order.length : i;
    };
    out.sort((a, b) => rank(a) - rank(b));
  }
  return out;
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObj(v)) return v;
  const out: Record<string, Json> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

export function strategicMerge(target: Json, patch: Json): Json {
  if (!isObj(patch)) return clone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  let out: Record<string, Json> = isObj(target) ? { ...target } : {};
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set<string>(patch.$retainKeys);
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const f = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[f]) && Array.isArray(v)) out[f] = out[f].filter((x: Json) => !v.includes(x));
      continue;
    }
    if (v === null) {
      delete out[k];
    } else if (Array.isArray(v)) {
      const order = patch[`$setElementOrder/${k}`];
      out[k] = smpList(k, out[k] as Json[] | undefined, v, Array.isArray(order) ? order : undefined);
    } else if (isObj(v)) {
      const merged = strategicMerge(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else {
      out[k] = v;
    }
  }
  return out;
}

// ---------------------------------------------------------- server-side apply

/**
 * Apply `applied` for a field manager whose previous apply was `last`: fields
 * in `applied` are set (maps merge, keyed lists merge by key, other lists
 * replace); fields the manager applied before and dropped now are removed.
 */
export function applyMerge(live: Json, last: Json, applied: Json, field = ''): Json {
  if (isObj(applied)) {
    const out: Record<string, Json> = isObj(live) ? { ...live } : {};
    const prev = isObj(last) ? last : {};
    for (const [k, v] of Object.entries(applied)) {
      if (v === null) continue;
      out[k] = applyMerge(out[k], prev[k], v, k);
    }
    for (const k of Object.keys(prev)) if (!(k in applied)) delete out[k];
    return out;
  }
  if (Array.isArray(applied)) {
    const key = mergeKeyFor(field, applied);
    if (!key || !applied.every(isObj) || !Array.isArray(live)) return clone(applied);
    const prev: Json[] = Array.isArray(last) ? last : [];
    const out: Json[] = [];
    for (const el of live) {
      const mine = applied.find((a) => a[key] === el?.[key]);
      const wasMine = prev.some((p) => isObj(p) && p[key] === el?.[key]);
      if (mine) out.push(applyMerge(el, prev.find((p) => isObj(p) && p[key] === el[key]), mine, ''));
      else if (!wasMine) out.push(el);
    }
    for (const a of applied) if (!out.some((o) => isObj(o) && o[key] === a[key])) out.push(clone(a));
    return out;
  }
  return applied;
}

/** Leaf paths of `applied` whose live value differs and is set by `other`. */
export function applyConflicts(live: Json, other: Json, applied: Json, path = ''): string[] {
  if (isObj(applied) && isObj(other)) {
    const out: string[] = [];
    for (const [k, v] of Object.entries(applied)) {
      if (k in other) out.push(...applyConflicts(isObj(live) ? live[k] : undefined, other[k], v, `${path}.${k}`));
    }
    return out;
  }
  if (isObj(applied) || isObj(other)) return [];
  if (JSON.stringify(applied) === JSON.stringify(live)) return [];
  if (JSON.stringify(other) !== JSON.stringify(live)) return [];
  return [path];
}

/** managedFields' FieldsV1 of an applied configuration. */
export function fieldsV1(v: Json, field = ''): Record<string, Json> {
  if (isObj(v)) {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) {
      if (['apiVersion', 'kind'].includes(k) && field === '') continue;
      if (field === '' && k === 'metadata') {
        const m = fieldsV1(x, 'metadata');
        delete m['f:name'];
        delete m['f:namespace'];
        if (Object.keys(m).length > 0) out['f:metadata'] = m;
        continue;
      }
      out[`f:${k}`] = isObj(x) || Array.isArray(x) ? fieldsV1(x, k) : {};
    }
    return out;
  }
  if (Array.isArray(v)) {
    const key = mergeKeyFor(field, v);
    if (!key || !v.every(isObj)) return {};
    const out: Record<string, Json> = {};
    for (const el of v) out[`k:${JSON.stringify({ [key]: el[key] })}`] = { '.': {}, ...fieldsV1(el, '') };
    return out;
  }
  return {};
}
