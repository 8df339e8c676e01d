/**
 * --apply-to: server-side apply (field manager `mc`) to another context, in
 * an order that never leaves a usable credential without its Link: the Link
 * first, then what is not a credential (the service mirror and its RBAC),
 * the credentials Secrets last. A failure stops before the next phase; what
 * was applied is reported as kubectl reports it (`secret/x
 * serverside-applied`), and a rerun resumes (applying is idempotent). What a
 * partial run left is found by `mc unlink --cluster-name NAME` even without
 * the Link.
 */
import { McError } from '../errors.js';
import { isNotFound, KubeClient, type ConnectSource, type KubeObject } from '../kube/client.js';

export const FIELD_MANAGER = 'mc';

/** kubectl's name of an object in its reports: secret/x, deployment.apps/x, link.multicluster.linkerd.io/x. */
export function kubectlName(o: KubeObject): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  return `${o.kind.toLowerCase()}${group ? `.${group}` : ''}/${o.metadata.name}`;
}

/** The apply phases: Links, then everything but credentials, then the Secrets (empty phases left out). */
export function applyPhases(objects: KubeObject[]): KubeObject[][] {
  const isSecret = (o: KubeObject) => o.apiVersion === 'v1' && o.kind === 'Secret';
  const links = objects.filter((o) => o.kind === 'Link');
  const rest = objects.filter((o) => o.kind !== 'Link' && !isSecret(o));
  const secrets = objects.filter(isSecret);
  return [links, rest, secrets].filter((p) => p.length > 0);
}

/** The cluster being linked, so that applying to that same cluster is refused. */
export interface LinkedCluster {
  context: string;
  /** Its API server as this machine reaches it, and as the credentials name it. */
  servers: string[];
}

function sameServer(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    return x.host.toLowerCase() === y.host.toLowerCase() && x.pathname.replace(/\/$/, '') === y.pathname.replace(/\/$/, '');
  } catch {
    return false;
  }
}

/** A Link from a cluster to itself mirrors every service onto itself: refused. */
export function refuseSelfLink(linked: LinkedCluster, targetContext: string, targetServer: string): void {
  if (linked.context === targetContext) {
    throw new McError(`refusing to link context "${linked.context}" to itself (--apply-to ${targetContext})`, 'Pass the context of the other cluster (the one that will mirror services) to --apply-to.');
  }
  const server = linked.servers.find((s) => sameServer(s, targetServer));
  if (server) {
    throw new McError(
      `refusing to link a cluster to itself: --apply-to context "${targetContext}" reaches the same API server (${targetServer}) as the linked context "${linked.context}"`,
      'Pass the context of the other cluster (the one that will mirror services) to --apply-to.',
    );
  }
}

/**
 * Apply `objects` to the target context phase by phase. `report` gets
 * kubectl's one line per applied or failed object (stderr); `log` the
 * --verbose lines.
 */
export async function applyObjects(
  objects: KubeObject[],
  target: ConnectSource & { context: string },
  log: (line: string) => void,
  report: (line: string) => void,
  linked?: LinkedCluster,
): Promise<void> {
  const client = await KubeClient.connect(target);
  try {
    if (linked) refuseSelfLink(linked, client.contextName, client.server);
    log(`applying ${objects.length} objects to context "${client.contextName}" (${client.server}) with field manager ${FIELD_MANAGER}: Links, then the service mirror and RBAC, then the credentials Secrets`);
    const phases = applyPhases(objects);
    let applied = 0;
    for (const [i, phase] of phases.entries()) {
      const results = await Promise.allSettled(phase.map((o) => client.apply(o, FIELD_MANAGER)));
      const failed: Array<{ name: string; err: Error }> = [];
      results.forEach((r, j) => {
        const o = phase[j]!;
        if (r.status === 'fulfilled') {
          applied++;
          report(`${kubectlName(o)} serverside-applied`);
          return;
        }
        const err = r.reason as Error;
        let why = err.message;
        if (isNotFound(err) && o.kind === 'Link') why += ' (is the multicluster extension installed there? `mc install`)';
        report(`Error: ${kubectlName(o)}: ${why}`);
        failed.push({ name: kubectlName(o), err });
      });
      if (failed.length > 0) {
        const notTried = phases.slice(i + 1).flat().map(kubectlName);
        const first = failed[0]!.err;
        const linkName = objects.find((o) => o.kind === 'Link')?.metadata.name ?? 'NAME';
        throw new McError(
          `${applied} of ${objects.length} objects applied to context "${client.contextName}"; failed: ${failed.map((f) => f.name).join(', ')}` +
            (notTried.length ? `; not applied (so no credentials without their Link): ${notTried.join(', ')}` : ''),
          `${first instanceof McError && first.hint ? `${first.hint} ` : ''}Fix the cause and run the same command again: applying is idempotent and resumes. To remove what was applied instead: \`mc --context ${client.contextName} unlink --cluster-name ${linkName} | kubectl --context ${client.contextName} delete -f -\`.`,
        );
      }
    }
  } finally {
    client.close();
  }
}
