/** The Links themselves: the CRD, their specs, the CLI version that made them. */
import { isNotFound } from '../../kube/client.js';
import { LINKERD_VERSION } from '../../version.js';
import { linkCreatorVersion } from '../../versions/read.js';
import { linkProblems, type CheckEnv } from '../env.js';
import { SkipCheck } from '../runner.js';
import { bullet, errText, joinErrors, target } from './shared.js';

export async function checkLinkCRD(env: CheckEnv): Promise<void> {
  let resources: Array<{ kind: string; name: string }>;
  try {
    resources = await env.linkApiResources();
  } catch (err) {
    const why = isNotFound(err) ? 'Link CRD not found' : errText(err);
    throw new Error(`multicluster.linkerd.io/Link CRD is missing: ${why}`);
  }
  if (!resources.some((r) => r.kind === 'Link')) throw new Error('multicluster.linkerd.io/Link CRD is missing: Link CRD not found');
  const review = await env.localCan('list', 'multicluster.linkerd.io', 'links');
  if (!review.allowed) {
    throw new Error(`multicluster.linkerd.io/Link CRD is missing: not authorized to access links.multicluster.linkerd.io${review.reason ? `: ${review.reason}` : ''}`);
  }
}

export async function checkLinks(env: CheckEnv): Promise<string[]> {
  const links = await env.links();
  if (links.length === 0) throw new SkipCheck('no links detected');
  const problems = linkProblems(links);
  if (problems.length > 0) throw new Error(joinErrors(problems, 2).trimStart());
  return links.map(bullet);
}

/** Each Link records the CLI that made it (linkerd.io/created-by: "linkerd/cli VERSION"). */
export async function checkLinkVersions(env: CheckEnv): Promise<string[]> {
  const links = await env.validLinks();
  if (links.length === 0) throw new SkipCheck('no links');
  const problems: string[] = [];
  for (const link of links) {
    const version = linkCreatorVersion(link);
    if (version === undefined) problems.push(`* ${target(link)}: unable to determine version`);
    else if (version !== LINKERD_VERSION) problems.push(`* ${target(link)}: CLI version is ${LINKERD_VERSION} but Link version is ${version}`);
  }
  if (problems.length > 0) throw new Error(joinErrors(problems, 2).trimStart());
  return links.map(bullet);
}
