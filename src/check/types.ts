/** The shapes of the objects the checks read (only the fields they use); the Link is src/multicluster/link.ts. */
import type { KubeObject } from '../kube/client.js';
import type { PodObject } from './pods.js';

export type { Link } from '../multicluster/link.js';

export interface Service extends KubeObject {
  spec?: { ports?: Array<{ name?: string; port: number; nodePort?: number }>; type?: string; clusterIP?: string; selector?: Record<string, string> };
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } };
}

export interface Endpoints extends KubeObject {
  subsets?: Array<{ addresses?: unknown[] }>;
}

export interface Deployment extends KubeObject {
  status?: { availableReplicas?: number; readyReplicas?: number; replicas?: number };
}

export type Pod = KubeObject & PodObject;

export interface SecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

export interface ConfigMapObject extends KubeObject {
  data?: Record<string, string>;
}

export type RbacKind = 'serviceaccounts' | 'clusterroles' | 'clusterrolebindings' | 'roles' | 'rolebindings';

/** Where a cluster's Linkerd identity comes from, as far as we could read it. */
export interface IdentityMaterial {
  anchorsPem?: string;
  /** The bundle proxies are injected with (ConfigMap linkerd-identity-trust-roots), when there is one. */
  proxyTrustBundlePem?: string;
  /** e.g. ConfigMap linkerd/linkerd-config */
  anchorsSource: string;
  /** What the cluster trusts (the trust roots, else linkerd-config's anchors), when read. */
  bundlePem?: string;
  bundleSource?: string;
  issuerPem?: string;
  issuerSource?: string;
  /** Why the issuer could not be read (forbidden with the Link's credentials...). */
  issuerUnavailable?: string;
  /** identityTrustDomain of linkerd-config, when set. */
  trustDomain?: string;
}
