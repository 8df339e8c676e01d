/**
 * `mc adopt-gateway`: read the live Deployment, Service and linkerd-config
 * (and, for Ambassador / Emissary-ingress, which getambassador.io versions
 * the cluster serves and the Module and probe Mapping there), plan what the
 * gateway needs (plan.ts), then print it or apply it by server-side apply.
 */
import { printResult, sayTo } from '../cli-kit.js';
import { McError } from '../errors.js';
import type { IO } from '../io.js';
import { isNotFound, KubeClient, type KubeObject } from '../kube/client.js';
import { servedGroups } from '../kube/discovery.js';
import { coreRef } from '../kube/resources.js';
import { applyObjects } from '../link/apply.js';
import { linkerdConfigRef, linkerdNotInstalled, linkerdSettings, type ConfigMapLike } from '../linkerd-config.js';
import { formatDocuments } from '../render/output.js';
import {
  AMBASSADOR_GROUP,
  AMBASSADOR_MODULE_NAME,
  looksLikeAmbassador,
  pickAmbassadorApiVersion,
  planAdoption,
  PROBE_MAPPING_NAME,
  type AdoptionPlan,
  type AmbassadorObjects,
  type DeploymentLike,
  type IngressKind,
  type ServiceLike,
} from './plan.js';

export interface AdoptGatewayOptions {
  kubeconfig?: string;
  context?: string;
  linkerdNamespace: string;
  verbose: boolean;
  /** Namespace of the Deployment and Service; default: the context's, else "default". */
  namespace?: string;
  deployment: string;
  service: string;
  /** auto: Ambassador / Emissary-ingress when the Deployment runs it, else generic. */
  ingress: 'auto' | IngressKind;
  gatewayPort: number;
  probePort: number;
  probePath?: string;
  probePeriodSeconds?: number;
  apply: boolean;
  output: 'yaml' | 'json';
}

async function getOr404<T>(p: Promise<T>, onMissing: () => McError): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err)) throw onMissing();
    throw err;
  }
}

/** Does the Service's selector pick the Deployment's pods? */
function selects(svc: ServiceLike, d: DeploymentLike): boolean {
  const sel = svc.spec?.selector ?? {};
  const labels = d.spec?.template?.metadata?.labels ?? {};
  return Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => labels[k] === v);
}

function describe(o: KubeObject): string {
  return `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`;
}

export async function runAdoptGateway(o: AdoptGatewayOptions, io: IO): Promise<number> {
  const say = sayTo(io.stderr);
  const log = (line: string) => {
    if (o.verbose) say(`[adopt-gateway] ${line}`);
  };
  const client = await KubeClient.connect({ kubeconfig: o.kubeconfig, context: o.context, env: io.env });
  const ctx = client.contextName;
  const ns = o.namespace ?? client.contextNamespace ?? 'default';
  const where = `namespace "${ns}" of context "${ctx}"`;
  try {
    log(`reading deploy/${o.deployment}, svc/${o.service} in ${ns}, ConfigMap ${o.linkerdNamespace}/linkerd-config and /apis from ${client.server}`);
    const [deployment, service, cm, groups] = await Promise.all([
      getOr404(client.get<DeploymentLike & KubeObject>({ apiVersion: 'apps/v1', resource: 'deployments', namespace: ns, name: o.deployment }), () =>
        new McError(`there is no Deployment "${o.deployment}" in ${where}`, 'Name the Deployment of your ingress (deploy/NAME) and its namespace (-n).'),
      ),
      getOr404(client.get<ServiceLike & KubeObject>(coreRef('services', ns, o.service)), () =>
        new McError(`there is no Service "${o.service}" in ${where}`, 'Name the Service that exposes your ingress (svc/NAME); it must be in the namespace of the Deployment.'),
      ),
      getOr404(client.get<ConfigMapLike>(linkerdConfigRef(o.linkerdNamespace)), () => linkerdNotInstalled(ctx, o.linkerdNamespace)),
      servedGroups(client),
    ]);
    const settings = linkerdSettings(cm, `ConfigMap linkerd-config in namespace "${o.linkerdNamespace}" of context "${ctx}"`, { defaultTrustDomain: 'cluster.local' });
    if (!selects(service, deployment)) {
      throw new McError(
        `Service "${o.service}" does not select the pods of Deployment "${o.deployment}" in ${where}`,
        'Name the Service that exposes this Deployment: its spec.selector must match the pod template labels.',
      );
    }

    const kind: IngressKind = o.ingress === 'auto' ? (looksLikeAmbassador(deployment) ? 'ambassador' : 'generic') : o.ingress;
    let ambassador: AmbassadorObjects | undefined;
    if (kind === 'ambassador') {
      const served = groups.get(AMBASSADOR_GROUP) ?? [];
      const apiVersion = pickAmbassadorApiVersion(served);
      if (!apiVersion) {
        throw new McError(
          `Deployment "${o.deployment}" runs Ambassador / Emissary-ingress, but context "${ctx}" serves no getambassador.io/v2 or v3alpha1 API${served.length > 0 ? ` (only ${served.join(', ')})` : ''}: the Module and probe Mapping cannot be written`,
          'Install its CRDs (Ambassador 1.x: getambassador.io/v2; Emissary-ingress 2.x/3.x: v3alpha1), or pass --ingress generic for the Deployment and Service part only.',
        );
      }
      log(`getambassador.io versions served: ${served.join(', ')}; writing ${apiVersion}`);
      const [module, mapping] = await Promise.all([
        client.getIfExists({ apiVersion, resource: 'modules', namespace: ns, name: AMBASSADOR_MODULE_NAME }),
        client.getIfExists({ apiVersion, resource: 'mappings', namespace: ns, name: PROBE_MAPPING_NAME }),
      ]);
      ambassador = { apiVersion, module, mapping };
    }
    log(`${kind === 'ambassador' ? 'Ambassador / Emissary-ingress' : 'generic ingress'}; trust domain ${settings.identityTrustDomain}; proxy ports inbound ${settings.proxyInboundPort}, admin ${settings.proxyAdminPort}`);

    const plan: AdoptionPlan = planAdoption({
      deployment,
      service,
      kind,
      trustDomain: settings.identityTrustDomain,
      linkerdNamespace: o.linkerdNamespace,
      proxyInboundPort: settings.proxyInboundPort,
      proxyAdminPort: settings.proxyAdminPort,
      gatewayPort: o.gatewayPort,
      probePort: o.probePort,
      probePath: o.probePath,
      probePeriodSeconds: o.probePeriodSeconds,
      ambassador,
    });
    const next = `Next: mc --context ${ctx} link --cluster-name NAME --gateway-name ${o.service} --gateway-namespace ${ns} | kubectl --context OTHER apply -f -`;

    if (plan.objects.length === 0) {
      say(`deploy/${o.deployment} and svc/${o.service} in ${where} already serve as the multicluster gateway (identity ${plan.identity}): nothing to change.`);
      say(next);
      return 0;
    }
    for (const p of plan.objects) say(`${describe(p.object)}: ${p.changes.join('; ')}`);
    const objects = plan.objects.map((p) => p.object);
    if (o.apply) {
      await applyObjects(objects, { kubeconfig: o.kubeconfig, context: ctx, env: io.env }, log, say);
      say(`The pods of deploy/${o.deployment} restart with the Linkerd proxy in gateway mode.`);
    } else {
      await printResult(io, formatDocuments(objects, o.output));
      say('Apply with: kubectl apply --server-side --field-manager mc -f - (or run again with --apply).');
    }
    say(next);
    return 0;
  } finally {
    client.close();
  }
}
