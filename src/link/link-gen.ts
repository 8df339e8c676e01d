/**
 * What both `link-gen` (the current upstream flow) and the legacy `link`
 * produce from the cluster being linked: the two credentials Secrets and the
 * Link. One parallel round of reads (linkerd-config, the token Secrets, the
 * gateway Service), every problem collected and reported at once, then the
 * pure builders of link.ts.
 *
 * `linkGenObjects(client, options)` is the entry point for commands that link
 * many clusters (connect): a client for the cluster being linked and typed
 * options in, objects out; nothing printed.
 */
import { McError, UsageError } from '../errors.js';
import { isNotFound, type KubeClient, type KubeObject } from '../kube/client.js';
import { coreRef, secretRef } from '../kube/resources.js';
import { linkerdConfigRef, linkerdNotInstalled, linkerdSettings, type ConfigMapLike } from '../linkerd-config.js';
import { DEFAULT_MULTICLUSTER_NAMESPACE } from '../multicluster/names.js';
import { LINKERD_VERSION } from '../version.js';
import { checkClusterName, suggestClusterName } from './cluster-name.js';
import { findServiceAccountToken, TokenNotFound, type SecretLike } from './cluster-facts.js';
import { gatewaySpec, type GatewayService, type GatewaySpec } from './gateway.js';
import { buildLinkObjects, type LinkerdFacts } from './link.js';
import { SA_TOKEN_TYPE } from '../multicluster/names.js';
import { buildRemoteKubeconfig, type RemoteKubeconfig } from './remote-kubeconfig.js';
import type { LabelSelector } from '../multicluster/selectors.js';

/** The gateway Service a Link points at (absent with --gateway=false). */
export interface GatewayRef {
  name: string;
  namespace: string;
  /** --gateway-addresses (comma separated): wins over the Service's load balancer ingress. */
  addresses?: string;
  /** --gateway-port: wins over the port named mc-gateway. */
  port?: number;
}

/** Everything that decides the Secrets and the Link (upstream's linkGenOptions). */
export interface LinkGenOptions {
  /** The Link's name; undefined: the context name made a DNS-1123 label. */
  clusterName?: string;
  /** Namespace of the Link, the first Secret and the remote-access account (--namespace). */
  namespace: string;
  /** The Linkerd namespace (-L): the second Secret and the Link's targetClusterLinkerdNamespace. */
  linkerdNamespace: string;
  apiServerAddress?: string;
  /** --insecure-skip-tls-verify: copy the context's insecure-skip-tls-verify into the credentials (refused otherwise). */
  insecureSkipTlsVerify?: boolean;
  serviceAccountName: string;
  /** Undefined: link without a gateway (--gateway=false). */
  gateway?: GatewayRef;
  selector: LabelSelector;
  remoteDiscoverySelector: LabelSelector;
  federatedServiceSelector: LabelSelector;
  excludedLabels: string[];
  excludedAnnotations: string[];
  /** The Linkerd version in the Link's `linkerd.io/created-by` ("linkerd/cli VERSION"); default the one mc targets. */
  linkerdVersion?: string;
  /**
   * Whether the extension's `controllers` entry makes the probe Service (link-gen, the default),
   * so a probe port other than its default is warned about; `link` renders its own that agrees.
   */
  chartProbeService?: boolean;
}

/** controllerDefaults.gateway.probe.port of the multicluster chart: where the chart's probe-NAME Service listens. */
export const CHART_PROBE_PORT = '4191';

/** What link-gen reads the cluster being linked through: a client, or connect's reads shared by every pair of one target. */
export type LinkGenSource = Pick<KubeClient, 'contextName' | 'server' | 'kubeconfig' | 'get' | 'getIfExists' | 'list'>;

export interface LinkGenResult {
  clusterName: string;
  /** Whether clusterName came from the context (the caller says so). */
  clusterNameFromContext: boolean;
  /** [credentials Secret in --namespace, credentials Secret in the Linkerd namespace, Link]. */
  objects: KubeObject[];
  /** Things the user should know (said on stderr by the caller); never secrets. */
  warnings: string[];
  /** What was read, for --verbose; never the token. */
  facts: LinkerdFacts;
  gateway?: GatewaySpec;
  server: string;
}

/** The cluster name: the option, else the context's name made a DNS-1123 label. */
export function resolveClusterName(name: string | undefined, contextName: string): { name: string; fromContext: boolean } {
  if (name !== undefined) return { name: checkClusterName(name), fromContext: false };
  const suggested = suggestClusterName(contextName);
  if (!suggested) throw new UsageError(`cannot make a cluster name from context "${contextName}"`, 'Pass --cluster-name NAME.');
  return { name: checkClusterName(suggested), fromContext: true };
}

const LOOPBACK_HOSTS = /^(localhost|.*\.localhost|127(\.\d{1,3}){3}|\[?::1\]?|0\.0\.0\.0|\[?::\]?)$/i;

/**
 * A server address the other cluster cannot reach: the loopback addresses
 * kind, k3d and minikube write into kubeconfigs. Undefined when it looks fine.
 */
export function loopbackWarning(server: string, contextName: string, fromFlag: boolean): string | undefined {
  let host: string;
  try {
    host = new URL(server).hostname;
  } catch {
    return undefined;
  }
  if (!LOOPBACK_HOSTS.test(host)) return undefined;
  return (
    `the API server address ${server}${fromFlag ? ' (--api-server-address)' : ` (context "${contextName}")`} is a loopback address: ` +
    'the linking cluster cannot reach it unless both run on this machine. ' +
    'Pass --api-server-address https://HOST:PORT with an address the other cluster reaches (for kind: the control-plane container\'s address on the docker network, e.g. https://east-control-plane:6443).'
  );
}

function settled<T>(r: PromiseSettledResult<T>): T {
  if (r.status === 'rejected') throw r.reason;
  return r.value;
}

/** Several problems as one error: each with its own fix. */
function allProblems(problems: McError[], contextName: string): McError {
  if (problems.length === 1) return problems[0]!;
  const lines = problems.map((p) => `  - ${p.message}${p.hint ? `\n    Fix: ${p.hint}` : ''}`);
  return new McError(`${problems.length} problems in context "${contextName}" prevent the link:\n${lines.join('\n')}`, 'Fix each of them and run the command again.');
}

/**
 * Read the cluster being linked and build the credentials Secrets and the
 * Link. Every problem found (no Linkerd, no token, an unusable gateway) is
 * reported at once; errors that are not the user's to fix (a request that
 * fails for another reason) are thrown as they come.
 */
export async function linkGenObjects(client: LinkGenSource, o: LinkGenOptions, log: (line: string) => void = () => {}): Promise<LinkGenResult> {
  const ctx = client.contextName;
  const cluster = resolveClusterName(o.clusterName, ctx);
  const where = (ns: string) => `namespace "${ns}" of context "${ctx}"`;
  const gw = o.gateway;

  log(`reading ConfigMap ${o.linkerdNamespace}/linkerd-config, ${SA_TOKEN_TYPE} Secrets in ${o.namespace}${gw ? `, Service ${gw.namespace}/${gw.name}` : ''} from ${client.server}`);
  const [cmR, secretsR, gwR] = await Promise.allSettled([
    client.get<ConfigMapLike>(linkerdConfigRef(o.linkerdNamespace)),
    client.list<SecretLike>(secretRef(o.namespace), { fieldSelector: `type=${SA_TOKEN_TYPE}` }),
    gw ? client.get<GatewayService>(coreRef('services', gw.namespace, gw.name)) : Promise.resolve(undefined),
  ]);
  // A failure that is the same for every read (unreachable, unauthorized) is said once.
  const problems: McError[] = [];
  const problem = (err: unknown) => {
    if (!(err instanceof McError)) throw err;
    if (!problems.some((p) => p.message === err.message)) problems.push(err);
  };

  let facts: LinkerdFacts | undefined;
  try {
    let cm: ConfigMapLike;
    try {
      cm = settled(cmR);
    } catch (err) {
      if (isNotFound(err)) throw linkerdNotInstalled(ctx, o.linkerdNamespace);
      throw err;
    }
    const settings = linkerdSettings(cm, `ConfigMap linkerd-config in ${where(o.linkerdNamespace)}`, { defaultTrustDomain: 'cluster.local' });
    facts = { trustDomain: settings.identityTrustDomain, clusterDomain: settings.clusterDomain };
    log(`linkerd-config: trust domain ${facts.trustDomain}, cluster domain ${facts.clusterDomain}`);
  } catch (err) {
    problem(err);
  }

  let token: string | undefined;
  try {
    const secrets = settled(secretsR);
    const allow = (extra: string) =>
      `\`mc --context ${ctx} allow --service-account-name ${o.serviceAccountName}${o.namespace !== DEFAULT_MULTICLUSTER_NAMESPACE ? ` --namespace ${o.namespace}` : ''}${extra} | kubectl --context ${ctx} apply -f -\``;
    // The account exists but its token Secret is gone: `allow` refuses an existing account (as upstream's)
    // unless --ignore-cluster, and applying its objects again is idempotent: the account and RBAC stay, the Secret comes back.
    const tokenHint = `Re-create it in the cluster being linked: ${allow(' --ignore-cluster')} (the account and its RBAC are applied unchanged, the token Secret anew; Kubernetes fills its token in), or pass --service-account-name.`;
    try {
      token = findServiceAccountToken(secrets, o.serviceAccountName, where(o.namespace), tokenHint);
    } catch (err) {
      if (!(err instanceof TokenNotFound)) throw err;
      // Only on this error path: does the account exist at all?
      const sa = await client.getIfExists(coreRef('serviceaccounts', o.namespace, o.serviceAccountName)).catch(() => undefined);
      if (!sa) {
        throw new McError(
          `the remote-access service account "${o.serviceAccountName}" does not exist in ${where(o.namespace)}`,
          `Create it in the cluster being linked: ${allow('')} (\`mc install\` creates the default one), or pass --service-account-name.`,
        );
      }
      throw err;
    }
    log(`found the token Secret of service account ${o.namespace}/${o.serviceAccountName} (${secrets.length} token Secret(s) listed)`);
  } catch (err) {
    problem(err);
  }

  let gateway: GatewaySpec | undefined;
  if (gw) {
    try {
      let svc: GatewayService | undefined;
      try {
        svc = settled(gwR);
      } catch (err) {
        if (isNotFound(err)) {
          throw new McError(
            `there is no gateway Service "${gw.name}" in ${where(gw.namespace)}`,
            'Install the gateway (`mc install`), point --gateway-name/--gateway-namespace at your gateway (e.g. Ambassador), or link without a gateway with --gateway=false.',
          );
        }
        throw err;
      }
      gateway = gatewaySpec(svc!, { addresses: gw.addresses, port: gw.port, trustDomain: facts?.trustDomain, context: ctx });
      log(`gateway ${gw.namespace}/${gw.name}: ${gateway.gatewayAddress}:${gateway.gatewayPort}, identity ${gateway.gatewayIdentity}, probe ${gateway.probeSpec.path} on ${gateway.probeSpec.port} every ${gateway.probeSpec.period}`);
    } catch (err) {
      problem(err);
    }
  }

  let remote: RemoteKubeconfig | undefined;
  try {
    // The kubeconfig is built (and checked) even when a read failed, so its problems are reported too.
    remote = buildRemoteKubeconfig({ local: client.kubeconfig, contextName: ctx, serviceAccountName: o.serviceAccountName, token: token ?? '', apiServerAddress: o.apiServerAddress, allowInsecureSkipTlsVerify: o.insecureSkipTlsVerify });
  } catch (err) {
    problem(err);
  }
  if (problems.length > 0) throw allProblems(problems, ctx);
  log(`kubeconfig for the linking cluster: server ${remote!.server}, user ${o.serviceAccountName} (service account token)`);

  const warnings: string[] = [];
  const loopback = loopbackWarning(remote!.server, ctx, Boolean(o.apiServerAddress));
  if (loopback) warnings.push(loopback);
  if (gateway && o.chartProbeService !== false && gateway.probeSpec.port !== CHART_PROBE_PORT) {
    // The service mirror probes the gateway through its local probe Service on the Link's port
    // (upstream #14451, #15670: NodePort gateways). The chart's Service listens on 4191 unless told.
    const p = gateway.probeSpec.port;
    warnings.push(
      `the Link's probe port is ${p} (for a NodePort gateway, its node port), but the probe Service probe-${cluster.name} that the multicluster extension makes for this link listens on ${CHART_PROBE_PORT} unless told otherwise, and the service mirror probes the gateway through it on the Link's port. ` +
        `In the linking cluster, give the controllers entry of ${cluster.name} that port: mc install --set 'controllers[N].link.ref.name=${cluster.name}' --set 'controllers[N].gateway.probe.port=${p}' (N: the entry's index); \`mc check\` says when they differ.`,
    );
  }

  const objects = buildLinkObjects(facts!, remote!.text, {
    clusterName: cluster.name,
    namespace: o.namespace,
    linkerdNamespace: o.linkerdNamespace,
    createdBy: `linkerd/cli ${o.linkerdVersion ?? LINKERD_VERSION}`,
    selector: o.selector,
    remoteDiscoverySelector: o.remoteDiscoverySelector,
    federatedServiceSelector: o.federatedServiceSelector,
    excludedLabels: o.excludedLabels,
    excludedAnnotations: o.excludedAnnotations,
    gateway,
  });
  return { clusterName: cluster.name, clusterNameFromContext: cluster.fromContext, objects, warnings, facts: facts!, gateway, server: remote!.server };
}
