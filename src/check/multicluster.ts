/**
 * The `linkerd-multicluster` check category: upstream's checks (edge-26.8.3,
 * multicluster/cmd/check.go) with their descriptions, hint anchors and
 * fatal / warning / retry levels, plus three checks upstream lacks
 * (certificate lifetimes, exports vs mirrors, Link gateway vs remote gateway).
 *
 * Every per-link check runs its links in parallel; every read comes from the
 * shared CheckEnv, so a Secret, a list or a remote call is made once however
 * many checks use it.
 */
import { KubeApiError, type KubeObject } from '../kube/client.js';
import { commonName, day, EXPIRY_WARNING_DAYS, parsePemBundle, sameAnchors, verifyChain, type CertificateInfo } from './certs.js';
import {
  CONTROL_PLANE_NS_LABEL,
  CredentialsError,
  LOCAL_DISCOVERY_ANNOTATION,
  MIRRORED_GATEWAY_LABEL,
  REMOTE_DISCOVERY_ANNOTATION,
  REMOTE_DISCOVERY_LABEL,
  REMOTE_SVC_FQ_NAME,
  type CheckEnv,
  type Endpoints,
  type IdentityMaterial,
  type Link,
  type Service,
} from './context.js';
import { CheckWarning, SkipCheck, type Category, type Checker } from './runner.js';
import { isEmptySelector, matchesSelector } from './selectors.js';
import { CREATED_BY_ANNOTATION, GATEWAY_IDENTITY_ANNOTATION, MIRROR_CLUSTER_LABEL, MIRRORED_SERVICE_LABEL } from '../multicluster-names.js';
import { FINISHED_POD_STATUSES, podStatus, PROXY_CONTAINER, proxyContainer, proxyReady, proxyVersion } from './pods.js';
import { LINKERD_VERSION } from '../version.js';

export const MULTICLUSTER_CATEGORY = 'linkerd-multicluster';

/** Certificates must stay valid at least this long (else ‼; expired is ×). */
export const MIN_CERT_VALIDITY_DAYS = EXPIRY_WARNING_DAYS;

const TRUST_ANCHORS_ENV = 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS';

/** Upstream's joinErrors: each line indented by tabDepth × 4 spaces. */
export function joinErrors(errors: string[], tabDepth: number): string {
  const indent = '    '.repeat(tabDepth);
  return errors.map((e) => indent + e).join('\n');
}

function target(link: Link): string {
  return link.spec.targetClusterName;
}

function bullet(link: Link): string {
  return `\t* ${target(link)}`;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Why a linked cluster could not be read, for the checks upstream lacks: a
 * short note when the cluster is unreachable (the connectivity check above
 * already gave the details), else the error itself.
 */
function remoteReadProblem(cluster: string, what: string, err: unknown): string {
  if (err instanceof KubeApiError && err.code === 0) return `* ${cluster}: not checked, ${cluster} is unreachable (${err.reason === 'Timeout' ? 'timed out' : 'connection failed'})`;
  if (err instanceof CredentialsError) return `* ${cluster}: not checked, its credentials are unusable: ${err.message}`;
  return `* ${cluster}: unable to ${what}: ${errText(err)}`;
}

function labelsOf(o: KubeObject): Record<string, string> {
  return o.metadata.labels ?? {};
}

/** Run fn for every link in parallel; results in link order. */
function perLink<T>(links: Link[], fn: (link: Link) => Promise<T>): Promise<T[]> {
  return Promise.all(links.map(fn));
}

/**
 * The problem with a link's credentials Secret or kubeconfig, in upstream's
 * words, or undefined when the remote client could be made.
 */
async function credentialsProblem(env: CheckEnv, link: Link): Promise<string | undefined> {
  const ns = link.metadata.namespace;
  const name = link.spec.clusterCredentialsSecret;
  try {
    await env.credentialsSecret(link);
  } catch (err) {
    return `* secret: [${ns}/${name}]: ${errText(err)}`;
  }
  try {
    await env.remote(link);
  } catch (err) {
    if (err instanceof CredentialsError && /kubeconfig under/.test(err.message)) return `* secret: [${ns}/${name}]: could not parse config secret: ${err.message}`;
    return `* secret: [${ns}/${name}] cluster: [${target(link)}]: unable to parse api config: ${errText(err)}`;
  }
  return undefined;
}

export class MulticlusterChecks {
  /** Set by "Link resources are valid"; later checks use it. */
  links: Link[] = [];

  constructor(
    private readonly env: CheckEnv,
    private readonly now: () => number = Date.now,
  ) {}

  category(): Category {
    return { id: MULTICLUSTER_CATEGORY, checkers: this.checkers() };
  }

  checkers(): Checker[] {
    return [
      {
        description: 'Link CRD exists',
        hintAnchor: 'l5d-multicluster-link-crd-exists',
        fatal: true,
        run: () => this.checkLinkCRD(),
      },
      {
        description: 'Link resources are valid',
        hintAnchor: 'l5d-multicluster-links-are-valid',
        fatal: true,
        run: () => this.checkLinks(),
      },
      {
        description: 'Link and CLI versions match',
        hintAnchor: 'l5d-multicluster-links-version',
        warning: true,
        run: () => this.checkLinkVersions(),
      },
      {
        description: 'remote cluster access credentials are valid',
        hintAnchor: 'l5d-smc-target-clusters-access',
        run: () => this.checkRemoteClusterConnectivity(),
      },
      {
        description: 'clusters share trust anchors',
        hintAnchor: 'l5d-multicluster-clusters-share-anchors',
        run: () => this.checkRemoteClusterAnchors(),
      },
      {
        description: 'service mirror controller has required permissions',
        hintAnchor: 'l5d-multicluster-source-rbac-correct',
        run: () => this.checkServiceMirrorLocalRBAC(),
      },
      {
        description: 'service mirror controllers are running',
        hintAnchor: 'l5d-multicluster-service-mirror-running',
        retry: true,
        surfaceErrorOnRetry: true,
        run: (attempt) => {
          if (attempt > 0) this.env.forget('retry:deployments');
          return this.checkServiceMirrorController();
        },
      },
      {
        description: 'probe services able to communicate with all gateway mirrors',
        hintAnchor: 'l5d-multicluster-gateways-endpoints',
        run: () => this.checkIfGatewayMirrorsHaveEndpoints(),
      },
      {
        description: 'all mirror services have endpoints',
        hintAnchor: 'l5d-multicluster-services-endpoints',
        run: () => this.checkIfMirrorServicesHaveEndpoints(),
      },
      {
        description: 'all mirror services are part of a Link',
        hintAnchor: 'l5d-multicluster-orphaned-services',
        warning: true,
        run: () => this.checkForOrphanedServices(),
      },
      {
        description: 'multicluster extension proxies are healthy',
        hintAnchor: 'l5d-multicluster-proxy-healthy',
        warning: true,
        retry: true,
        surfaceErrorOnRetry: true,
        run: (attempt) => {
          if (attempt > 0) this.env.forget('retry:pods');
          return this.checkProxyHealth();
        },
      },
      // Upstream's "multicluster extension proxies are up-to-date" needs
      // versioncheck.linkerd.io over the internet; mc leaves it out.
      {
        description: 'multicluster extension proxies and cli versions match',
        hintAnchor: 'l5d-multicluster-proxy-cli-version',
        warning: true,
        run: () => this.checkProxyVersions(),
      },
      // ---- beyond upstream ----
      {
        description: `trust anchors and issuer certificates are valid for at least ${MIN_CERT_VALIDITY_DAYS} days`,
        hintAnchor: 'l5d-identity-trustAnchors-not-expiring-soon',
        run: () => this.checkCertificateLifetimes(),
      },
      {
        description: 'all exported services are mirrored and all mirrors are still exported',
        hintAnchor: 'l5d-multicluster-orphaned-services',
        run: () => this.checkExportsMatchMirrors(),
      },
      {
        description: 'Link gateway addresses match the remote gateways',
        hintAnchor: 'l5d-multicluster-gateways-endpoints',
        run: () => this.checkGatewayAddresses(),
      },
    ];
  }

  // ---- upstream checks ----

  async checkLinkCRD(): Promise<void> {
    let resources: Array<{ kind: string; name: string }>;
    try {
      resources = await this.env.linkApiResources();
    } catch (err) {
      const why = err instanceof KubeApiError && err.code === 404 ? 'Link CRD not found' : errText(err);
      throw new Error(`multicluster.linkerd.io/Link CRD is missing: ${why}`);
    }
    if (!resources.some((r) => r.kind === 'Link')) throw new Error('multicluster.linkerd.io/Link CRD is missing: Link CRD not found');
    const review = await this.env.localCan('list', 'multicluster.linkerd.io', 'links');
    if (!review.allowed) {
      throw new Error(`multicluster.linkerd.io/Link CRD is missing: not authorized to access links.multicluster.linkerd.io${review.reason ? `: ${review.reason}` : ''}`);
    }
  }

  async checkLinks(): Promise<string[]> {
    const links = await this.env.links();
    if (links.length === 0) throw new SkipCheck('no links detected');
    const problems: string[] = [];
    for (const l of links) {
      const where = `Link ${l.metadata.namespace}/${l.metadata.name}`;
      if (!l.spec) {
        problems.push(`* ${where}: has no spec`);
        continue;
      }
      for (const field of ['targetClusterName', 'clusterCredentialsSecret'] as const) {
        if (!l.spec[field]) problems.push(`* ${where}: spec.${field} is missing`);
      }
      if (l.spec.gatewayAddress && !l.spec.gatewayPort) problems.push(`* ${where}: spec.gatewayAddress is set but spec.gatewayPort is missing`);
    }
    if (problems.length > 0) throw new Error(joinErrors(problems, 2).trimStart());
    this.links = links;
    return links.map(bullet);
  }

  async checkRemoteClusterConnectivity(): Promise<string[]> {
    if (this.links.length === 0) throw new SkipCheck('no links');
    const perLinkErrors = await perLink(this.links, async (link) => {
      const cred = await credentialsProblem(this.env, link);
      if (cred) return [cred];
      // Upstream asks /version first to prove connectivity; the access reviews
      // prove it as well, one request fewer per link.
      const reviews = await Promise.all(
        ['get', 'list', 'watch'].map(async (verb) => {
          try {
            return { verb, review: await this.env.remoteCan(link, verb, '', 'services') };
          } catch (err) {
            return { verb, err };
          }
        }),
      );
      const failed = reviews.find((r) => r.err !== undefined);
      if (failed && !(failed.err instanceof KubeApiError && failed.err.code >= 400)) {
        return [`* failed to connect to API for cluster: [${target(link)}]: ${errText(failed.err)}`];
      }
      if (failed && failed.err instanceof KubeApiError && failed.err.code === 401) {
        return [`* failed to connect to API for cluster: [${target(link)}]: ${errText(failed.err)}`];
      }
      return reviews.flatMap(({ verb, review, err }) => {
        if (err !== undefined) return [`* missing service permission [${verb}] for cluster [${target(link)}]: ${errText(err)}`];
        if (review?.allowed) return [];
        return [`* missing service permission [${verb}] for cluster [${target(link)}]: not authorized to access services${review?.reason ? `: ${review.reason}` : ''}`];
      });
    });
    const errors = perLinkErrors.flat();
    if (errors.length > 0) throw new Error(joinErrors(errors, 2));
    return this.links.map(bullet);
  }

  async checkRemoteClusterAnchors(): Promise<string[]> {
    let local: CertificateInfo[];
    try {
      local = parsePemBundle((await this.env.localIdentity()).anchorsPem);
    } catch (err) {
      throw new Error(`Cannot parse source trust anchors: ${errText(err)}`);
    }
    if (this.links.length === 0) throw new SkipCheck('no links');
    const results = await perLink(this.links, async (link): Promise<string | undefined> => {
      const cred = await credentialsProblem(this.env, link);
      if (cred) return cred;
      let identity: IdentityMaterial;
      try {
        identity = await this.env.remoteIdentity(link);
      } catch (err) {
        return `* ${target(link)}: unable to fetch anchors: ${errText(err)}`;
      }
      let remote: CertificateInfo[];
      try {
        remote = parsePemBundle(identity.anchorsPem);
      } catch {
        return `* ${target(link)}: cannot parse trust anchors`;
      }
      if (!sameAnchors(local, remote)) {
        return `* ${target(link)}: its trust anchors (${identity.anchorsSource} in ${target(link)}: ${remote.map(commonName).join(', ')}) differ from those of ${this.env.localName} (${local.map(commonName).join(', ')})`;
      }
      return undefined;
    });
    const errors = results.filter((e): e is string => e !== undefined);
    if (errors.length > 0) throw new Error(`Problematic clusters:\n    ${errors.join('\n    ')}`);
    return this.links.map(bullet);
  }

  async checkServiceMirrorLocalRBAC(): Promise<string[]> {
    if (this.links.length === 0) throw new SkipCheck('no links');
    const messages = await perLink(this.links, async (link) => {
      const t = target(link);
      const ns = link.metadata.namespace ?? 'default';
      const [sas, crs, crbs, roles, rbs] = await Promise.all([
        this.env.rbacObjects('serviceaccounts', ns),
        this.env.rbacObjects('clusterroles'),
        this.env.rbacObjects('clusterrolebindings'),
        this.env.rbacObjects('roles', ns),
        this.env.rbacObjects('rolebindings', ns),
      ]);
      // Names for links made by the CLI, then by the multicluster chart's controllers.
      const wanted: Array<[string, Map<string, KubeObject>, string[], string]> = [
        ['ServiceAccounts', sas, [`linkerd-service-mirror-${t}`, `controller-${t}`], ns],
        ['ClusterRoles', crs, [`linkerd-service-mirror-access-local-resources-${t}`, 'linkerd-multicluster-controller-access-local-resources'], ''],
        ['ClusterRoleBindings', crbs, [`linkerd-service-mirror-access-local-resources-${t}`, `linkerd-multicluster-controller-access-local-resources-${t}`], ''],
        ['Roles', roles, [`linkerd-service-mirror-read-remote-creds-${t}`, `controller-read-remote-creds-${t}`], ns],
        ['RoleBindings', rbs, [`linkerd-service-mirror-read-remote-creds-${t}`, `controller-read-remote-creds-${t}`], ns],
      ];
      const out: string[] = [];
      for (const [kind, objects, names, inNs] of wanted) {
        if (names.some((n) => objects.has(n))) continue;
        out.push(`* ${t}: missing ${kind}: ${names[0]}${inNs ? ` in namespace ${inNs}` : ''} (or ${names[1]})`);
      }
      return out;
    });
    const all = messages.flat();
    if (all.length > 0) throw new Error(all.join('\n'));
    return this.links.map(bullet);
  }

  async checkServiceMirrorController(): Promise<string[]> {
    if (this.links.length === 0) throw new SkipCheck('no links');
    const deployments = await this.env.serviceMirrorDeployments();
    const errors: string[] = [];
    for (const link of this.links) {
      const mine = deployments.filter((d) => labelsOf(d)[MIRROR_CLUSTER_LABEL] === target(link));
      if (mine.length > 1) {
        errors.push(`* too many service mirror controller deployments for Link ${target(link)}`);
        continue;
      }
      if (mine.length === 0) {
        errors.push(`* no service mirror controller deployment for Link ${target(link)}`);
        continue;
      }
      const d = mine[0]!;
      if ((d.status?.availableReplicas ?? 0) < 1) {
        errors.push(`* service mirror controller is not available: ${d.metadata.namespace}/${d.metadata.name}`);
      }
    }
    if (errors.length > 0) throw new Error(joinErrors(errors, 2));
    return this.links.map(bullet);
  }

  async checkIfGatewayMirrorsHaveEndpoints(): Promise<string[]> {
    const mcNamespaces = await this.env.multiclusterNamespaces().catch(() => []);
    if (mcNamespaces.length === 0) throw new SkipCheck('failed to find the linkerd-multicluster namespace');
    const byCluster = await this.env.mirrorServicesByCluster();
    const results = await perLink(this.links, async (link): Promise<{ ok?: string; error?: string } | undefined> => {
      // Linked without a gateway (flat network): nothing to probe.
      if (!link.spec.gatewayAddress || !link.spec.probeSpec?.path) return undefined;
      const gateways = (byCluster.get(target(link)) ?? []).filter((s) => MIRRORED_GATEWAY_LABEL in labelsOf(s));
      if (gateways.length !== 1) return { error: `wrong number (${gateways.length}) of probe gateways for target cluster ${target(link)}` };
      const svc = gateways[0]!;
      const ep = await this.env.endpointsOf(svc.metadata.namespace ?? '', svc.metadata.name ?? '');
      if (!ep || (ep.subsets ?? []).length === 0) {
        return { error: `${svc.metadata.name}.${svc.metadata.namespace} mirrored from cluster [${labelsOf(svc)[MIRROR_CLUSTER_LABEL]}] has no endpoints` };
      }
      return { ok: bullet(link) };
    });
    const errors = results.flatMap((r) => (r?.error ? [r.error] : []));
    if (errors.length > 0) throw new Error(joinErrors(errors, 1));
    const ok = results.flatMap((r) => (r?.ok ? [r.ok] : []));
    if (ok.length === 0) throw new SkipCheck('no links');
    return ok;
  }

  private async mirrorServicesOnly(): Promise<Service[]> {
    const services = await this.env.mirrorServices();
    return services.filter((s) => {
      const l = labelsOf(s);
      return MIRRORED_SERVICE_LABEL in l && !(MIRRORED_GATEWAY_LABEL in l);
    });
  }

  async checkIfMirrorServicesHaveEndpoints(): Promise<void> {
    const mirrors = (await this.mirrorServicesOnly()).filter((s) => !(REMOTE_DISCOVERY_LABEL in labelsOf(s)));
    if (mirrors.length === 0) throw new SkipCheck('no mirror services');
    const index = await this.env.mirrorEndpointsIndex();
    const hasAddresses = (ep: Endpoints | undefined) => Boolean(ep && (ep.subsets ?? []).some((s) => (s.addresses ?? []).length > 0));
    const list: string[] = [];
    for (const svc of mirrors) {
      const a = svc.metadata.annotations ?? {};
      // Federated services do not need endpoints of their own.
      if (a[REMOTE_DISCOVERY_ANNOTATION] || a[LOCAL_DISCOVERY_ANNOTATION]) continue;
      const ns = svc.metadata.namespace ?? '';
      const name = svc.metadata.name ?? '';
      // Endpoints without the mirror labels are read one by one (rare).
      const ep = index.get(`${ns}/${name}`) ?? (await this.env.endpointsOf(ns, name).catch(() => undefined));
      if (!hasAddresses(ep)) list.push(`${name}.${ns} mirrored from cluster [${labelsOf(svc)[MIRROR_CLUSTER_LABEL]}]`);
    }
    if (list.length > 0) throw new Error(`Some mirror services do not have endpoints:\n    ${list.join('\n    ')}`);
  }

  async checkForOrphanedServices(): Promise<void> {
    const mirrors = await this.mirrorServicesOnly();
    if (mirrors.length === 0) throw new SkipCheck('no mirror services');
    const links = await this.env.links();
    const targets = new Set(links.map((l) => l.spec?.targetClusterName));
    const errors = mirrors
      .filter((s) => !targets.has(labelsOf(s)[MIRROR_CLUSTER_LABEL]))
      .map((s) => `mirror service ${s.metadata.name}.${s.metadata.namespace} is not part of any Link (${MIRROR_CLUSTER_LABEL}=${labelsOf(s)[MIRROR_CLUSTER_LABEL]})`);
    if (errors.length > 0) throw new Error(joinErrors(errors, 1));
  }

  async checkProxyHealth(): Promise<void> {
    let proxyBundle: string | undefined;
    for (const ns of this.linkNamespaces()) {
      const pods = await this.env.meshedPods(ns);
      if (pods.length === 0) throw new Error(`no "${PROXY_CONTAINER}" containers found in the "${ns}" namespace`);
      for (const pod of pods) {
        const status = podStatus(pod);
        if (FINISHED_POD_STATUSES.has(status)) continue;
        if (status !== 'Running' && status !== 'Evicted') throw new Error(`pod "${pod.metadata.name}" status is ${status}`);
        if (!proxyReady(pod)) throw new Error(`container "${PROXY_CONTAINER}" in pod "${pod.metadata.name}" is not ready`);
      }
      if (proxyBundle === undefined) {
        const identity = await this.env.localIdentity();
        proxyBundle = (identity.proxyTrustBundlePem ?? identity.anchorsPem ?? '').trim();
      }
      const offending = pods
        .filter((pod) => {
          const anchors = proxyContainer(pod)?.env?.find((e) => e.name === TRUST_ANCHORS_ENV);
          return anchors !== undefined && (anchors.value ?? '').trim() !== proxyBundle;
        })
        .map((pod) => `* ${pod.metadata.name}`);
      if (offending.length > 0) throw new Error(`Some pods do not have the current trust bundle and must be restarted:\n\t${offending.join('\n\t')}`);
    }
  }

  /** Upstream stops at the first pod of another version; this lists them all. */
  async checkProxyVersions(): Promise<void> {
    const mismatched: string[] = [];
    for (const ns of this.linkNamespaces()) {
      for (const pod of await this.env.meshedPods(ns)) {
        const version = proxyVersion(pod);
        if (version !== '' && version !== LINKERD_VERSION) mismatched.push(`${pod.metadata.name} running ${version} but cli running ${LINKERD_VERSION}`);
      }
    }
    if (mismatched.length > 0) throw new Error(mismatched.join('\n'));
  }

  /** Each Link records the CLI that made it (linkerd.io/created-by: "linkerd/cli VERSION"). */
  async checkLinkVersions(): Promise<string[]> {
    if (this.links.length === 0) throw new SkipCheck('no links');
    const problems: string[] = [];
    for (const link of this.links) {
      const [tool, version, ...rest] = (link.metadata.annotations?.[CREATED_BY_ANNOTATION] ?? '').split(' ');
      if (tool !== 'linkerd/cli' || !version || rest.length > 0) problems.push(`* ${target(link)}: unable to determine version`);
      else if (version !== LINKERD_VERSION) problems.push(`* ${target(link)}: CLI version is ${LINKERD_VERSION} but Link version is ${version}`);
    }
    if (problems.length > 0) throw new Error(joinErrors(problems, 2).trimStart());
    return this.links.map(bullet);
  }

  private linkNamespaces(): string[] {
    return [...new Set(this.links.map((l) => l.metadata.namespace ?? 'default'))];
  }

  // ---- beyond upstream ----

  /** Problems (errors, warnings) and detail lines for one cluster's anchors and issuer. */
  private async lifetimes(cluster: string, m: IdentityMaterial): Promise<{ errors: string[]; warnings: string[]; detail: string }> {
    const errors: string[] = [];
    const warnings: string[] = [];
    const now = new Date(this.now());
    const judge = (what: string, cert: CertificateInfo) => {
      const name = `${what} "${commonName(cert)}"`;
      if (cert.notYetValid) errors.push(`* ${cluster}: ${name} is not valid before ${cert.notBefore.toISOString()}`);
      else if (cert.expired) errors.push(`* ${cluster}: ${name} expired on ${cert.notAfter.toISOString()}`);
      else if (cert.daysLeft < MIN_CERT_VALIDITY_DAYS) warnings.push(`* ${cluster}: ${name} expires in ${cert.daysLeft} days (${day(cert.notAfter)}), less than ${MIN_CERT_VALIDITY_DAYS}`);
    };
    let anchors: CertificateInfo[] = [];
    const parts: string[] = [];
    try {
      anchors = parsePemBundle(m.anchorsPem, now);
      for (const a of anchors) judge(`trust anchor (${m.anchorsSource})`, a);
      parts.push(`anchors until ${day(new Date(Math.min(...anchors.map((a) => a.notAfter.getTime()))))}`);
    } catch (err) {
      errors.push(`* ${cluster}: cannot parse the trust anchors in ${m.anchorsSource}: ${errText(err)}`);
    }
    if (m.issuerPem) {
      try {
        const issuer = parsePemBundle(m.issuerPem, now)[0]!;
        judge(`issuer certificate (${m.issuerSource})`, issuer);
        parts.push(`issuer until ${day(issuer.notAfter)}`);
        if (anchors.length > 0) {
          const chain = await verifyChain(issuer, anchors);
          if (!chain.ok) errors.push(`* ${cluster}: the issuer certificate (${m.issuerSource}) does not chain to the trust anchors (${m.anchorsSource}): ${chain.problem}`);
        }
      } catch (err) {
        errors.push(`* ${cluster}: cannot parse the issuer certificate in ${m.issuerSource}: ${errText(err)}`);
      }
    } else {
      parts.push(`issuer not checked: ${m.issuerUnavailable ?? 'not found'}`);
    }
    return { errors, warnings, detail: `\t* ${cluster}: ${parts.join(', ')}` };
  }

  async checkCertificateLifetimes(): Promise<string[]> {
    const clusters: Array<{ name: string; material: Promise<IdentityMaterial> }> = [
      { name: this.env.localName, material: this.env.localIdentity() },
      ...this.links.map((link) => ({ name: target(link), material: this.env.remoteIdentity(link) })),
    ];
    const judged = await Promise.all(
      clusters.map(async (c) => {
        try {
          return await this.lifetimes(c.name, await c.material);
        } catch (err) {
          return { errors: [remoteReadProblem(c.name, 'fetch the certificates', err)], warnings: [], detail: '' };
        }
      }),
    );
    const errors = judged.flatMap((j) => j.errors);
    const warnings = judged.flatMap((j) => j.warnings);
    if (errors.length > 0) throw new Error(joinErrors([...errors, ...warnings], 1).trimStart());
    if (warnings.length > 0) throw new CheckWarning(joinErrors(warnings, 1).trimStart());
    return judged.map((j) => j.detail).filter((d) => d !== '');
  }

  async checkExportsMatchMirrors(): Promise<string[]> {
    if (this.links.length === 0) throw new SkipCheck('no links');
    const byCluster = await this.env.mirrorServicesByCluster();
    const results = await perLink(this.links, async (link) => {
      const t = target(link);
      const errors: string[] = [];
      const stale: string[] = [];
      let remote: Service[];
      try {
        remote = await this.env.remoteServices(link);
      } catch (err) {
        return { errors: [remoteReadProblem(t, `list the services of ${t}`, err)], stale, count: 0 };
      }
      const selectors = [link.spec.selector, link.spec.remoteDiscoverySelector].filter((s) => !isEmptySelector(s));
      const exported = remote.filter((s) => selectors.some((sel) => matchesSelector(sel!, labelsOf(s))));
      const exportedKeys = new Set(exported.map((s) => `${s.metadata.namespace}/${s.metadata.name}`));
      const remoteKeys = new Set(remote.map((s) => `${s.metadata.namespace}/${s.metadata.name}`));
      const mirrors = (byCluster.get(t) ?? []).filter((s) => {
        const l = labelsOf(s);
        const a = s.metadata.annotations ?? {};
        return !(MIRRORED_GATEWAY_LABEL in l) && (MIRRORED_SERVICE_LABEL in l || REMOTE_DISCOVERY_LABEL in l) && !a[LOCAL_DISCOVERY_ANNOTATION];
      });
      const mirrorKeys = new Set(mirrors.map((s) => `${s.metadata.namespace}/${s.metadata.name}`));
      const unmirrored = exported.filter((s) => !mirrorKeys.has(`${s.metadata.namespace}/${s.metadata.name}-${t}`));
      const namespaces = unmirrored.length > 0 ? await this.env.namespaceNames().catch(() => undefined) : undefined;
      for (const s of unmirrored) {
        const ns = s.metadata.namespace ?? '';
        // The service mirror only mirrors into namespaces that exist (unless namespace creation is on).
        const why = namespaces && !namespaces.has(ns) ? ` (namespace ${ns} does not exist in ${this.env.localName}: create it)` : '';
        errors.push(`* ${t}: exported service ${s.metadata.name}.${ns} has no mirror ${s.metadata.name}-${t}.${ns} in ${this.env.localName}${why}`);
      }
      for (const m of mirrors) {
        const original = originalOf(m, t);
        const key = `${original.namespace}/${original.name}`;
        if (!remoteKeys.has(key)) stale.push(`* ${t}: mirror ${m.metadata.name}.${m.metadata.namespace} is stale: ${original.name}.${original.namespace} no longer exists in ${t}`);
        else if (!exportedKeys.has(key)) stale.push(`* ${t}: mirror ${m.metadata.name}.${m.metadata.namespace} is stale: ${original.name}.${original.namespace} is no longer exported from ${t}`);
      }
      return { errors, stale, count: exported.length };
    });
    const errors = results.flatMap((r) => r.errors);
    const stale = results.flatMap((r) => r.stale);
    if (errors.length > 0) throw new Error(joinErrors([...errors, ...stale], 1).trimStart());
    if (stale.length > 0) throw new CheckWarning(joinErrors(stale, 1).trimStart());
    return this.links.map((l, i) => `${bullet(l)}: ${results[i]!.count} exported, all mirrored`);
  }

  async checkGatewayAddresses(): Promise<string[]> {
    const withGateway = this.links.filter((l) => l.spec.gatewayAddress);
    if (withGateway.length === 0) throw new SkipCheck('no links with a gateway');
    const results = await perLink(withGateway, async (link): Promise<{ error?: string; ok?: string }> => {
      const t = target(link);
      let remote: Service[];
      try {
        remote = await this.env.remoteServices(link);
      } catch (err) {
        return { error: remoteReadProblem(t, `list the services of ${t}`, err) };
      }
      const gateways = remote.filter((s) => (s.spec?.ports ?? []).some((p) => p.name === 'mc-gateway'));
      const byIdentity = gateways.filter((s) => link.spec.gatewayIdentity && s.metadata.annotations?.[GATEWAY_IDENTITY_ANNOTATION] === link.spec.gatewayIdentity);
      const gw = byIdentity[0] ?? (gateways.length === 1 ? gateways[0] : undefined);
      if (!gw) {
        return {
          error:
            gateways.length === 0
              ? `* ${t}: no gateway Service (one with a port named mc-gateway) found in ${t}`
              : `* ${t}: none of the gateway Services of ${t} (${gateways.map((g) => `${g.metadata.namespace}/${g.metadata.name}`).join(', ')}) has the Link's gateway identity ${link.spec.gatewayIdentity}`,
        };
      }
      const where = `Service ${gw.metadata.namespace}/${gw.metadata.name} in ${t}`;
      const actual = (gw.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname).filter((a): a is string => Boolean(a));
      const linked = (link.spec.gatewayAddress ?? '').split(',').map((a) => a.trim()).filter(Boolean);
      const problems: string[] = [];
      const missing = linked.filter((a) => !actual.includes(a));
      if (missing.length > 0) {
        problems.push(`the Link's gateway address ${missing.join(',')} is not an address of ${where} (${actual.length > 0 ? actual.join(',') : 'it has none'})`);
      }
      const port = gw.spec?.ports?.find((p) => p.name === 'mc-gateway')?.port;
      if (link.spec.gatewayPort && port !== undefined && String(port) !== String(link.spec.gatewayPort)) {
        problems.push(`the Link's gateway port ${link.spec.gatewayPort} differs from the mc-gateway port ${port} of ${where}`);
      }
      const identity = gw.metadata.annotations?.[GATEWAY_IDENTITY_ANNOTATION];
      if (link.spec.gatewayIdentity && identity && identity !== link.spec.gatewayIdentity) {
        problems.push(`the Link's gateway identity ${link.spec.gatewayIdentity} differs from ${identity} on ${where}`);
      }
      if (problems.length > 0) return { error: `* ${t}: ${problems.join('; ')}; run \`mc link\` again` };
      return { ok: `\t* ${t}: ${linked.join(',')}:${link.spec.gatewayPort} (${gw.metadata.namespace}/${gw.metadata.name})` };
    });
    const errors = results.flatMap((r) => (r.error ? [r.error] : []));
    if (errors.length > 0) throw new Error(joinErrors(errors, 1).trimStart());
    return results.flatMap((r) => (r.ok ? [r.ok] : []));
  }
}

/** The remote Service a mirror stands for: from remote-svc-fq-name, else by removing "-TARGET". */
export function originalOf(mirror: Service, target: string): { name: string; namespace: string } {
  const fq = mirror.metadata.annotations?.[REMOTE_SVC_FQ_NAME];
  if (fq) {
    const [name, namespace] = fq.split('.');
    if (name && namespace) return { name, namespace };
  }
  const name = mirror.metadata.name ?? '';
  const suffix = `-${target}`;
  return { name: name.endsWith(suffix) ? name.slice(0, -suffix.length) : name, namespace: mirror.metadata.namespace ?? '' };
}

// The pods label used by the proxy-health check (exported for tests).
export { CONTROL_PLANE_NS_LABEL };
