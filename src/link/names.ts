/**
 * Names, labels and annotations of the objects `link` creates (those other
 * parts share are in src/multicluster-names.ts). They are facts
 * of upstream's interface (Linkerd multicluster, edge-26.8): the service
 * mirror and the destination controller look for exactly these.
 */
export const DEFAULT_REGISTRY = 'cr.l5d.io/linkerd';
export const REGISTRY_ENV = 'LINKERD_DOCKER_REGISTRY';

export const DEFAULT_SELECTOR = 'mirror.linkerd.io/exported=true';
export const DEFAULT_REMOTE_DISCOVERY_SELECTOR = 'mirror.linkerd.io/exported=remote-discovery';
export const DEFAULT_FEDERATED_SELECTOR = 'mirror.linkerd.io/federated=member';

/** Secret type the service mirror watches for, and the data key holding the kubeconfig. */
export const MIRROR_SECRET_TYPE = 'mirror.linkerd.io/remote-kubeconfig';
export const KUBECONFIG_KEY = 'kubeconfig';

/** On the copy in the Linkerd namespace, read by the destination controller. */
export const CLUSTER_NAME_LABEL = 'multicluster.linkerd.io/cluster-name';
export const TRUST_DOMAIN_ANNOTATION = 'multicluster.linkerd.io/trust-domain';
export const CLUSTER_DOMAIN_ANNOTATION = 'multicluster.linkerd.io/cluster-domain';

/** Service-account token Secrets. */
export const SA_TOKEN_TYPE = 'kubernetes.io/service-account-token';
export const SA_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
export const TOKEN_KEY = 'token';

/** The gateway Service. */
export const GATEWAY_PORT_NAME = 'mc-gateway';
export const PROBE_PORT_NAME = 'mc-probe';
export const PROBE_PATH_ANNOTATION = 'mirror.linkerd.io/probe-path';
export const PROBE_PERIOD_ANNOTATION = 'mirror.linkerd.io/probe-period';

export const credentialsSecretName = (cluster: string): string => `cluster-credentials-${cluster}`;
export const serviceMirrorName = (cluster: string): string => `linkerd-service-mirror-${cluster}`;
export const probeServiceName = (cluster: string): string => `probe-gateway-${cluster}`;
export const localResourcesRoleName = (cluster: string): string => `linkerd-service-mirror-access-local-resources-${cluster}`;
export const remoteCredsRoleName = (cluster: string): string => `linkerd-service-mirror-read-remote-creds-${cluster}`;
export const pspRoleBindingName = (cluster: string): string => `linkerd-multicluster-link-psp-${cluster}`;
