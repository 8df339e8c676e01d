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
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

type HB = typeof import('handlebars');
export type Template = (ctx: unknown) => string;

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
 * `npm run build` precompiles every chart's templates into a CommonJS module
 * (dist/templates/<chart>.cjs, written by precompile-templates.ts), so a run
 * loads only Handlebars' runtime. The module carries a hash of the sources it
 * was made from; when it is missing, from other sources (a template edited
 * without rebuilding) or unusable, the templates are compiled in memory with
 * the full library. Nothing is written at run time.
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

/** Compiler options, the same at build time and in memory (a fresh object each time: Handlebars adds to it). */
const compileOptions = () => ({ noEscape: true, preventIndent: true });

/** Bump when the generated module's shape or the compiler options change. */
const FORMAT = 'mc-precompiled-v1';

/** Identifies a set of template sources (names and texts) for a precompiled module. */
export function sourcesHash(sources: Record<string, string>, partials: Record<string, string>): string {
  const hash = createHash('sha256');
  hash.update(`${FORMAT}\0${JSON.stringify(compileOptions())}\0`);
  for (const [k, v] of Object.entries(sources)) hash.update(`t\0${k}\0${v}\0`);
  for (const [k, v] of Object.entries(partials)) hash.update(`p\0${k}\0${v}\0`);
  return hash.digest('hex');
}

type Spec = Record<string, unknown>;

/** What precompile-templates.ts writes, as a CommonJS module. */
export interface PrecompiledModule {
  hash: string;
  /** Handlebars version of the compiler. */
  handlebars: string;
  templates: Record<string, Spec>;
  partials: Record<string, Spec>;
}

/** The text of a precompiled module for these sources (build time: loads the full Handlebars). */
export async function precompileModule(sources: Record<string, string>, partials: Record<string, string>): Promise<string> {
  const hb = await fullHandlebars();
  const specs = (m: Record<string, string>) =>
    `{\n${Object.entries(m)
      .map(([k, v]) => `  ${JSON.stringify(k)}: ${hb.precompile(v, compileOptions()) as unknown as string}`)
      .join(',\n')}\n}`;
  return [
    '// Generated by `npm run build` (src/render/precompile-templates.ts) from templates/: do not edit.',
    "'use strict';",
    `exports.hash = ${JSON.stringify(sourcesHash(sources, partials))};`,
    `exports.handlebars = ${JSON.stringify(hb.VERSION)};`,
    `exports.templates = ${specs(sources)};`,
    `exports.partials = ${specs(partials)};`,
    '',
  ].join('\n');
}

// CommonJS (<chart>.cjs), required: importing an ES module would start Node's ES module loader, a
// large part of `mc install`'s start-up when it runs from the launcher's bundle (src/bundle.ts).
const require = createRequire(import.meta.url);

async function loadPrecompiled(url: URL): Promise<PrecompiledModule | undefined> {
  try {
    return require(fileURLToPath(url)) as PrecompiledModule;
  } catch {
    return undefined; // missing (not built) or unreadable
  }
}

export interface CompiledTemplates {
  templates: Record<string, Template>;
  /** "precompiled": from the build's module with Handlebars' runtime; "compiled": in memory with the full library. */
  from: 'precompiled' | 'compiled';
}

/**
 * Templates and partials ready to render: from the precompiled module at
 * `precompiled` when it was made from exactly these sources, else compiled
 * in memory.
 */
export async function compileTemplates(sources: Record<string, string>, partials: Record<string, string> = {}, precompiled?: URL): Promise<CompiledTemplates> {
  if (precompiled) {
    const [mod, hb] = await Promise.all([loadPrecompiled(precompiled), runtimeHandlebars()]);
    if (mod && mod.hash === sourcesHash(sources, partials) && mod.handlebars === hb.VERSION) {
      try {
        for (const k of Object.keys(partials)) hb.registerPartial(k, hb.template(mod.partials[k] as never));
        const templates = Object.fromEntries(Object.keys(sources).map((k) => [k, hb.template(mod.templates[k] as never) as unknown as Template]));
        return { templates, from: 'precompiled' };
      } catch {
        // A spec this runtime cannot use: compile below.
      }
    }
  }
  const hb = await fullHandlebars();
  for (const [k, v] of Object.entries(partials)) hb.registerPartial(k, hb.compile(v, compileOptions()));
  const templates = Object.fromEntries(Object.entries(sources).map(([k, v]) => [k, hb.compile(v, compileOptions()) as unknown as Template]));
  return { templates, from: 'compiled' };
}
