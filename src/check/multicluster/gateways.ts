/**
 * Beyond upstream: each Link's gateway address, port, identity and probe port
 * still match the remote gateway Service (its node ports when it is of type
 * NodePort), and the local probe Service listens on the Link's probe port,
 * which the service mirror probes through (upstream #14451, #15670: NodePort
 * gateways, where the Link says the node port and the probe Service 4191).
 * And that gateway (Linkerd's, or an ingress made the gateway by
 * `mc adopt-gateway`) is one: probe port, address, meshed pods in gateway
 * mode whose ServiceAccount gives the identity it announces.
 */
import { KubeApiError } from '../../kube/client.js';
import { GATEWAY_IDENTITY_ANNOTATION, GATEWAY_PORT_NAME, MIRRORED_GATEWAY_LABEL } from '../../multicluster/names.js';
import { ENABLE_GATEWAY_ANNOTATION, gatewayIdentity } from '../../gateway-adoption/plan.js';
import type { CheckEnv } from '../env.js';
import { proxyContainer } from '../pods.js';
import { SkipCheck } from '../runner.js';
import type { Link, Pod, Service } from '../types.js';
import { errText, joinErrors, labelsOf, perLink, remoteReadProblem, target } from './shared.js';

/** The remote gateway Service of a Link (by the Link's identity, else the only one), or the error line. */
async function linkGateway(env: CheckEnv, link: Link): Promise<{ gw: Service; error?: undefined } | { gw?: undefined; error: string }> {
  const t = target(link);
  let remote: Service[];
  try {
    remote = await env.remoteServices(link);
  } catch (err) {
    return { error: remoteReadProblem(t, `list the services of ${t}`, err) };
  }
  const gateways = remote.filter((s) => (s.spec?.ports ?? []).some((p) => p.name === GATEWAY_PORT_NAME));
  const byIdentity = gateways.filter((s) => link.spec.gatewayIdentity && s.metadata.annotations?.[GATEWAY_IDENTITY_ANNOTATION] === link.spec.gatewayIdentity);
  const gw = byIdentity[0] ?? (gateways.length === 1 ? gateways[0] : undefined);
  if (gw) return { gw };
  return {
    error:
      gateways.length === 0
        ? `* ${t}: no gateway Service (one with a port named mc-gateway) found in ${t}`
        : `* ${t}: none of the gateway Services of ${t} (${gateways.map((g) => `${g.metadata.namespace}/${g.metadata.name}`).join(', ')}) has the Link's gateway identity ${link.spec.gatewayIdentity}`,
  };
}

export async function checkGatewayAddresses(env: CheckEnv): Promise<string[]> {
  const withGateway = (await env.validLinks()).filter((l) => l.spec.gatewayAddress);
  if (withGateway.length === 0) throw new SkipCheck('no links with a gateway');
  const localByCluster = await env.mirrorServicesByCluster();
  const results = await perLink(withGateway, async (link): Promise<{ error?: string; ok?: string }> => {
    const t = target(link);
    const { gw, error } = await linkGateway(env, link);
    if (!gw) return { error };
    const where = `Service ${gw.metadata.namespace}/${gw.metadata.name} in ${t}`;
    const nodePort = gw.spec?.type === 'NodePort';
    // A NodePort gateway is reached on node addresses (given with --gateway-addresses) and node ports.
    const portOf = (name: string) => {
      const p = gw.spec?.ports?.find((x) => x.name === name);
      return nodePort ? p?.nodePort : p?.port;
    };
    const kind = nodePort ? 'node port' : 'port';
    const actual = (gw.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname).filter((a): a is string => Boolean(a));
    const linked = (link.spec.gatewayAddress ?? '').split(',').map((a) => a.trim()).filter(Boolean);
    const problems: string[] = [];
    const missing = linked.filter((a) => !actual.includes(a));
    if (!nodePort && missing.length > 0) {
      problems.push(`the Link's gateway address ${missing.join(',')} is not an address of ${where} (${actual.length > 0 ? actual.join(',') : 'it has none'})`);
    }
    const port = portOf('mc-gateway');
    if (link.spec.gatewayPort && port !== undefined && String(port) !== String(link.spec.gatewayPort)) {
      problems.push(`the Link's gateway port ${link.spec.gatewayPort} differs from the mc-gateway ${kind} ${port} of ${where}`);
    }
    const probePort = portOf('mc-probe');
    const linkProbe = link.spec.probeSpec?.port;
    if (linkProbe && probePort !== undefined && String(probePort) !== String(linkProbe)) {
      problems.push(`the Link's probe port ${linkProbe} differs from the mc-probe ${kind} ${probePort} of ${where}`);
    }
    const identity = gw.metadata.annotations?.[GATEWAY_IDENTITY_ANNOTATION];
    if (link.spec.gatewayIdentity && identity && identity !== link.spec.gatewayIdentity) {
      problems.push(`the Link's gateway identity ${link.spec.gatewayIdentity} differs from ${identity} on ${where}`);
    }
    // The local probe Service: the mirror GETs http://PROBE-SERVICE:<Link's probe port><path>.
    const local = (localByCluster.get(t) ?? []).filter((s) => MIRRORED_GATEWAY_LABEL in labelsOf(s));
    for (const svc of local) {
      const listens = svc.spec?.ports?.find((x) => x.name === 'mc-probe')?.port;
      if (linkProbe && listens !== undefined && String(listens) !== String(linkProbe)) {
        const name = svc.metadata.name ?? '';
        const managed = !name.startsWith('probe-gateway-');
        return {
          error:
            `* ${t}: the probe Service ${svc.metadata.namespace}/${name} here listens on ${listens}, but the Link's probe port is ${linkProbe}${nodePort ? ` (the node port of the NodePort gateway ${where})` : ''}: ` +
            `the service mirror probes the gateway through that Service on the Link's port, so the probe never succeeds; ` +
            (managed
              ? `set the port in the link's controllers entry: mc install --set 'controllers[N].gateway.probe.port=${linkProbe}' (N: the entry of ${t})`
              : `run \`mc link\` again (it makes the probe Service listen on the Link's probe port)`),
        };
      }
    }
    if (problems.length > 0) return { error: `* ${t}: ${problems.join('; ')}; run \`mc link\` again` };
    return { ok: `\t* ${t}: ${linked.join(',')}:${link.spec.gatewayPort} (${gw.metadata.namespace}/${gw.metadata.name}${nodePort ? ', NodePort' : ''})` };
  });
  const errors = results.flatMap((r) => (r.error ? [r.error] : []));
  if (errors.length > 0) throw new Error(joinErrors(errors, 1).trimStart());
  return results.flatMap((r) => (r.ok ? [r.ok] : []));
}

/**
 * Each Link's remote gateway is a working multicluster gateway, checked the
 * same way for linkerd-gateway and for an adopted ingress: a port named
 * mc-probe, an address, ready pods with the Linkerd proxy in gateway mode
 * (config.linkerd.io/enable-gateway), and the gateway-identity annotation
 * equal to the identity of those pods' ServiceAccount.
 */
export async function checkGatewayWorkloads(env: CheckEnv): Promise<string[]> {
  const withGateway = (await env.validLinks()).filter((l) => l.spec.gatewayAddress);
  if (withGateway.length === 0) throw new SkipCheck('no links with a gateway');
  const results = await perLink(withGateway, async (link): Promise<{ error?: string; ok?: string }> => {
    const t = target(link);
    const { gw, error } = await linkGateway(env, link);
    if (!gw) return { error };
    const ns = gw.metadata.namespace ?? 'default';
    const where = `Service ${ns}/${gw.metadata.name} in ${t}`;
    const problems: string[] = [];
    if (!(gw.spec?.ports ?? []).some((p) => p.name === 'mc-probe')) problems.push(`${where} has no port named mc-probe`);
    const addresses = (gw.status?.loadBalancer?.ingress ?? []).filter((i) => i.ip || i.hostname);
    if (addresses.length === 0 && gw.spec?.type !== 'NodePort') problems.push(`${where} has no address (status.loadBalancer.ingress is empty)`);
    const selector = gw.spec?.selector ?? {};
    let pods: Pod[] | undefined;
    try {
      pods = Object.keys(selector).length === 0 ? [] : (await env.remotePods(link, ns)).filter((p) => Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v));
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 403)) return { error: remoteReadProblem(t, `list the pods of ${ns} in ${t}`, err) };
    }
    let identityNote = '';
    if (pods !== undefined) {
      if (pods.length === 0) problems.push(`${where} selects no pods`);
      const unmeshed = pods.filter((p) => !proxyContainer(p)).map((p) => p.metadata.name);
      if (unmeshed.length > 0) problems.push(`the gateway pods ${unmeshed.join(', ')} have no Linkerd proxy (inject them)`);
      const notGateway = pods.filter((p) => proxyContainer(p) && p.metadata.annotations?.[ENABLE_GATEWAY_ANNOTATION] !== 'true').map((p) => p.metadata.name);
      if (notGateway.length > 0) problems.push(`the proxies of ${notGateway.join(', ')} are not in gateway mode (${ENABLE_GATEWAY_ANNOTATION}: "true" on the pod template)`);
      const accounts = [...new Set(pods.map((p) => (p.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName || 'default'))];
      let trustDomain: string | undefined;
      try {
        trustDomain = (await env.remoteIdentity(link)).trustDomain;
      } catch (err) {
        problems.push(`cannot read the trust domain of ${t}: ${errText(err)}`);
      }
      const announced = gw.metadata.annotations?.[GATEWAY_IDENTITY_ANNOTATION];
      if (trustDomain && accounts.length > 0) {
        const lns = link.spec.targetClusterLinkerdNamespace || 'linkerd';
        const expected = accounts.map((sa) => gatewayIdentity(sa, ns, lns, trustDomain));
        if (!announced) problems.push(`${where} has no ${GATEWAY_IDENTITY_ANNOTATION} annotation (its pods are ${expected.join(', ')})`);
        else if (!expected.includes(announced)) problems.push(`${where} announces the identity ${announced}, but its pods run as ${expected.join(', ')}`);
        else identityNote = `, identity of ServiceAccount ${accounts.join(', ')}`;
      }
    } else {
      identityNote = ' (pods not readable with the Link\'s credentials)';
    }
    if (problems.length > 0) return { error: `* ${t}: ${problems.join('; ')}; fix the gateway (\`mc adopt-gateway\` for an ingress, \`mc install\` for Linkerd's)` };
    return { ok: `\t* ${t}: ${ns}/${gw.metadata.name}${pods ? `, ${pods.length} pod(s) in gateway mode` : ''}${identityNote}` };
  });
  const errors = results.flatMap((r) => (r.error ? [r.error] : []));
  if (errors.length > 0) throw new Error(joinErrors(errors, 1).trimStart());
  return results.flatMap((r) => (r.ok ? [r.ok] : []));
}
