/** The service mirror of each Link in this cluster: its RBAC and its Deployment. */
import type { KubeObject } from '../../kube/client.js';
import {
  CONTROLLER_LOCAL_RESOURCES_ROLE,
  LEGACY_SERVICE_MIRROR_COMPONENT,
  controllerLocalResourcesBindingName,
  controllerRemoteCredsRoleName,
  localResourcesRoleName,
  managedControllerName,
  MIRROR_CLUSTER_LABEL,
  remoteCredsRoleName,
  serviceMirrorName,
} from '../../multicluster/names.js';
import type { CheckEnv } from '../env.js';
import { SkipCheck } from '../runner.js';
import { bullet, joinErrors, labelsOf, perLink, target } from './shared.js';

export async function checkServiceMirrorLocalRBAC(env: CheckEnv): Promise<string[]> {
  const links = await env.validLinks();
  if (links.length === 0) throw new SkipCheck('no links');
  const messages = await perLink(links, async (link) => {
    const t = target(link);
    const ns = link.metadata.namespace ?? 'default';
    const [sas, crs, crbs, roles, rbs] = await Promise.all([
      env.rbacObjects('serviceaccounts', ns),
      env.rbacObjects('clusterroles'),
      env.rbacObjects('clusterrolebindings'),
      env.rbacObjects('roles', ns),
      env.rbacObjects('rolebindings', ns),
    ]);
    // Names for links made by the CLI, then by the multicluster chart's controllers.
    const wanted: Array<[string, Map<string, KubeObject>, string[], string]> = [
      ['ServiceAccounts', sas, [serviceMirrorName(t), managedControllerName(t)], ns],
      ['ClusterRoles', crs, [localResourcesRoleName(t), CONTROLLER_LOCAL_RESOURCES_ROLE], ''],
      ['ClusterRoleBindings', crbs, [localResourcesRoleName(t), controllerLocalResourcesBindingName(t)], ''],
      ['Roles', roles, [remoteCredsRoleName(t), controllerRemoteCredsRoleName(t)], ns],
      ['RoleBindings', rbs, [remoteCredsRoleName(t), controllerRemoteCredsRoleName(t)], ns],
    ];
    const out: string[] = [];
    for (const [kind, objects, names, inNs] of wanted) {
      if (names.some((n) => objects.has(n))) continue;
      out.push(`* ${t}: missing ${kind}: ${names[0]}${inNs ? ` in namespace ${inNs}` : ''} (or ${names[1]})`);
    }
    return out;
  });
  const all = messages.flat();
  if (all.length > 0) throw new Error(all.join('\n'));
  return links.map(bullet);
}

export async function checkServiceMirrorController(env: CheckEnv, attempt: number): Promise<string[]> {
  if (attempt > 0) env.forget('retry:deployments');
  const links = await env.validLinks();
  if (links.length === 0) throw new SkipCheck('no links');
  const deployments = await env.serviceMirrorDeployments();
  const errors: string[] = [];
  for (const link of links) {
    const mine = deployments.filter((d) => labelsOf(d)[MIRROR_CLUSTER_LABEL] === target(link));
    if (mine.length > 1) {
      errors.push(`* too many service mirror controller deployments for Link ${target(link)}`);
      continue;
    }
    if (mine.length === 0) {
      errors.push(`* no service mirror controller deployment for Link ${target(link)}`);
      continue;
    }
    const d = mine[0]!;
    if ((d.status?.availableReplicas ?? 0) < 1) {
      errors.push(`* service mirror controller is not available: ${d.metadata.namespace}/${d.metadata.name}`);
    }
  }
  if (errors.length > 0) throw new Error(joinErrors(errors, 2));
  return links.map(bullet);
}

/**
 * Upstream's "extension is managing controllers": each Link's service mirror
 * should be a `controllers` entry of the extension (component=controller),
 * not a legacy `link` mirror (component=service-mirror). Like upstream, the
 * first matching Deployment in list order (namespace, name) decides, so during
 * a migration, while both run, the chart's `controller-NAME` counts.
 */
export async function checkLegacyController(env: CheckEnv): Promise<string[]> {
  const links = await env.validLinks();
  const deployments = await env.serviceMirrorDeployments();
  const errors: string[] = [];
  const managed: string[] = [];
  const order = (d: KubeObject) => `${d.metadata.namespace ?? ''}/${d.metadata.name ?? ''}`;
  for (const link of links) {
    const mine = deployments.filter((d) => labelsOf(d)[MIRROR_CLUSTER_LABEL] === target(link)).sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
    if (mine.length === 0) continue;
    if (labelsOf(mine[0]!).component === LEGACY_SERVICE_MIRROR_COMPONENT) {
      errors.push(`* using legacy service mirror controller for Link: ${target(link)}`);
      continue;
    }
    managed.push(bullet(link));
  }
  if (errors.length > 0) throw new Error(joinErrors(errors, 2));
  if (managed.length === 0) throw new SkipCheck('no links');
  return managed;
}
