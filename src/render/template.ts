/**
 * The template engine: Handlebars (loaded lazily, once per process) with the
 * few helpers Helm-like YAML templates need. Values are written through
 * helpers that emit YAML-safe text (`y`, `quote`, `block`), so no user value
 * can change the structure of a document.
 *
 * Helpers:
 *   {{y v}}               a scalar as YAML (quoted when a YAML 1.1 or 1.2 reader would retype it)
 *   {{quote v}}           always a double-quoted string
 *   {{block v 4}}         v as a YAML block indented 4, starting on a new line ("" when empty)
 *   {{int v}}             an integer, also from a numeric string (Helm renders those unquoted)
 *   {{cat a b ...}}       concatenation (for values built from several parts)
 *   {{default v d}}       v, or d when v is empty (Helm's `default`)
 *   {{eq a b}} {{ne a b}} {{and a b ...}} {{or a b ...}} {{not a}}
 *   {{#when v}}…{{else}}…{{/when}}   Helm's `if`: empty maps, lists, "" and 0 are false
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import yaml from 'js-yaml';

type HB = typeof import('handlebars');
type Template = (ctx: unknown) => string;

/** Bumped when helpers change in a way that precompiled templates depend on. */
const HANDLEBARS_CACHE_VERSION = 'hb-4.7-v1';

/** Helm/Go template truthiness. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === '' || v === 0) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

/** A scalar as YAML text that parses back to the same value. */
export function yamlScalar(v: unknown): string {
  if (v === null || v === undefined) return '""';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') return JSON.stringify(v);
  if (/^[A-Za-z_/][A-Za-z0-9_./@+-]*(:[A-Za-z0-9_./@+-]+)*$/.test(v) && !/^(y|yes|n|no|on|off|true|false|null|nan|inf)$/i.test(v)) return v;
  return JSON.stringify(v);
}

/** v as an indented YAML block starting with a newline, or "" when empty. */
export function yamlBlock(v: unknown, indent: number): string {
  if (!truthy(v)) return '';
  const text = yaml.dump(v, { lineWidth: -1, noRefs: true, sortKeys: false }).trimEnd();
  const pad = ' '.repeat(indent);
  return `\n${text
    .split('\n')
    .map((l) => (l === '' ? l : pad + l))
    .join('\n')}`;
}

function registerHelpers(hb: HB): void {
  const args = (a: unknown[]) => a.slice(0, -1); // drop Handlebars' options argument
  hb.registerHelper('y', (v: unknown) => yamlScalar(v));
  hb.registerHelper('quote', (v: unknown) => JSON.stringify(v === null || v === undefined ? '' : String(v)));
  hb.registerHelper('block', (v: unknown, indent: unknown) => yamlBlock(v, typeof indent === 'number' ? indent : 0));
  hb.registerHelper('cat', (...a: unknown[]) =>
    args(a)
      .map((x) => (x === null || x === undefined ? '' : String(x)))
      .join(''),
  );
  hb.registerHelper('int', (v: unknown) => (typeof v === 'string' && /^[-+]?\d+$/.test(v.trim()) ? String(Number(v.trim())) : yamlScalar(v)));
  hb.registerHelper('default', (v: unknown, d: unknown) => (truthy(v) ? v : d));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('ne', (a: unknown, b: unknown) => a !== b);
  hb.registerHelper('and', (...a: unknown[]) => args(a).every(truthy));
  hb.registerHelper('or', (...a: unknown[]) => args(a).some(truthy));
  hb.registerHelper('not', (v: unknown) => !truthy(v));
  hb.registerHelper('when', function (this: unknown, v: unknown, options: { fn: (c: unknown) => string; inverse: (c: unknown) => string }) {
    return truthy(v) ? options.fn(this) : options.inverse(this);
  });
}

/**
 * Handlebars' runtime (a fraction of the full library) is enough when the
 * templates were precompiled on an earlier run: precompiled specs are cached
 * as an ES module under $MC_CACHE_DIR (default $XDG_CACHE_HOME/mc or
 * ~/.cache/mc), keyed by a hash of the template texts and the Handlebars
 * version. A miss compiles with the full library (once per run) and writes
 * the cache; any cache problem just means compiling again.
 */
let runtime: Promise<HB> | undefined;
let full: Promise<HB> | undefined;

/** A fresh environment per chart: helpers registered, partials kept apart from other charts'. */
function withHelpers(hb: HB): HB {
  const env = hb.create() as unknown as HB;
  registerHelpers(env);
  return env;
}

const moduleOf = (m: unknown) => ((m as { default?: HB }).default ?? m) as HB;

async function fullHandlebars(): Promise<HB> {
  full ??= import('handlebars').then(moduleOf);
  return withHelpers(await full);
}

async function runtimeHandlebars(): Promise<HB> {
  runtime ??= import('handlebars/runtime.js').then(moduleOf);
  return withHelpers(await runtime);
}

function handlebarsVersion(): string {
  try {
    return (createRequire(import.meta.url)('handlebars/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function cacheDir(): string {
  if (process.env.MC_CACHE_DIR) return process.env.MC_CACHE_DIR;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'mc');
}

type Spec = { [k: string]: unknown };

async function loadCached(file: string): Promise<Record<string, Spec> | undefined> {
  try {
    if (!existsSync(file)) return undefined;
    return ((await import(pathToFileURL(file).href)) as { default: Record<string, Spec> }).default;
  } catch {
    return undefined;
  }
}

/** mkdir -p without fs' recursive mode (which can loop forever on special file systems such as /proc). */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  let cur = dir;
  while (!existsSync(cur) && missing.length < 64) {
    missing.push(cur);
    const up = dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  for (const d of missing.reverse()) mkdirSync(d);
}

function writeCache(file: string, specs: Record<string, string>): void {
  try {
    makeDirs(dirname(file));
    const body = `export default {\n${Object.entries(specs)
      .map(([k, v]) => `${JSON.stringify(k)}: ${v}`)
      .join(',\n')}\n};\n`;
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, body);
    renameSync(tmp, file);
  } catch {
    // An unwritable cache only costs speed.
  }
}

/** Compile a set of templates and partials; precompiled specs come from the cache when they can. */
export async function compileTemplates(sources: Record<string, string>, partials: Record<string, string> = {}): Promise<Record<string, Template>> {
  const all: Record<string, string> = { ...Object.fromEntries(Object.entries(partials).map(([k, v]) => [`partial:${k}`, v])), ...sources };
  const hash = createHash('sha256');
  hash.update(`${HANDLEBARS_CACHE_VERSION}/${handlebarsVersion()}`);
  for (const [k, v] of Object.entries(all)) hash.update(`${k}\0${v}\0`);
  const file = join(cacheDir(), `templates-${hash.digest('hex').slice(0, 24)}.mjs`);
  const options = { noEscape: true, preventIndent: true };

  const cached = await loadCached(file);
  if (cached && Object.keys(all).every((k) => k in cached)) {
    try {
      const hb = await runtimeHandlebars();
      for (const k of Object.keys(partials)) hb.registerPartial(k, hb.template(cached[`partial:${k}`] as never));
      return Object.fromEntries(Object.keys(sources).map((k) => [k, hb.template(cached[k] as never) as unknown as Template]));
    } catch {
      // A spec from another compiler revision: compile afresh below.
    }
  }

  const hb = await fullHandlebars();
  const specs: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) specs[k] = hb.precompile(v, options) as unknown as string;
  writeCache(file, specs);
  // The precompiled spec is JavaScript source; turn it into a template without compiling twice.
  const load = (k: string) => hb.template(new Function(`return ${specs[k]};`)() as never) as unknown as Template;
  for (const k of Object.keys(partials)) hb.registerPartial(k, load(`partial:${k}`) as never);
  return Object.fromEntries(Object.keys(sources).map((k) => [k, load(k)]));
}
