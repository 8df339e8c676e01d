/**
 * The Link (multicluster.linkerd.io/v1alpha3), one type for both sides: link
 * and link-gen write it, check, gateways and unlink read it. A Link read from
 * a cluster is untrusted data: every field may be missing or odd.
 */
import type { KubeObject } from '../kube/client.js';
import type { LabelSelector } from './selectors.js';

export interface ProbeSpec {
  path?: string;
  port?: string;
  period?: string;
}

export interface LinkSpec {
  targetClusterName: string;
  targetClusterDomain?: string;
  targetClusterLinkerdNamespace?: string;
  clusterCredentialsSecret: string;
  gatewayAddress?: string;
  gatewayPort?: string;
  gatewayIdentity?: string;
  probeSpec?: ProbeSpec;
  selector?: LabelSelector;
  remoteDiscoverySelector?: LabelSelector;
  federatedServiceSelector?: LabelSelector;
  excludedAnnotations?: string[];
  excludedLabels?: string[];
}

export interface Link extends KubeObject {
  spec: LinkSpec;
}
