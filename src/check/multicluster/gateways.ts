/** Beyond upstream: each Link's gateway address, port and identity still match the remote gateway Service. */
import { GATEWAY_IDENTITY_ANNOTATION } from '../../multicluster-names.js';
import type { CheckEnv } from '../env.js';
import { SkipCheck } from '../runner.js';
import type { Service } from '../types.js';
import { joinErrors, perLink, remoteReadProblem, target } from './shared.js';

export async function checkGatewayAddresses(env: CheckEnv): Promise<string[]> {
  const withGateway = (await env.validLinks()).filter((l) => l.spec.gatewayAddress);
  if (withGateway.length === 0) throw new SkipCheck('no links with a gateway');
  const results = await perLink(withGateway, async (link): Promise<{ error?: string; ok?: string }> => {
    const t = target(link);
    let remote: Service[];
    try {
      remote = await env.remoteServices(link);
    } catch (err) {
      return { error: remoteReadProblem(t, `list the services of ${t}`, err) };
    }
    const gateways = remote.filter((s) => (s.spec?.ports ?? []).some((p) => p.name === 'mc-gateway'));
    const byIdentity = gateways.filter((s) => link.spec.gatewayIdentity && s.metadata.annotations?.[GATEWAY_IDENTITY_ANNOTATION] === link.spec.gatewayIdentity);
    const gw = byIdentity[0] ?? (gateways.length === 1 ? gateways[0] : undefined);
    if (!gw) {
      return {
        error:
          gateways.length === 0
            ? `* ${t}: no gateway Service (one with a port named mc-gateway) found in ${t}`
            : `* ${t}: none of the gateway Services of ${t} (${gateways.map((g) => `${g.metadata.namespace}/${g.metadata.name}`).join(', ')}) has the Link's gateway identity ${link.spec.gatewayIdentity}`,
      };
    }
    const where = `Service ${gw.metadata.namespace}/${gw.metadata.name} in ${t}`;
    const actual = (gw.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname).filter((a): a is string => Boolean(a));
    const linked = (link.spec.gatewayAddress ?? '').split(',').map((a) => a.trim()).filter(Boolean);
    const problems: string[] = [];
    const missing = linked.filter((a) => !actual.includes(a));
    if (missing.length > 0) {
      problems.push(`the Link's gateway address ${missing.join(',')} is not an address of ${where} (${actual.length > 0 ? actual.join(',') : 'it has none'})`);
    }
    const port = gw.spec?.ports?.find((p) => p.name === 'mc-gateway')?.port;
    if (link.spec.gatewayPort && port !== undefined && String(port) !== String(link.spec.gatewayPort)) {
      problems.push(`the Link's gateway port ${link.spec.gatewayPort} differs from the mc-gateway port ${port} of ${where}`);
    }
    const identity = gw.metadata.annotations?.[GATEWAY_IDENTITY_ANNOTATION];
    if (link.spec.gatewayIdentity && identity && identity !== link.spec.gatewayIdentity) {
      problems.push(`the Link's gateway identity ${link.spec.gatewayIdentity} differs from ${identity} on ${where}`);
    }
    if (problems.length > 0) return { error: `* ${t}: ${problems.join('; ')}; run \`mc link\` again` };
    return { ok: `\t* ${t}: ${linked.join(',')}:${link.spec.gatewayPort} (${gw.metadata.namespace}/${gw.metadata.name})` };
  });
  const errors = results.flatMap((r) => (r.error ? [r.error] : []));
  if (errors.length > 0) throw new Error(joinErrors(errors, 1).trimStart());
  return results.flatMap((r) => (r.ok ? [r.ok] : []));
}
