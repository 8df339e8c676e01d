/**
 * Targeted line edits of YAML text: add, replace or remove entries of
 * `metadata.labels` / `metadata.annotations` of objects at given paths, and
 * leave every other byte alone (comments, key order, quoting, other
 * documents).
 *
 * This is not a YAML parser: it only follows the indentation of block
 * mappings and sequences far enough to find where to insert or remove a line,
 * and gives up (returns undefined) on anything else (flow collections,
 * anchors, tags, complex keys, tabs). Every edited `metadata` block is handed
 * to `check` (the caller parses it with a real YAML parser and compares it
 * with the expected metadata); the rest of the text is unchanged byte for
 * byte. When this gives up or a check fails, the caller uses the `yaml`
 * Document API instead. That keeps the common case (kubectl output,
 * hand-written manifests) fast and exact.
 */
import type { KeyChanges, ServiceChanges } from './transform.js';

export type Path = Array<string | number>;

export interface Edit {
  /** Path of the object (Service) inside the document: [] or ['items', 3]. */
  path: Path;
  changes: ServiceChanges;
}

/** Receives the edited `metadata` mapping of edit i (its lines, still indented); false rejects the edit. */
export type MetadataCheck = (editIndex: number, metadataText: string) => boolean;

interface Block {
  /** Lines [start, end) hold the collection. */
  start: number;
  end: number;
  /** Column of its keys. */
  indent: number;
  /** For a sequence entry whose first key shares the line with "- ": that key's column. */
  firstCol?: number;
}

interface Entry {
  key: string;
  /** Key line, and one past the last content line of the entry. */
  line: number;
  end: number;
  rest: string;
}

interface Op {
  /** Replace lines [at, at + del) with ins (each a full line without its newline). */
  at: number;
  del: number;
  ins: string[];
  /** Among inserts at one place: entries of an existing map (0) before a new map (1). */
  prio?: number;
}

const BLANK = -1; // blank or comment-only line
const TAB = -2; // indented with a tab: not handled

class Lines {
  readonly count: number;
  /** Offset of the start of each line; starts[count] = text.length + 1. */
  readonly starts: Int32Array;
  readonly cols: Int32Array;
  readonly crlf: boolean;
  constructor(readonly text: string) {
    let n = 1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
    this.count = n;
    this.starts = new Int32Array(n + 1);
    this.cols = new Int32Array(n);
    let pos = 0;
    for (let l = 0; l < n; l++) {
      this.starts[l] = pos;
      let i = pos;
      while (text.charCodeAt(i) === 32) i++;
      const c = text.charCodeAt(i);
      this.cols[l] = i >= text.length || c === 10 || c === 13 || c === 35 ? BLANK : c === 9 ? TAB : i - pos;
      const nl = text.indexOf('\n', pos);
      pos = nl < 0 ? text.length + 1 : nl + 1;
    }
    this.starts[n] = text.length + 1;
    this.crlf = n > 1 && text.charCodeAt(this.starts[1]! - 2) === 13;
  }
  col(i: number, b?: Block): number {
    if (b && b.firstCol !== undefined && i === b.start) return b.firstCol;
    return this.cols[i]!;
  }
  /** Line i without its line ending. */
  line(i: number): string {
    let end = this.starts[i + 1]! - 1;
    if (end > this.starts[i]! && this.text.charCodeAt(end - 1) === 13) end--;
    return this.text.slice(this.starts[i], end);
  }
  /** Line i from column c (or the block's own column), without its line ending. */
  from(i: number, c: number): string {
    let end = this.starts[i + 1]! - 1;
    if (end > this.starts[i]! && this.text.charCodeAt(end - 1) === 13) end--;
    return this.text.slice(this.starts[i]! + c, end);
  }
  isDash(i: number, c: number): boolean {
    const p = this.starts[i]! + c;
    if (this.text.charCodeAt(p) !== 45) return false;
    const n = this.text.charCodeAt(p + 1);
    return Number.isNaN(n) || n === 32 || n === 9 || n === 10 || n === 13;
  }
}

/** The value part after "key:", without a trailing comment and spaces. */
function restValue(rest: string): string {
  const hash = rest.search(/(^|[ \t])#/);
  return (hash >= 0 ? rest.slice(0, hash) : rest).trim();
}

/** Parse "key: rest" at the start of s; undefined when it is not a simple key. */
function splitKey(s: string): { key: string; rest: string } | undefined {
  if (s.startsWith('"')) {
    const m = /^"((?:[^"\\]|\\.)*)"[ \t]*:(?=[ \t]|$)/.exec(s);
    if (!m) return undefined;
    try {
      return { key: JSON.parse(`"${m[1]}"`) as string, rest: s.slice(m[0].length) };
    } catch {
      return undefined;
    }
  }
  if (s.startsWith("'")) {
    const m = /^'((?:[^']|'')*)'[ \t]*:(?=[ \t]|$)/.exec(s);
    return m ? { key: m[1]!.replace(/''/g, "'"), rest: s.slice(m[0].length) } : undefined;
  }
  // Plain keys only: no indicator (complex key, anchor, tag, alias, flow, block scalar) at the start.
  if (/^[-?:,[\]{}#&*!|>%@`]/.test(s)) return undefined;
  const m = /:(?=[ \t]|$)/.exec(s);
  if (!m) return undefined;
  const key = s.slice(0, m.index).trimEnd();
  if (key === '' || /[ \t]#/.test(key)) return undefined;
  return { key, rest: s.slice(m.index + 1) };
}

/** Entries of a block mapping; undefined if a line at the key column is not a simple key. */
function mappingEntries(L: Lines, b: Block): Entry[] | undefined {
  const out: Entry[] = [];
  let lastContent = -1;
  for (let i = b.start; i < b.end; i++) {
    const c = L.col(i, b);
    if (c === BLANK) continue;
    if (c === TAB || c < b.indent) return undefined;
    // A sequence may sit at its key's column ("items:\n- a"): its dashes belong to the entry above.
    const continuesSequence = c === b.indent && out.length > 0 && !(b.firstCol !== undefined && i === b.start) && L.isDash(i, c);
    if (c === b.indent && !continuesSequence) {
      if (out.length) out[out.length - 1]!.end = lastContent + 1;
      const kv = splitKey(L.from(i, c));
      if (!kv) return undefined;
      out.push({ key: kv.key, line: i, end: i + 1, rest: kv.rest });
    } else if (out.length === 0) return undefined;
    lastContent = i;
  }
  if (out.length) out[out.length - 1]!.end = lastContent + 1;
  return out;
}

/** The block mapping nested under a key line (children indented deeper than `parentIndent`), or null when there is none. */
function childMapping(L: Lines, entry: Entry, parentIndent: number): Block | null | undefined {
  if (restValue(entry.rest) !== '') return undefined;
  for (let i = entry.line + 1; i < entry.end; i++) {
    const c = L.col(i);
    if (c === BLANK) continue;
    if (c === TAB || c <= parentIndent) return undefined;
    return { start: entry.line + 1, end: entry.end, indent: c };
  }
  return null;
}

/** Entries of the block sequence that is the value of `entry` (dashes may sit at the key's own column). */
function sequenceEntries(L: Lines, parentIndent: number, entry: Entry): Block[] | undefined {
  if (restValue(entry.rest) !== '') return undefined;
  let dash = -1;
  const out: Block[] = [];
  for (let i = entry.line + 1; i < entry.end; i++) {
    const c = L.col(i);
    if (c === BLANK) continue;
    if (c === TAB) return undefined;
    if (dash < 0) {
      if (c < parentIndent || !L.isDash(i, c)) return undefined;
      dash = c;
    }
    if (c < dash) return undefined;
    if (c > dash) continue;
    if (!L.isDash(i, c)) return undefined;
    if (out.length) out[out.length - 1]!.end = i;
    const after = L.from(i, dash + 1);
    const spaces = /^ */.exec(after)![0].length;
    const inline = after.slice(spaces);
    if (inline === '' || inline.startsWith('#')) {
      // The item's mapping starts on the next content line.
      let j = i + 1;
      while (j < entry.end && L.col(j) === BLANK) j++;
      if (j < entry.end && L.col(j) <= dash) return undefined;
      out.push({ start: i + 1, end: entry.end, indent: j < entry.end ? L.col(j) : dash + 2 });
    } else {
      out.push({ start: i, end: entry.end, indent: dash + 1 + spaces, firstCol: dash + 1 + spaces });
    }
  }
  return out;
}

const quote = (v: string): string => JSON.stringify(v);

/** Edit one map (labels or annotations) of a metadata block; false when this layout is not handled. */
function editMap(L: Lines, meta: Block, metaEntries: Entry[], field: string, changes: KeyChanges, step: number, ops: Op[]): boolean {
  const keys = Object.keys(changes);
  if (keys.length === 0) return true;
  const sets = keys.filter((k) => changes[k] !== null);
  const pad = ' '.repeat(meta.indent);
  const entryLines = (indent: number) => sets.map((k) => `${' '.repeat(indent)}${k}: ${quote(changes[k]!)}`);
  const fieldEntry = metaEntries.find((e) => e.key === field);
  if (!fieldEntry) {
    if (sets.length) ops.push({ at: metaEntries[metaEntries.length - 1]!.end, del: 0, ins: [`${pad}${field}:`, ...entryLines(meta.indent + step)], prio: 1 });
    return true;
  }
  const rest = restValue(fieldEntry.rest);
  if (rest === '{}' || rest === '' || rest === '~' || rest === 'null') {
    const child = rest === '' ? childMapping(L, fieldEntry, meta.indent) : null;
    if (child === undefined) return false;
    if (child === null) {
      // An empty map (or null): write it as a block with the new entries.
      if (sets.length) ops.push({ at: fieldEntry.line, del: fieldEntry.end - fieldEntry.line, ins: [`${pad}${field}:`, ...entryLines(meta.indent + step)] });
      return true;
    }
    const entries = mappingEntries(L, child);
    if (!entries || entries.length === 0) return false;
    const byKey = new Map(entries.map((e) => [e.key, e]));
    let remaining = entries.length;
    const local: Op[] = [];
    const appended: string[] = [];
    const cpad = ' '.repeat(child.indent);
    for (const k of keys) {
      const v = changes[k]!;
      const e = byKey.get(k);
      if (v === null) {
        if (e) {
          local.push({ at: e.line, del: e.end - e.line, ins: [] });
          remaining--;
        }
      } else if (e) local.push({ at: e.line, del: e.end - e.line, ins: [`${cpad}${k}: ${quote(v)}`] });
      else {
        appended.push(`${cpad}${k}: ${quote(v)}`);
        remaining++;
      }
    }
    if (remaining === 0) {
      // Everything removed: drop the field (an emptied map is no map).
      ops.push({ at: fieldEntry.line, del: fieldEntry.end - fieldEntry.line, ins: [] });
      return true;
    }
    ops.push(...local);
    if (appended.length) ops.push({ at: entries[entries.length - 1]!.end, del: 0, ins: appended });
    return true;
  }
  return false;
}

function byPlace(a: Op, b: Op): number {
  return a.at - b.at || b.del - a.del || (a.prio ?? 0) - (b.prio ?? 0);
}

function applyOps(L: Lines, from: number, to: number, ops: Op[], nl: string, out: string[]): boolean {
  let pos = from;
  for (const op of ops) {
    if (op.at < pos) return false; // overlapping edits: leave it to the Document API
    if (op.at > pos) out.push(L.text.slice(L.starts[pos], L.starts[op.at]));
    // After a last line without a newline, the new lines need one first.
    if (op.at >= L.count && op.ins.length) out.push(nl);
    for (const s of op.ins) out.push(s, nl);
    pos = op.at + op.del;
  }
  if (to > pos) out.push(L.text.slice(L.starts[pos], Math.min(L.starts[to]!, L.text.length)));
  return true;
}

/**
 * Apply edits to one YAML document's text (no document markers inside).
 * Returns the new text, or undefined when the layout is not one this editor
 * handles or a check fails.
 */
export function editDocument(text: string, edits: Edit[], check: MetadataCheck): string | undefined {
  const L = new Lines(text);
  let topIndent = -1;
  for (let i = 0; i < L.count; i++) {
    if (L.cols[i] === BLANK) continue;
    topIndent = L.cols[i]!;
    break;
  }
  if (topIndent < 0) return undefined;
  const nl = L.crlf ? '\r\n' : '\n';
  const top: Block = { start: 0, end: L.count, indent: topIndent };
  const mapCache = new Map<Block, Entry[] | undefined>();
  const seqCache = new Map<Entry, Block[] | undefined>();
  const entriesOf = (b: Block): Entry[] | undefined => {
    if (!mapCache.has(b)) mapCache.set(b, mappingEntries(L, b));
    return mapCache.get(b);
  };
  const childCache = new Map<Entry, Block | null | undefined>();
  const all: Op[] = [];
  for (let k = 0; k < edits.length; k++) {
    const edit = edits[k]!;
    // Walk the path: string = mapping key, number = sequence index.
    let block: Block = top;
    for (let p = 0; p < edit.path.length; p++) {
      const seg = edit.path[p]!;
      if (typeof seg !== 'string') return undefined;
      const e = entriesOf(block)?.find((x) => x.key === seg);
      if (!e) return undefined;
      const next = edit.path[p + 1];
      if (typeof next === 'number') {
        if (!seqCache.has(e)) seqCache.set(e, sequenceEntries(L, block.indent, e));
        const item = seqCache.get(e)?.[next];
        if (!item) return undefined;
        block = item;
        p++;
      } else {
        if (!childCache.has(e)) childCache.set(e, childMapping(L, e, block.indent));
        const child = childCache.get(e);
        if (!child) return undefined;
        block = child;
      }
    }
    const metaEntry = entriesOf(block)?.find((e) => e.key === 'metadata');
    if (!metaEntry) return undefined;
    const meta = childMapping(L, metaEntry, block.indent);
    if (!meta) return undefined;
    const metaEntries = mappingEntries(L, meta);
    if (!metaEntries || metaEntries.length === 0) return undefined;
    const step = Math.max(2, meta.indent - block.indent);
    const ops: Op[] = [];
    if (!editMap(L, meta, metaEntries, 'labels', edit.changes.labels, step, ops)) return undefined;
    if (!editMap(L, meta, metaEntries, 'annotations', edit.changes.annotations, step, ops)) return undefined;
    ops.sort(byPlace);
    // The edited metadata mapping, for the caller to parse and compare.
    const metaEnd = metaEntries[metaEntries.length - 1]!.end;
    const snippet: string[] = [];
    if (!applyOps(L, meta.start, metaEnd, ops, nl, snippet)) return undefined;
    let metaText = snippet.join('');
    if (!metaText.endsWith('\n')) metaText += '\n';
    if (!check(k, metaText)) return undefined;
    all.push(...ops);
  }
  if (all.length === 0) return text;
  all.sort(byPlace);
  const out: string[] = [];
  if (!applyOps(L, 0, L.count, all, nl, out)) return undefined;
  return out.join('');
}
