/**
 * A cluster's trust as its Linkerd control plane holds it, read through
 * src/kube: the bundle proxies are injected with (ConfigMap
 * linkerd-identity-trust-roots, key ca-bundle.crt), the anchors in
 * linkerd-config's values (identityTrustAnchorsPEM), the issuer certificate
 * (Secret linkerd-identity-issuer, else linkerd-config) and how the control
 * plane was installed (Helm, external CA). `mc certs bundle`, `mc certs
 * rotate` and `mc check` read it here.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../kube/client.js';
import { configMapRef, secretRef, secretText, type ResourceRef } from '../kube/resources.js';
import { linkerdConfig, linkerdConfigRef } from '../linkerd-config.js';
import { isMap } from '../render/values.js';
import { parseGoDuration } from '../duration.js';

export const TRUST_ROOTS_CONFIGMAP = 'linkerd-identity-trust-roots';
export const TRUST_ROOTS_KEY = 'ca-bundle.crt';
export const ISSUER_SECRET = 'linkerd-identity-issuer';
/** Helm marks what it installs so (and `helm upgrade` would undo a direct write). */
export const HELM_MANAGED_LABEL = 'app.kubernetes.io/managed-by';
const HELM_RELEASE_NAME = 'meta.helm.sh/release-name';
const HELM_RELEASE_NAMESPACE = 'meta.helm.sh/release-namespace';

/** Whether Helm owns an object (its next upgrade would put back what Helm rendered). */
export function helmOwned(obj: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } } | undefined): boolean {
  return obj?.metadata?.labels?.[HELM_MANAGED_LABEL] === 'Helm' || Boolean(obj?.metadata?.annotations?.[HELM_RELEASE_NAME]);
}
const DEFAULT_ISSUANCE_LIFETIME_MS = 24 * 3_600_000;

/** The reads this module needs; KubeClient and check's limited client both have them. */
export interface TrustReader {
  get<T = KubeObject>(ref: ResourceRef): Promise<T>;
  getIfExists<T = KubeObject>(ref: ResourceRef): Promise<T | undefined>;
}

interface ConfigMapObject extends KubeObject {
  data?: Record<string, string>;
}

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

export interface ClusterTrust {
  linkerdNamespace: string;
  /** ca-bundle.crt of ConfigMap linkerd-identity-trust-roots, when there is one. */
  trustRootsPem?: string;
  /** identityTrustAnchorsPEM of linkerd-config (raw: proxies' trust-root-sha256 is its digest). */
  configAnchorsPem?: string;
  /** The bundle the cluster trusts: the trust roots, else linkerd-config's anchors. */
  bundlePem?: string;
  /** e.g. ConfigMap linkerd/linkerd-identity-trust-roots */
  bundleSource: string;
  issuerPem?: string;
  issuerSource?: string;
  /** Why the issuer could not be read (forbidden, missing...). */
  issuerUnavailable?: string;
  identityTrustDomain?: string;
  /** identity.externalCA: the trust roots ConfigMap is managed outside Linkerd's install. */
  externalCA: boolean;
  /** linkerd-config carries Helm's marks: Helm owns the values. */
  helmManaged: boolean;
  /** The Helm release linkerd-config belongs to (its annotations), when Helm owns it. */
  helmRelease?: { name: string; namespace: string };
  /** Helm owns ConfigMap linkerd-identity-trust-roots / Secret linkerd-identity-issuer (each absent: false). */
  trustRootsHelmOwned: boolean;
  issuerHelmOwned: boolean;
  /** How long proxies' certificates live (identity.issuer.issuanceLifetime, default 24h). */
  issuanceLifetimeMs: number;
  /** linkerd-config itself, for writers that keep its other values. */
  linkerdConfigMap: ConfigMapObject;
}

/**
 * Read the trust of the control plane in `linkerdNamespace`. A missing
 * linkerd-config is the caller's error to phrase (it rejects with a 404);
 * an unreadable issuer Secret is only noted.
 */
export async function readClusterTrust(client: TrustReader, linkerdNamespace: string): Promise<ClusterTrust> {
  const ns = linkerdNamespace;
  const [cm, roots, issuer] = await Promise.all([
    client.get<ConfigMapObject>(linkerdConfigRef(ns)),
    // Unreadable trust roots fall back to linkerd-config, as a missing ConfigMap does.
    client.getIfExists<ConfigMapObject>(configMapRef(ns, TRUST_ROOTS_CONFIGMAP)).catch(() => undefined),
    client.getIfExists<SecretObject>(secretRef(ns, ISSUER_SECRET)).catch((err: Error) => err),
  ]);
  const config = linkerdConfig(cm, `ConfigMap ${ns}/linkerd-config`, { optional: true });
  const identity = isMap(config.values.identity) ? config.values.identity : {};
  const issuerValues = isMap(identity.issuer) ? identity.issuer : {};
  const lifetime = typeof issuerValues.issuanceLifetime === 'string' ? parseGoDuration(issuerValues.issuanceLifetime) : undefined;
  const rootsPem = roots?.data?.[TRUST_ROOTS_KEY];
  const t: ClusterTrust = {
    linkerdNamespace: ns,
    trustRootsPem: rootsPem,
    configAnchorsPem: config.trustAnchorsPem,
    bundlePem: rootsPem?.trim() ? rootsPem : config.trustAnchorsPem,
    bundleSource: rootsPem?.trim() ? `ConfigMap ${ns}/${TRUST_ROOTS_CONFIGMAP}` : `ConfigMap ${ns}/linkerd-config`,
    identityTrustDomain: config.identityTrustDomain,
    externalCA: identity.externalCA === true,
    helmManaged: helmOwned(cm),
    ...(helmOwned(cm) ? { helmRelease: { name: cm.metadata.annotations?.[HELM_RELEASE_NAME] ?? 'linkerd-control-plane', namespace: cm.metadata.annotations?.[HELM_RELEASE_NAMESPACE] ?? ns } } : {}),
    trustRootsHelmOwned: helmOwned(roots),
    issuerHelmOwned: !(issuer instanceof Error) && helmOwned(issuer),
    issuanceLifetimeMs: lifetime && lifetime > 0 ? lifetime : DEFAULT_ISSUANCE_LIFETIME_MS,
    linkerdConfigMap: cm,
  };
  if (issuer instanceof Error) {
    t.issuerUnavailable = issuer.message;
  } else if (issuer) {
    t.issuerPem = secretText(issuer.data?.['crt.pem'] ?? issuer.data?.['tls.crt']);
    t.issuerSource = `Secret ${ns}/${ISSUER_SECRET}`;
    if (!t.issuerPem) t.issuerUnavailable = `Secret ${ns}/${ISSUER_SECRET} has neither crt.pem nor tls.crt`;
  } else {
    t.issuerUnavailable = `Secret ${ns}/${ISSUER_SECRET} does not exist`;
  }
  if (!t.issuerPem && config.issuerCertPem) {
    t.issuerPem = config.issuerCertPem;
    t.issuerSource = `ConfigMap ${ns}/linkerd-config (identity.issuer.tls.crtPEM)`;
  }
  return t;
}

/**
 * The digests a proxy's `linkerd.io/trust-root-sha256` annotation may carry
 * for this bundle text: upstream hashes identityTrustAnchorsPEM as given, and
 * the ConfigMap holds it trimmed.
 */
export function bundleDigests(pem: string | undefined): Set<string> {
  if (pem === undefined) return new Set();
  const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
  return new Set([sha(pem), sha(pem.trim()), sha(`${pem.trim()}\n`)]);
}
