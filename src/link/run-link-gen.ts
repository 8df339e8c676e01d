/**
 * `mc link-gen`: from the cluster being linked (the --context), the
 * credentials Secrets and the Link, printed for `kubectl apply -f -` or
 * applied to --apply-to. The service mirror is the multicluster chart's
 * (`controllers` entries of `mc install`), not ours.
 */
import type { IO, OutputStream } from '../io.js';
import { KubeClient } from '../kube/client.js';
import { formatDocuments } from '../render/output.js';
import { applyObjects } from './apply.js';
import { linkGenObjects, type LinkGenOptions, type LinkGenResult } from './link-gen.js';
import type { Format } from './output.js';

export interface LinkGenRunOptions extends LinkGenOptions {
  kubeconfig?: string;
  context?: string;
  /** --request-timeout in ms (0 = none). */
  requestTimeoutMs?: number;
  verbose: boolean;
  output: Format;
  /** Apply to this context (server-side apply) instead of printing. */
  applyTo?: string;
}

/** All of a text in one write, so a pipeline never sees half a result. */
export function writeAll(stream: OutputStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

/** Say what the caller should know about a link-gen result: the defaulted name, warnings. */
export function reportLinkGen(r: LinkGenResult, contextName: string, say: (line: string) => void): void {
  if (r.clusterNameFromContext) say(`Using cluster name "${r.clusterName}" (from context "${contextName}"); pass --cluster-name to choose another.`);
  for (const w of r.warnings) say(`Warning: ${w}`);
}

export async function runLinkGen(o: LinkGenRunOptions, io: IO): Promise<number> {
  const say = (line: string) => void io.stderr.write(`${line}\n`);
  const log = (line: string) => {
    if (o.verbose) say(`[link-gen] ${line}`);
  };
  const client = await KubeClient.connect({ kubeconfig: o.kubeconfig, context: o.context, env: io.env, requestTimeoutMs: o.requestTimeoutMs, signal: io.signal });
  let result: LinkGenResult;
  try {
    result = await linkGenObjects(client, o, log);
  } finally {
    client.close();
  }
  reportLinkGen(result, client.contextName, say);
  if (o.applyTo) {
    await applyObjects(result.objects, { kubeconfig: o.kubeconfig, context: o.applyTo, env: io.env, requestTimeoutMs: o.requestTimeoutMs, signal: io.signal }, log, say, {
      context: client.contextName,
      servers: [client.server, result.server],
    });
    return 0;
  }
  await writeAll(io.stdout, formatDocuments(result.objects, o.output));
  return 0;
}
