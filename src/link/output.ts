/** Printing link/unlink results: YAML documents or JSON objects, whole. */
import yaml from 'js-yaml';
import { outputFormat } from '../cli-kit.js';
import type { KubeObject } from '../kube/client.js';

export type Format = 'yaml' | 'json';

export function outputFormatOf(value: string | undefined): Format {
  return outputFormat(value, ['yaml', 'json']) as Format;
}

/** YAML: documents separated by `---`; JSON: one object per line, as upstream's `-o json`. */
export function formatObjects(objects: KubeObject[], format: Format): string {
  if (format === 'json') return objects.map((o) => JSON.stringify(o)).join('\n') + '\n';
  return objects.map((o) => yaml.dump(o, { lineWidth: -1, noRefs: true })).join('---\n');
}
