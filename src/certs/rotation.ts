/**
 * The stages of a trust anchor rotation across linked clusters, and what
 * each needs to be complete, judged from what the clusters and the rotation
 * folder hold (nothing else is remembered, so any run can resume):
 *
 *   1 plan        every cluster read: anchors, issuer, Links
 *   2 bundle      a new anchor (DIR/ca.crt); every cluster trusts old + new
 *   3 proxies     every meshed proxy trusts the new anchor; Links share anchors
 *   4 issuers     every cluster's issuer is signed by the new anchor
 *   5 in use      no proxy may still hold a certificate of the old issuer
 *   6 old removed every bundle and proxy holds the new anchor only
 *
 * Pure: cluster views in, missing items and command text out.
 */
import type { PodObject } from '../check/pods.js';
import { podWorkload, proxyTrustBundle } from '../check/pods.js';
import { bundleDigests, type ClusterTrust } from './cluster-trust.js';
import { describePemCertificates, verifyChain, type CertificateInfo } from './inspect.js';
import { shellQuote } from './next-steps.js';
import { podKey, type ProxyCertificate } from './proxy-certificates.js';

export const STAGES = ['plan', 'new anchor: every bundle = old + new', 'every proxy trusts the new anchor', 'new issuers signed by the new anchor', 'the new issuers are in use', 'old anchor removed'] as const;
export const LAST_STAGE = STAGES.length;

export interface ClusterView {
  /** The kubeconfig context (also the name Links use for the cluster). */
  name: string;
  trust: ClusterTrust;
  /** The anchors of the cluster's bundle. */
  bundle: CertificateInfo[];
  /** The anchors of linkerd-config (what the proxy injector gives new pods), when it has any. */
  configAnchors: CertificateInfo[];
  issuer?: CertificateInfo;
  /** Meshed pods, every namespace. */
  pods: PodObject[];
  /** Target cluster names of the Links in this cluster. */
  linkTargets: string[];
  /** When the identity controller (re)loaded an issuer: its IssuerUpdated Events and its pods' starts, ms. */
  issuerLoads: number[];
  /** What each meshed proxy's certificate is, by "namespace/name" (read for stage 5 only). */
  proxyCertificates?: Map<string, ProxyCertificate>;
}

/** Something that keeps a stage from being complete. */
export interface Missing {
  cluster: string;
  text: string;
  /** Pods to restart, when that is the fix. */
  pods?: PodObject[];
}

function fingerprints(certs: CertificateInfo[]): Set<string> {
  return new Set(certs.map((c) => c.fingerprintSha256));
}

function names(certs: CertificateInfo[]): string {
  return certs.map((c) => c.subject).join(', ') || 'nothing';
}

/**
 * Every meshed pod of a cluster carries the same few bundle texts, and parsing
 * one costs milliseconds: check reads hundreds of pods per Link, so the
 * fingerprints are remembered per text (bounded; undefined: it does not parse).
 */
const fingerprintsByPem = new Map<string, Set<string> | undefined>();

function pemFingerprints(pem: string): Set<string> | undefined {
  if (fingerprintsByPem.has(pem)) return fingerprintsByPem.get(pem);
  let anchors: Set<string> | undefined;
  try {
    anchors = fingerprints(describePemCertificates(pem));
  } catch {
    anchors = undefined;
  }
  if (fingerprintsByPem.size >= 64) fingerprintsByPem.clear();
  fingerprintsByPem.set(pem, anchors);
  return anchors;
}

/** What a cluster trusts now, to judge a proxy by: its bundle texts and their anchors. */
export interface CurrentTrust {
  trust: Pick<ClusterTrust, 'trustRootsPem' | 'configAnchorsPem'>;
  bundle: CertificateInfo[];
}

/**
 * The fingerprints of the anchors a pod's proxy trusts, or why that cannot be
 * told: from the injected env value, else (pods that read the ConfigMap) from
 * the trust-root-sha256 annotation when it is the digest of the current bundle.
 */
export function proxyAnchors(pod: PodObject, cluster: CurrentTrust): { anchors: Set<string> } | { unknown: string } {
  const t = proxyTrustBundle(pod);
  if (!t) return { unknown: 'no proxy' };
  if (t.pem !== undefined) {
    const anchors = pemFingerprints(t.pem);
    return anchors ? { anchors } : { unknown: 'its trust anchors do not parse' };
  }
  if (t.sha256) {
    if (bundleDigests(cluster.trust.trustRootsPem).has(t.sha256) || bundleDigests(cluster.trust.configAnchorsPem).has(t.sha256)) return { anchors: fingerprints(cluster.bundle) };
    return { unknown: 'it started with another bundle than the current one' };
  }
  return { unknown: 'its trust anchors are not visible in the pod' };
}

function podLine(p: PodObject): string {
  return `${p.metadata.namespace}/${p.metadata.name}`;
}

/** Stage 2: the new anchor is in every cluster's bundle (and in linkerd-config, which new pods get), next to the anchor its issuer chains to. */
export async function bundleMissing(views: ClusterView[], newAnchor: CertificateInfo | undefined, anchorPath: string): Promise<Missing[]> {
  if (!newAnchor) return [{ cluster: '-', text: `the new trust anchor ${anchorPath} does not exist yet (stage 2 makes it)` }];
  const out: Missing[] = [];
  for (const v of views) {
    if (!fingerprints(v.bundle).has(newAnchor.fingerprintSha256)) out.push({ cluster: v.name, text: `its trust bundle (${v.trust.bundleSource}: ${names(v.bundle)}) lacks the new anchor` });
    if (v.configAnchors.length > 0 && !fingerprints(v.configAnchors).has(newAnchor.fingerprintSha256)) {
      out.push({ cluster: v.name, text: `linkerd-config's identityTrustAnchorsPEM (what new pods are injected with) lacks the new anchor` });
    }
    if (v.issuer && !(await verifyChain(v.issuer, v.bundle)).ok) out.push({ cluster: v.name, text: `its issuer ${v.issuer.subject} does not chain to its own bundle any more: put its anchor back` });
  }
  return out;
}

/** Links between the clusters must share an anchor; a Link to a cluster outside the rotation is a gap. */
export function linkMissing(views: ClusterView[]): Missing[] {
  const byName = new Map(views.map((v) => [v.name, v]));
  const out: Missing[] = [];
  for (const v of views) {
    for (const target of v.linkTargets) {
      const t = byName.get(target);
      if (!t) {
        out.push({ cluster: v.name, text: `it links to cluster "${target}", which is not part of this rotation: add --context ${target}` });
        continue;
      }
      const mine = fingerprints(v.bundle);
      if (!t.bundle.some((a) => mine.has(a.fingerprintSha256))) out.push({ cluster: v.name, text: `its bundle and that of linked cluster ${target} share no anchor` });
    }
  }
  return out;
}

/** Pods whose proxy does not trust `wanted` (all of them when exact: and nothing else). */
function podsNotTrusting(v: ClusterView, wanted: Set<string>, exact: boolean): Missing[] {
  const stale: PodObject[] = [];
  const reasons = new Map<PodObject, string>();
  for (const pod of v.pods) {
    const seen = proxyAnchors(pod, v);
    if ('unknown' in seen) {
      if (seen.unknown === 'no proxy') continue;
      stale.push(pod);
      reasons.set(pod, seen.unknown);
      continue;
    }
    const ok = [...wanted].every((f) => seen.anchors.has(f)) && (!exact || seen.anchors.size === wanted.size);
    if (!ok) stale.push(pod);
  }
  if (stale.length === 0) return [];
  const detail = stale.length === 1 && reasons.get(stale[0]!) ? ` (${reasons.get(stale[0]!)})` : '';
  return [{ cluster: v.name, text: `${stale.length} meshed pod${stale.length === 1 ? '' : 's'} must be restarted${detail}: ${stale.slice(0, 5).map(podLine).join(', ')}${stale.length > 5 ? ', ...' : ''}`, pods: stale }];
}

/** Stage 3: every proxy trusts the new anchor (as well as the old ones), and Links share anchors. */
export function proxiesMissing(views: ClusterView[], newAnchor: CertificateInfo): Missing[] {
  return [...views.flatMap((v) => podsNotTrusting(v, new Set([newAnchor.fingerprintSha256]), false)), ...linkMissing(views)];
}

/** Stage 4: every issuer chains to the new anchor. */
export async function issuersMissing(views: ClusterView[], newAnchor: CertificateInfo): Promise<Missing[]> {
  const out: Missing[] = [];
  for (const v of views) {
    if (!v.issuer) {
      out.push({ cluster: v.name, text: `its issuer cannot be read: ${v.trust.issuerUnavailable ?? 'not found'}` });
      continue;
    }
    if (!(await verifyChain(v.issuer, [newAnchor])).ok) out.push({ cluster: v.name, text: `its issuer ${v.issuer.subject} (${v.trust.issuerSource}) is still signed by ${v.issuer.issuer}, not by the new anchor` });
  }
  return out;
}

/**
 * Stage 5: every proxy's certificate chains to the new anchor. Each proxy's
 * certificate is read from its admin port (proxyCertificates, as `linkerd
 * identity` does). A proxy whose certificate cannot be read is judged by time
 * instead, and the line says so: it asked for its certificate when it
 * started and renews within the issuance lifetime, so one that started before
 * the identity controller took the new issuer (its first IssuerUpdated Event
 * or start after the issuer was made), less than one lifetime ago, may still
 * hold one of the old issuer.
 */
export async function certificatesMissing(views: ClusterView[], now: number, newAnchor: CertificateInfo): Promise<Missing[]> {
  const out: Missing[] = [];
  for (const v of views) {
    const stale: PodObject[] = [];
    const signers = new Set<string>();
    const unread: PodObject[] = [];
    const why = new Map<PodObject, string>();
    for (const pod of v.pods) {
      if (!proxyTrustBundle(pod)) continue;
      const read = v.proxyCertificates?.get(podKey(pod));
      if (read && 'chain' in read) {
        const [leaf, ...presented] = read.chain;
        if (!leaf || !(await verifyChain(leaf, [newAnchor], presented)).ok) {
          stale.push(pod);
          if (leaf) signers.add(leaf.issuer);
        }
      } else if (read || pod.status?.phase === 'Running') {
        unread.push(pod);
        why.set(pod, read && 'unreadable' in read ? read.unreadable : 'not read');
      }
    }
    if (stale.length > 0) {
      out.push({
        cluster: v.name,
        text: `${stale.length} meshed pod${stale.length === 1 ? '' : 's'} still hold${stale.length === 1 ? 's' : ''} a certificate that does not chain to the new anchor (signed by ${[...signers].join(', ') || 'nothing'}; read from the proxy): restart ${stale.length === 1 ? 'it' : 'them'}: ${stale.slice(0, 5).map(podLine).join(', ')}${stale.length > 5 ? ', ...' : ''}`,
        pods: stale,
      });
    }
    if (unread.length === 0) continue;
    // The proxies whose certificate could not be read: judged by when they started.
    const since = v.issuer?.notBefore.getTime() ?? Infinity;
    const loads = v.issuerLoads.filter((t) => t >= since);
    const loaded = loads.length > 0 ? Math.min(...loads) : undefined;
    const because = (pods: PodObject[]) => `their certificate could not be read (${[...new Set(pods.map((p) => why.get(p)!))].slice(0, 2).join('; ')}), so they are judged by start time`;
    if (loaded === undefined) {
      out.push({ cluster: v.name, text: `no sign that the identity controller took the new issuer (no IssuerUpdated event, no identity pod start since), and ${unread.length} proxies' ${because(unread)}: restart deployment/linkerd-identity` });
      continue;
    }
    if (now >= loaded + v.trust.issuanceLifetimeMs) continue;
    const old = unread.filter((p) => Date.parse(p.status?.startTime ?? '') < loaded);
    if (old.length > 0) {
      const until = new Date(loaded + v.trust.issuanceLifetimeMs).toISOString().replace(/\.\d+Z$/, 'Z');
      out.push({
        cluster: v.name,
        text: `${old.length} meshed pod${old.length === 1 ? '' : 's'} started before the new issuer was loaded and may hold a certificate of the old one until ${until} (${because(old)}): restart ${old.length === 1 ? 'it' : 'them'} (or wait): ${old.slice(0, 5).map(podLine).join(', ')}${old.length > 5 ? ', ...' : ''}`,
        pods: old,
      });
    }
  }
  return out;
}

/** Stage 6: the new anchor alone, in every bundle, linkerd-config and proxy. */
export function oldAnchorMissing(views: ClusterView[], newAnchor: CertificateInfo): Missing[] {
  const only = new Set([newAnchor.fingerprintSha256]);
  const out: Missing[] = [];
  for (const v of views) {
    const old = v.bundle.filter((a) => a.fingerprintSha256 !== newAnchor.fingerprintSha256);
    if (old.length > 0) out.push({ cluster: v.name, text: `its trust bundle (${v.trust.bundleSource}) still holds ${names(old)}` });
    const oldConfig = v.configAnchors.filter((a) => a.fingerprintSha256 !== newAnchor.fingerprintSha256);
    if (oldConfig.length > 0) out.push({ cluster: v.name, text: `linkerd-config's identityTrustAnchorsPEM still holds ${names(oldConfig)}` });
    out.push(...podsNotTrusting(v, only, true));
  }
  return [...out, ...linkMissing(views)];
}

/** `kubectl rollout restart` (or delete, for a pod without owner) per workload, grouped by namespace. */
export function restartCommands(context: string, pods: PodObject[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const ctx = `--context ${shellQuote(context)}`;
  for (const p of [...pods].sort((a, b) => podLine(a).localeCompare(podLine(b)))) {
    const w = podWorkload(p);
    const ns = shellQuote(p.metadata.namespace ?? 'default');
    const cmd = w.kind === 'pod' ? `kubectl ${ctx} -n ${ns} delete pod ${shellQuote(w.name)}   # no owner: re-create it` : `kubectl ${ctx} -n ${ns} rollout restart ${w.kind}/${shellQuote(w.name)}`;
    if (!seen.has(cmd)) {
      seen.add(cmd);
      out.push(cmd);
    }
  }
  return out;
}

/** `helm upgrade` of the release that owns the cluster's linkerd-config, keeping its other values. */
export function helmUpgrade(v: Pick<ClusterView, 'name' | 'trust'>): string {
  const release = v.trust.helmRelease ?? { name: 'linkerd-control-plane', namespace: v.trust.linkerdNamespace };
  return `helm --kube-context ${shellQuote(v.name)} upgrade ${shellQuote(release.name)} linkerd/linkerd-control-plane -n ${shellQuote(release.namespace)} --reuse-values`;
}

/** How a cluster's bundle is changed: linkerd upgrade, Helm, or the ConfigMap itself (external CA). */
export function bundleCommand(v: ClusterView, bundleFile: string): string {
  const ctx = shellQuote(v.name);
  const ns = shellQuote(v.trust.linkerdNamespace);
  const f = shellQuote(bundleFile);
  if (v.trust.externalCA) {
    return `kubectl --context ${ctx} -n ${ns} create configmap linkerd-identity-trust-roots --from-file=ca-bundle.crt=${f} --dry-run=client -o yaml | kubectl --context ${ctx} apply -f -`;
  }
  if (v.trust.helmManaged) return `${helmUpgrade(v)} --set-file identityTrustAnchorsPEM=${f}`;
  return `linkerd --context ${ctx} upgrade --identity-trust-anchors-file ${f} | kubectl --context ${ctx} apply -f -`;
}

export function issuerCommand(v: ClusterView, crt: string, key: string): string {
  const ctx = shellQuote(v.name);
  const [c, k] = [shellQuote(crt), shellQuote(key)];
  if (v.trust.helmManaged) return `${helmUpgrade(v)} --set-file identity.issuer.tls.crtPEM=${c} --set-file identity.issuer.tls.keyPEM=${k}`;
  return `linkerd --context ${ctx} upgrade --identity-issuer-certificate-file ${c} --identity-issuer-key-file ${k} | kubectl --context ${ctx} apply -f -`;
}
