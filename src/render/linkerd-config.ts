/**
 * Reading the control plane's settings from ConfigMap linkerd-config, as
 * upstream does: its `values` key holds the control plane's Helm values as
 * YAML (older releases nest them under `global`, which is flattened).
 */
import yaml from 'js-yaml';
import { McError } from '../errors.js';
import { isMap, type Values } from './values.js';

export interface LinkerdSettings {
  identityTrustDomain: string;
  clusterDomain: string;
  proxyOutboundPort: number;
  cniEnabled: boolean;
  /** All of the control plane's values, for anything else a command needs. */
  values: Values;
}

/** Settings from a linkerd-config ConfigMap object; `where` names it in errors. */
export function linkerdSettings(configMap: { data?: Record<string, string> } | undefined, where: string): LinkerdSettings {
  const text = configMap?.data?.values;
  if (typeof text !== 'string' || text.trim() === '') {
    throw new McError(`${where} has no "values" key`, 'Linkerd 2.10 or later is needed; re-install or upgrade the control plane.');
  }
  let parsed: unknown;
  try {
    parsed = yaml.load(text);
  } catch (err) {
    throw new McError(`the "values" of ${where} are not valid YAML: ${(err as Error).message.split('\n')[0]}`, 'Re-install or upgrade the control plane.');
  }
  if (!isMap(parsed)) throw new McError(`the "values" of ${where} are not a YAML map`, 'Re-install or upgrade the control plane.');
  let values: Values = parsed;
  if (isMap(values.global)) {
    const { global, ...rest } = values;
    values = { ...rest, ...(global as Values) };
  }
  const proxy = isMap(values.proxy) ? values.proxy : {};
  const ports = isMap(proxy.ports) ? proxy.ports : {};
  const outbound = Number(ports.outbound ?? 4140);
  const trustDomain = values.identityTrustDomain;
  if (typeof trustDomain !== 'string' || trustDomain === '') {
    throw new McError(`the "values" of ${where} have no identityTrustDomain`, 'Re-install or upgrade the control plane.');
  }
  return {
    identityTrustDomain: trustDomain,
    clusterDomain: typeof values.clusterDomain === 'string' && values.clusterDomain !== '' ? values.clusterDomain : 'cluster.local',
    proxyOutboundPort: Number.isInteger(outbound) && outbound > 0 ? outbound : 4140,
    cniEnabled: values.cniEnabled === true,
    values,
  };
}
