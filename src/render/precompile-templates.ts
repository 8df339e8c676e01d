/**
 * Build step (`npm run build`, after tsc): precompile every chart's templates
 * and partials under templates/ into dist/templates/<chart>.cjs, which
 * loadChart loads with Handlebars' runtime only. The sources are read by
 * chart.ts's own code, so both agree on what a chart's templates are.
 *
 * Usage: node dist/src/render/precompile-templates.js
 */
import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chartTemplateSources, PRECOMPILED_DIR, TEMPLATES_DIR } from './chart.js';
import { precompileModule } from './template.js';

const charts = readdirSync(TEMPLATES_DIR).filter((d) => statSync(new URL(`${d}/chart.yaml`, TEMPLATES_DIR), { throwIfNoEntry: false })?.isFile());
if (charts.length === 0) throw new Error(`no charts under ${fileURLToPath(TEMPLATES_DIR)}`);
mkdirSync(PRECOMPILED_DIR, { recursive: true });
for (const name of charts.sort()) {
  const { templates, partials } = chartTemplateSources(name);
  const out = fileURLToPath(new URL(`${name}.cjs`, PRECOMPILED_DIR));
  writeFileSync(`${out}.tmp`, await precompileModule(templates, partials));
  renameSync(`${out}.tmp`, out);
  console.log(`precompiled templates/${name}/ (${Object.keys(templates).length} templates, ${Object.keys(partials).length} partials) -> ${out}`);
}
