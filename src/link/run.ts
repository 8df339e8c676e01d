/**
 * `mc link` from flags to output: the credentials Secrets and the Link as
 * link-gen makes them (link-gen.ts: one parallel round of reads), plus the
 * legacy service mirror; printed, or applied to --apply-to.
 */
import { parseUint, printResult, sayTo, valueOptions, type GlobalOptions } from '../cli-kit.js';
import { UsageError } from '../errors.js';
import type { Env, IO } from '../io.js';
import { KubeClient, type KubeObject } from '../kube/client.js';
import { linkGenObjects } from './link-gen.js';
import { linkGenOptionsOf, type LinkFlags } from './options.js';
import { DEFAULT_REGISTRY, REGISTRY_ENV } from '../multicluster/names.js';
import { formatDocuments } from '../render/output.js';
import { renderServiceMirror, serviceMirrorValues, type ServiceMirrorInput } from './service-mirror.js';
import { applyObjects } from './apply.js';
import { reportLinkGen } from './run-link-gen.js';

const LOG_LEVELS = ['panic', 'fatal', 'error', 'warn', 'warning', 'info', 'debug', 'trace'];
const VERSION_RE = /^[.a-zA-Z0-9-]+$/;

/** Flag checks that need no cluster: all usage errors come before any request. */
export function checkLinkFlags(f: LinkFlags, linkerdNamespace: string, env: Env) {
  const linkGen = linkGenOptionsOf(f, linkerdNamespace);
  const version = f.controlPlaneVersion ?? f.linkerdVersion;
  if (!VERSION_RE.test(version)) throw new UsageError(`invalid --linkerd-version "${version}": only letters, digits, "." and "-" are allowed`);
  if (!LOG_LEVELS.includes(f.logLevel.toLowerCase())) throw new UsageError(`invalid --log-level "${f.logLevel}"`, 'Use one of: panic, fatal, error, warn, info, debug, trace.');
  if (f.logFormat !== 'plain' && f.logFormat !== 'json') throw new UsageError(`invalid --log-format "${f.logFormat}"`, 'Use plain or json.');
  const retryLimit = parseUint(f.serviceMirrorRetryLimit, '--service-mirror-retry-limit', 0xffffffff);
  return {
    linkGen: { ...linkGen, linkerdVersion: version },
    version,
    retryLimit,
    registry: f.registry ?? (env[REGISTRY_ENV] || DEFAULT_REGISTRY),
  };
}

export async function runLink(f: LinkFlags, g: GlobalOptions, io: IO): Promise<void> {
  const o = checkLinkFlags(f, g.linkerdNamespace, io.env);
  const say = sayTo(io.stderr);
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
    valueOptions: await valueOptions(f, io),
  };
  // Bad values are usage errors before anything touches a cluster.
  serviceMirrorValues({ ...mirrorInput, clusterName: o.linkGen.clusterName ?? 'check' });

  const client = await KubeClient.connect({ kubeconfig: g.kubeconfig, context: g.context, env: io.env, requestTimeoutMs: g.requestTimeoutMs, signal: io.signal });
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
    await applyObjects(all, { kubeconfig: g.kubeconfig, context: o.linkGen.applyTo, env: io.env, requestTimeoutMs: g.requestTimeoutMs, signal: io.signal }, log, say, {
      context: client.contextName,
      servers: [client.server, result.server],
    });
    return;
  }
  await printResult(io, formatDocuments([...result.objects, ...mirror], o.linkGen.output));
}
