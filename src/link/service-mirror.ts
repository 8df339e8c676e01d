/**
 * The service-mirror part of `link`: templates/link rendered with the shared
 * chart machinery (src/render). Flags set values over the chart defaults; the
 * HA values and then the user's -f/--set go on top, as upstream does.
 */
import { loadChart, resolveValues, type RenderedDoc } from '../render/chart.js';
import type { ValueOptions, Values } from '../render/values.js';
import { createdByValue } from '../render/multicluster.js';

export interface ServiceMirrorInput {
  clusterName: string;
  namespace: string;
  version: string;
  registry: string;
  logLevel: string;
  logFormat: string;
  retryLimit: number;
  gateway: boolean;
  ha: boolean;
  valueOptions: ValueOptions;
  /**
   * The Link's probe port. The mirror probes the gateway through its local
   * probe Service on this port, so the Service must listen on it (for a
   * NodePort gateway it is the node port, not 4191: upstream #14451).
   */
  probePort?: number;
}

/** Values set from link's own flags (upstream's buildServiceMirrorValues). */
export function flagValues(i: ServiceMirrorInput): Values {
  return {
    targetClusterName: i.clusterName,
    gateway: { enabled: i.gateway, ...(i.probePort ? { probe: { port: i.probePort } } : {}) },
    serviceMirrorRetryLimit: i.retryLimit,
    logLevel: i.logLevel,
    logFormat: i.logFormat,
    controllerImageVersion: i.version,
    controllerImage: `${i.registry}/controller`,
    // upstream's NewLinkValues stamps its CLI version here; the created-by partial reads it
    cliVersion: `linkerd/cli ${i.version}`,
  };
}

/** Final values; validates -f/--set (usage errors) without touching a cluster. */
export function serviceMirrorValues(i: ServiceMirrorInput): Values {
  const chart = loadChart('link');
  return resolveValues(chart, { flags: flagValues(i), ha: i.ha, user: i.valueOptions });
}

export async function renderServiceMirror(i: ServiceMirrorInput, values: Values = serviceMirrorValues(i)): Promise<RenderedDoc[]> {
  const chart = loadChart('link');
  return chart.render(values, { namespace: i.namespace }, { createdBy: createdByValue(values) });
}
