/**
 * `mc install` and `mc allow` as pure functions: options (and, unless
 * --ignore-cluster, the settings read from linkerd-config) in, rendered
 * documents out. The command files do the reading and printing.
 */
import { UsageError } from '../errors.js';
import { truthy } from './template.js';
import { loadChart, resolveValues, type RenderedDoc } from './chart.js';
import { validateLayer } from './schema.js';
import type { LinkerdSettings } from '../linkerd-config.js';
import { getPath, isMap, mergeMaps, setPath, type ValueOptions, type Values } from './values.js';

/** Namespace the extension lives in (upstream's CLI has no flag for it). */
export const MULTICLUSTER_NAMESPACE = 'linkerd-multicluster';

export interface InstallOptions {
  /** Image tag; default LINKERD_VERSION */
  linkerdVersion: string;
  linkerdNamespace: string;
  /** --registry, else $LINKERD_DOCKER_REGISTRY */
  registry?: string;
  gateway?: boolean;
  gatewayPort?: number;
  gatewayProbePort?: number;
  gatewayProbeSeconds?: number;
  gatewayServiceType?: string;
  gatewayHealthcheckNodePort?: number;
  serviceMirrorCredentials?: boolean;
  ha?: boolean;
  user?: ValueOptions;
  /** From linkerd-config; undefined with --ignore-cluster (chart defaults apply). */
  cluster?: Pick<LinkerdSettings, 'identityTrustDomain' | 'proxyOutboundPort' | 'cniEnabled'>;
  readFile?: (path: string, what: string) => string;
}

/** Replace the registry part of an image (everything before the last "/"), as upstream's RegistryOverride. */
export function registryOverride(image: string, registry: string): string {
  if (image === '' || registry === '') return image;
  const reg = registry.endsWith('/') ? registry : `${registry}/`;
  return reg + image.slice(image.lastIndexOf('/') + 1);
}

/** The values upstream's install sets from its flags and the cluster. */
export function installFlagValues(opts: InstallOptions): Values {
  const chart = loadChart('multicluster');
  const v: Values = {};
  setPath(v, 'linkerdVersion', opts.linkerdVersion);
  setPath(v, 'localServiceMirror.image.version', opts.linkerdVersion);
  setPath(v, 'controllerDefaults.image.version', opts.linkerdVersion);
  setPath(v, 'linkerdNamespace', opts.linkerdNamespace);
  if (opts.registry) {
    const d = chart.defaults as { localServiceMirror: { image: { name: string } }; controllerDefaults: { image: { name: string } } };
    setPath(v, 'localServiceMirror.image.name', registryOverride(d.localServiceMirror.image.name, opts.registry));
    setPath(v, 'controllerDefaults.image.name', registryOverride(d.controllerDefaults.image.name, opts.registry));
  }
  // Each flag is checked on its own, so an error names the flag.
  const flag = (name: string, entries: Array<[string, unknown]>) => {
    const layer: Values = {};
    for (const [path, value] of entries) setPath(layer, path, value);
    validateLayer(layer, chart.schema, name);
    for (const [path, value] of entries) setPath(v, path, value);
  };
  if (opts.gateway !== undefined) flag('--gateway', [['gateway.enabled', opts.gateway]]);
  if (opts.gatewayPort !== undefined) flag('--gateway-port', [['gateway.port', opts.gatewayPort]]);
  if (opts.gatewayProbePort !== undefined) flag('--gateway-probe-port', [['gateway.probe.port', opts.gatewayProbePort]]);
  if (opts.gatewayProbeSeconds !== undefined) flag('--gateway-probe-seconds', [['gateway.probe.seconds', opts.gatewayProbeSeconds]]);
  if (opts.gatewayServiceType !== undefined) flag('--gateway-service-type', [['gateway.serviceType', opts.gatewayServiceType]]);
  if (opts.gatewayHealthcheckNodePort !== undefined) {
    // Kubernetes only accepts a health-check node port with externalTrafficPolicy Local.
    flag('--gateway-healthcheck-nodeport', [
      ['gateway.healthCheckNodePort', opts.gatewayHealthcheckNodePort],
      ['gateway.serviceExternalTrafficPolicy', 'Local'],
    ]);
  }
  if (opts.serviceMirrorCredentials !== undefined) flag('--service-mirror-credentials', [['remoteMirrorServiceAccount', opts.serviceMirrorCredentials]]);
  if (opts.cluster) {
    setPath(v, 'identityTrustDomain', opts.cluster.identityTrustDomain);
    setPath(v, 'proxyOutboundPort', opts.cluster.proxyOutboundPort);
  }
  return v;
}

type Affinity = Values | undefined;

function withoutNulls(v: Values): Values {
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, isMap(x) ? withoutNulls(x) : x]));
}

/** Upstream's linkerd.affinity partial as data. */
function affinity(enableAnti: unknown, nodeAffinity: unknown, label: string, component: string): Affinity {
  const out: Values = {};
  if (enableAnti) {
    const expr = { matchExpressions: [{ key: label, operator: 'In', values: [component] }] };
    out.podAntiAffinity = {
      preferredDuringSchedulingIgnoredDuringExecution: [{ podAffinityTerm: { labelSelector: expr, topologyKey: 'topology.kubernetes.io/zone' }, weight: 100 }],
      requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: expr, topologyKey: 'kubernetes.io/hostname' }],
    };
  }
  if (isMap(nodeAffinity) && Object.keys(nodeAffinity).length > 0) out.nodeAffinity = nodeAffinity;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Entry settings the controller templates print (a null there renders an empty flag or field). */
const PRINTED_CONTROLLER_KEYS = ['replicas', 'logLevel', 'logFormat', 'retryLimit', 'enablePprof', 'UID', 'GID', 'image.name', 'image.version', 'gateway.probe.port'];

/** Each `controllers` entry completed from controllerDefaults, as the chart's `dig` calls do. */
function resolveControllers(values: Values): Values[] {
  const list = Array.isArray(values.controllers) ? values.controllers : [];
  const defaults = isMap(values.controllerDefaults) ? values.controllerDefaults : {};
  return list.map((entry, i) => {
    const item = isMap(entry) ? entry : {};
    const link = isMap(item.link) ? item.link : {};
    const ref = isMap(link.ref) ? link.ref : {};
    const name = ref.name;
    if (typeof name !== 'string' || name === '') {
      throw new UsageError(`controllers[${i}].link.ref.name is required`, 'Name the Link each controller serves, e.g. --set controllers[0].link.ref.name=east.');
    }
    const { link: _link, ...rest } = item;
    // The chart reads each setting with `dig KEY controllerDefaults.KEY entry`: an entry's key
    // replaces the default whole (no merge), except along dig's nested paths image.* and gateway.*.
    // Helm leaves nulls in list items alone, so dig returns them: falsy for the conditions, and
    // an empty flag or field where the value is printed, which is refused here.
    const c: Values = { ...defaults, ...rest };
    const nested = (key: string) => (isMap(rest[key]) ? mergeMaps(isMap(defaults[key]) ? defaults[key] : {}, rest[key]) : defaults[key]);
    c.image = nested('image');
    c.gateway = nested('gateway');
    for (const path of PRINTED_CONTROLLER_KEYS) {
      if (getPath(c, path) === null) {
        throw new UsageError(
          `controllers[${i}].${path} is null: Helm keeps nulls in list entries, so the chart would render it empty instead of using controllerDefaults.${path}`,
          `Leave "${path}" out of the entry to use the default.`,
        );
      }
    }
    return {
      ...c,
      name,
      affinity: affinity(c.enablePodAntiAffinity, c.nodeAffinity, 'mirror.linkerd.io/cluster-name', name),
      // pdb.yaml digs with the top-level enablePodAntiAffinity as the default, not controllerDefaults'.
      pdb: 'enablePodAntiAffinity' in item ? item.enablePodAntiAffinity : values.enablePodAntiAffinity,
    };
  });
}

/** Upstream's created-by partial: cliVersion, else "linkerd/helm " + (image.version, else linkerdVersion). */
export function createdByValue(values: Values): string {
  const image = isMap(values.image) ? values.image : {};
  if (truthy(values.cliVersion)) return String(values.cliVersion);
  return `linkerd/helm ${String(truthy(image.version) ? image.version : values.linkerdVersion)}`;
}

/** Template data besides Values: computed names and structures. */
export function installContext(values: Values, cniEnabled: boolean): Record<string, unknown> {
  const gw = values.gateway as Values;
  const names = values.remoteMirrorServiceAccountName;
  const remoteAccountNames = (Array.isArray(names) ? names.map(String) : String(names ?? '').split(',')).map((s) => s.trim()).filter((s) => s !== '');
  return {
    createdBy: createdByValue(values),
    // Upstream's install forces cniEnabled=true when the cluster uses the CNI plugin; else the user's value holds.
    cniEnabled: cniEnabled || truthy(values.cniEnabled),
    gatewayIdentity: `${String(gw.name)}.${MULTICLUSTER_NAMESPACE}.serviceaccount.identity.${String(values.linkerdNamespace)}.${String(values.identityTrustDomain)}`,
    setNodePorts: gw.serviceType === 'NodePort' || gw.serviceType === 'LoadBalancer',
    remoteAccountNames,
    affinity: {
      gateway: affinity(values.enablePodAntiAffinity, values.nodeAffinity, 'app', String(gw.name)),
      localServiceMirror: values.enablePodAntiAffinity ? affinity(true, values.nodeAffinity, 'component', 'local-service-mirror') : undefined,
    },
    controllers: resolveControllers(values),
  };
}

/** The final values of an install. */
export function installValues(opts: InstallOptions): Values {
  const chart = loadChart('multicluster');
  return resolveValues(chart, { flags: installFlagValues(opts), ha: opts.ha, user: opts.user, readFile: opts.readFile });
}

/** Render `mc install`. */
export async function renderInstall(opts: InstallOptions): Promise<RenderedDoc[]> {
  const chart = loadChart('multicluster');
  const values = installValues(opts);
  return chart.render(values, { namespace: MULTICLUSTER_NAMESPACE }, installContext(values, opts.cluster?.cniEnabled ?? false));
}

/**
 * Render `mc allow`: the remote-access ServiceAccount, its token Secret and
 * RBAC for the given account name, and the namespace they live in, as
 * upstream renders them.
 */
export async function renderAllow(opts: { serviceAccountName: string; linkerdVersion: string; linkerdNamespace: string; namespace?: string }): Promise<RenderedDoc[]> {
  const chart = loadChart('multicluster');
  const flags: Values = {};
  setPath(flags, 'linkerdVersion', opts.linkerdVersion);
  setPath(flags, 'linkerdNamespace', opts.linkerdNamespace);
  setPath(flags, 'remoteMirrorServiceAccount', true);
  setPath(flags, 'remoteMirrorServiceAccountName', opts.serviceAccountName);
  const values = resolveValues(chart, { flags });
  const docs = await chart.render(values, { namespace: opts.namespace ?? MULTICLUSTER_NAMESPACE }, installContext(values, false));
  return docs.filter((d) => d.template.endsWith('/namespace.yaml.hbs') || d.template.endsWith('/remote-access-service-mirror-rbac.yaml.hbs'));
}
