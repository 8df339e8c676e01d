/**
 * A chart is a folder under templates/: `chart.yaml` (template list and value
 * schema hints), `values.yaml` (defaults, the keys users know from Helm),
 * optionally `values-ha.yaml`, `_*.hbs` partials and the `*.yaml.hbs`
 * templates. Rendering gives parsed documents; nothing is printed here.
 * `npm run build` precompiles each chart's templates into
 * dist/templates/<chart>.cjs (see template.ts).
 */
import { readFileSync, readdirSync } from 'node:fs';
import yaml from 'js-yaml';
import { McError } from '../errors.js';
import type { KubeObject } from '../kube/client.js';
import { buildSchema, checkKeptNulls, validateLayer, type SchemaHints, type ValuesSchema } from './schema.js';
import { compileTemplates, type Template } from './template.js';
import { coalesce, mergeMaps, parseValuesFile, userOverrides, type ValueOptions, type Values } from './values.js';

export interface RenderedDoc {
  /** Template file the document came from. */
  template: string;
  /** The document's YAML text as rendered (comments kept). */
  text: string;
  /** The parsed document. */
  object: KubeObject;
}

interface ChartFile extends SchemaHints {
  name: string;
  templates: string[];
}

export interface Chart {
  name: string;
  /** Parsed values.yaml */
  defaults: Values;
  /** Parsed values-ha.yaml ({} when the chart has none) */
  haValues: Values;
  schema: ValuesSchema;
  /** Render with final values; `context` adds top-level template data besides Values and Release. */
  render(values: Values, release: { namespace: string }, context?: Record<string, unknown>): Promise<RenderedDoc[]>;
  /** Where the templates came from: the build's precompiled module, or compiled in memory (it was missing or stale). */
  templatesFrom(): Promise<'precompiled' | 'compiled'>;
}

/** templates/ of the installed package (…/dist/src/render → …/templates). */
export const TEMPLATES_DIR = new URL('../../../templates/', import.meta.url);

/** Precompiled templates made by `npm run build` (…/dist/src/render → …/dist/templates/<chart>.cjs). */
export const PRECOMPILED_DIR = new URL('../../templates/', import.meta.url);

const cache = new Map<string, Chart>();

function read(dir: URL, file: string): string {
  return readFileSync(new URL(file, dir), 'utf8');
}

/** A chart's templates (the ones chart.yaml lists, by file name) and partials (`_name.hbs`, by name). */
export interface TemplateSources {
  templates: Record<string, string>;
  partials: Record<string, string>;
}

function readSources(dir: URL, meta: ChartFile, files: string[]): TemplateSources {
  return {
    templates: Object.fromEntries(meta.templates.map((t) => [t, read(dir, t)])),
    partials: Object.fromEntries(files.filter((f) => f.startsWith('_') && f.endsWith('.hbs')).map((f) => [f.slice(1, -4), read(dir, f)])),
  };
}

/** The template sources of templates/<name>/, as loadChart reads them (the build precompiles these). */
export function chartTemplateSources(name: string, root: URL = TEMPLATES_DIR): TemplateSources {
  const dir = new URL(`${name}/`, root);
  return readSources(dir, yaml.load(read(dir, 'chart.yaml')) as ChartFile, readdirSync(dir));
}

/**
 * Load templates/<name>/ (once per process). Templates come from
 * `precompiled`/<name>.js when it was built from the same sources
 * (null: always compile in memory).
 */
export function loadChart(name: string, root: URL = TEMPLATES_DIR, precompiled: URL | null = PRECOMPILED_DIR): Chart {
  const key = `${root.href}\0${precompiled?.href ?? ''}\0${name}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const dir = new URL(`${name}/`, root);
  const meta = yaml.load(read(dir, 'chart.yaml')) as ChartFile;
  const defaults = parseValuesFile(read(dir, 'values.yaml'), `${name}/values.yaml`);
  let haValues: Values = {};
  const files = readdirSync(dir);
  if (files.includes('values-ha.yaml')) haValues = parseValuesFile(read(dir, 'values-ha.yaml'), `${name}/values-ha.yaml`);
  const schema = buildSchema(defaults, meta);
  let compiled: ReturnType<typeof compileTemplates> | undefined;
  const compile = () => {
    if (!compiled) {
      const { templates, partials } = readSources(dir, meta, files);
      compiled = compileTemplates(templates, partials, precompiled ? new URL(`${name}.cjs`, precompiled) : undefined);
    }
    return compiled;
  };
  const chart: Chart = {
    name: meta.name ?? name,
    defaults,
    haValues,
    schema,
    async templatesFrom() {
      return (await compile()).from;
    },
    async render(values, release, context = {}) {
      const templates: Record<string, Template> = (await compile()).templates;
      const ctx = { ...context, Values: values, Release: { Namespace: release.namespace, Service: 'CLI' } };
      const docs: RenderedDoc[] = [];
      for (const t of meta.templates) {
        docs.push(...splitDocuments(templates[t]!(ctx), `${name}/${t}`));
      }
      return docs;
    },
  };
  cache.set(key, chart);
  return chart;
}

/** Split rendered text on `---` lines and parse every document; empty ones are dropped. */
export function splitDocuments(text: string, template: string): RenderedDoc[] {
  const out: RenderedDoc[] = [];
  for (const part of text.split(/^---[ \t]*$/m)) {
    const body = part.replace(/^\s*\n/, '').trimEnd();
    if (body.split('\n').every((l) => l.trim() === '' || l.trim().startsWith('#'))) continue;
    let object: unknown;
    try {
      object = yaml.load(body);
    } catch (err) {
      throw new McError(`rendering ${template} produced invalid YAML: ${(err as Error).message.split('\n')[0]}`, 'This is a bug in the template or a value it cannot hold; run with --verbose and report it.');
    }
    if (object === null || object === undefined) continue;
    const doc = object as KubeObject;
    if (typeof doc !== 'object' || typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string' || typeof doc.metadata?.name !== 'string') {
      throw new McError(`rendering ${template} produced a document without apiVersion, kind and metadata.name`, 'This is a bug in the template; report it.');
    }
    out.push({ template, text: `${body}\n`, object: doc });
  }
  return out;
}

export interface ResolveOptions {
  /** Values the command sets from its own flags (over the defaults, under the user's). */
  flags?: Values;
  /** Apply the chart's values-ha.yaml (under the user's values). */
  ha?: boolean;
  /** -f / --set / --set-string / --set-file */
  user?: ValueOptions;
  /** Reads files for -f and --set-file (default: the file system; "-" is stdin). */
  readFile?: (path: string, what: string) => string;
}

/**
 * Final values as upstream computes them: defaults with the command's flags
 * set, then the user's overrides (over the HA values when --ha) coalesced on
 * top. Each user source is validated against the chart's schema.
 */
export function resolveValues(chart: Chart, opts: ResolveOptions = {}): Values {
  const flags = opts.flags ?? {};
  validateLayer(flags, chart.schema, 'command-line flags');
  const base = mergeMaps(chart.defaults, flags);
  let user = userOverrides(opts.user ?? {}, chart.schema, opts.readFile);
  if (opts.ha) user = mergeMaps(chart.haValues, user);
  const values = coalesce(base, user);
  checkKeptNulls(values, chart.schema);
  return values;
}
