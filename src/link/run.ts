/**
 * `mc link` from flags to output: the credentials Secrets and the Link as
 * link-gen makes them (link-gen.ts: one parallel round of reads), plus the
 * legacy service mirror; printed, or applied to --apply-to.
 */
import { parseUint, printResult, sayTo, valueOptions, type GlobalOptions } from '../cli-kit.js';
import { UsageError } from '../errors.js';
import type { IO } from '../io.js';
import { KubeClient, type KubeObject } from '../kube/client.js';
import { linkGenObjects } from './link-gen.js';
import { linkGenOptionsOf, type LinkFlags } from './options.js';
import { DEFAULT_REGISTRY, registryOf } from '../multicluster/names.js';
import { formatDocuments } from '../render/output.js';
import { renderServiceMirror, serviceMirrorValues, type ServiceMirrorInput } from './service-mirror.js';
import { applyObjects } from './apply.js';
import { reportLinkGen } from './run-link-gen.js';

const LOG_LEVELS = ['panic', 'fatal', 'error', 'warn', 'warning', 'info', 'debug', 'trace'];
const VERSION_RE = /^[.a-zA-Z0-9-]+$/;

/** `mc link`, fully parsed: the link-gen part, the legacy service mirror's settings, where to read and write. */
export interface LinkOptions {
  kubeconfig?: string;
  context?: string;
  requestTimeoutMs: number;
  verbose: boolean;
  linkGen: ReturnType<typeof linkGenOptionsOf> & { linkerdVersion: string };
  mirror: {
    version: string;
    /** --registry; else $LINKERD_DOCKER_REGISTRY, else the default registry. */
    registry?: string;
    logLevel: string;
    logFormat: string;
    retryLimit: number;
    ha: boolean;
  };
  /** -f / --set / --set-string / --set-file as given ("-" reads standard input). */
  values: { values: string[]; set: string[]; setString: string[]; setFile: string[] };
}

/** Flag checks that need no cluster: all usage errors come before any request. */
export function linkOptionsOf(f: LinkFlags, g: Pick<GlobalOptions, 'kubeconfig' | 'context' | 'requestTimeoutMs' | 'verbose' | 'linkerdNamespace'>): LinkOptions {
  const linkGen = linkGenOptionsOf(f, g.linkerdNamespace);
  const version = f.controlPlaneVersion ?? f.linkerdVersion;
  if (!VERSION_RE.test(version)) throw new UsageError(`invalid --linkerd-version "${version}": only letters, digits, "." and "-" are allowed`);
  if (!LOG_LEVELS.includes(f.logLevel.toLowerCase())) throw new UsageError(`invalid --log-level "${f.logLevel}"`, 'Use one of: panic, fatal, error, warn, info, debug, trace.');
  if (f.logFormat !== 'plain' && f.logFormat !== 'json') throw new UsageError(`invalid --log-format "${f.logFormat}"`, 'Use plain or json.');
  return {
    kubeconfig: g.kubeconfig,
    context: g.context,
    requestTimeoutMs: g.requestTimeoutMs,
    verbose: g.verbose,
    linkGen: { ...linkGen, linkerdVersion: version },
    mirror: {
      version,
      registry: f.registry,
      logLevel: f.logLevel,
      logFormat: f.logFormat,
      retryLimit: parseUint(f.serviceMirrorRetryLimit, '--service-mirror-retry-limit', 0xffffffff),
      ha: f.ha,
    },
    values: { values: f.values, set: f.set, setString: f.setString, setFile: f.setFile },
  };
}

export async function runLink(o: LinkOptions, io: IO): Promise<number> {
  const say = sayTo(io.stderr);
  const log = (line: string) => {
    if (o.verbose) say(`[link] ${line}`);
  };
  const mirrorInput: Omit<ServiceMirrorInput, 'clusterName'> = {
    namespace: o.linkGen.namespace,
    version: o.mirror.version,
    registry: registryOf(o.mirror.registry, io.env) ?? DEFAULT_REGISTRY,
    logLevel: o.mirror.logLevel,
    logFormat: o.mirror.logFormat,
    retryLimit: o.mirror.retryLimit,
    gateway: o.linkGen.gateway !== undefined,
    ha: o.mirror.ha,
    valueOptions: await valueOptions(o.values, io),
  };
  // Bad values are usage errors before anything touches a cluster.
  serviceMirrorValues({ ...mirrorInput, clusterName: o.linkGen.clusterName ?? 'check' });

  const client = await KubeClient.connect({ kubeconfig: o.kubeconfig, context: o.context, env: io.env, requestTimeoutMs: o.requestTimeoutMs, signal: io.signal });
  let result;
  try {
    result = await linkGenObjects(client, { ...o.linkGen, chartProbeService: false }, log);
  } finally {
    client.close();
  }
  reportLinkGen(result, client.contextName, say);
  // The probe Service listens on the Link's probe port, so they agree (beyond upstream, which keeps 4191).
  const probePort = result.gateway ? Number(result.gateway.probeSpec.port) : undefined;
  const mirror = await renderServiceMirror({ ...mirrorInput, clusterName: result.clusterName, probePort });
  if (o.linkGen.applyTo) {
    const all: KubeObject[] = [...result.objects, ...mirror.map((d) => d.object as KubeObject)];
    await applyObjects(all, { kubeconfig: o.kubeconfig, context: o.linkGen.applyTo, env: io.env, requestTimeoutMs: o.requestTimeoutMs, signal: io.signal }, log, say, {
      context: client.contextName,
      servers: [client.server, result.server],
    });
    return 0;
  }
  await printResult(io, formatDocuments([...result.objects, ...mirror], o.linkGen.output));
  return 0;
}
