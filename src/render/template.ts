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
import yaml from 'js-yaml';

type HB = typeof import('handlebars');
type Template = (ctx: unknown) => string;

let engine: Promise<HB> | undefined;

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

async function handlebars(): Promise<HB> {
  engine ??= import('handlebars').then((m) => {
    const hb = ((m as unknown as { default?: HB }).default ?? m) as HB;
    const env = hb.create() as unknown as HB;
    registerHelpers(env);
    return env;
  });
  return engine;
}

/** Compile a set of templates and partials (each compiled once, on first use). */
export async function compileTemplates(sources: Record<string, string>, partials: Record<string, string> = {}): Promise<Record<string, Template>> {
  const hb = await handlebars();
  for (const [name, text] of Object.entries(partials)) hb.registerPartial(name, text);
  const out: Record<string, Template> = {};
  for (const [name, text] of Object.entries(sources)) {
    let compiled: Template | undefined;
    out[name] = (ctx: unknown) => {
      compiled ??= hb.compile(text, { noEscape: true, preventIndent: true }) as Template;
      return compiled(ctx);
    };
  }
  return out;
}
