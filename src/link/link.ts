/**
 * The credentials Secrets and the Link that `link` prints, built from the
 * facts read in the cluster being linked and the flags. Pure.
 */
import type { KubeObject } from '../kube/client.js';
import type { GatewaySpec } from './gateway.js';
import {
  CLUSTER_DOMAIN_ANNOTATION,
  CLUSTER_NAME_LABEL,
  KUBECONFIG_KEY,
  MIRROR_SECRET_TYPE,
  TRUST_DOMAIN_ANNOTATION,
  credentialsSecretName,
} from '../multicluster/names.js';
import { McError } from '../errors.js';
import { parseLinkSpec, type Link, type LinkSpec } from '../multicluster/link.js';
import type { LabelSelector } from '../multicluster/selectors.js';
import { CREATED_BY_ANNOTATION, LINK_API_VERSION } from '../multicluster/names.js';

/** The domains of the cluster being linked (from its linkerd-config). */
export interface LinkerdFacts {
  trustDomain: string;
  clusterDomain: string;
}

export interface LinkSpecInput {
  clusterName: string;
  /** Namespace of the Link and the service mirror (--namespace). */
  namespace: string;
  /** Linkerd's namespace (-L): the Link's targetClusterLinkerdNamespace and where the second Secret goes. */
  linkerdNamespace: string;
  /** "linkerd/cli VERSION", as upstream stamps it. */
  createdBy: string;
  selector: LabelSelector;
  remoteDiscoverySelector: LabelSelector;
  federatedServiceSelector: LabelSelector;
  excludedLabels: string[];
  excludedAnnotations: string[];
  /** Undefined with --gateway=false. */
  gateway?: GatewaySpec;
}

function credentialsSecret(name: string, namespace: string, kubeconfig: string, labels?: Record<string, string>, annotations?: Record<string, string>): KubeObject {
  const metadata: KubeObject['metadata'] = { name, namespace };
  if (labels) metadata.labels = labels;
  if (annotations) metadata.annotations = annotations;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata,
    type: MIRROR_SECRET_TYPE,
    data: { [KUBECONFIG_KEY]: Buffer.from(kubeconfig, 'utf8').toString('base64') },
  };
}

/** [credentials Secret (--namespace), credentials Secret (Linkerd namespace), Link]. */
export function buildLinkObjects(facts: LinkerdFacts, kubeconfig: string, o: LinkSpecInput): [KubeObject, KubeObject, Link] {
  const secretName = credentialsSecretName(o.clusterName);
  const spec: LinkSpec = {
    targetClusterName: o.clusterName,
    targetClusterDomain: facts.clusterDomain,
    targetClusterLinkerdNamespace: o.linkerdNamespace,
    clusterCredentialsSecret: secretName,
  };
  if (o.gateway) {
    spec.gatewayAddress = o.gateway.gatewayAddress;
    spec.gatewayPort = o.gateway.gatewayPort;
    spec.gatewayIdentity = o.gateway.gatewayIdentity;
    spec.probeSpec = { ...o.gateway.probeSpec };
    spec.selector = o.selector;
  } else {
    spec.probeSpec = {};
  }
  spec.remoteDiscoverySelector = o.remoteDiscoverySelector;
  spec.federatedServiceSelector = o.federatedServiceSelector;
  if (o.excludedAnnotations.length > 0) spec.excludedAnnotations = [...o.excludedAnnotations];
  if (o.excludedLabels.length > 0) spec.excludedLabels = [...o.excludedLabels];
  // What the service mirror could not parse is never written (the gateway's facts come from the linked cluster).
  const { problems } = parseLinkSpec(spec);
  if (problems.length > 0) {
    throw new McError(
      `the Link for cluster "${o.clusterName}" would not be usable by its service mirror:\n  - ${problems.map((p) => `${p.field} ${p.problem}; expected ${p.fix}`).join('\n  - ')}`,
      'Fix the gateway Service in the linked cluster (or --gateway-addresses), or link without a gateway with --gateway=false.',
    );
  }
  const link: Link = {
    apiVersion: LINK_API_VERSION,
    kind: 'Link',
    metadata: { name: o.clusterName, namespace: o.namespace, annotations: { [CREATED_BY_ANNOTATION]: o.createdBy } },
    spec,
  };
  return [
    credentialsSecret(secretName, o.namespace, kubeconfig),
    credentialsSecret(secretName, o.linkerdNamespace, kubeconfig, { [CLUSTER_NAME_LABEL]: o.clusterName }, {
      [TRUST_DOMAIN_ANNOTATION]: facts.trustDomain,
      [CLUSTER_DOMAIN_ANNOTATION]: facts.clusterDomain,
    }),
    link,
  ];
}
