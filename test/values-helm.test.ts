/**
 * Values exactly as Helm reads them. Known keys: what upstream's templates
 * (and the partials they include) read and the fields of its Values struct,
 * not only what values.yaml lists. Coalescing: Helm's documented rules
 * (helm.sh "Values Files" and chartutil.CoalesceValues): files in order then
 * --set; maps merge; lists and scalars replace; a null deletes a key only
 * where the chart has a default for it, and stays a null anywhere else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import yaml from 'js-yaml';
import { UsageError } from '../src/errors.js';
import { loadChart, resolveValues } from '../src/render/chart.js';
import { renderInstall } from '../src/render/multicluster.js';
import { coalesce, type ValueOptions } from '../src/render/values.js';

type V = Record<string, any>;
const NS = 'linkerd-multicluster';
const key = (d: V) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`;

/** Render install with -f files (given as objects, in order) and --set style options. */
async function install(user: ValueOptions & { files?: V[] } = {}, cniEnabled = false): Promise<Map<string, V>> {
  const files = user.files ?? [];
  const docs = await renderInstall({
    linkerdVersion: 'edge-26.8.3',
    linkerdNamespace: 'linkerd',
    user: { ...user, values: files.map((_, i) => `file-${i}`) },
    readFile: (p) => yaml.dump(files[Number(p.slice(5))]),
    cluster: { identityTrustDomain: 'cluster.local', proxyOutboundPort: 4140, cniEnabled },
  });
  return new Map(docs.map((d) => [key(d.object as V), d.object as V]));
}
const lsmPod = (docs: Map<string, V>) => docs.get(`Deployment/${NS}/linkerd-local-service-mirror`)!.spec.template.spec;

test('top-level nodeSelector and tolerations schedule the local service mirror (upstream reads them there)', async () => {
  const docs = await install({ files: [{ nodeSelector: { pool: 'system' }, tolerations: [{ key: 'dedicated', operator: 'Exists' }] }] });
  assert.deepEqual(lsmPod(docs).nodeSelector, { pool: 'system' });
  assert.deepEqual(lsmPod(docs).tolerations, [{ key: 'dedicated', operator: 'Exists' }]);
  assert.equal(docs.get(`Deployment/${NS}/linkerd-gateway`)!.spec.template.spec.nodeSelector, undefined, 'the gateway has its own gateway.nodeSelector');
  assert.throws(() => resolveValues(loadChart('multicluster'), { user: { set: ['nodeSelector.pool=1'] } }), /"nodeSelector\.pool".*must be a string/);
});

test('localServiceMirror.additionalEnv / experimentalEnv become the local service mirror env, in that order', async () => {
  const docs = await install({ files: [{ localServiceMirror: { additionalEnv: [{ name: 'A', value: '1' }], experimentalEnv: [{ name: 'B', value: '2' }] } }] });
  assert.deepEqual(lsmPod(docs).containers[0].env, [{ name: 'A', value: '1' }, { name: 'B', value: '2' }]);
  assert.equal(lsmPod(await install()).containers[0].env, undefined);
});

test('cniEnabled: the namespace is restricted when the values or the cluster say so', async () => {
  const level = (docs: Map<string, V>) => docs.get(`Namespace//${NS}`)!.metadata.labels['pod-security.kubernetes.io/enforce'];
  assert.equal(level(await install()), 'privileged');
  assert.equal(level(await install({ set: ['cniEnabled=true'] })), 'restricted');
  // upstream's install sets cniEnabled=true over the user's values when linkerd-config says the CNI plugin is used
  assert.equal(level(await install({ set: ['cniEnabled=false'] }, true)), 'restricted');
});

test('created-by follows upstream\'s partial: cliVersion, else "linkerd/helm " + image.version, else linkerdVersion', async () => {
  const createdBy = (docs: Map<string, V>) => docs.get(`Deployment/${NS}/linkerd-gateway`)!.metadata.annotations['linkerd.io/created-by'];
  assert.equal(createdBy(await install()), 'linkerd/helm edge-26.8.3');
  assert.equal(createdBy(await install({ set: ['image.version=v9'] })), 'linkerd/helm v9');
  assert.equal(createdBy(await install({ set: ['cliVersion=linkerd/cli edge-26.8.3'] })), 'linkerd/cli edge-26.8.3');
});

test('fields of upstream\'s Values struct that no template reads are taken (as Helm takes them) and change nothing', async () => {
  const plain = await install();
  const withStructKeys = await install({ set: ['logLevel=debug,replicas=3,serviceMirrorUID=1,targetClusterName=x,gateway.probe.timeout=30s,gateway.probe.failureThreshold=3,controllerImage=x,serviceMirror=true'] });
  assert.deepEqual(withStructKeys, plain);
  // a key neither the templates nor the struct know is still refused, with a suggestion
  assert.throws(() => resolveValues(loadChart('multicluster'), { user: { set: ['tolerationz[0].key=a'] } }), (e: unknown) => e instanceof UsageError && /unknown value "tolerationz".*\n?.*Did you mean "tolerations"/s.test(`${e.message}\n${e.hint}`));
});

test('Helm coalescing: maps merge across files and --set; lists and scalars replace; later sources win', async () => {
  const docs = await install({
    files: [{ gateway: { serviceAnnotations: { a: '1' }, replicas: 2 }, imagePullSecrets: [{ name: 'one' }, { name: 'two' }] }, { gateway: { serviceAnnotations: { b: '2' } } }],
    set: ['imagePullSecrets[0].name=three', 'gateway.replicas=4'],
  });
  const svc = docs.get(`Service/${NS}/linkerd-gateway`)!;
  assert.equal(svc.metadata.annotations.a, '1');
  assert.equal(svc.metadata.annotations.b, '2');
  assert.equal(docs.get(`Deployment/${NS}/linkerd-gateway`)!.spec.replicas, 4);
  // --set parses into the values the files made (Helm's strvals.ParseInto): a[0].name patches item 0 of the file's list
  assert.deepEqual(docs.get(`ServiceAccount/${NS}/linkerd-gateway`)!.imagePullSecrets, [{ name: 'three' }, { name: 'two' }]);
  // while a list value replaces the whole list, and a list over the chart's default list replaces it too
  const replaced = await install({ files: [{ imagePullSecrets: [{ name: 'one' }, { name: 'two' }] }], set: ['imagePullSecrets=null'], setString: [] });
  assert.equal(replaced.get(`ServiceAccount/${NS}/linkerd-gateway`)!.imagePullSecrets, undefined, 'null deletes: imagePullSecrets has the default []');
  const list = await install({ files: [{ gateway: { loadBalancerSourceRanges: ['10.0.0.0/8', '192.168.0.0/16'] } }, { gateway: { loadBalancerSourceRanges: ['172.16.0.0/12'] } }] });
  assert.deepEqual(list.get(`Service/${NS}/linkerd-gateway`)!.spec.loadBalancerSourceRanges, ['172.16.0.0/12']);
});

test('Helm coalescing: a null deletes a key only where the chart has a default; elsewhere it stays a null', () => {
  const defaults = { a: { keep: 1, drop: 2 }, list: [1, 2], s: 'x', m: {} };
  // null on defaulted keys: gone (with their default)
  assert.deepEqual(coalesce(defaults, { a: { drop: null }, s: null }), { a: { keep: 1 }, list: [1, 2], m: {} });
  // null on keys the chart lacks, inside a map the chart lacks, and inside lists: kept
  assert.deepEqual(coalesce(defaults, { m: { x: null }, extra: null, n: { y: null }, list: [null, 3] }), { a: { keep: 1, drop: 2 }, list: [null, 3], s: 'x', m: { x: null }, extra: null, n: { y: null } });
  // a user map over a default scalar, and a scalar over a default map: the user's value (Helm warns and keeps it)
  assert.deepEqual(coalesce({ k: 'x', t: { a: 1 } }, { k: { z: 1 }, t: 'flat' }), { k: { z: 1 }, t: 'flat' });
});

test('so: a file\'s key cannot be deleted by a later --set null (it has no chart default); on a label or annotation that is refused', async () => {
  const chart = loadChart('multicluster');
  // localServiceMirror.resources has the default {}: a key added by a file and nulled by --set stays, as in Helm
  const v = resolveValues(chart, { user: { values: ['f'], set: ['localServiceMirror.resources.limits.cpu=null'] }, readFile: () => 'localServiceMirror: {resources: {limits: {cpu: "1", memory: 1Gi}}}' });
  assert.deepEqual((v.localServiceMirror as V).resources, { limits: { cpu: null, memory: '1Gi' } });
  // a default key nulled: deleted
  assert.equal('loadBalancerIP' in (resolveValues(chart, { user: { set: ['gateway.loadBalancerIP=null'] } }).gateway as V), false);
  assert.throws(
    () => resolveValues(chart, { user: { values: ['f'], set: ['podAnnotations.team=null'] }, readFile: () => 'podAnnotations: {team: a}' }),
    (e: unknown) => e instanceof UsageError && /"podAnnotations\.team" is null, which deletes nothing/.test(e.message),
  );
});

test('nulls in a controllers entry stay (Helm coalesces no list items): falsy where the chart tests them, refused where it prints them', async () => {
  const docs = await install({ files: [{ controllerDefaults: { enableHeadlessServices: true }, controllers: [{ link: { ref: { name: 'east' } }, enableHeadlessServices: null }] }] });
  assert.ok(!docs.get(`Deployment/${NS}/controller-east`)!.spec.template.spec.containers[0].args.includes('-enable-headless-services'), 'dig returns the null, not the default');
  await assert.rejects(install({ files: [{ controllers: [{ link: { ref: { name: 'east' } }, logLevel: null }] }] }), (e: unknown) => e instanceof UsageError && /controllers\[0\]\.logLevel is null/.test(e.message));
});
