/**
 * `mc certs rotate`: a trust anchor rotation across linked clusters, in the
 * stages of ./rotation.ts. Every run reads every cluster (in parallel, each
 * within a deadline) and the rotation folder, works out which stages are
 * complete, and then either shows where the rotation stands (no --stage) or
 * does stage N once stage N-1 is complete, saying exactly what is missing
 * when it is not. With --apply, mc writes what the stage changes itself
 * (linkerd-identity-trust-roots, linkerd-config, the issuer Secret); a rerun
 * finishes an interrupted write.
 */
import path from 'node:path';
import yaml from 'js-yaml';
import { McError } from '../errors.js';
import type { IO } from '../io.js';
import { isNotFound, KubeClient, type KubeObject, unlessNotFound } from '../kube/client.js';
import { configMapRef, coreRef, secretRef } from '../kube/resources.js';
import { linkerdConfigRef, linkerdNotInstalled } from '../linkerd-config.js';
import { LINK_API_VERSION } from '../multicluster/names.js';
import type { PodObject } from '../check/pods.js';
import { createTrustAnchor } from './anchor.js';
import { buildBundle, withDeadline, writeAll } from './bundle.js';
import { bundleDigests, helmOwned, ISSUER_SECRET, readClusterTrust, TRUST_ROOTS_CONFIGMAP, TRUST_ROOTS_KEY } from './cluster-trust.js';
import { CERT_MODE, KEY_MODE, readInputFile, writeFilesAtomically } from './files.js';
import { describePemCertificates, signedBy, verifyChain, type CertificateInfo } from './inspect.js';
import { createIssuer, loadSigningCA } from './issuer.js';
import { readProxyCertificates } from './proxy-certificates.js';
import { isoSeconds } from './names.js';
import { shellQuote } from './next-steps.js';
import {
  bundleCommand,
  bundleMissing,
  certificatesMissing,
  helmUpgrade,
  issuerCommand,
  issuersMissing,
  LAST_STAGE,
  oldAnchorMissing,
  proxiesMissing,
  restartCommands,
  STAGES,
  type ClusterView,
  type Missing,
} from './rotation.js';

export interface RotateOptions {
  kubeconfig?: string;
  /** The clusters of the rotation: every linked cluster, by kubeconfig context (= the name Links use). */
  contexts: string[];
  linkerdNamespace: string;
  /** The rotation folder: ca.crt + ca.key (new anchor), bundle.crt, CLUSTER/issuer.crt + issuer.key. */
  dir: string;
  /** 1..6; undefined: show where the rotation stands. */
  stage?: number;
  /** Write the stage's changes into the clusters (stages 2, 4, 6). */
  apply: boolean;
  anchorLifetimeMs: number;
  issuerLifetimeMs: number;
  /** Per request, ms. */
  timeoutMs: number;
  now?: Date;
}

interface Cluster extends ClusterView {
  client: KubeClient;
}

const FIELD_MANAGER = 'mc';

interface Paths {
  anchor: string;
  anchorKey: string;
  bundle: string;
  issuer(cluster: string): { certificate: string; key: string };
  /** The values a Helm-managed cluster needs for a stage. */
  helmValues(cluster: string, stage: number): string;
}

function pathsOf(dir: string): Paths {
  return {
    anchor: path.join(dir, 'ca.crt'),
    anchorKey: path.join(dir, 'ca.key'),
    bundle: path.join(dir, 'bundle.crt'),
    issuer: (c) => ({ certificate: path.join(dir, c, 'issuer.crt'), key: path.join(dir, c, 'issuer.key') }),
    helmValues: (c, stage) => path.join(dir, c, `helm-values-stage-${stage}.yaml`),
  };
}

function parseOrThrow(pem: string, where: string): CertificateInfo[] {
  try {
    return describePemCertificates(pem, { source: where });
  } catch (err) {
    throw new McError(`${where}: ${(err as Error).message}`, 'Fix or re-install the trust anchors of that cluster.');
  }
}

/** The new anchor of the rotation folder, if it was made; it must be a self-signed CA. */
async function readNewAnchor(p: Paths): Promise<CertificateInfo | undefined> {
  const pem = await readInputFile(p.anchor, { absentIsNormal: true });
  if (pem === undefined) return undefined;
  const [anchor] = parseOrThrow(pem, p.anchor);
  if (!anchor || !anchor.isCA || !anchor.selfIssued || !(await signedBy(anchor, anchor))) {
    throw new McError(`${p.anchor} is not a trust anchor (a self-signed CA certificate)`, 'Remove it to let stage 2 make a new one, or put the new anchor there.');
  }
  return anchor;
}

async function readCluster(options: RotateOptions, env: IO['env'], context: string): Promise<Cluster> {
  const client = await KubeClient.connect({ kubeconfig: options.kubeconfig, context, env }, { timeoutMs: options.timeoutMs });
  const ns = options.linkerdNamespace;
  try {
    const read = async () => {
      const [trust, pods, links, events] = await Promise.all([
        readClusterTrust(client, ns),
        client.list<PodObject & KubeObject>(coreRef('pods'), { labelSelector: 'linkerd.io/control-plane-ns' }),
        // No Link CRD: no links.
        unlessNotFound(client.list<KubeObject & { spec?: { targetClusterName?: string } }>({ apiVersion: LINK_API_VERSION, resource: 'links' }), []),
        client.list<KubeObject & { lastTimestamp?: string; eventTime?: string; firstTimestamp?: string }>(coreRef('events', ns), { fieldSelector: 'reason=IssuerUpdated' }),
      ]);
      return { trust, pods, links, events };
    };
    const { trust, pods, links, events } = await withDeadline(context, 3 * options.timeoutMs, read());
    if (!trust.bundlePem?.trim()) throw new McError(`context "${context}": no trust anchors in ${trust.bundleSource}`, 'Re-install or upgrade the control plane.');
    const bundle = parseOrThrow(trust.bundlePem, `context ${context}: ${trust.bundleSource}`);
    const configAnchors = trust.configAnchorsPem?.trim() ? parseOrThrow(trust.configAnchorsPem, `context ${context}: ConfigMap ${ns}/linkerd-config`) : [];
    const issuer = trust.issuerPem ? parseOrThrow(trust.issuerPem, `context ${context}: ${trust.issuerSource}`)[0] : undefined;
    const times = [
      ...events.map((e) => Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '')),
      ...pods.filter((p) => p.metadata.namespace === ns && p.metadata.labels?.['linkerd.io/control-plane-component'] === 'identity').map((p) => Date.parse(p.status?.startTime ?? '')),
    ].filter((t) => Number.isFinite(t));
    return {
      name: context,
      client,
      trust,
      bundle,
      configAnchors,
      issuer,
      pods,
      linkTargets: [...new Set(links.map((l) => l.spec?.targetClusterName ?? '').filter(Boolean))],
      issuerLoads: times,
    };
  } catch (err) {
    client.close();
    if (isNotFound(err) && err.ref.resource === 'configmaps') throw linkerdNotInstalled(context, ns);
    throw err;
  }
}

/** What keeps each stage from being complete (stage 1: nothing once every cluster was read). */
async function stageGaps(clusters: Cluster[], anchor: CertificateInfo | undefined, p: Paths, now: number, timeoutMs: number): Promise<Missing[][]> {
  const gaps: Missing[][] = [[]];
  gaps.push(await bundleMissing(clusters, anchor, p.anchor));
  if (!anchor) return [...gaps, ...Array.from({ length: LAST_STAGE - 2 }, () => [{ cluster: '-', text: 'no new anchor yet' }])];
  gaps.push(proxiesMissing(clusters, anchor));
  gaps.push(await issuersMissing(clusters, anchor));
  // Reading every proxy's certificate is a port-forward each: only once stage 5 is what is left to verify.
  if (gaps.every((g) => g.length === 0)) {
    await Promise.all(clusters.map(async (c) => (c.proxyCertificates = await readProxyCertificates(c.client, c.pods, { linkerdNamespace: c.trust.linkerdNamespace, trustDomain: c.trust.identityTrustDomain ?? 'cluster.local', timeoutMs }))));
  }
  gaps.push(await certificatesMissing(clusters, now, anchor));
  gaps.push(oldAnchorMissing(clusters, anchor));
  return gaps;
}

/** Stage n is complete when it and every stage before it have no gap. */
function complete(gaps: Missing[][], n: number): boolean {
  return gaps.slice(0, n).every((g) => g.length === 0);
}

function missingLines(missing: Missing[]): string[] {
  return missing.map((m) => `  - ${m.cluster === '-' ? '' : `${m.cluster}: `}${m.text}`);
}

function restartLines(missing: Missing[]): string[] {
  const out: string[] = [];
  for (const m of missing) if (m.pods?.length) out.push(...restartCommands(m.cluster, m.pods).map((c) => `    ${c}`));
  return out;
}

function anchorLine(a: CertificateInfo): string {
  return `${a.subject}, until ${isoSeconds(a.notAfter)}, SHA-256 ${a.fingerprintSha256.slice(0, 23)}…`;
}

async function describeClusters(clusters: Cluster[], anchor: CertificateInfo | undefined, p: Paths): Promise<string[]> {
  const lines = ['Clusters:'];
  for (const c of clusters) {
    const how = c.trust.externalCA ? 'external CA' : c.trust.helmManaged ? 'Helm' : 'linkerd CLI';
    lines.push(`  ${c.name} (installed with ${how}; ${c.pods.length} meshed pods; Links to: ${c.linkTargets.join(', ') || 'none'})`);
    lines.push(`    trust bundle (${c.trust.bundleSource}):`);
    for (const a of c.bundle) lines.push(`      ${anchorLine(a)}${anchor && a.fingerprintSha256 === anchor.fingerprintSha256 ? '  [new]' : ''}`);
    if (c.issuer) {
      const chain = await verifyChain(c.issuer, c.bundle);
      lines.push(`    issuer (${c.trust.issuerSource}): ${c.issuer.subject}, until ${isoSeconds(c.issuer.notAfter)}, signed by ${chain.ok ? chain.anchor!.subject : `${c.issuer.issuer} (not in the bundle!)`}${anchor && (await verifyChain(c.issuer, [anchor])).ok ? '  [new]' : ''}`);
    } else {
      lines.push(`    issuer: not readable (${c.trust.issuerUnavailable ?? 'not found'})`);
    }
  }
  lines.push(anchor ? `New anchor (${p.anchor}): ${anchorLine(anchor)}` : `New anchor: not made yet (${p.anchor}; stage 2 makes it)`);
  return lines;
}

function rotateCommand(options: RotateOptions, stage: number, apply = false): string {
  const ctx = options.contexts.map((c) => `--context ${shellQuote(c)}`).join(' ');
  return `mc ${ctx} certs rotate --dir ${shellQuote(options.dir)} --stage ${stage}${apply ? ' --apply' : ''}`;
}

// ---- --apply: what `linkerd upgrade | kubectl apply` would change, written directly ----

interface ApplyResult {
  lines: string[];
  failed: boolean;
}

/**
 * What Helm owns in a cluster, mc leaves to Helm (its next upgrade would undo
 * a direct write): the values Helm needs go to DIR/CLUSTER/helm-values-stage-N.yaml
 * (mode 0600: stage 4's holds the issuer key), and the lines say how to apply it.
 */
async function helmStep(c: Cluster, p: Paths, stage: number, values: Record<string, unknown>, what: string[], shown: string): Promise<string> {
  const file = p.helmValues(c.name, stage);
  await writeFilesAtomically([{ path: file, content: yaml.dump(values, { lineWidth: -1, sortKeys: true }), mode: KEY_MODE }], { force: true });
  return [
    `  → ${c.name}: Helm owns ${what.join(', ')}; mc wrote the values to ${file}, apply them with:`,
    `      ${helmUpgrade(c)} -f ${shellQuote(file)}`,
    `    values: ${shown}`,
  ].join('\n');
}

/** linkerd-config's values with `edit` applied, written with its resourceVersion (a concurrent change is a conflict: run again). */
async function editLinkerdConfig(c: Cluster, edit: (values: Record<string, unknown>) => boolean): Promise<boolean> {
  const cm = c.trust.linkerdConfigMap;
  const values = (yaml.load(cm.data?.values ?? '') ?? {}) as Record<string, unknown>;
  if (!edit(values)) return false;
  await c.client.replace(linkerdConfigRef(c.trust.linkerdNamespace), { ...cm, data: { ...cm.data, values: yaml.dump(values, { lineWidth: -1, sortKeys: true }) } });
  return true;
}

async function applyBundle(clusters: Cluster[], bundlePem: string, p: Paths, stage: number): Promise<ApplyResult> {
  const lines: string[] = [];
  let failed = false;
  const anchors = describePemCertificates(bundlePem).map((a) => a.subject);
  for (const c of clusters) {
    const ns = c.trust.linkerdNamespace;
    const changed: string[] = [];
    const forHelm: string[] = [];
    try {
      // The bundle proxies read first, then the values new pods are injected from, then a rollout of the pods that read the ConfigMap at start.
      if ((c.trust.trustRootsPem ?? '').trim() !== bundlePem.trim()) {
        if (c.trust.trustRootsHelmOwned) forHelm.push(`ConfigMap ${ns}/${TRUST_ROOTS_CONFIGMAP}`);
        else {
          await c.client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: TRUST_ROOTS_CONFIGMAP, namespace: ns }, data: { [TRUST_ROOTS_KEY]: bundlePem.trim() } }, FIELD_MANAGER);
          changed.push(`ConfigMap ${ns}/${TRUST_ROOTS_CONFIGMAP}`);
        }
      }
      if (!c.trust.externalCA && (c.trust.configAnchorsPem ?? '') !== bundlePem) {
        if (c.trust.helmManaged) forHelm.push(`ConfigMap ${ns}/linkerd-config (identityTrustAnchorsPEM)`);
        else if (await editLinkerdConfig(c, (values) => ((values.identityTrustAnchorsPEM = bundlePem), true))) changed.push(`ConfigMap ${ns}/linkerd-config (identityTrustAnchorsPEM)`);
      }
      if (changed.length > 0) {
        // Pods that read the ConfigMap at start roll out; Helm rolls out its own Deployments when its values change.
        const digest = [...bundleDigests(bundlePem)][0]!;
        const deployments = await c.client.list<KubeObject & { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } }>({ apiVersion: 'apps/v1', resource: 'deployments', namespace: ns });
        for (const d of deployments) {
          const current = d.spec?.template?.metadata?.annotations?.['linkerd.io/trust-root-sha256'];
          if (current === undefined || current === digest || helmOwned(d)) continue;
          await c.client.patch({ apiVersion: 'apps/v1', resource: 'deployments', namespace: ns, name: d.metadata.name }, { spec: { template: { metadata: { annotations: { 'linkerd.io/trust-root-sha256': digest } } } } }, 'merge');
          changed.push(`Deployment ${ns}/${d.metadata.name} (rolls out with the new bundle)`);
        }
      }
      if (forHelm.length === 0) lines.push(`  √ ${c.name}: ${changed.length > 0 ? `wrote ${changed.join(', ')}` : 'already up to date'}`);
      else {
        failed = true;
        if (changed.length > 0) lines.push(`  √ ${c.name}: wrote ${changed.join(', ')}`);
        lines.push(await helmStep(c, p, stage, { identityTrustAnchorsPEM: bundlePem }, forHelm, `identityTrustAnchorsPEM = ${anchors.length} anchor${anchors.length === 1 ? '' : 's'} (${anchors.join(', ')}), as in the file`));
      }
    } catch (err) {
      failed = true;
      lines.push(`  × ${c.name}: ${(err as Error).message}${changed.length > 0 ? ` (already written: ${changed.join(', ')})` : ''}; run again to finish`);
    }
  }
  return { lines, failed };
}

async function applyIssuers(clusters: Cluster[], p: Paths, files: Map<string, { certPem: string; keyPem: string }>): Promise<ApplyResult> {
  const lines: string[] = [];
  let failed = false;
  for (const c of clusters) {
    const { certPem, keyPem } = files.get(c.name)!;
    const ns = c.trust.linkerdNamespace;
    const changed: string[] = [];
    const forHelm: string[] = [];
    try {
      if ((c.trust.issuerPem ?? '').trim() !== certPem.trim() || c.trust.issuerSource !== `Secret ${ns}/${ISSUER_SECRET}`) {
        if (c.trust.issuerHelmOwned) forHelm.push(`Secret ${ns}/${ISSUER_SECRET}`);
        else {
          const b64 = (s: string) => Buffer.from(s.trim(), 'utf8').toString('base64');
          await c.client.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: ISSUER_SECRET, namespace: ns }, data: { 'crt.pem': b64(certPem), 'key.pem': b64(keyPem) } }, FIELD_MANAGER);
          changed.push(`Secret ${ns}/${ISSUER_SECRET}`);
        }
      }
      const issuerTls = (values: Record<string, unknown>) => (((values.identity as Record<string, unknown> | undefined)?.issuer as Record<string, unknown> | undefined)?.tls ?? undefined) as Record<string, unknown> | undefined;
      const configTls = issuerTls((yaml.load(c.trust.linkerdConfigMap.data?.values ?? '') ?? {}) as Record<string, unknown>);
      if (configTls && typeof configTls.crtPEM === 'string' && configTls.crtPEM.trim() !== certPem.trim()) {
        if (c.trust.helmManaged) forHelm.push(`ConfigMap ${ns}/linkerd-config (identity.issuer.tls.crtPEM)`);
        else if (await editLinkerdConfig(c, (values) => ((issuerTls(values)!.crtPEM = certPem), true))) changed.push(`ConfigMap ${ns}/linkerd-config (identity.issuer.tls.crtPEM)`);
      }
      if (forHelm.length === 0) lines.push(`  √ ${c.name}: ${changed.length > 0 ? `wrote ${changed.join(', ')}` : 'already up to date'}`);
      else {
        failed = true;
        if (changed.length > 0) lines.push(`  √ ${c.name}: wrote ${changed.join(', ')}`);
        const f = p.issuer(c.name);
        const subject = describePemCertificates(certPem)[0]?.subject ?? 'the new issuer';
        lines.push(await helmStep(c, p, 4, { identity: { issuer: { tls: { crtPEM: certPem, keyPEM: keyPem } } } }, forHelm, `identity.issuer.tls.crtPEM = ${f.certificate} (${subject}), identity.issuer.tls.keyPEM = ${f.key} (not printed)`));
      }
    } catch (err) {
      failed = true;
      lines.push(`  × ${c.name}: ${(err as Error).message}${changed.length > 0 ? ` (already written: ${changed.join(', ')})` : ''}; run again to finish`);
    }
  }
  return { lines, failed };
}

/** How the proxies of stage 5 were judged: their certificates read, or (unreadable) their start time. */
function proxiesRead(clusters: Cluster[]): string {
  const all = clusters.flatMap((c) => [...(c.proxyCertificates?.values() ?? [])]);
  const read = all.filter((x) => 'chain' in x).length;
  const unread = all.length - read;
  return `${read} read from the proxies' admin ports${unread > 0 ? `; ${unread} could not be read and were judged by start time` : ''}`;
}

// ---- the stages ----

/** Stage 2's files: the new anchor (made when missing) and bundle.crt = every cluster's anchors + the new one. */
async function prepareBundle(options: RotateOptions, clusters: Cluster[], p: Paths, anchor: CertificateInfo | undefined, now: Date): Promise<{ anchor: CertificateInfo; bundlePem: string; made: string[] }> {
  const made: string[] = [];
  if (!anchor) {
    const domains = [...new Set(clusters.map((c) => c.trust.identityTrustDomain ?? 'cluster.local'))];
    if (domains.length > 1) throw new McError(`the clusters use different trust domains (${domains.join(', ')})`, 'Rotate each trust domain separately.');
    const ca = await createTrustAnchor({ trustDomain: domains[0]!, lifetimeMs: options.anchorLifetimeMs, now });
    await writeFilesAtomically([
      { path: p.anchor, content: ca.certPem, mode: CERT_MODE },
      { path: p.anchorKey, content: ca.keyPem, mode: KEY_MODE },
    ]);
    made.push(p.anchor, p.anchorKey);
    anchor = describePemCertificates(ca.certPem, { now })[0]!;
  }
  // Old anchors are those the clusters trust now; once removed (stage 6) they stay out.
  const inputs = [{ source: p.anchor, pem: anchor.pem }, ...clusters.map((c) => ({ source: c.name, pem: c.trust.bundlePem! }))];
  const { pem } = await buildBundle(inputs, now);
  if ((await readInputFile(p.bundle, { absentIsNormal: true })) !== pem) {
    await writeFilesAtomically([{ path: p.bundle, content: pem, mode: CERT_MODE }], { force: true });
    made.push(p.bundle);
  }
  return { anchor, bundlePem: pem, made };
}

/** Stage 4's files: an issuer per cluster signed by the new anchor (made when missing). */
async function prepareIssuers(options: RotateOptions, clusters: Cluster[], p: Paths, anchor: CertificateInfo, now: Date): Promise<{ files: Map<string, { certPem: string; keyPem: string }>; made: string[] }> {
  const files = new Map<string, { certPem: string; keyPem: string }>();
  const made: string[] = [];
  let signer: Awaited<ReturnType<typeof loadSigningCA>> | undefined;
  for (const c of clusters) {
    const f = p.issuer(c.name);
    const [certPem, keyPem] = await Promise.all([readInputFile(f.certificate, { absentIsNormal: true }), readInputFile(f.key, { absentIsNormal: true })]);
    if (certPem !== undefined && keyPem !== undefined) {
      const [cert] = parseOrThrow(certPem, f.certificate);
      if (!cert || !(await verifyChain(cert, [anchor])).ok) throw new McError(`${f.certificate} is not signed by the new anchor ${p.anchor}`, `Remove ${f.certificate} and ${f.key}: this stage makes new ones.`);
      files.set(c.name, { certPem, keyPem });
      continue;
    }
    if (certPem !== undefined || keyPem !== undefined) throw new McError(`only one of ${f.certificate} and ${f.key} exists`, 'Remove the one that is there: this stage makes both.');
    if (!signer) {
      const caKey = await readInputFile(p.anchorKey, { absentIsNormal: true });
      if (caKey === undefined) throw new McError(`the new anchor's key ${p.anchorKey} is needed to sign the new issuers`, `Put it back next to ${p.anchor} (only this stage needs it; keep it offline afterwards).`);
      signer = await loadSigningCA(anchor.pem, caKey, { cert: p.anchor, key: p.anchorKey }, now);
    }
    const made1 = await createIssuer({ anchor: signer, trustDomain: c.trust.identityTrustDomain ?? signer.trustDomain ?? 'cluster.local', lifetimeMs: options.issuerLifetimeMs, linkerdNamespace: c.trust.linkerdNamespace, now });
    await writeFilesAtomically([
      { path: f.certificate, content: made1.certPem, mode: CERT_MODE },
      { path: f.key, content: made1.keyPem, mode: KEY_MODE },
    ]);
    made.push(f.certificate, f.key);
    files.set(c.name, { certPem: made1.certPem, keyPem: made1.keyPem });
  }
  return { files, made };
}

export async function runRotate(options: RotateOptions, io: IO): Promise<number> {
  const now = options.now ?? new Date();
  const p = pathsOf(options.dir);
  const [anchor, clusters] = await Promise.all([readNewAnchor(p), Promise.allSettled(options.contexts.map((c) => readCluster(options, io.env, c)))]);
  const read = clusters.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  try {
    const failed = clusters.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return await runStages(options, read, anchor, p, now, io);
  } finally {
    for (const c of read) c.client.close();
  }
}

async function runStages(options: RotateOptions, clusters: Cluster[], anchor: CertificateInfo | undefined, p: Paths, now: Date, io: IO): Promise<number> {
  const gaps = await stageGaps(clusters, anchor, p, now.getTime(), options.timeoutMs);
  const stage = options.stage;
  const out: string[] = [];
  const print = () => writeAll(io.stdout, `${out.join('\n')}\n`);

  if (stage === undefined || stage === 1) {
    out.push(`Trust anchor rotation over ${clusters.map((c) => c.name).join(', ')} (rotation folder ${options.dir})`, '');
    out.push(...(await describeClusters(clusters, anchor, p)), '', 'Stages:');
    STAGES.forEach((s, i) => out.push(`  ${complete(gaps, i + 1) ? '√' : '·'} ${i + 1}. ${s}`));
    const next = STAGES.findIndex((_, i) => !complete(gaps, i + 1));
    out.push('');
    if (next < 0) out.push('The rotation is complete: every cluster and proxy trusts the new anchor only.');
    else {
      out.push(`Next: ${rotateCommand(options, next + 1)}`);
      if (next >= 1) out.push('', `Missing for stage ${next + 1}:`, ...missingLines(gaps[next]!));
    }
    if (stage === 1) {
      out.push('', 'What each stage does (per cluster; `--apply` writes it, except what Helm owns: that goes to a values file for `helm upgrade`):');
      for (const c of clusters) {
        out.push(`  ${c.name}:`);
        out.push(`    2. ${bundleCommand(c, p.bundle)}`);
        out.push(`    3. kubectl --context ${shellQuote(c.name)} rollout restart of every meshed workload (listed by --stage 3)`);
        out.push(`    4. ${issuerCommand(c, p.issuer(c.name).certificate, p.issuer(c.name).key)}`);
        out.push(`    5. restart the workloads whose proxies' certificates do not chain to the new anchor (read from each proxy's admin port; listed by --stage 5)`);
        out.push(`    6. ${bundleCommand(c, p.anchor)}`);
      }
    }
    await print();
    return 0;
  }

  if (!complete(gaps, stage - 1)) {
    const first = gaps.findIndex((g, i) => i < stage - 1 && g.length > 0);
    throw new McError(
      `stage ${stage} needs stage ${stage - 1} complete, and stage ${first + 1} (${STAGES[first]}) is not:\n${missingLines(gaps[first]!).join('\n')}`,
      `Finish it (${rotateCommand(options, first + 1)} shows how), then run --stage ${stage} again.`,
    );
  }

  const head = (title: string) => out.push(`Stage ${stage}: ${title}`, '');
  let code = 0;
  switch (stage) {
    case 2:
    case 6: {
      let bundlePem: string;
      let bundleFile: string;
      if (stage === 2) {
        head(STAGES[1]);
        const prepared = await prepareBundle(options, clusters, p, anchor, now);
        for (const m of prepared.made) out.push(`  wrote ${m}`);
        bundlePem = prepared.bundlePem;
        bundleFile = p.bundle;
        const anchors = describePemCertificates(bundlePem);
        out.push(`  ${p.bundle}: ${anchors.length} anchors: ${anchors.map((a) => a.subject).join(', ')}`);
      } else {
        head(STAGES[5]);
        bundlePem = (await buildBundle([{ source: p.anchor, pem: anchor!.pem }], now)).pem;
        bundleFile = p.anchor;
      }
      if (options.apply) {
        const r = await applyBundle(clusters, bundlePem, p, stage);
        out.push('', 'Applied:', ...r.lines);
        if (r.failed) code = 1;
      } else {
        out.push('', `Give every cluster the bundle ${bundleFile} (or run this stage again with --apply):`);
        for (const c of clusters) out.push(`  ${bundleCommand(c, bundleFile)}`);
      }
      out.push('', `Then restart the meshed workloads and verify: ${rotateCommand(options, stage === 2 ? 3 : 6)}`);
      if (stage === 6 && !options.apply) {
        const left = oldAnchorMissing(clusters, anchor!);
        if (left.length === 0) out.splice(0, out.length, 'Stage 6: old anchor removed', '', '√ every bundle, linkerd-config and proxy holds the new anchor only; every Link shares it.', '', 'The rotation is complete.');
        else {
          out.push('', 'Not yet done:', ...missingLines(left));
          const restarts = restartLines(left);
          if (restarts.length > 0) out.push('', 'Restart:', ...restarts);
          code = 1;
        }
      }
      break;
    }
    case 3:
    case 5: {
      head(STAGES[stage - 1]);
      const left = gaps[stage - 1]!;
      if (left.length === 0) {
        out.push(stage === 3 ? '√ every meshed proxy trusts the new anchor; every Link shares an anchor.' : `√ every issuer is signed by the new anchor, and every proxy's certificate chains to it (${proxiesRead(clusters)}).`);
        out.push('', `Next: ${rotateCommand(options, stage + 1)}`);
      } else {
        out.push('Not yet:', ...missingLines(left));
        const restarts = restartLines(left);
        if (restarts.length > 0) out.push('', 'Restart these workloads (then run this stage again):', ...restarts);
        code = 1;
      }
      break;
    }
    case 4: {
      head(STAGES[3]);
      const prepared = await prepareIssuers(options, clusters, p, anchor!, now);
      for (const m of prepared.made) out.push(`  wrote ${m}`);
      if (options.apply) {
        const r = await applyIssuers(clusters, p, prepared.files);
        out.push('', 'Applied:', ...r.lines);
        if (r.failed) code = 1;
      } else {
        out.push('', 'Give every cluster its new issuer (or run this stage again with --apply):');
        for (const c of clusters) out.push(`  ${issuerCommand(c, p.issuer(c.name).certificate, p.issuer(c.name).key)}`);
      }
      out.push('', `Then verify that the new issuers are in use: ${rotateCommand(options, 5)}`);
      break;
    }
  }
  await print();
  return code;
}
