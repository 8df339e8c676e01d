/**
 * API discovery: which versions of an API group the cluster serves (built-in
 * or from CRDs), read from /apis as kubectl's discovery does.
 */
import type { KubeClient } from './client.js';

interface APIGroupList {
  groups?: Array<{ name: string; versions?: Array<{ version: string }>; preferredVersion?: { version: string } }>;
}

/** Every API group the API server serves, with its versions (one request for several questions). */
export async function servedGroups(client: KubeClient): Promise<Map<string, string[]>> {
  const list = await client.call<APIGroupList>('GET', { apiVersion: 'v1', resource: 'apis' }, { path: '/apis' });
  return new Map((list.groups ?? []).map((g) => [g.name, (g.versions ?? []).map((v) => v.version)]));
}

/** Versions of `group` the API server serves (empty when it serves none). */
export async function servedVersions(client: KubeClient, group: string): Promise<string[]> {
  return (await servedGroups(client)).get(group) ?? [];
}
