/**
 * The one reader of ConfigMap linkerd-config, for install, link and check.
 * Its `values` key holds the control plane's Helm values as YAML (older
 * releases nest them under `global`, which is flattened, as upstream's
 * RemoveGlobalFieldIfPresent does). Pure: callers fetch the ConfigMap.
 *
 * Policy for a missing or blank `values` key (Linkerd before 2.10):
 * - install and link need the values: `linkerdSettings` throws an McError, as
 *   upstream's ValuesFromConfigMap fails ("Linkerd values not found");
 * - check reports what it can: `linkerdConfig(cm, where, { optional: true })`
 *   gives empty values and the checks say what is missing.
 * Values that are not YAML, or not a map, are an McError for every caller.
 */
import { isPort } from './cli-kit.js';
import yaml from 'js-yaml';
import { McError } from './errors.js';
import { configMapRef, type ResourceRef } from './kube/resources.js';
import { isMap, type Values } from './render/values.js';

/** ConfigMap linkerd-config of the control plane in `linkerdNamespace`. */
export function linkerdConfigRef(linkerdNamespace: string): ResourceRef {
  return configMapRef(linkerdNamespace, 'linkerd-config');
}

export interface ConfigMapLike {
  metadata?: { name?: string; namespace?: string };
  data?: Record<string, string>;
}

export interface LinkerdConfig {
  /** identityTrustDomain, when set. */
  identityTrustDomain?: string;
  /** clusterDomain, `cluster.local` when unset. */
  clusterDomain: string;
  /** proxy.ports.outbound, 4140 when unset or not a port. */
  proxyOutboundPort: number;
  /** proxy.ports.inbound (4143) and proxy.ports.admin (4191), the same way. */
  proxyInboundPort: number;
  proxyAdminPort: number;
  cniEnabled: boolean;
  /** identityTrustAnchorsPEM, when it is a string (possibly blank). */
  trustAnchorsPem?: string;
  /** identity.issuer.tls.crtPEM (the issuer certificate; its key is never in linkerd-config), when set. */
  issuerCertPem?: string;
  /** All of the control plane's values (flattened), for anything else a command needs. */
  values: Values;
}

/** What install and link need: the trust domain is always there. */
export interface LinkerdSettings extends LinkerdConfig {
  identityTrustDomain: string;
}

const UPGRADE_HINT = 'Re-install or upgrade the control plane.';

function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** A context without linkerd-config: Linkerd is not installed there (or lives in another namespace). */
export function linkerdNotInstalled(context: string, linkerdNamespace: string, alternative = ''): McError {
  return new McError(
    `Linkerd is not installed in context "${context}": no ConfigMap linkerd-config in namespace "${linkerdNamespace}"`,
    `Install the control plane first (\`linkerd install | kubectl apply -f -\`), or pass --linkerd-namespace if it lives elsewhere${alternative}.`,
  );
}

/**
 * The values each text was parsed to: one linkerd-config serves several
 * readers in a run (status and check: the settings and the trust; status
 * also reads each cluster's through the Links of the clusters linked to it),
 * and its values hold whole certificates, so parsing them shows. By text,
 * not by object: each read of one ConfigMap is a new object with the same
 * text. At most PARSED_VALUES_KEPT texts (the oldest go first).
 */
const parsedValues = new Map<string, unknown>();
const PARSED_VALUES_KEPT = 256;

function parseValues(text: string): unknown {
  const hit = parsedValues.get(text);
  // A copy: callers may change what they get.
  if (hit !== undefined) return structuredClone(hit);
  const values = yaml.load(text);
  if (parsedValues.size >= PARSED_VALUES_KEPT) parsedValues.delete(parsedValues.keys().next().value!);
  parsedValues.set(text, structuredClone(values));
  return values;
}

/** Parse linkerd-config; `where` names the ConfigMap in errors. */
export function linkerdConfig(configMap: ConfigMapLike | undefined, where: string, opts: { optional?: boolean } = {}): LinkerdConfig {
  const text = configMap?.data?.values;
  let values: Values = {};
  if (typeof text !== 'string' || text.trim() === '') {
    if (!opts.optional) throw new McError(`${where} has no "values" key`, 'Linkerd 2.10 or later is needed; re-install or upgrade the control plane.');
  } else {
    let parsed: unknown;
    try {
      parsed = parseValues(text);
    } catch (err) {
      throw new McError(`the "values" of ${where} are not valid YAML: ${(err as Error).message.split('\n')[0]}`, UPGRADE_HINT);
    }
    if (!isMap(parsed)) throw new McError(`the "values" of ${where} are not a YAML map`, UPGRADE_HINT);
    values = parsed;
  }
  if (isMap(values.global)) {
    const { global, ...rest } = values;
    values = { ...rest, ...(global as Values) };
  }
  const proxy = isMap(values.proxy) ? values.proxy : {};
  const ports = isMap(proxy.ports) ? proxy.ports : {};
  const port = (v: unknown, dflt: number) => {
    const n = Number(v ?? dflt);
    return isPort(n) ? n : dflt;
  };
  const identity = isMap(values.identity) ? values.identity : {};
  const issuer = isMap(identity.issuer) ? identity.issuer : {};
  const tls = isMap(issuer.tls) ? issuer.tls : {};
  return {
    identityTrustDomain: typeof values.identityTrustDomain === 'string' && values.identityTrustDomain !== '' ? values.identityTrustDomain : undefined,
    clusterDomain: typeof values.clusterDomain === 'string' && values.clusterDomain !== '' ? values.clusterDomain : 'cluster.local',
    proxyOutboundPort: port(ports.outbound, 4140),
    proxyInboundPort: port(ports.inbound, 4143),
    proxyAdminPort: port(ports.admin, 4191),
    cniEnabled: values.cniEnabled === true,
    trustAnchorsPem: typeof values.identityTrustAnchorsPEM === 'string' ? values.identityTrustAnchorsPEM : undefined,
    issuerCertPem: nonEmpty(tls.crtPEM),
    values,
  };
}

/**
 * linkerd-config of a control plane that install or link builds on: the
 * `values` key must be there. Without an identityTrustDomain, install fails
 * (its manifests need it) and link uses `cluster.local` (`defaultTrustDomain`).
 */
export function linkerdSettings(configMap: ConfigMapLike | undefined, where: string, opts: { defaultTrustDomain?: string } = {}): LinkerdSettings {
  const c = linkerdConfig(configMap, where);
  const identityTrustDomain = c.identityTrustDomain ?? opts.defaultTrustDomain;
  if (identityTrustDomain === undefined) {
    throw new McError(`the "values" of ${where} have no identityTrustDomain`, UPGRADE_HINT);
  }
  return { ...c, identityTrustDomain };
}
