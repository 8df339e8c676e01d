/**
 * The name of a link. It becomes a label value and part of object names
 * (the probe Service `probe-gateway-NAME` must be a DNS-1035 label of at
 * most 63 characters), so it must be a DNS-1123 label of at most 49.
 */
import { isDnsLabel } from '../cli-kit.js';
import { UsageError } from '../errors.js';

const MAX = 63 - 'probe-gateway-'.length;

export function checkClusterName(name: string): string {
  if (!isDnsLabel(name) || name.length > MAX) {
    throw new UsageError(
      `invalid --cluster-name "${name}": it must be a DNS-1123 label of at most ${MAX} characters (lower-case letters, digits and "-", starting and ending with a letter or digit)`,
      `For example: --cluster-name ${suggestClusterName(name) ?? 'east'}`,
    );
  }
  return name;
}

/** The context name made a valid cluster name; undefined when nothing usable is left. */
export function suggestClusterName(contextName: string): string | undefined {
  let s = contextName.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-{2,}/g, '-');
  s = s.replace(/^-+/, '').slice(0, MAX).replace(/-+$/, '');
  return s === '' ? undefined : s;
}
