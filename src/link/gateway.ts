/**
 * The gateway part of a Link, read from the gateway Service of the cluster
 * being linked: addresses from status.loadBalancer.ingress (or
 * --gateway-addresses), the port named mc-gateway (or --gateway-port), the
 * probe from the mc-probe port and the probe annotations, the identity from
 * mirror.linkerd.io/gateway-identity. What is missing is reported all at once,
 * each with its fix.
 */
import { McError } from '../errors.js';
import { isGoDuration, secondsToGoDuration } from '../duration.js';
import {
  GATEWAY_PORT_NAME,
  PROBE_PATH_ANNOTATION,
  PROBE_PERIOD_ANNOTATION,
  PROBE_PORT_NAME,
} from '../multicluster/names.js';
import { GATEWAY_IDENTITY_ANNOTATION } from '../multicluster/names.js';

export interface ServicePort {
  name?: string;
  port?: number;
  nodePort?: number;
}

export interface GatewayService {
  metadata: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: { type?: string; ports?: ServicePort[] };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

export interface ProbeSpec {
  path: string;
  port: string;
  period: string;
}

export interface GatewaySpec {
  gatewayAddress: string;
  gatewayPort: string;
  gatewayIdentity: string;
  probeSpec: ProbeSpec;
}

export interface GatewayOverrides {
  /** --gateway-addresses (comma separated); wins over the Service's ingress. */
  addresses?: string;
  /** --gateway-port; wins over the mc-gateway port. */
  port?: number;
  /** For the identity hint: the trust domain of the cluster. */
  trustDomain?: string;
  /** For messages: the context the Service was read from. */
  context?: string;
}

function portOf(svc: GatewayService, name: string): number | undefined {
  const p = (svc.spec?.ports ?? []).find((x) => x.name === name);
  if (!p) return undefined;
  return svc.spec?.type === 'NodePort' ? p.nodePort : p.port;
}

export function gatewaySpec(svc: GatewayService, o: GatewayOverrides = {}): GatewaySpec {
  const name = svc.metadata.name ?? '?';
  const ns = svc.metadata.namespace ?? '?';
  const ann = svc.metadata.annotations ?? {};
  const problems: string[] = [];
  const kubectl = `kubectl${o.context ? ` --context ${o.context}` : ''} -n ${ns}`;

  let address = (o.addresses ?? '').split(',').map((a) => a.trim()).filter((a) => a !== '').join(',');
  if (address === '') {
    address = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter((a) => a !== '').join(',');
  }
  if (address === '') {
    problems.push(
      `no address: status.loadBalancer.ingress is empty${svc.spec?.type && svc.spec.type !== 'LoadBalancer' ? ` (the Service is of type ${svc.spec.type})` : ''}. ` +
        'Fix: wait until the load balancer has an address, or pass --gateway-addresses ADDR[,ADDR...] (for a NodePort gateway: node addresses).',
    );
  }

  let port = o.port;
  if (!port) {
    port = portOf(svc, GATEWAY_PORT_NAME);
    if (!port) {
      problems.push(`no gateway port: spec.ports has no port named "${GATEWAY_PORT_NAME}"${svc.spec?.type === 'NodePort' ? ' with a nodePort' : ''}. Fix: name the port that carries multicluster traffic "${GATEWAY_PORT_NAME}", or pass --gateway-port PORT.`);
    }
  }

  const identity = ann[GATEWAY_IDENTITY_ANNOTATION] ?? '';
  if (identity === '') {
    const example = `SERVICE-ACCOUNT.${ns}.serviceaccount.identity.linkerd.${o.trustDomain ?? 'cluster.local'}`;
    problems.push(`no identity: annotation ${GATEWAY_IDENTITY_ANNOTATION} is missing. Fix: ${kubectl} annotate svc/${name} ${GATEWAY_IDENTITY_ANNOTATION}=${example} (the identity of the gateway's pods).`);
  }

  const path = ann[PROBE_PATH_ANNOTATION] ?? '';
  if (path === '') {
    problems.push(`no probe path: annotation ${PROBE_PATH_ANNOTATION} is missing. Fix: ${kubectl} annotate svc/${name} ${PROBE_PATH_ANNOTATION}=/ready`);
  }
  const probePort = portOf(svc, PROBE_PORT_NAME);
  if (!probePort) {
    problems.push(`no probe port: spec.ports has no port named "${PROBE_PORT_NAME}". Fix: add the gateway's probe port (4191 for Linkerd's gateway) to the Service under the name "${PROBE_PORT_NAME}".`);
  }
  const rawPeriod = (ann[PROBE_PERIOD_ANNOTATION] ?? '').trim();
  let period = rawPeriod;
  if (/^-?\d+$/.test(rawPeriod)) {
    period = secondsToGoDuration(Number(rawPeriod));
  } else if (!isGoDuration(rawPeriod)) {
    problems.push(
      rawPeriod === ''
        ? `no probe period: annotation ${PROBE_PERIOD_ANNOTATION} is missing. Fix: ${kubectl} annotate svc/${name} ${PROBE_PERIOD_ANNOTATION}=3`
        : `bad probe period: annotation ${PROBE_PERIOD_ANNOTATION} is "${rawPeriod}", neither seconds nor a duration. Fix: set it to a number of seconds, e.g. 3.`,
    );
  }

  if (problems.length > 0) {
    throw new McError(
      `the gateway Service "${name}" in namespace "${ns}"${o.context ? ` (context "${o.context}")` : ''} cannot be used for a Link:\n  - ${problems.join('\n  - ')}`,
      'Point --gateway-name/--gateway-namespace at the gateway Service, or link without a gateway (flat network) with --gateway=false.',
    );
  }
  return {
    gatewayAddress: address,
    gatewayPort: String(port),
    gatewayIdentity: identity,
    probeSpec: { path, port: String(probePort), period },
  };
}
