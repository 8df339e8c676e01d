/**
 * From the flags `link` and `link-gen` share (upstream's linkGenOptions) to
 * typed LinkGenOptions: every check that needs no cluster, so usage errors
 * come before any request.
 */
import { isDns1035Label, isDnsSubdomain, parseAddresses, parseNamespace, parsePort, parseServerUrl } from '../cli-kit.js';
import { UsageError } from '../errors.js';
import { checkClusterName } from './cluster-name.js';
import type { LinkGenOptions } from './link-gen.js';
import { DEFAULT_SELECTOR } from '../multicluster/names.js';
import { outputFormatOf, type Format } from './output.js';
import { parseLabelSelector } from '../multicluster/selectors.js';

/** The shared flags as commander hands them over (strings, lists, booleans). */
export interface LinkGenFlagValues {
  clusterName?: string;
  namespace: string;
  apiServerAddress?: string;
  serviceAccountName: string;
  gatewayName: string;
  gatewayNamespace: string;
  gateway: boolean;
  gatewayAddresses?: string;
  gatewayPort?: string;
  selector: string;
  remoteDiscoverySelector: string;
  federatedServiceSelector: string;
  excludedLabels: string[];
  excludedAnnotations: string[];
  output?: string;
  applyTo?: string;
  insecureSkipTlsVerify?: boolean;
}

/** `link`'s flags: the shared ones plus the legacy service mirror's. */
export interface LinkFlags extends LinkGenFlagValues {
  ha: boolean;
  logLevel: string;
  logFormat: string;
  serviceMirrorRetryLimit: string;
  linkerdVersion: string;
  controlPlaneVersion?: string;
  registry?: string;
  set: string[];
  setString: string[];
  setFile: string[];
  values: string[];
}

function splitList(items: string[]): string[] {
  return items.flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

export function linkGenOptionsOf(f: LinkGenFlagValues, linkerdNamespace: string): LinkGenOptions & { output: Format; applyTo?: string } {
  const output = outputFormatOf(f.output);
  const gatewayPort = f.gatewayPort === undefined ? undefined : parsePort(f.gatewayPort, '--gateway-port');
  // Addresses go into the Link as they are: each one an IP or a DNS name.
  const gatewayAddresses = f.gatewayAddresses === undefined ? undefined : parseAddresses(f.gatewayAddresses, '--gateway-addresses').join(',');
  if (!f.gateway) {
    // Upstream's link refuses these (its link-gen silently ignores them): refused for both.
    if (f.selector !== '' && f.selector !== DEFAULT_SELECTOR) throw new UsageError('--selector and --gateway=false are mutually exclusive', 'Without a gateway, services are mirrored by --remote-discovery-selector.');
    if (f.gatewayAddresses) throw new UsageError('--gateway-addresses and --gateway=false are mutually exclusive');
    if (gatewayPort !== undefined) throw new UsageError('--gateway-port and --gateway=false are mutually exclusive');
  }
  if (f.applyTo === '') throw new UsageError('--apply-to needs a context name');
  if (!isDnsSubdomain(f.serviceAccountName)) throw new UsageError(`invalid --service-account-name "${f.serviceAccountName}": not a ServiceAccount name (a lower-case DNS name)`, 'e.g. --service-account-name west-mirror');
  if (!isDns1035Label(f.gatewayName)) throw new UsageError(`invalid --gateway-name "${f.gatewayName}": not a Service name (a DNS-1035 label)`, 'e.g. --gateway-name linkerd-gateway');
  const gatewayNamespace = parseNamespace(f.gatewayNamespace, '--gateway-namespace');
  return {
    output,
    applyTo: f.applyTo,
    clusterName: f.clusterName === undefined ? undefined : checkClusterName(f.clusterName),
    namespace: parseNamespace(f.namespace),
    linkerdNamespace,
    apiServerAddress: f.apiServerAddress ? parseServerUrl(f.apiServerAddress, '--api-server-address') : undefined,
    insecureSkipTlsVerify: Boolean(f.insecureSkipTlsVerify),
    serviceAccountName: f.serviceAccountName,
    gateway: f.gateway ? { name: f.gatewayName, namespace: gatewayNamespace, addresses: gatewayAddresses, port: gatewayPort } : undefined,
    selector: parseLabelSelector(f.selector, '--selector'),
    remoteDiscoverySelector: parseLabelSelector(f.remoteDiscoverySelector, '--remote-discovery-selector'),
    federatedServiceSelector: parseLabelSelector(f.federatedServiceSelector, '--federated-service-selector'),
    excludedLabels: splitList(f.excludedLabels),
    excludedAnnotations: splitList(f.excludedAnnotations),
  };
}
