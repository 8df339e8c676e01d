/**
 * The shapes of the kinds the simulator writes and tests read, as far as
 * they read them (Kubernetes' optional fields stay optional). A shape is the
 * reader's expectation, not a check: `cluster.get<Service>(...)` does not
 * verify that the stored object is a Service.
 */
import type { KubeObject } from './kube-object.js';

export type StringMap = Record<string, string>;

export interface LabelSelector {
  matchLabels?: StringMap;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

// ---------------------------------------------------------------- Service, Endpoints

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
  protocol?: string;
  appProtocol?: string;
}

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
}

export interface Service extends KubeObject {
  spec: {
    type?: string;
    selector?: StringMap;
    ports?: ServicePort[];
    clusterIP?: string;
    clusterIPs?: string[];
    [field: string]: unknown;
  };
  status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } };
}

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind?: string; name?: string; namespace?: string; uid?: string };
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

export interface Endpoints extends KubeObject {
  subsets?: EndpointSubset[];
}

// ---------------------------------------------------------------- Pod, Deployment

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

export interface Container {
  name: string;
  image?: string;
  args?: string[];
  env?: EnvVar[];
  ports?: ContainerPort[];
  [field: string]: unknown;
}

export interface ContainerStatus {
  name: string;
  image?: string;
  ready: boolean;
  started?: boolean;
  restartCount?: number;
  state?: Record<string, unknown>;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  serviceAccountName?: string;
  nodeName?: string;
  [field: string]: unknown;
}

export interface PodTemplate {
  metadata?: { labels?: StringMap; annotations?: StringMap };
  spec?: PodSpec;
}

export interface Pod extends KubeObject {
  spec: PodSpec;
  status?: {
    phase?: string;
    podIP?: string;
    startTime?: string;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
    conditions?: Array<{ type: string; status: string; lastTransitionTime?: string }>;
    [field: string]: unknown;
  };
}

export interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    selector?: LabelSelector;
    template: PodTemplate;
    [field: string]: unknown;
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

// ---------------------------------------------------------------- configuration, coordination

export interface Secret extends KubeObject {
  type?: string;
  data?: StringMap;
  stringData?: StringMap;
}

export interface ConfigMap extends KubeObject {
  data?: StringMap;
}

export interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

// ---------------------------------------------------------------- multicluster.linkerd.io Link (the simulator's own copy)

export interface LinkSpec {
  targetClusterName?: string;
  targetClusterDomain?: string;
  targetClusterLinkerdNamespace?: string;
  clusterCredentialsSecret?: string;
  gatewayAddress?: string;
  gatewayPort?: string | number;
  gatewayIdentity?: string;
  probeSpec?: { path?: string; port?: string | number; period?: string; timeout?: string; failureThreshold?: string | number };
  selector?: LabelSelector;
  remoteDiscoverySelector?: LabelSelector;
  federatedServiceSelector?: LabelSelector;
  [field: string]: unknown;
}

export interface Link extends KubeObject {
  spec?: LinkSpec;
}

