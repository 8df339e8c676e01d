/**
 * `mc link` from flags to output: check the flags, read the cluster being
 * linked in one parallel round (linkerd-config, the token Secrets, the
 * gateway Service), build the credentials, the Link and the service mirror,
 * then print them or apply them to --apply-to.
 */
import { say, printResult, type GlobalOptions } from '../cli-kit.js';
import { McError, UsageError } from '../errors.js';
import { KubeApiError, KubeClient, type KubeObject } from '../kube/client.js';
import type { LinkFlags } from '../commands/link.js';
import { checkClusterName, suggestClusterName } from './cluster-name.js';
import { coreRef, secretRef } from '../kube/resources.js';
import { linkerdConfigRef, linkerdNotInstalled, linkerdSettings, type ConfigMapLike } from '../linkerd-config.js';
import { findServiceAccountToken, TokenNotFound, type SecretLike } from './cluster-facts.js';
import { gatewaySpec, type GatewayService } from './gateway.js';
import { buildLinkObjects } from './link.js';
import { DEFAULT_REGISTRY, DEFAULT_SELECTOR, REGISTRY_ENV, SA_TOKEN_TYPE } from './names.js';
import { outputFormatOf } from './output.js';
import { formatDocuments } from '../render/output.js';
import { buildRemoteKubeconfig } from './remote-kubeconfig.js';
import { parseLabelSelector } from './selector.js';
import { renderServiceMirror, serviceMirrorValues, type ServiceMirrorInput } from './service-mirror.js';
import { applyObjects } from './apply.js';

const LOG_LEVELS = ['panic', 'fatal', 'error', 'warn', 'warning', 'info', 'debug', 'trace'];
const VERSION_RE = /^[.a-zA-Z0-9-]+$/;

function uint(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > 0xffffffff) throw new UsageError(`invalid ${flag} "${value}": want a non-negative integer`);
  return Number(value);
}

function splitList(items: string[]): string[] {
  return items.flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

/** Flag checks that need no cluster: all usage errors come before any request. */
export function checkLinkFlags(f: LinkFlags, env: NodeJS.ProcessEnv = process.env) {
  const output = outputFormatOf(f.output);
  const version = f.controlPlaneVersion ?? f.linkerdVersion;
  if (!VERSION_RE.test(version)) throw new UsageError(`invalid --linkerd-version "${version}": only letters, digits, "." and "-" are allowed`);
  if (!f.namespace) throw new UsageError('--namespace must not be empty');
  if (!LOG_LEVELS.includes(f.logLevel.toLowerCase())) throw new UsageError(`invalid --log-level "${f.logLevel}"`, 'Use one of: panic, fatal, error, warn, info, debug, trace.');
  if (f.logFormat !== 'plain' && f.logFormat !== 'json') throw new UsageError(`invalid --log-format "${f.logFormat}"`, 'Use plain or json.');
  const retryLimit = uint(f.serviceMirrorRetryLimit, '--service-mirror-retry-limit')!;
  const gatewayPort = uint(f.gatewayPort, '--gateway-port');
  if (gatewayPort !== undefined && gatewayPort > 65535) throw new UsageError(`invalid --gateway-port "${f.gatewayPort}": want 1-65535`);
  if (!f.gateway) {
    if (f.selector !== '' && f.selector !== DEFAULT_SELECTOR) throw new UsageError('--selector and --gateway=false are mutually exclusive', 'Without a gateway, services are mirrored by --remote-discovery-selector.');
    if (f.gatewayAddresses) throw new UsageError('--gateway-addresses and --gateway=false are mutually exclusive');
    if (gatewayPort) throw new UsageError('--gateway-port and --gateway=false are mutually exclusive');
  }
  const clusterName = f.clusterName === undefined ? undefined : checkClusterName(f.clusterName);
  return {
    output,
    version,
    retryLimit,
    gatewayPort: gatewayPort || undefined,
    clusterName,
    registry: f.registry ?? (env[REGISTRY_ENV] || DEFAULT_REGISTRY),
    selector: parseLabelSelector(f.selector, '--selector'),
    remoteDiscoverySelector: parseLabelSelector(f.remoteDiscoverySelector, '--remote-discovery-selector'),
    federatedServiceSelector: parseLabelSelector(f.federatedServiceSelector, '--federated-service-selector'),
    excludedLabels: splitList(f.excludedLabels),
    excludedAnnotations: splitList(f.excludedAnnotations),
  };
}

function settled<T>(r: PromiseSettledResult<T>): T {
  if (r.status === 'rejected') throw r.reason;
  return r.value;
}

export async function runLink(f: LinkFlags, g: GlobalOptions): Promise<void> {
  const o = checkLinkFlags(f);
  const log = (line: string) => {
    if (g.verbose) say(`[link] ${line}`);
  };
  const mirrorInput: Omit<ServiceMirrorInput, 'clusterName'> = {
    namespace: f.namespace,
    version: o.version,
    registry: o.registry,
    logLevel: f.logLevel,
    logFormat: f.logFormat,
    retryLimit: o.retryLimit,
    gateway: f.gateway,
    ha: f.ha,
    valueOptions: { values: f.values, set: f.set, setString: f.setString, setFile: f.setFile },
  };
  // Bad values are usage errors before anything touches a cluster.
  serviceMirrorValues({ ...mirrorInput, clusterName: o.clusterName ?? 'check' });

  const client = await KubeClient.connect({ kubeconfig: g.kubeconfig, context: g.context });
  const ctx = client.contextName;
  const where = (ns: string) => `namespace "${ns}" of context "${ctx}"`;
  try {
    let clusterName = o.clusterName;
    if (clusterName === undefined) {
      clusterName = suggestClusterName(ctx);
      if (!clusterName) throw new UsageError(`cannot make a cluster name from context "${ctx}"`, 'Pass --cluster-name NAME.');
      checkClusterName(clusterName);
      say(`Using cluster name "${clusterName}" (from context "${ctx}"); pass --cluster-name to choose another.`);
    }

    log(`reading ConfigMap ${g.linkerdNamespace}/linkerd-config, ${SA_TOKEN_TYPE} Secrets in ${f.namespace}${f.gateway ? `, Service ${f.gatewayNamespace}/${f.gatewayName}` : ''} from ${client.server}`);
    const [cmR, secretsR, gwR] = await Promise.allSettled([
      client.get<ConfigMapLike>(linkerdConfigRef(g.linkerdNamespace)),
      client.list<SecretLike>(secretRef(f.namespace), { fieldSelector: `type=${SA_TOKEN_TYPE}` }),
      f.gateway ? client.get<GatewayService>(coreRef('services', f.gatewayNamespace, f.gatewayName)) : Promise.resolve(undefined),
    ]);

    let cm: ConfigMapLike;
    try {
      cm = settled(cmR);
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) {
        throw linkerdNotInstalled(ctx, g.linkerdNamespace);
      }
      throw err;
    }
    const settings = linkerdSettings(cm, `ConfigMap linkerd-config in ${where(g.linkerdNamespace)}`, { defaultTrustDomain: 'cluster.local' });
    const facts = { trustDomain: settings.identityTrustDomain, clusterDomain: settings.clusterDomain };
    log(`linkerd-config: trust domain ${facts.trustDomain}, cluster domain ${facts.clusterDomain}`);

    const secrets = settled(secretsR);
    const allowHint = `Create it in the cluster being linked: \`mc --context ${ctx} allow --service-account-name ${f.serviceAccountName}${f.namespace !== 'linkerd-multicluster' ? ` --namespace ${f.namespace}` : ''} | kubectl --context ${ctx} apply -f -\` (\`mc install\` creates the default one), or pass --service-account-name.`;
    let token: string;
    try {
      token = findServiceAccountToken(secrets, f.serviceAccountName, where(f.namespace), allowHint);
    } catch (err) {
      if (!(err instanceof TokenNotFound)) throw err;
      // Only on this error path: does the account exist at all?
      const sa = await client.getIfExists(coreRef('serviceaccounts', f.namespace, f.serviceAccountName)).catch(() => undefined);
      if (!sa) throw new McError(`the remote-access service account "${f.serviceAccountName}" does not exist in ${where(f.namespace)}`, allowHint);
      throw err;
    }
    log(`found the token Secret of service account ${f.namespace}/${f.serviceAccountName} (${secrets.length} token Secret(s) listed)`);

    let gateway;
    if (f.gateway) {
      let svc: GatewayService | undefined;
      try {
        svc = settled(gwR);
      } catch (err) {
        if (err instanceof KubeApiError && err.code === 404) {
          throw new McError(
            `there is no gateway Service "${f.gatewayName}" in ${where(f.gatewayNamespace)}`,
            'Install the gateway (`mc install`), point --gateway-name/--gateway-namespace at your gateway (e.g. Ambassador), or link without a gateway with --gateway=false.',
          );
        }
        throw err;
      }
      gateway = gatewaySpec(svc!, { addresses: f.gatewayAddresses, port: o.gatewayPort, trustDomain: facts.trustDomain, context: ctx });
      log(`gateway ${f.gatewayNamespace}/${f.gatewayName}: ${gateway.gatewayAddress}:${gateway.gatewayPort}, identity ${gateway.gatewayIdentity}, probe ${gateway.probeSpec.path} on ${gateway.probeSpec.port} every ${gateway.probeSpec.period}`);
    }

    const remote = buildRemoteKubeconfig({ local: client.kubeconfig, contextName: ctx, serviceAccountName: f.serviceAccountName, token, apiServerAddress: f.apiServerAddress });
    log(`kubeconfig for the linking cluster: server ${remote.server}, user ${f.serviceAccountName} (service account token)`);

    const linkObjects = buildLinkObjects(facts, remote.text, {
      clusterName,
      namespace: f.namespace,
      linkerdNamespace: g.linkerdNamespace,
      createdBy: `linkerd/cli ${o.version}`,
      selector: o.selector,
      remoteDiscoverySelector: o.remoteDiscoverySelector,
      federatedServiceSelector: o.federatedServiceSelector,
      excludedLabels: o.excludedLabels,
      excludedAnnotations: o.excludedAnnotations,
      gateway,
    });
    const mirror = await renderServiceMirror({ ...mirrorInput, clusterName });

    if (f.applyTo) {
      const all: KubeObject[] = [...linkObjects, ...mirror.map((d) => d.object as KubeObject)];
      await applyObjects(all, { kubeconfig: g.kubeconfig, context: f.applyTo }, log);
      return;
    }
    await printResult(formatDocuments([...linkObjects, ...mirror], o.output));
  } finally {
    client.close();
  }
}
