/**
 * `controllers` entries (the service mirrors the multicluster chart runs)
 * render as upstream's chart does: templates/controller/{rbac,deployment,
 * pdb,probe-svc}.yaml of linkerd-multicluster at edge-26.8.3, written out
 * below as data (upstreamController) with sprig's `dig` as the chart calls
 * it. Values start from upstream's own values file in the reference data.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import yaml from 'js-yaml';
import { renderInstall } from '../src/render/multicluster.js';
import { UsageError } from '../src/errors.js';
import { REFERENCE_DIR } from './helpers/index.js';

type V = Record<string, any>;
const NS = 'linkerd-multicluster';
const UPSTREAM_DEFAULTS = yaml.load(readFileSync(join(REFERENCE_DIR, 'install-values.yaml'), 'utf8')) as V;
const isMap = (v: unknown): v is V => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Maps merge, the rest replaces (enough for the cases below, which set no nulls). */
const merge = (a: V, b: V): V => Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [k, isMap(a[k]) && isMap(b[k]) ? merge(a[k], b[k]) : k in b ? b[k] : a[k]]));
/** Helm's `empty`/`if`/`with` truthiness. */
const truthy = (v: unknown) => !(v === undefined || v === null || v === false || v === '' || v === 0 || (Array.isArray(v) && v.length === 0) || (isMap(v) && Object.keys(v).length === 0));

/** sprig's dig: the value at the path in `dict` if every key is there, else the default. */
function dig(keys: string[], def: unknown, dict: V): unknown {
  let cur: any = dict;
  for (const k of keys) {
    if (!isMap(cur) || !(k in cur)) return def;
    cur = cur[k];
  }
  return cur;
}

/** The documents upstream's chart renders for one `controllers` entry. */
function upstreamController(values: V, entry: V): V[] {
  const d = values.controllerDefaults;
  const name = entry.link.ref.name;
  const common = values.commonLabels ?? {};
  const labels = { 'linkerd.io/extension': 'multicluster', component: 'controller', 'mirror.linkerd.io/cluster-name': name, ...common };
  const createdBy = `linkerd/helm ${values.linkerdVersion}`;
  const docs: V[] = [];
  const sa: V = { kind: 'ServiceAccount', apiVersion: 'v1', metadata: { name: `controller-${name}`, namespace: NS, labels } };
  if (truthy(values.imagePullSecrets)) sa.imagePullSecrets = values.imagePullSecrets;
  docs.push(sa);
  const subject = { kind: 'ServiceAccount', name: `controller-${name}`, namespace: NS };
  docs.push({
    kind: 'ClusterRoleBinding',
    apiVersion: 'rbac.authorization.k8s.io/v1',
    metadata: { name: `linkerd-multicluster-controller-access-local-resources-${name}`, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'linkerd-multicluster-controller-access-local-resources' },
    subjects: [subject],
  });
  docs.push({
    kind: 'Role',
    apiVersion: 'rbac.authorization.k8s.io/v1',
    metadata: { name: `controller-read-remote-creds-${name}`, namespace: NS, labels },
    rules: [
      { apiGroups: [''], resources: ['secrets'], resourceNames: [`cluster-credentials-${name}`], verbs: ['list', 'get', 'watch'] },
      { apiGroups: ['multicluster.linkerd.io'], resources: ['links'], verbs: ['list', 'get', 'watch'] },
      { apiGroups: ['multicluster.linkerd.io'], resources: ['links/status'], verbs: ['update', 'patch'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create', 'get', 'update', 'patch'] },
    ],
  });
  docs.push({
    kind: 'RoleBinding',
    apiVersion: 'rbac.authorization.k8s.io/v1',
    metadata: { name: `controller-read-remote-creds-${name}`, namespace: NS, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `controller-read-remote-creds-${name}` },
    subjects: [subject],
  });

  const anti = dig(['enablePodAntiAffinity'], d.enablePodAntiAffinity, entry);
  const nodeAffinity = dig(['nodeAffinity'], d.nodeAffinity, entry);
  const expr = { matchExpressions: [{ key: 'mirror.linkerd.io/cluster-name', operator: 'In', values: [name] }] };
  const args = [
    'service-mirror',
    `-log-level=${dig(['logLevel'], d.logLevel, entry)}`,
    `-log-format=${dig(['logFormat'], d.logFormat, entry)}`,
    `-event-requeue-limit=${dig(['retryLimit'], d.retryLimit, entry)}`,
    `-namespace=${NS}`,
    ...(truthy(dig(['enableHeadlessServices'], d.enableHeadlessServices, entry)) ? ['-enable-headless-services'] : []),
    ...(truthy(values.enableNamespaceCreation) ? ['-enable-namespace-creation'] : []),
    `-enable-pprof=${dig(['enablePprof'], d.enablePprof, entry)}`,
    `-probe-service=probe-${name}`,
    name,
  ];
  const container: V = { args };
  if (truthy(values.serviceMirrorAdditionalEnv) || truthy(values.serviceMirrorExperimentalEnv)) {
    container.env = [...(values.serviceMirrorAdditionalEnv ?? []), ...(values.serviceMirrorExperimentalEnv ?? [])];
  }
  Object.assign(container, {
    image: `${dig(['image', 'name'], d.image.name, entry)}:${dig(['image', 'version'], d.image.version, entry)}`,
    name: 'controller',
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: dig(['UID'], d.UID, entry),
      runAsGroup: dig(['GID'], d.GID, entry),
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [{ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: 'kube-api-access', readOnly: true }],
    ports: [{ containerPort: 9999, name: 'ctrl-admin' }],
  });
  const resources = dig(['resources'], d.resources, entry);
  if (truthy(resources)) container.resources = resources;
  const podSpec: V = {};
  if (truthy(anti) || truthy(nodeAffinity)) {
    podSpec.affinity = {
      ...(truthy(anti)
        ? {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [{ podAffinityTerm: { labelSelector: expr, topologyKey: 'topology.kubernetes.io/zone' }, weight: 100 }],
              requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: expr, topologyKey: 'kubernetes.io/hostname' }],
            },
          }
        : {}),
      ...(truthy(nodeAffinity) ? { nodeAffinity } : {}),
    };
  }
  Object.assign(podSpec, {
    automountServiceAccountToken: false,
    containers: [container],
    securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
    serviceAccountName: `controller-${name}`,
    volumes: [
      {
        name: 'kube-api-access',
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
            { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
          ],
        },
      },
    ],
  });
  const nodeSelector = dig(['nodeSelector'], d.nodeSelector, entry);
  if (truthy(nodeSelector)) podSpec.nodeSelector = nodeSelector;
  const tolerations = dig(['tolerations'], d.tolerations, entry);
  if (truthy(tolerations)) podSpec.tolerations = tolerations;
  const deploy: V = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { labels, name: `controller-${name}`, namespace: NS },
    spec: {
      replicas: dig(['replicas'], d.replicas, entry),
      revisionHistoryLimit: values.revisionHistoryLimit,
      selector: { matchLabels: { component: 'controller', 'mirror.linkerd.io/cluster-name': name } },
      ...(truthy(anti) ? { strategy: { rollingUpdate: { maxUnavailable: 1 } } } : {}),
      template: {
        metadata: {
          annotations: { 'linkerd.io/inject': 'enabled', 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true', 'config.alpha.linkerd.io/proxy-wait-before-exit-seconds': '0', ...(values.podAnnotations ?? {}) },
          labels: { 'linkerd.io/extension': 'multicluster', component: 'controller', 'mirror.linkerd.io/cluster-name': name, ...(values.podLabels ?? {}) },
        },
        spec: podSpec,
      },
    },
  };
  docs.push(deploy);
  // pdb.yaml falls back to the top-level enablePodAntiAffinity, not controllerDefaults'.
  if (truthy(dig(['enablePodAntiAffinity'], values.enablePodAntiAffinity, entry))) {
    docs.push({
      kind: 'PodDisruptionBudget',
      apiVersion: 'policy/v1',
      metadata: { name: `controller-${name}`, namespace: NS, labels: { component: 'controller' }, annotations: { 'linkerd.io/created-by': createdBy } },
      spec: { maxUnavailable: 1, selector: { matchLabels: { component: 'controller', 'mirror.linkerd.io/cluster-name': name } } },
    });
  }
  if (truthy(dig(['gateway', 'enabled'], d.gateway.enabled, entry))) {
    docs.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `probe-${name}`, namespace: NS, annotations: { 'linkerd.io/created-by': createdBy }, labels: { 'linkerd.io/extension': 'multicluster', 'mirror.linkerd.io/mirrored-gateway': 'true', 'mirror.linkerd.io/cluster-name': name, ...common } },
      spec: { ports: [{ name: 'mc-probe', port: dig(['gateway', 'probe', 'port'], d.gateway.probe.port, entry), protocol: 'TCP' }] },
    });
  }
  return docs;
}

const keyOf = (d: V) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`;

/** The controller documents mc renders for these values (as a values file), and upstream's for the same. */
async function compare(user: V, ha = false): Promise<void> {
  const docs = (await renderInstall({ linkerdVersion: 'linkerdVersionValue', linkerdNamespace: 'linkerd', ha, user: { values: ['controllers.yaml'] }, readFile: () => yaml.dump(user) })).map((d) => d.object as V);
  let values = merge(UPSTREAM_DEFAULTS, ha ? { gateway: { replicas: 3 }, enablePodAntiAffinity: true } : {});
  values = merge(values, user);
  const ours = new Map(docs.filter((d) => /controller-|probe-/.test(d.metadata.name) && d.metadata.name !== 'linkerd-multicluster-controller-access-local-resources').map((d) => [keyOf(d), d]));
  const want = (values.controllers as V[]).flatMap((e) => upstreamController(values, e));
  assert.deepEqual([...ours.keys()].sort(), want.map(keyOf).sort());
  for (const w of want) assert.deepEqual(ours.get(keyOf(w)), w, keyOf(w));
}

const east = { link: { ref: { name: 'east' } } };

test('one entry with the defaults: rbac (with the rule to read Links), deployment, probe Service with created-by', async () => {
  await compare({ controllers: [east] });
});

test('entries overriding every setting the chart digs for, beside one on the defaults', async () => {
  await compare({
    controllers: [
      east,
      {
        link: { ref: { name: 'north' } },
        replicas: 2,
        image: { version: 'edge-26.9.1' },
        logLevel: 'debug',
        logFormat: 'json',
        retryLimit: 7,
        enableHeadlessServices: true,
        enablePprof: true,
        UID: 3000,
        GID: 3001,
        resources: { requests: { cpu: '50m' } },
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        tolerations: [{ key: 'mc', operator: 'Exists' }],
        gateway: { probe: { port: 4192 } },
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } },
      },
      { link: { ref: { name: 'south' } }, gateway: { enabled: false }, image: { name: 'my.reg/controller' } },
    ],
  });
});

test('controllerDefaults apply to every entry, and an entry replaces a default map whole (dig, no merge)', async () => {
  await compare({
    controllerDefaults: { logLevel: 'warn', resources: { limits: { memory: '100Mi' } }, nodeSelector: { pool: 'system' }, enablePodAntiAffinity: true, gateway: { enabled: false } },
    controllers: [east, { link: { ref: { name: 'west' } }, resources: { requests: { cpu: '1' } }, gateway: { enabled: true } }],
  });
});

test('anti-affinity: top-level (PodDisruptionBudget) and controllerDefaults (affinity, strategy) are read separately, as upstream does; --ha too', async () => {
  await compare({ enablePodAntiAffinity: true, controllers: [east, { link: { ref: { name: 'west' } }, enablePodAntiAffinity: false }] });
  await compare({ controllers: [east, { link: { ref: { name: 'west' } }, enablePodAntiAffinity: true }] });
  await compare({ controllers: [east] }, true);
});

test('chart-wide values in the controller documents: commonLabels, podLabels, podAnnotations, imagePullSecrets, enableNamespaceCreation, env', async () => {
  await compare({
    commonLabels: { team: 'mesh' },
    podLabels: { tier: 'infra' },
    podAnnotations: { 'example.com/scrape': 'true' },
    imagePullSecrets: [{ name: 'regcred' }],
    enableNamespaceCreation: true,
    revisionHistoryLimit: 3,
    serviceMirrorAdditionalEnv: [{ name: 'A', value: '1' }],
    serviceMirrorExperimentalEnv: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    controllers: [east],
  });
  await compare({ serviceMirrorExperimentalEnv: [{ name: 'ONLY', value: 'x' }], controllers: [east] });
});

test('an entry without link.ref.name is refused, naming the entry', async () => {
  await assert.rejects(
    renderInstall({ linkerdVersion: 'x', linkerdNamespace: 'linkerd', user: { set: ['controllers[0].link.ref.name=east,controllers[1].logLevel=debug'] } }),
    (e: unknown) => e instanceof UsageError && /controllers\[1\]\.link\.ref\.name is required/.test(e.message),
  );
});
