/**
 * Labels, annotations and names of upstream's multicluster interface
 * (Linkerd edge-26.8): link and link-gen write them, export-service sets them,
 * check, gateways and unlink look for them, and the service mirror and the
 * destination controller read exactly these. One home, so every part agrees.
 */
import type { Env } from '../io.js';

export const LINK_API_VERSION = 'multicluster.linkerd.io/v1alpha3';

/** On every resource of the extension: `linkerd.io/extension=multicluster` (uninstall and check find them by it). */
export const EXTENSION_LABEL = 'linkerd.io/extension';
export const EXTENSION_NAME = 'multicluster';

/** On everything the service mirror creates in the linking cluster: the linked cluster's name. */
export const MIRROR_CLUSTER_LABEL = 'mirror.linkerd.io/cluster-name';
/** On a mirror of an exported service (such a Service is never exported itself). */
export const MIRRORED_SERVICE_LABEL = 'mirror.linkerd.io/mirrored-service';
/** On the gateway Service: the identity its proxy presents. */
export const GATEWAY_IDENTITY_ANNOTATION = 'mirror.linkerd.io/gateway-identity';
/** On a gateway Service (Linkerd 2.8's chart sets it; mc adopt-gateway too): marks it as a multicluster gateway. */
export const MULTICLUSTER_GATEWAY_ANNOTATION = 'mirror.linkerd.io/multicluster-gateway';

/** "linkerd/cli VERSION" on a Link: which CLI made it (check compares it with the version mc targets). */
export const CREATED_BY_ANNOTATION = 'linkerd.io/created-by';

export const DEFAULT_MULTICLUSTER_NAMESPACE = 'linkerd-multicluster';
export const DEFAULT_GATEWAY_NAME = 'linkerd-gateway';

/** `component` of service mirror pods: legacy `link` mirrors and the chart's managed controllers. */
export const SERVICE_MIRROR_POD_COMPONENTS = ['linkerd-service-mirror', 'controller'] as const;
/** The service mirror's container in those pods (the same two generations). */
export const SERVICE_MIRROR_CONTAINERS = ['service-mirror', 'controller'] as const;
/** The service mirror's admin port (GET /metrics) is the container port whose name ends so (svcmi-admin, ctrl-admin). */
export const ADMIN_PORT_NAME_SUFFIX = '-admin';
/** The Lease the active service mirror of a link holds; its holderIdentity is the pod's name. */
export function serviceMirrorLeaseName(clusterName: string): string {
  return `service-mirror-write-${clusterName}`;
}

// Labels and annotations upstream's service mirror puts on what it creates.
/** On the probe mirror of a linked cluster's gateway. */
export const MIRRORED_GATEWAY_LABEL = 'mirror.linkerd.io/mirrored-gateway';
/** On a mirror made in remote-discovery mode (no gateway). */
export const REMOTE_DISCOVERY_LABEL = 'mirror.linkerd.io/remote-discovery';
/** On a mirror: NAME.NAMESPACE.svc.DOMAIN of the Service it stands for. */
export const REMOTE_SVC_FQ_NAME = 'mirror.linkerd.io/remote-svc-fq-name';
/** On a federated service: its members in linked clusters, and here. */
export const REMOTE_DISCOVERY_ANNOTATION = 'multicluster.linkerd.io/remote-discovery';
export const LOCAL_DISCOVERY_ANNOTATION = 'multicluster.linkerd.io/local-discovery';
/** `component` label values of service mirror Deployments (links made by the CLI, or by the multicluster chart). */
export const SERVICE_MIRROR_COMPONENT_VALUES = ['service-mirror', 'controller'];
/** The first: the legacy mirror `link` makes (check warns that the extension does not manage it). */
export const LEGACY_SERVICE_MIRROR_COMPONENT = 'service-mirror';

// What link creates: its Secrets, the gateway's ports and annotations, object names.
export const DEFAULT_REGISTRY = 'cr.l5d.io/linkerd';
export const REGISTRY_ENV = 'LINKERD_DOCKER_REGISTRY';

/** The image registry, as upstream's CLI picks it: --registry, else a non-empty $LINKERD_DOCKER_REGISTRY; undefined: the default. */
export function registryOf(flag: string | undefined, env: Env): string | undefined {
  return flag ?? (env[REGISTRY_ENV] || undefined);
}

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

// The same objects when the multicluster chart's `controllers` entries run the service mirror.
/** The service mirror the multicluster chart runs for a `controllers` entry (Deployment and ServiceAccount). */
export function managedControllerName(clusterName: string): string {
  return `controller-${clusterName}`;
}
export const CONTROLLER_LOCAL_RESOURCES_ROLE = 'linkerd-multicluster-controller-access-local-resources';
export const controllerLocalResourcesBindingName = (cluster: string): string => `linkerd-multicluster-controller-access-local-resources-${cluster}`;
export const controllerRemoteCredsRoleName = (cluster: string): string => `controller-read-remote-creds-${cluster}`;
