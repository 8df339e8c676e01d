/**
 * `mc connect`'s preflight: read every cluster of the plan at once (each
 * within its deadline), then decide, purely, every problem that would make a
 * pair fail — all of them, each with its fix — before anything is written.
 */
import type { CertificateInfo } from '../certs/inspect.js';
import { parsePemBundle } from '../check/certs.js';
import { CheckEnv } from '../check/env.js';
import type { Service } from '../check/types.js';
import { KubeClient, unlessNotFound } from '../kube/client.js';
import type { Env } from '../io.js';
import { coreRef } from '../kube/resources.js';
import type { LoadedKubeconfig } from '../kube/kubeconfig.js';
import { linkerdConfig } from '../linkerd-config.js';
import { DEFAULT_GATEWAY_NAME, DEFAULT_MULTICLUSTER_NAMESPACE, GATEWAY_IDENTITY_ANNOTATION, MIRRORED_SERVICE_LABEL } from '../multicluster/names.js';
import { GATEWAY_PORT_NAME } from '../multicluster/names.js';
import { clusterNameOf, describePair, type Pair } from './plan.js';

export interface GatewayFact {
  namespace: string;
  name: string;
  /** Load balancer addresses, comma separated; undefined while it has none. */
  address?: string;
}

export interface ClusterFacts {
  context: string;
  clusterName: string;
  /** The API server address in the kubeconfig. */
  server: string;
  /** The cluster could not be read at all. */
  error?: string;
  linkerdInstalled: boolean;
  /** What install renders from linkerd-config (for --install and the managed controllers). */
  settings?: { identityTrustDomain: string; proxyOutboundPort: number; cniEnabled: boolean };
  anchors: CertificateInfo[];
  /** Where the anchors were read (for messages). */
  anchorsSource?: string;
  /** Namespace labelled linkerd.io/extension=multicluster and the Link CRD both there. */
  extensionInstalled: boolean;
  /** The gateway other clusters reach this one through; undefined: none found. */
  gateway?: GatewayFact;
  /** Several Services look like a gateway and none is linkerd-gateway. */
  gatewayCandidates: string[];
  /** ServiceAccounts in linkerd-multicluster (remote-access accounts among them). */
  accounts: string[];
}

export interface FactsOptions {
  kubeconfig?: string;
  /** That kubeconfig, already loaded (read once per run). */
  loaded?: LoadedKubeconfig;
  /** $KUBECONFIG and $HOME. */
  env: Env;
  linkerdNamespace: string;
  timeoutMs: number;
  /** --gateway CTX=NAMESPACE/NAME: the gateway of a context, instead of looking for it. */
  gateways: Map<string, { namespace: string; name: string }>;
}

function ingress(svc: Service | undefined): string | undefined {
  const list = (svc?.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter((a) => a !== '');
  return list.length > 0 ? list.join(',') : undefined;
}

const isGateway = (s: Service) =>
  (s.spec?.ports ?? []).some((p) => p.name === GATEWAY_PORT_NAME) && Boolean(s.metadata.annotations?.[GATEWAY_IDENTITY_ANNOTATION]) && !s.metadata.labels?.[MIRRORED_SERVICE_LABEL];

async function readFacts(env: CheckEnv, o: FactsOptions): Promise<ClusterFacts> {
  const context = env.localName;
  const chosen = o.gateways.get(context);
  const gatewayRef = chosen ?? { namespace: DEFAULT_MULTICLUSTER_NAMESPACE, name: DEFAULT_GATEWAY_NAME };
  const [cm, identity, namespaces, linkKinds, gateway, accounts] = await Promise.all([
    unlessNotFound(env.localLinkerdConfig(), undefined),
    env.localIdentity().catch(() => undefined),
    env.multiclusterNamespaces(),
    unlessNotFound(env.linkApiResources(), []),
    env.local.getIfExists<Service>(coreRef('services', gatewayRef.namespace, gatewayRef.name)),
    env.local.list(coreRef('serviceaccounts', DEFAULT_MULTICLUSTER_NAMESPACE)),
  ]);
  const facts: ClusterFacts = {
    context,
    clusterName: clusterNameOf(context),
    server: env.local.server,
    linkerdInstalled: Boolean(cm),
    anchors: [],
    extensionInstalled: namespaces.length > 0 && linkKinds.some((k) => k.kind === 'Link'),
    gatewayCandidates: [],
    accounts: accounts.map((a) => a.metadata.name ?? ''),
  };
  if (cm) {
    const config = linkerdConfig(cm, `ConfigMap linkerd-config of context "${context}"`, { optional: true });
    facts.settings = { identityTrustDomain: config.identityTrustDomain ?? 'cluster.local', proxyOutboundPort: config.proxyOutboundPort, cniEnabled: config.cniEnabled };
    if (identity?.anchorsPem?.trim()) {
      try {
        facts.anchors = parsePemBundle(identity.anchorsPem);
        facts.anchorsSource = identity.anchorsSource;
      } catch {
        // No parsable anchor: the trust problem below says so.
      }
    }
  }
  if (gateway) {
    facts.gateway = { ...gatewayRef, address: ingress(gateway) };
  } else if (!chosen) {
    // No linkerd-gateway (e.g. `install --gateway=false` with Ambassador as the gateway): the one Service that is a gateway.
    const found = (await env.local.list<Service>(coreRef('services'))).filter(isGateway);
    if (found.length === 1) facts.gateway = { namespace: found[0]!.metadata.namespace!, name: found[0]!.metadata.name!, address: ingress(found[0]) };
    else facts.gatewayCandidates = found.map((s) => `${s.metadata.namespace}/${s.metadata.name}`);
  }
  return facts;
}

/**
 * The facts of one context, within the deadline; a cluster that cannot be read is facts with `error`.
 * With `client` (connect's, kept for applying: its connections serve both), that client is left open.
 */
export async function clusterFacts(context: string, o: FactsOptions, client?: KubeClient): Promise<ClusterFacts> {
  let env: CheckEnv | undefined;
  let timer: NodeJS.Timeout | undefined;
  const empty = (error: string, server = ''): ClusterFacts => ({
    context,
    clusterName: clusterNameOf(context),
    server,
    error,
    linkerdInstalled: false,
    anchors: [],
    extensionInstalled: false,
    gatewayCandidates: [],
    accounts: [],
  });
  try {
    env = new CheckEnv(client ?? (await KubeClient.connect({ kubeconfig: o.kubeconfig, loaded: o.loaded, context, env: o.env }, { timeoutMs: o.timeoutMs })), { linkerdNamespace: o.linkerdNamespace, remoteTimeoutMs: o.timeoutMs });
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${o.timeoutMs / 1000}s`)), o.timeoutMs);
    });
    const work = readFacts(env, o);
    work.catch(() => undefined);
    return await Promise.race([work, deadline]);
  } catch (err) {
    return empty((err as Error).message.split('\n')[0]!, env?.local.server);
  } finally {
    clearTimeout(timer);
    if (!client) env?.close();
  }
}

export interface PreflightOptions {
  /** --install: a cluster without the extension gets it. */
  install: boolean;
  /** --remote-discovery: links without a gateway. */
  remoteDiscovery: boolean;
  /** --api-server-address CTX=URL */
  apiServerAddresses: Map<string, string>;
  /** --allow-loopback: the clusters share this machine's loopback (test clusters, kind with host networking). */
  allowLoopback: boolean;
  /** Whether an address is loopback (the rule link-gen warns with). */
  isLoopback: (server: string) => boolean;
}

export interface Problem {
  /** The context (or "a and b") the problem is in. */
  where: string;
  message: string;
  fix: string;
}

/** A fingerprint short enough to read and compare: the first 8 bytes. */
function shortFingerprint(c: CertificateInfo): string {
  return c.fingerprintSha256.split(':').slice(0, 8).join(':');
}

function anchorList(f: ClusterFacts): string {
  return f.anchors.map((a) => `${/CN=([^,]+)/.exec(a.subject)?.[1] ?? a.subject} (SHA-256 ${shortFingerprint(a)}…)`).join(', ');
}

/** Every problem of the plan, in context order; empty when connect may go ahead. */
export function preflightProblems(pairs: Pair[], facts: Map<string, ClusterFacts>, o: PreflightOptions): Problem[] {
  const problems: Problem[] = [];
  const contexts = [...new Set(pairs.flatMap((p) => [p.source, p.target]))];
  const usable = (c: string) => {
    const f = facts.get(c)!;
    return !f.error && f.linkerdInstalled;
  };
  for (const c of contexts) {
    const f = facts.get(c)!;
    if (f.error) {
      problems.push({ where: c, message: `cannot read the cluster: ${f.error}`, fix: `Check that the cluster is running and that context "${c}" of the kubeconfig reaches it (\`kubectl --context ${c} get ns\`).` });
      continue;
    }
    if (!f.linkerdInstalled) {
      problems.push({ where: c, message: 'Linkerd is not installed (no ConfigMap linkerd-config)', fix: `Install the control plane with the shared trust anchor: \`linkerd --context ${c} install --identity-trust-anchors-file ca.crt ... | kubectl --context ${c} apply -f -\` (or pass --linkerd-namespace).` });
      continue;
    }
    if (!f.extensionInstalled && !o.install) {
      problems.push({ where: c, message: 'the multicluster extension is not installed', fix: `Pass --install, or run \`mc --context ${c} install | kubectl --context ${c} apply -f -\`.` });
    }
    if (f.anchors.length === 0) {
      problems.push({ where: c, message: 'no trust anchor could be read from linkerd-config', fix: `Check \`kubectl --context ${c} -n linkerd get cm linkerd-config\`: its values need identityTrustAnchorsPEM.` });
    }
  }
  // Trust: each pair's clusters must share an anchor (once per unordered pair).
  const seen = new Set<string>();
  for (const p of pairs) {
    const key = [p.source, p.target].sort().join('\u0000');
    if (seen.has(key) || !usable(p.source) || !usable(p.target)) continue;
    seen.add(key);
    const a = facts.get(p.source)!;
    const b = facts.get(p.target)!;
    if (a.anchors.length === 0 || b.anchors.length === 0) continue;
    const mine = new Set(a.anchors.map((x) => x.fingerprintSha256));
    if (b.anchors.some((x) => mine.has(x.fingerprintSha256))) continue;
    problems.push({
      where: `${p.source} and ${p.target}`,
      message: `the clusters share no trust anchor: ${p.source} trusts ${anchorList(a)}; ${p.target} trusts ${anchorList(b)}`,
      fix:
        `Make each trust both anchors: \`mc certs bundle --context ${p.source} --context ${p.target} > bundle.crt\`, then for each of them ` +
        `\`linkerd --context CTX upgrade --identity-trust-anchors-file bundle.crt | kubectl --context CTX apply -f -\` (or issue both issuers from one anchor with \`mc certs issuer\`).`,
    });
  }
  // Targets: a gateway with an address (or --remote-discovery), and an API server address the sources can reach.
  for (const t of new Set(pairs.map((p) => p.target))) {
    const f = facts.get(t)!;
    if (!usable(t)) continue;
    const sources = pairs.filter((p) => p.target === t).map((p) => p.source);
    const server = o.apiServerAddresses.get(t) ?? f.server;
    if (!o.apiServerAddresses.has(t) && !o.allowLoopback && o.isLoopback(server)) {
      problems.push({
        where: t,
        message: `its API server address ${server} is a loopback address: ${sources.join(', ')} cannot reach it there`,
        fix: `Pass --api-server-address ${t}=https://HOST:PORT with an address the other clusters reach (kind: the control plane container on the docker network, e.g. https://${f.clusterName}-control-plane:6443), or --allow-loopback when every cluster runs on this machine.`,
      });
    }
    if (o.remoteDiscovery) continue;
    if (f.gatewayCandidates.length > 1) {
      problems.push({ where: t, message: `several Services could be its gateway (${f.gatewayCandidates.join(', ')})`, fix: `Name it: --gateway ${t}=NAMESPACE/NAME.` });
    } else if (!f.gateway) {
      if (f.extensionInstalled) {
        problems.push({ where: t, message: 'it has no gateway (no Service linkerd-multicluster/linkerd-gateway, none with a port named mc-gateway and a gateway identity)', fix: `Install the gateway (\`mc --context ${t} install\`), name yours with --gateway ${t}=NAMESPACE/NAME, or link without gateways with --remote-discovery.` });
      }
    } else if (!f.gateway.address) {
      problems.push({
        where: t,
        message: `its gateway Service ${f.gateway.namespace}/${f.gateway.name} has no address yet (status.loadBalancer.ingress is empty)`,
        fix: `Wait for the load balancer (\`kubectl --context ${t} -n ${f.gateway.namespace} get svc ${f.gateway.name} -w\`), or link without gateways with --remote-discovery.`,
      });
    }
  }
  return problems;
}

/** The report of a failed preflight, every problem with its fix. */
export function formatProblems(problems: Problem[]): string {
  return problems.map((p) => `  × ${p.where}: ${p.message}\n      fix: ${p.fix}`).join('\n');
}

/** "west←east, north←east" */
export function describePairs(pairs: Pair[]): string {
  return pairs.map(describePair).join(', ');
}
