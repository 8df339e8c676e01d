/**
 * Printing rendered documents. YAML: the documents as rendered, separated by
 * `---`. JSON: what upstream's RenderYAMLAs prints for `-o json` — each
 * document converted to compact JSON (keys sorted, as Go's encoding/json
 * orders map keys) on its own line, a stream `kubectl apply -f -` reads.
 */
import yaml from 'js-yaml';
import type { KubeObject } from '../kube/client.js';
import type { RenderedDoc } from './chart.js';

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** One document per line, compact JSON with sorted keys. */
export function toJsonStream(objects: unknown[]): string {
  return objects.map((o) => `${JSON.stringify(sortKeys(o))}\n`).join('');
}

/** YAML documents separated by `---`. Objects without rendered text are dumped. */
export function toYamlStream(docs: Array<RenderedDoc | KubeObject>): string {
  return docs
    .map((d) => ('text' in d && 'object' in d ? (d as RenderedDoc).text : yaml.dump(d, { lineWidth: -1, noRefs: true })))
    .join('---\n');
}

/** Format rendered documents (or plain objects) for stdout. */
export function formatDocuments(docs: Array<RenderedDoc | KubeObject>, format: string): string {
  if (format === 'json') return toJsonStream(docs.map((d) => ('text' in d && 'object' in d ? (d as RenderedDoc).object : d)));
  return toYamlStream(docs);
}
