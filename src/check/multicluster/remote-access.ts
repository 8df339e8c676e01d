/** Reaching each linked cluster: its credentials, its permissions, its trust anchors. */
import { KubeApiError } from '../../kube/client.js';
import { commonName, parsePemBundle, sameAnchors, type CertificateInfo } from '../certs.js';
import type { CheckEnv } from '../env.js';
import { SkipCheck } from '../runner.js';
import type { IdentityMaterial } from '../types.js';
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

export async function checkRemoteClusterAnchors(env: CheckEnv): Promise<string[]> {
  let local: CertificateInfo[];
  try {
    local = parsePemBundle((await env.localIdentity()).anchorsPem);
  } catch (err) {
    throw new Error(`Cannot parse source trust anchors: ${errText(err)}`);
  }
  const links = await env.validLinks();
  if (links.length === 0) throw new SkipCheck('no links');
  const results = await perLink(links, async (link): Promise<string | undefined> => {
    const cred = await credentialsProblem(env, link);
    if (cred) return cred;
    let identity: IdentityMaterial;
    try {
      identity = await env.remoteIdentity(link);
    } catch (err) {
      return `* ${target(link)}: unable to fetch anchors: ${errText(err)}`;
    }
    let remote: CertificateInfo[];
    try {
      remote = parsePemBundle(identity.anchorsPem);
    } catch {
      return `* ${target(link)}: cannot parse trust anchors`;
    }
    if (!sameAnchors(local, remote)) {
      return `* ${target(link)}: its trust anchors (${identity.anchorsSource} in ${target(link)}: ${remote.map(commonName).join(', ')}) differ from those of ${env.localName} (${local.map(commonName).join(', ')})`;
    }
    return undefined;
  });
  const errors = results.filter((e): e is string => e !== undefined);
  if (errors.length > 0) throw new Error(`Problematic clusters:\n    ${errors.join('\n    ')}`);
  return links.map(bullet);
}
