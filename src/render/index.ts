/**
 * The render machinery, for every command that prints manifests:
 *
 *   const chart = loadChart('link');                       // templates/link/
 *   const values = resolveValues(chart, { flags, ha, user: { values, set, setString, setFile } });
 *   const docs = await chart.render(values, { namespace }, extraTemplateData);
 *   await printResult(io, formatDocuments(docs, format)); // -o yaml | json
 *
 * Values follow Helm's rules; unknown keys and wrong types are UsageErrors
 * naming the key and the source. Every rendered document is parsed back.
 */
export { loadChart, resolveValues, splitDocuments, TEMPLATES_DIR, type Chart, type RenderedDoc, type ResolveOptions } from './chart.js';
export { formatDocuments, toJsonStream, toYamlStream } from './output.js';
export { buildSchema, validateLayer, type SchemaHints, type ValuesSchema } from './schema.js';
export { parseSetInto, typedValue } from './strvals.js';
export { coalesce, getPath, isMap, mergeMaps, parseValuesFile, setPath, userOverrides, type ValueOptions, type Values } from './values.js';
export { truthy, yamlBlock, yamlScalar } from './template.js';
