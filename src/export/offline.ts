/**
 * Offline export: read manifests (files, folders, URLs, stdin), mark the
 * Services in them, and return the whole output and a report. Nothing is
 * printed here; the command prints the result once, whole, or nothing.
 *
 * YAML keeps its text: the edit is a few inserted/removed lines, checked by
 * re-parsing (see yaml-edit.ts); when that check fails the `yaml` Document
 * API (comment- and order-preserving) does the edit instead. JSON stays JSON.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import jsyaml from 'js-yaml';
import { formatDuration } from '../duration.js';
import { McError } from '../errors.js';
import { readAll } from '../io.js';
import { applyChanges, isList, isService, kindKey, serviceOutcome, type ExportOptions, type ServiceChanges } from './transform.js';
import { editDocument, type Edit, type Path } from './yaml-edit.js';

export interface Source {
  /** For messages: the path, the URL, or "standard input". */
  name: string;
  text: string;
}

export interface ServiceReport {
  name: string;
  namespace?: string;
  /** exported / unexported (also when already so), or skipped because it is a mirror. */
  result: 'exported' | 'unexported' | 'mirror';
}

export interface ExportReport {
  services: ServiceReport[];
  /** Skipped documents by kind ("deployments.apps"), in order of appearance. */
  skipped: Map<string, number>;
  /** YAML documents edited through the Document API rather than by line edits (for tests and benchmarks). */
  documentApi?: number;
}

export interface OfflineResult {
  output: string;
  report: ExportReport;
}

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

function isUrl(arg: string): boolean {
  return /^https?:\/\//i.test(arg);
}

/**
 * The manifests of a folder, recursively, in name order. As kubectl's
 * recursive walk (filepath.Walk), symlinked folders are not followed (so a
 * link loop cannot hang it); symlinked files are read. Folders are also
 * remembered by device and inode, so a bind mount of a parent stops too.
 */
async function walk(dir: string, out: string[], seenDirs: Set<string>, notFollowed: string[]): Promise<void> {
  const s = await stat(dir);
  const id = `${s.dev}:${s.ino}`;
  if (seenDirs.has(id)) return;
  seenDirs.add(id);
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      const target = await stat(p).catch(() => undefined);
      if (target?.isDirectory()) {
        notFollowed.push(p);
        continue;
      }
      isFile = Boolean(target?.isFile());
    }
    if (e.isDirectory()) await walk(p, out, seenDirs, notFollowed);
    else if (isFile && MANIFEST_EXT.test(e.name)) out.push(p);
  }
}

function fsError(name: string, err: unknown): McError {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : ((err as Error).message ?? String(err));
  return new McError(`cannot read ${name}: ${why}`, 'Check the path; nothing was printed.');
}

/**
 * The text at an http(s) URL. One deadline (kubectl's --request-timeout, 0 for
 * none) covers the answer and the whole body, so a server that stops sending
 * half-way cannot hang the command; the error names the URL and the limit.
 */
async function readUrl(url: string, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  const signals = [...(timeoutMs > 0 ? [AbortSignal.timeout(timeoutMs)] : []), ...(signal ? [signal] : [])];
  const why = (err: unknown): string => {
    if (signal?.aborted) return 'interrupted';
    if ((err as Error).name === 'TimeoutError') return `no complete answer within ${formatDuration(timeoutMs)} (--request-timeout)`;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? (err as Error).message;
  };
  try {
    const res = await fetch(url, { signal: signals.length ? AbortSignal.any(signals) : undefined, redirect: 'follow' });
    if (!res.ok) throw new McError(`cannot read ${url}: the server answered ${res.status} ${res.statusText}`.trimEnd(), 'Check the URL; nothing was printed.');
    return await res.text();
  } catch (err) {
    if (err instanceof McError) throw err;
    throw new McError(`cannot read ${url}: ${why(err)}`, 'Check the URL and the network (a larger --request-timeout for a slow server); nothing was printed.');
  }
}

/**
 * Read every input, in order; folders recursively (.yaml, .yml, .json).
 * A file reached twice (a symlink to a file already read, the same file
 * named twice) is read once. Fails on the first unreadable input.
 */
export async function readSources(
  args: string[],
  options: { stdin: NodeJS.ReadableStream; /** per URL, ms; 0 for none */ timeoutMs?: number; signal?: AbortSignal; warn?: (line: string) => void },
): Promise<Source[]> {
  const out: Source[] = [];
  let stdinUsed = false;
  const seenFiles = new Map<string, string>();
  for (const arg of args) {
    if (arg === '-') {
      if (stdinUsed) continue;
      stdinUsed = true;
      out.push({ name: 'standard input', text: await readAll(options.stdin) });
    } else if (isUrl(arg)) {
      out.push({ name: arg, text: await readUrl(arg, options.timeoutMs ?? 30_000, options.signal) });
    } else {
      let s;
      try {
        s = await stat(arg);
      } catch (err) {
        throw fsError(arg, err);
      }
      const files: string[] = [];
      if (s.isDirectory()) {
        const notFollowed: string[] = [];
        await walk(arg, files, new Set(), notFollowed).catch((err: unknown) => Promise.reject(fsError(arg, err)));
        for (const p of notFollowed) options.warn?.(`${p}: a symbolic link to a folder, not followed (as kubectl); name that folder as an argument to read it`);
        // As `kubectl apply -f DIR` refuses a folder without objects: likely a wrong path.
        if (files.length === 0) throw new McError(`no manifests in folder ${arg}: no .yaml, .yml or .json files in it or below it`, 'Check the path; nothing was printed.');
      } else files.push(arg);
      for (const f of files) {
        let id: string;
        try {
          const fs = await stat(f);
          id = `${fs.dev}:${fs.ino}`;
        } catch (err) {
          throw fsError(f, err);
        }
        const first = seenFiles.get(id);
        if (first !== undefined) {
          options.warn?.(`${f}: the same file as ${first}, read once`);
          continue;
        }
        seenFiles.set(id, f);
        try {
          out.push({ name: f, text: await readFile(f, 'utf8') });
        } catch (err) {
          throw fsError(f, err);
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// The transform of parsed documents (shared by every format)

interface Planned {
  edits: Edit[];
  expected: unknown;
  /** The expected metadata of each edited object, by edit. */
  expectedMetadata: unknown[];
}

/** A Service that cannot be exported as written (kubectl would refuse it too): the message says where in the document. */
class BadService extends Error {}

/** What is wrong with a Service's metadata, or undefined: metadata must be a map with a name. */
function metadataProblem(svc: unknown, path: Path): string | undefined {
  const at = path.length ? `${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').slice(1)}: ` : '';
  const m = (svc as { metadata?: unknown }).metadata;
  if (m === undefined || m === null) return `${at}a Service without metadata (it needs at least metadata.name)`;
  if (typeof m !== 'object' || Array.isArray(m)) return `${at}the metadata of a Service is ${JSON.stringify(m)}, not a map with a name`;
  const name = (m as { name?: unknown }).name;
  if (typeof name !== 'string' || name === '') return `${at}a Service without metadata.name${name === undefined || name === '' ? '' : ` (it is ${JSON.stringify(name)}, not a string)`}`;
  return undefined;
}

function nameOf(obj: unknown): { name: string; namespace?: string } {
  const m = (obj as { metadata?: { name?: unknown; namespace?: unknown } }).metadata;
  return { name: typeof m?.name === 'string' ? m.name : '', namespace: typeof m?.namespace === 'string' ? m.namespace : undefined };
}

/** Find the Services of one document (Lists included), record the report, return the edits and the expected result. */
function plan(value: unknown, options: ExportOptions, report: ExportReport, path: Path = []): Planned {
  if (value === null || value === undefined) return { edits: [], expected: value, expectedMetadata: [] };
  if (isService(value)) {
    const problem = metadataProblem(value, path);
    if (problem) throw new BadService(problem);
    const outcome = serviceOutcome(value as object, options);
    if (outcome.action === 'skip-mirror') {
      report.services.push({ ...nameOf(value), result: 'mirror' });
      report.skipped.set('services', (report.skipped.get('services') ?? 0) + 1);
      return { edits: [], expected: value, expectedMetadata: [] };
    }
    report.services.push({ ...nameOf(value), result: options.unexport ? 'unexported' : 'exported' });
    if (outcome.unchanged) return { edits: [], expected: value, expectedMetadata: [] };
    const expected = applyChanges(value as { metadata?: Record<string, unknown> }, outcome.changes);
    return { edits: [{ path, changes: outcome.changes }], expected, expectedMetadata: [expected.metadata] };
  }
  if (isList(value)) {
    const edits: Edit[] = [];
    const expectedMetadata: unknown[] = [];
    let items: unknown[] | undefined;
    value.items.forEach((item, i) => {
      const p = plan(item, options, report, [...path, 'items', i]);
      if (p.edits.length) {
        edits.push(...p.edits);
        expectedMetadata.push(...p.expectedMetadata);
        items ??= [...value.items];
        items[i] = p.expected;
      }
    });
    return { edits, expected: items ? { ...value, items } : value, expectedMetadata };
  }
  const key = kindKey(value);
  report.skipped.set(key, (report.skipped.get(key) ?? 0) + 1);
  return { edits: [], expected: value, expectedMetadata: [] };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

function lineAt(text: string, pos: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < pos; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

const LOAD = { schema: jsyaml.CORE_SCHEMA } as const;

// ---------------------------------------------------------------------------
// JSON

/** A JSON text or a stream of JSON values (each with its text); undefined when it is not JSON (then it is read as YAML). */
function parseJsonStream(text: string): Array<{ value: unknown; start: number; text: string }> | undefined {
  const values: Array<{ value: unknown; start: number; text: string }> = [];
  let rest = text;
  let start = 0;
  for (;;) {
    if (rest.trim() === '') return values;
    try {
      values.push({ value: JSON.parse(rest), start, text: rest });
      return values;
    } catch (err) {
      const m = /after JSON at position (\d+)/.exec((err as Error).message);
      if (!m) return undefined;
      const at = Number(m[1]);
      try {
        values.push({ value: JSON.parse(rest.slice(0, at)), start, text: rest.slice(0, at) });
      } catch {
        return undefined;
      }
      rest = rest.slice(at);
      start += at;
    }
  }
}

/**
 * A key twice in one JSON object: JSON.parse keeps the last silently, YAML
 * (and kubectl) refuse it; so do we. js-yaml reads JSON and reports where.
 */
function duplicateJsonKey(text: string): { line: number; message: string } | undefined {
  try {
    jsyaml.load(text, LOAD);
    return undefined;
  } catch (err) {
    const e = err as { reason?: string; mark?: { line: number; position: number } };
    if (!e.reason?.startsWith('duplicated mapping key') || !e.mark) return undefined;
    const key = /^\s*("(?:[^"\\]|\\.)*")/.exec(text.slice(e.mark.position));
    return { line: e.mark.line + 1, message: `duplicate key ${key ? key[1] : ''} in an object (JSON.parse would silently keep the last one; as in YAML, a key may appear once)`.replace('key  in', 'key in') };
  }
}

function jsonIndent(text: string): string | number {
  const m = /^[ \t]*[{[][ \t]*\r?\n([ \t]+)\S/.exec(text);
  return m ? m[1]! : 0;
}

function applyJson(value: unknown, edits: Edit[], expected: unknown): unknown {
  return edits.length ? expected : value;
}

// ---------------------------------------------------------------------------
// YAML

/** Split a YAML stream at its document markers; undefined when markers carry content or directives are used. */
function splitDocuments(text: string): { markers: string[]; bodies: string[] } | undefined {
  const markers: string[] = [];
  const bodies: string[] = [];
  const re = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)[^\n]*(?:\n|$)/gm;
  let last = 0;
  let m: RegExpExecArray | null;
  let marker = '';
  while ((m = re.exec(text))) {
    const after = m[0].slice(3).replace(/\r?\n$/, '').trim();
    if (after !== '' && !after.startsWith('#')) return undefined;
    bodies.push(text.slice(last, m.index));
    markers.push(marker);
    marker = m[0];
    last = m.index + m[0].length;
    if (m[0] === '') re.lastIndex++;
  }
  bodies.push(text.slice(last));
  markers.push(marker);
  if (/^%/m.test(text)) return undefined;
  return { markers, bodies };
}

class Fallback extends Error {}

function badYaml(src: Source, docIndex: number, line: number, message: string): McError {
  return new McError(`invalid YAML in ${src.name}: document ${docIndex} (line ${line}): ${message.split('\n')[0]}`, 'Fix the input; nothing was printed.');
}

/** A BadService thrown while planning a document, with the file, the document and its first line. */
function located(err: unknown, src: Source, docIndex: number, line: number): unknown {
  if (!(err instanceof BadService)) return err;
  return new McError(`cannot export in ${src.name}: document ${docIndex} (line ${line}): ${err.message}`, 'Fix the manifest (a Service needs metadata.name); nothing was printed.');
}

/** The fast path for one document: js-yaml for values, line edits for the text, re-parse to check. */
function transformBodyFast(body: string, options: ExportOptions, report: ExportReport): string {
  let value: unknown;
  try {
    value = jsyaml.load(body, LOAD);
  } catch {
    throw new Fallback();
  }
  const p = plan(value, options, report);
  if (p.edits.length === 0) return body;
  // Each edited metadata block is parsed again and must be exactly the expected metadata.
  const edited = editDocument(body, p.edits, (i, metadataText) => {
    try {
      return deepEqual(jsyaml.load(metadataText, LOAD), p.expectedMetadata[i]);
    } catch {
      return false;
    }
  });
  if (edited === undefined) throw new Fallback();
  return edited;
}

/**
 * YAML, document by document: the fast path where it applies, the `yaml`
 * Document API (keeps comments and order, not every space) where not. The
 * Document API is also what diagnoses bad input.
 */
async function transformYaml(src: Source, options: ExportOptions, report: ExportReport): Promise<string> {
  const split = splitDocuments(src.text);
  if (!split) {
    report.documentApi = (report.documentApi ?? 0) + 1;
    return transformYamlDocuments(src.text, src, 0, 0, options, report);
  }
  const parts: string[] = [];
  let line = 1;
  let docIndex = 0;
  for (let d = 0; d < split.bodies.length; d++) {
    const marker = split.markers[d]!;
    const body = split.bodies[d]!;
    if (marker) line++;
    parts.push(marker);
    if (/\S/.test(body.replace(/^[ \t]*#.*$/gm, ''))) docIndex++;
    const local: ExportReport = { services: [], skipped: new Map() };
    try {
      parts.push(transformBodyFast(body, options, local));
    } catch (err) {
      if (!(err instanceof Fallback)) throw located(err, src, Math.max(docIndex, 1), line + firstContentLine(body));
      local.services.length = 0;
      local.skipped.clear();
      parts.push(await transformYamlDocuments(body, src, Math.max(docIndex, 1) - 1, line - 1, options, local));
      report.documentApi = (report.documentApi ?? 0) + 1;
    }
    merge(report, local);
    line += body.split('\n').length - 1;
  }
  return parts.join('');
}

/** The careful path: the `yaml` Document API over a text (a whole stream, or one document's body). */
async function transformYamlDocuments(text: string, src: Source, docOffset: number, lineOffset: number, options: ExportOptions, report: ExportReport): Promise<string> {
  const yaml = await import('yaml');
  const docs = yaml.parseAllDocuments(text, { prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    const err = doc.errors[0];
    if (err) throw badYaml(src, docOffset + i + 1, lineOffset + (err.linePos?.[0]?.line ?? lineAt(text, err.pos[0])), err.message);
  });
  const out: string[] = [];
  for (const [i, doc] of list.entries()) {
    const docLine = lineOffset + lineAt(text, doc.contents?.range?.[0] ?? doc.range[0]);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: -1 });
    } catch (err) {
      // An alias whose anchor is in another document ("---" ends every anchor's reach).
      const alias = unresolvedAlias(doc, yaml);
      if (!alias) throw err;
      throw badYaml(src, docOffset + i + 1, lineOffset + lineAt(text, alias.range?.[0] ?? 0), `alias *${alias.source} has no anchor &${alias.source} before it in this document; anchors do not reach across documents ("---"): write the value out, or define the anchor in this document`);
    }
    let p: Planned;
    try {
      p = plan(value, options, report);
    } catch (err) {
      throw located(err, src, docOffset + i + 1, docLine);
    }
    if (p.edits.length === 0) {
      // An untouched lone document keeps its text exactly.
      out.push(list.length === 1 ? text : doc.toString({ lineWidth: 0 }));
      continue;
    }
    for (const edit of p.edits) applyToDocument(doc, edit, yaml, src, String((doc.getIn([...edit.path, 'metadata', 'name']) as unknown) ?? ''));
    out.push(doc.toString({ lineWidth: 0 }));
  }
  return out.join('');
}

type YamlDoc = import('yaml').Document.Parsed;

/** The first alias of a document that points to no anchor before it. */
function unresolvedAlias(doc: YamlDoc, yaml: typeof import('yaml')): { source: string; range?: [number, number, number] | null } | undefined {
  let found: { source: string; range?: [number, number, number] | null } | undefined;
  yaml.visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) === undefined) {
        found = node;
        return yaml.visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** Lines before a body's first non-blank, non-comment line (for "line N" of a document). */
function firstContentLine(body: string): number {
  const m = /^[ \t]*[^\s#]/m.exec(body);
  return m ? lineAt(body, m.index) - 1 : 0;
}

function applyToDocument(doc: YamlDoc, edit: Edit, yaml: typeof import('yaml'), src: Source, name: string): void {
  const { isMap, isAlias } = yaml;
  // Never edit a node through an alias or an anchor: that would change other places too.
  const own = (path: Path, what: string): void => {
    const node = doc.getIn(path, true) as { anchor?: string } | undefined;
    if (isAlias(node)) doc.setIn(path, doc.createNode(node.resolve(doc)?.toJS(doc) ?? {}));
    else if (node?.anchor) {
      throw new McError(`cannot export service "${name}" in ${src.name}: its ${what} is a YAML anchor (&${node.anchor}) shared with other nodes`, 'Write the anchored map out in full, then run again.');
    }
  };
  const metaPath = [...edit.path, 'metadata'];
  own(metaPath, 'metadata');
  if (!isMap(doc.getIn(metaPath, true))) doc.setIn(metaPath, doc.createNode({}));
  for (const field of ['labels', 'annotations'] as const) {
    const changes = edit.changes[field];
    const keys = Object.keys(changes);
    if (!keys.length) continue;
    const fieldPath = [...metaPath, field];
    own(fieldPath, field);
    if (!isMap(doc.getIn(fieldPath, true))) {
      const sets = keys.filter((k) => changes[k] !== null);
      if (!sets.length) continue;
      doc.setIn(fieldPath, doc.createNode({}));
    }
    let removed = false;
    for (const k of keys) {
      const v = changes[k];
      if (v === null) removed = doc.deleteIn([...fieldPath, k]) || removed;
      else doc.setIn([...fieldPath, k], v);
    }
    const map = doc.getIn(fieldPath, true) as { items: unknown[] };
    if (removed && map.items.length === 0) doc.deleteIn(fieldPath);
  }
}

function jsonError(src: Source, text: string): McError | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (err) {
    const msg = (err as Error).message;
    const m = /position (\d+)/.exec(msg);
    const line = m ? ` (line ${lineAt(text, Number(m[1]))})` : '';
    return new McError(`invalid JSON in ${src.name}: document 1${line}: ${msg.split('\n')[0]}`, 'Fix the input; nothing was printed.');
  }
}

/** Transform one source; returns its output text and whether it is JSON. */
export async function transformSource(src: Source, options: ExportOptions, report: ExportReport): Promise<{ text: string; json: boolean }> {
  const first = /\S/.exec(src.text)?.[0];
  if (first === '{' || first === '[') {
    const values = parseJsonStream(src.text);
    if (values) {
      const indent = jsonIndent(src.text);
      const out = values.map((v, i) => {
        const line = lineAt(src.text, v.start + (/\S/.exec(v.text)?.index ?? 0));
        const dup = duplicateJsonKey(v.text);
        if (dup) throw new McError(`invalid JSON in ${src.name}: document ${i + 1} (line ${line + dup.line - 1}): ${dup.message}`, 'Fix the input; nothing was printed.');
        let p: Planned;
        try {
          p = plan(v.value, options, report);
        } catch (err) {
          throw located(err, src, i + 1, line);
        }
        return `${JSON.stringify(applyJson(v.value, p.edits, p.expected), null, indent)}\n`;
      });
      return { text: out.join(''), json: true };
    }
  }
  try {
    return { text: await transformYaml(src, options, report), json: false };
  } catch (e) {
    // Input that looked like JSON but is neither JSON nor YAML: say what JSON said.
    if (e instanceof McError && (first === '{' || first === '[')) throw jsonError(src, src.text) ?? e;
    throw e;
  }
}

function merge(into: ExportReport, from: ExportReport): void {
  into.services.push(...from.services);
  for (const [k, n] of from.skipped) into.skipped.set(k, (into.skipped.get(k) ?? 0) + n);
}

/** Transform every source; the output is one stream (YAML, or JSON when every input is JSON). */
export async function exportOffline(sources: Source[], options: ExportOptions): Promise<OfflineResult> {
  const report: ExportReport = { services: [], skipped: new Map() };
  const parts: Array<{ text: string; json: boolean }> = [];
  for (const src of sources) parts.push(await transformSource(src, options, report));
  const allJson = parts.length > 0 && parts.every((p) => p.json);
  let output = '';
  for (const p of parts) {
    let t = p.text;
    if (t.trim() === '') continue;
    if (!t.endsWith('\n')) t += '\n';
    if (!allJson && output !== '' && !/^---(?=[ \t\r\n]|$)/.test(t)) output += '---\n';
    output += t;
  }
  return { output, report };
}

/** The report for stderr, in upstream's words. */
export function formatReport(report: ExportReport): string {
  const lines: string[] = [];
  for (const s of report.services) {
    const ns = s.namespace ? ` in namespace "${s.namespace}"` : '';
    if (s.result === 'mirror') lines.push(`service "${s.name}"${ns} skipped: it is a mirror of a remote service (label mirror.linkerd.io/mirrored-service)`);
    else lines.push(`service "${s.name}" ${s.result}`);
  }
  if (report.skipped.size) {
    if (lines.length) lines.push('');
    lines.push('Number of skipped resources:');
    for (const [k, n] of report.skipped) lines.push(`${k}: ${n}`);
  }
  return lines.join('\n');
}

export type { ServiceChanges };
