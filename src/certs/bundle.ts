/**
 * `mc certs bundle`: the union of the trust anchors of clusters and files,
 * one PEM bundle on stdout. This is how a cluster installed with its own
 * anchor joins others (every cluster's bundle = the union), and stage 2 of
 * `mc certs rotate` (old + new).
 *
 * Anchors are the same when their SHA-256 fingerprints are. Order: the
 * anchor that expires last comes first (the newest anchor leads, as in
 * Linkerd's docs `step certificate bundle ca-new.crt original-trust.crt`),
 * ties by fingerprint, so the same inputs always give the same bytes.
 */
import { McError } from '../errors.js';
import type { IO, OutputStream } from '../io.js';
import { isNotFound, KubeClient } from '../kube/client.js';
import { linkerdNotInstalled } from '../linkerd-config.js';
import { readClusterTrust, type ClusterTrust } from './cluster-trust.js';
import { readInputFile } from './files.js';
import { describePemCertificates, signedBy, type CertificateInfo } from './inspect.js';
import { isoSeconds } from './names.js';

export interface BundleOptions {
  kubeconfig?: string;
  /** Contexts whose clusters' anchors join the bundle. */
  contexts: string[];
  /** PEM files whose certificates join the bundle. */
  files: string[];
  linkerdNamespace: string;
  /** Per request, ms; each cluster gets three of these in all. */
  timeoutMs: number;
}

export interface BundleInput {
  /** "context east (ConfigMap linkerd/linkerd-identity-trust-roots)", "file old.crt" */
  source: string;
  pem: string;
}

export interface BundleAnchor {
  info: CertificateInfo;
  /** Every input that holds it. */
  sources: string[];
}

export interface Bundle {
  anchors: BundleAnchor[];
  pem: string;
  warnings: string[];
}

/** Compare anchors: latest notAfter first, then fingerprint. */
export function anchorOrder(a: CertificateInfo, b: CertificateInfo): number {
  return b.notAfter.getTime() - a.notAfter.getTime() || (a.fingerprintSha256 < b.fingerprintSha256 ? -1 : a.fingerprintSha256 > b.fingerprintSha256 ? 1 : 0);
}

/** The anchors of several PEM texts, de-duplicated and ordered. Throws McError on a certificate that cannot be an anchor. */
export async function buildBundle(inputs: BundleInput[], now = new Date()): Promise<Bundle> {
  const byFingerprint = new Map<string, BundleAnchor>();
  const warnings: string[] = [];
  for (const input of inputs) {
    let certs: CertificateInfo[];
    try {
      certs = describePemCertificates(input.pem, { now, source: input.source });
    } catch (err) {
      throw new McError(`${input.source}: ${(err as Error).message}`, 'Pass PEM certificates ("-----BEGIN CERTIFICATE-----").');
    }
    if (certs.length === 0) throw new McError(`${input.source} holds no PEM certificate`, 'Pass trust anchor files (ca.crt), not keys.');
    for (const c of certs) {
      if (!c.isCA || !c.selfIssued || !(await signedBy(c, c))) {
        throw new McError(
          `${input.source} #${c.index} (${c.subject}) is not a trust anchor (${c.isCA ? `signed by ${c.issuer}` : 'not a CA'}): a trust bundle holds self-signed root CAs only`,
          'Leave issuer and workload certificates out; pass the ca.crt files.',
        );
      }
      const known = byFingerprint.get(c.fingerprintSha256);
      if (known) {
        if (!known.sources.includes(input.source)) known.sources.push(input.source);
        continue;
      }
      byFingerprint.set(c.fingerprintSha256, { info: c, sources: [input.source] });
      if (c.expired) warnings.push(`${c.subject} (${input.source}) expired on ${isoSeconds(c.notAfter)}: it no longer verifies anything`);
    }
  }
  const anchors = [...byFingerprint.values()].sort((a, b) => anchorOrder(a.info, b.info));
  return { anchors, pem: anchors.map((a) => a.info.pem.trim()).join('\n') + (anchors.length ? '\n' : ''), warnings };
}

/** Write text and wait until the stream took it (one write: a pipeline never sees half). */
export function writeAll(stream: OutputStream, text: string): Promise<void> {
  if (text === '') return Promise.resolve();
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

/** Reject after `ms` with an error naming the context, whatever is still pending. */
export async function withDeadline<T>(context: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new McError(`context "${context}": no complete answer within ${Math.round(ms / 1000)}s`, 'Check that the cluster is reachable, or raise --timeout.')),
      ms,
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Connect to a context and read its trust, within a deadline; the client is closed after. */
export async function readContextTrust(kubeconfig: string | undefined, env: IO['env'], context: string, linkerdNamespace: string, timeoutMs: number): Promise<ClusterTrust> {
  const client = await KubeClient.connect({ kubeconfig, context, env }, { timeoutMs });
  try {
    return await withDeadline(context, 3 * timeoutMs, readClusterTrust(client, linkerdNamespace));
  } catch (err) {
    if (isNotFound(err) && err.ref.resource === 'configmaps') throw linkerdNotInstalled(context, linkerdNamespace);
    throw err;
  } finally {
    client.close();
  }
}

async function fileInput(file: string): Promise<BundleInput> {
  return { source: `file ${file}`, pem: await readInputFile(file) };
}

async function clusterInput(options: BundleOptions, env: IO['env'], context: string): Promise<BundleInput> {
  const trust = await readContextTrust(options.kubeconfig, env, context, options.linkerdNamespace, options.timeoutMs);
  if (!trust.bundlePem?.trim()) {
    throw new McError(`context "${context}": neither ConfigMap ${options.linkerdNamespace}/linkerd-identity-trust-roots nor linkerd-config holds trust anchors`, 'Re-install or upgrade the control plane.');
  }
  return { source: `context ${context} (${trust.bundleSource})`, pem: trust.bundlePem };
}

export async function runBundle(options: BundleOptions, io: IO): Promise<number> {
  // Every cluster and file at once; the first failure fails the whole bundle (nothing on stdout).
  const inputs = await Promise.all([...options.contexts.map((c) => clusterInput(options, io.env, c)), ...options.files.map(fileInput)]);
  const bundle = await buildBundle(inputs);
  const lines = [`${bundle.anchors.length} trust anchor${bundle.anchors.length === 1 ? '' : 's'}, latest expiry first:`];
  for (const a of bundle.anchors) {
    const left = a.info.expired ? 'expired' : `${a.info.daysLeft} days left`;
    lines.push(`  ${a.info.subject}, expires ${isoSeconds(a.info.notAfter)} (${left}), SHA-256 ${a.info.fingerprintSha256}`);
    lines.push(`    from ${a.sources.join(', ')}`);
  }
  for (const w of bundle.warnings) lines.push(`‼ ${w}`);
  await writeAll(io.stderr, `${lines.join('\n')}\n`);
  await writeAll(io.stdout, bundle.pem);
  return 0;
}
