import { readFileSync } from 'node:fs';

/** The upstream release whose manifests and checks mc reproduces. */
export const LINKERD_VERSION = 'edge-26.8.3';

let cached: string | undefined;
/** mc's own version, from package.json (read once, on demand). */
export function mcVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
