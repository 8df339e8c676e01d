/**
 * The `linkerd-multicluster` check category, in one ordered list as upstream
 * declares it (edge-26.8.3, multicluster/cmd/check.go, multiclusterCategory):
 * upstream's checks with their descriptions, hint anchors and fatal /
 * warning / retry levels, then three checks upstream lacks. Each check lives
 * in the file of its theme; a new check is one entry here plus its function.
 */
import type { CheckEnv } from '../env.js';
import type { Category } from '../runner.js';
import { checkCertificateLifetimes, MIN_CERT_VALIDITY_DAYS } from './certificates.js';
import type { MulticlusterCheck } from './check.js';
import { checkExportsMatchMirrors } from './exports.js';
import { checkGatewayAddresses, checkGatewayWorkloads } from './gateways.js';
import { checkLinkCRD, checkLinks, checkLinkVersions } from './links.js';
import { checkForOrphanedServices, checkIfGatewayMirrorsHaveEndpoints, checkIfMirrorServicesHaveEndpoints } from './mirrors.js';
import { checkProxyHealth, checkProxyVersions } from './proxies.js';
import { checkRoutesToMirrors } from './routes.js';
import { checkRemoteClusterAnchors, checkRemoteClusterConnectivity } from './remote-access.js';
import { checkLegacyController, checkServiceMirrorController, checkServiceMirrorLocalRBAC } from './service-mirror.js';

export const MULTICLUSTER_CATEGORY = 'linkerd-multicluster';

/** Upstream's checks, in upstream's order. */
export const UPSTREAM_CHECKS: readonly MulticlusterCheck[] = [
  { description: 'Link CRD exists', hintAnchor: 'l5d-multicluster-link-crd-exists', fatal: true, run: checkLinkCRD },
  { description: 'Link resources are valid', hintAnchor: 'l5d-multicluster-links-are-valid', fatal: true, run: checkLinks },
  { description: 'Link and CLI versions match', hintAnchor: 'l5d-multicluster-links-version', warning: true, run: checkLinkVersions },
  { description: 'remote cluster access credentials are valid', hintAnchor: 'l5d-smc-target-clusters-access', run: checkRemoteClusterConnectivity },
  { description: 'clusters share trust anchors', hintAnchor: 'l5d-multicluster-clusters-share-anchors', run: checkRemoteClusterAnchors },
  { description: 'service mirror controller has required permissions', hintAnchor: 'l5d-multicluster-source-rbac-correct', run: checkServiceMirrorLocalRBAC },
  {
    description: 'service mirror controllers are running',
    hintAnchor: 'l5d-multicluster-service-mirror-running',
    retry: true,
    surfaceErrorOnRetry: true,
    run: checkServiceMirrorController,
  },
  { description: 'extension is managing controllers', hintAnchor: 'l5d-multicluster-managed-controllers', warning: true, run: checkLegacyController },
  { description: 'probe services able to communicate with all gateway mirrors', hintAnchor: 'l5d-multicluster-gateways-endpoints', run: checkIfGatewayMirrorsHaveEndpoints },
  { description: 'all mirror services have endpoints', hintAnchor: 'l5d-multicluster-services-endpoints', run: checkIfMirrorServicesHaveEndpoints },
  { description: 'all mirror services are part of a Link', hintAnchor: 'l5d-multicluster-orphaned-services', warning: true, run: checkForOrphanedServices },
  {
    description: 'multicluster extension proxies are healthy',
    hintAnchor: 'l5d-multicluster-proxy-healthy',
    warning: true,
    retry: true,
    surfaceErrorOnRetry: true,
    run: checkProxyHealth,
  },
  // Upstream's "multicluster extension proxies are up-to-date" needs
  // versioncheck.linkerd.io over the internet; mc leaves it out.
  { description: 'multicluster extension proxies and cli versions match', hintAnchor: 'l5d-multicluster-proxy-cli-version', warning: true, run: checkProxyVersions },
];

/** Checks upstream lacks, after upstream's. */
export const EXTRA_CHECKS: readonly MulticlusterCheck[] = [
  {
    description: `trust anchors and issuer certificates are valid for at least ${MIN_CERT_VALIDITY_DAYS} days`,
    hintAnchor: 'l5d-identity-trustAnchors-not-expiring-soon',
    run: checkCertificateLifetimes,
  },
  { description: 'all exported services are mirrored and all mirrors are still exported', hintAnchor: 'l5d-multicluster-orphaned-services', run: checkExportsMatchMirrors },
  { description: 'Link gateway addresses match the remote gateways', hintAnchor: 'l5d-multicluster-gateways-endpoints', run: checkGatewayAddresses },
  { description: 'remote gateways are meshed gateways with the identity they announce', hintAnchor: 'l5d-multicluster-gateways-endpoints', run: checkGatewayWorkloads },
  { description: 'traffic splits send traffic only to mirrors with endpoints', hintAnchor: 'l5d-multicluster-services-endpoints', warning: true, run: checkRoutesToMirrors },
];

/** The category, its checks bound to one run's environment. */
export function multiclusterCategory(env: CheckEnv): Category {
  return {
    id: MULTICLUSTER_CATEGORY,
    checkers: [...UPSTREAM_CHECKS, ...EXTRA_CHECKS].map((c) => ({ ...c, run: (attempt: number) => c.run(env, attempt) })),
  };
}
