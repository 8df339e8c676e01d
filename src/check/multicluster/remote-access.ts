/** Reaching each linked cluster: its credentials, its permissions, its trust anchors. */
import { KubeApiError } from '../../kube/client.js';
import { proxyAnchors } from '../../certs/rotation.js';
import { commonName, parsePemBundle, type CertificateInfo } from '../certs.js';
import type { CheckEnv } from '../env.js';
import { CheckWarning, SkipCheck } from '../runner.js';
import type { IdentityMaterial, Pod } from '../types.js';
import { bullet, credentialsProblem, errText, joinErrors, perLink, target } from './shared.js';

export async function checkRemoteClusterConnectivity(env: CheckEnv): Promise<string[]> {
  const links = await env.validLinks();
  if (links.length === 0) throw new SkipCheck('no links');
  const perLinkErrors = await perLink(links, async (link) => {
    const cred = await credentialsProblem(env, link);
    if (cred) return [cred];
    // Upstream asks /version first to prove connectivity; the access reviews
    // prove it as well, one request fewer per link.
    const reviews = await Promise.all(
      ['get', 'list', 'watch'].map(async (verb) => {
        try {
          return { verb, review: await env.remoteCan(link, verb, '', 'services') };
        } catch (err) {
          return { verb, err };
        }
      }),
    );
    const failed = reviews.find((r) => r.err !== undefined);
    if (failed && !(failed.err instanceof KubeApiError && failed.err.code >= 400)) {
      return [`* failed to connect to API for cluster: [${target(link)}]: ${errText(failed.err)}`];
    }
    if (failed && failed.err instanceof KubeApiError && failed.err.code === 401) {
      return [`* failed to connect to API for cluster: [${target(link)}]: ${errText(failed.err)}`];
    }
    return reviews.flatMap(({ verb, review, err }) => {
      if (err !== undefined) return [`* missing service permission [${verb}] for cluster [${target(link)}]: ${errText(err)}`];
      if (review?.allowed) return [];
      return [`* missing service permission [${verb}] for cluster [${target(link)}]: not authorized to access services${review?.reason ? `: ${review.reason}` : ''}`];
    });
  });
  const errors = perLinkErrors.flat();
  if (errors.length > 0) throw new Error(joinErrors(errors, 2));
  return links.map(bullet);
}

/**
 * Linked clusters must trust a common anchor: their bundles (here the trust
 * roots, there linkerd-config, all the Link's credentials may read) must
 * intersect. They need not be equal: during a rotation one holds old + new
 * while the other already holds new only (upstream compares them for
 * equality and fails then, linkerd/linkerd2#11668). A warning names the
 * local proxies that trust none of a linked cluster's anchors any more:
 * they were not restarted since their bundle changed.
 */
export async function checkRemoteClusterAnchors(env: CheckEnv): Promise<string[]> {
  let local: CertificateInfo[];
  let identity: IdentityMaterial;
  try {
    identity = await env.localIdentity();
    local = parsePemBundle(identity.bundlePem ?? identity.anchorsPem);
  } catch (err) {
    throw new Error(`Cannot parse source trust anchors: ${errText(err)}`);
  }
  const links = await env.validLinks();
  if (links.length === 0) throw new SkipCheck('no links');
  const localFingerprints = new Set(local.map((a) => a.fingerprintSha256));
  const pods = env.allMeshedPods().catch(() => [] as Pod[]);
  const current = { trust: { trustRootsPem: identity.proxyTrustBundlePem, configAnchorsPem: identity.anchorsPem }, bundle: local };
  const results = await perLink(links, async (link): Promise<{ error?: string; warning?: string; detail: string }> => {
    const detail = bullet(link);
    const cred = await credentialsProblem(env, link);
    if (cred) return { error: cred, detail };
    let remoteIdentity: IdentityMaterial;
    try {
      remoteIdentity = await env.remoteIdentity(link);
    } catch (err) {
      return { error: `* ${target(link)}: unable to fetch anchors: ${errText(err)}`, detail };
    }
    let remote: CertificateInfo[];
    try {
      remote = parsePemBundle(remoteIdentity.anchorsPem);
    } catch {
      return { error: `* ${target(link)}: cannot parse trust anchors`, detail };
    }
    const remoteFingerprints = new Set(remote.map((a) => a.fingerprintSha256));
    const shared = local.filter((a) => remoteFingerprints.has(a.fingerprintSha256));
    if (shared.length === 0) {
      return {
        error: `* ${target(link)}: its trust anchors (${remoteIdentity.anchorsSource} in ${target(link)}: ${remote.map(commonName).join(', ')}) and those of ${env.localName} (${local.map(commonName).join(', ')}) have none in common`,
        detail,
      };
    }
    const differ = shared.length !== local.length || shared.length !== remote.length;
    const stale = (await pods).filter((pod) => {
      const seen = proxyAnchors(pod, current);
      return 'anchors' in seen && ![...seen.anchors].some((f) => remoteFingerprints.has(f));
    });
    const warning =
      stale.length > 0
        ? `* ${target(link)}: ${stale.length === 1 ? '1 proxy' : `${stale.length} proxies`} in ${env.localName} ${stale.length === 1 ? 'trusts' : 'trust'} only anchors that ${target(link)} no longer trusts (${[...new Set(stale.flatMap((p) => {
            const seen = proxyAnchors(p, current);
            return 'anchors' in seen ? local.filter((a) => seen.anchors.has(a.fingerprintSha256)).map(commonName) : [];
          }))].join(', ') || 'anchors not in the bundle'}): restart ${stale.slice(0, 5).map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')}${stale.length > 5 ? ', ...' : ''}`
        : undefined;
    return { warning, detail: differ ? `${detail} (bundles differ, as during a rotation; shared: ${shared.map(commonName).join(', ')})` : detail };
  });
  const errors = results.flatMap((r) => (r.error ? [r.error] : []));
  if (errors.length > 0) throw new Error(`Problematic clusters:\n    ${errors.join('\n    ')}`);
  const warnings = results.flatMap((r) => (r.warning ? [r.warning] : []));
  if (warnings.length > 0) throw new CheckWarning(`Proxies to restart:\n    ${warnings.join('\n    ')}`);
  return results.map((r) => r.detail);
}
