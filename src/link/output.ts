/** Output format of link/unlink (printing itself is src/render/output.ts). */
import { outputFormat } from '../cli-kit.js';

export type Format = 'yaml' | 'json';

export function outputFormatOf(value: string | undefined): Format {
  return outputFormat(value, ['yaml', 'json']);
}
