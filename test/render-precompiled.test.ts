/**
 * Build-time precompiled templates: `npm run build` writes
 * dist/templates/<chart>.cjs; rendering uses it (Handlebars' runtime only)
 * when it was made from the current template sources, and otherwise
 * compiles in memory with the same result. Nothing is written at run time.
 */
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import yaml from 'js-yaml';
import { renderServiceMirror, serviceMirrorValues, type ServiceMirrorInput } from '../src/link/service-mirror.js';
import { chartTemplateSources, loadChart, PRECOMPILED_DIR, TEMPLATES_DIR, type Chart } from '../src/render/chart.js';
import { installContext, installValues } from '../src/render/multicluster.js';
import { sourcesHash, type PrecompiledModule } from '../src/render/template.js';
import { GOLDEN_LINK_INPUT, REFERENCE_DIR, runMcProcess } from './helpers/index.js';

type Doc = { kind: string; metadata: { name: string; namespace?: string } };
const key = (d: Doc) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`;
const byKey = (docs: Doc[]) => new Map(docs.map((d) => [key(d), d]));
const dirUrl = (p: string) => pathToFileURL(`${p}/`);
const tmp = mkdtempSync(join(tmpdir(), 'mc-precompiled-'));

/** The default install (as `mc install --ignore-cluster --linkerd-version linkerdVersionValue`) rendered with this chart. */
async function renderInstallWith(chart: Chart): Promise<string[]> {
  const values = installValues({ linkerdVersion: 'linkerdVersionValue', linkerdNamespace: 'linkerd' });
  return (await chart.render(values, { namespace: 'linkerd-multicluster' }, installContext(values, false))).map((d) => d.text);
}

const goldenInstall = () => byKey((yaml.loadAll(readFileSync(join(REFERENCE_DIR, 'install_default.golden'), 'utf8')) as Doc[]).filter(Boolean));
const parsed = (texts: string[]) => byKey(texts.map((t) => yaml.load(t) as Doc));

const linkInput: ServiceMirrorInput = { ...GOLDEN_LINK_INPUT, valueOptions: {} };

/** A copy of templates/ whose <chart> sources differ from the build's only by a Handlebars comment (same output). */
function editedTemplates(chart: string): URL {
  const root = mkdtempSync(join(tmp, 'templates-'));
  cpSync(TEMPLATES_DIR, root, { recursive: true });
  const hbs = readdirSync(join(root, chart)).find((f) => f.endsWith('.yaml.hbs'))!;
  appendFileSync(join(root, chart, hbs), '{{!-- edited after the build --}}\n');
  return dirUrl(root);
}

test('the build wrote a precompiled module per chart, made from the current template sources', async () => {
  const charts = readdirSync(TEMPLATES_DIR).filter((d) => existsSync(new URL(`${d}/chart.yaml`, TEMPLATES_DIR)));
  assert.deepEqual(charts.sort(), ['link', 'multicluster']);
  for (const name of charts) {
    const file = new URL(`${name}.cjs`, PRECOMPILED_DIR);
    assert.ok(existsSync(file), `${file.pathname} exists (npm run build makes it)`);
    const mod = (await import(file.href)) as PrecompiledModule;
    const { templates, partials } = chartTemplateSources(name);
    assert.equal(mod.hash, sourcesHash(templates, partials), `${name}: hash of the current sources`);
    assert.deepEqual(Object.keys(mod.templates).sort(), Object.keys(templates).sort());
    assert.deepEqual(Object.keys(mod.partials).sort(), Object.keys(partials).sort());
  }
  // The published package includes the generated modules.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { files: string[] };
  assert.ok(pkg.files.includes('dist/templates'), 'package.json "files" lists dist/templates');
});

test('rendering uses the precompiled module and equals the golden', async () => {
  const chart = loadChart('multicluster');
  const texts = await renderInstallWith(chart);
  assert.equal(await chart.templatesFrom(), 'precompiled');
  assert.deepEqual(parsed(texts), goldenInstall());
  const link = loadChart('link');
  await renderServiceMirror(linkInput);
  assert.equal(await link.templatesFrom(), 'precompiled');
});

test('a missing, stale or broken precompiled module: compiled in memory, the same documents', async () => {
  const precompiledTexts = await renderInstallWith(loadChart('multicluster'));
  const missing = loadChart('multicluster', TEMPLATES_DIR, dirUrl(mkdtempSync(join(tmp, 'none-'))));
  assert.deepEqual(await renderInstallWith(missing), precompiledTexts);
  assert.equal(await missing.templatesFrom(), 'compiled');

  // A template edited without rebuilding: the module's hash no longer matches.
  const stale = loadChart('multicluster', editedTemplates('multicluster'));
  assert.deepEqual(await renderInstallWith(stale), precompiledTexts);
  assert.equal(await stale.templatesFrom(), 'compiled');

  // The same sources at another place: the module still matches (the hash is of the contents).
  const copy = mkdtempSync(join(tmp, 'copy-'));
  cpSync(TEMPLATES_DIR, copy, { recursive: true });
  const moved = loadChart('multicluster', dirUrl(copy));
  assert.deepEqual(await renderInstallWith(moved), precompiledTexts);
  assert.equal(await moved.templatesFrom(), 'precompiled');

  // Right hash but unusable contents, or not JavaScript at all.
  const bad = mkdtempSync(join(tmp, 'bad-'));
  const built = (await import(new URL('multicluster.cjs', PRECOMPILED_DIR).href)) as PrecompiledModule;
  writeFileSync(join(bad, 'multicluster.cjs'), `exports.hash = ${JSON.stringify(built.hash)};\nexports.handlebars = ${JSON.stringify(built.handlebars)};\nexports.templates = {};\nexports.partials = {};\n`);
  const empty = loadChart('multicluster', TEMPLATES_DIR, dirUrl(bad));
  assert.deepEqual(await renderInstallWith(empty), precompiledTexts);
  assert.equal(await empty.templatesFrom(), 'compiled');
  const garbage = mkdtempSync(join(tmp, 'garbage-'));
  writeFileSync(join(garbage, 'multicluster.cjs'), 'exports.hash = {not javascript');
  const broken = loadChart('multicluster', TEMPLATES_DIR, dirUrl(garbage));
  assert.deepEqual(await renderInstallWith(broken), precompiledTexts);
  assert.equal(await broken.templatesFrom(), 'compiled');
});

test('the link chart: a stale module falls back with the same documents', async () => {
  const values = serviceMirrorValues(linkInput);
  const context = { cliVersion: `linkerd/cli ${linkInput.version}` };
  const texts = async (chart: Chart) => (await chart.render(values, { namespace: linkInput.namespace }, context)).map((d) => d.text);
  const stale = loadChart('link', editedTemplates('link'));
  assert.deepEqual(await texts(stale), await texts(loadChart('link')));
  assert.equal(await stale.templatesFrom(), 'compiled');
  assert.equal(await loadChart('link').templatesFrom(), 'precompiled');
});

test('mc install writes nothing under HOME or XDG_CACHE_HOME', async () => {
  const home = mkdtempSync(join(tmp, 'home-'));
  const r = await runMcProcess(['install', '--ignore-cluster'], { env: { HOME: home, XDG_CACHE_HOME: join(home, '.cache'), LINKERD_DOCKER_REGISTRY: '' } });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes('kind: Deployment'));
  assert.deepEqual(readdirSync(home), []);
});
