import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import yaml from 'js-yaml';
import { UsageError } from '../src/errors.js';
import { loadChart, resolveValues } from '../src/render/chart.js';
import { linkerdConfig, linkerdSettings } from '../src/linkerd-config.js';
import { registryOverride, renderInstall } from '../src/render/multicluster.js';
import { toJsonStream } from '../src/render/output.js';
import { buildSchema, validateLayer } from '../src/render/schema.js';
import { parseSetInto, typedValue } from '../src/render/strvals.js';
import { yamlBlock, yamlScalar } from '../src/render/template.js';
import { coalesce, mergeMaps, userOverrides, type Values } from '../src/render/values.js';
import { propertyRuns, REFERENCE_DIR } from './helpers/index.js';

const set = (expr: string, mode: 'typed' | 'string' | 'file' = 'typed', target: Values = {}, files: Record<string, string> = {}) => {
  parseSetInto(expr, target, mode, (p) => files[p] ?? assert.fail(`unexpected file ${p}`));
  return target;
};

test('--set types values as Helm does', () => {
  assert.equal(typedValue('true'), true);
  assert.equal(typedValue('FALSE'), false);
  assert.equal(typedValue('null'), null);
  assert.equal(typedValue('0'), 0);
  assert.equal(typedValue('42'), 42);
  assert.equal(typedValue('-7'), -7);
  assert.equal(typedValue('0123'), '0123', 'leading zero stays a string');
  assert.equal(typedValue('1.5'), '1.5', 'floats stay strings');
  assert.equal(typedValue(''), '');
  assert.equal(typedValue('abc'), 'abc');
});

test('--set syntax: nesting, several assignments, lists, indexes, escapes', () => {
  assert.deepEqual(set('a.b=c,d=1'), { a: { b: 'c' }, d: 1 });
  assert.deepEqual(set('list={x,2,true}'), { list: ['x', 2, true] });
  assert.deepEqual(set('list={x,y},z=1'), { list: ['x', 'y'], z: 1 });
  assert.deepEqual(set('a[1].b=c'), { a: [null, { b: 'c' }] });
  assert.deepEqual(set('a[0]=x,a[1]=y'), { a: ['x', 'y'] });
  assert.deepEqual(set('a[0][1]=x'), { a: [[null, 'x']] });
  assert.deepEqual(set('podAnnotations.config\\.linkerd\\.io/x=1'), { podAnnotations: { 'config.linkerd.io/x': 1 } });
  assert.deepEqual(set('a=x\\,y'), { a: 'x,y' });
  assert.deepEqual(set('a='), { a: '' });
  assert.deepEqual(set('a=1,b=2', 'string'), { a: '1', b: '2' });
  assert.deepEqual(set('a.b=cert.pem', 'file', {}, { 'cert.pem': 'PEM\n' }), { a: { b: 'PEM\n' } });
  // Into an existing map, as Helm's ParseInto: lists from files are extended, not replaced.
  assert.deepEqual(set('c[1].n=b', 'typed', { c: [{ n: 'a' }] }), { c: [{ n: 'a' }, { n: 'b' }] });
});

test('--set syntax errors are usage errors that quote the expression', () => {
  for (const bad of ['a', 'a,b=c', 'a[x]=1', 'a[0', 'l={x,y', 'a[-1]=2', 'a[0]b=1']) {
    assert.throws(() => set(bad), (e: unknown) => e instanceof UsageError && e.message.includes(`--set "${bad}"`), bad);
  }
});

test("merge rules: maps deep-merge, lists and scalars replace, null deletes", () => {
  const defaults = { a: { b: 1, c: [1, 2], d: { e: 'x' } }, f: 'keep', g: 'gone' };
  const user = { a: { c: [3], d: { h: true } }, g: null };
  assert.deepEqual(coalesce(defaults, user), { a: { b: 1, c: [3], d: { e: 'x', h: true } }, f: 'keep' });
  assert.deepEqual(mergeMaps({ a: { b: 1 }, l: [1] }, { a: { c: 2 }, l: [] }), { a: { b: 1, c: 2 }, l: [] });
  assert.deepEqual(coalesce({ a: { b: 1 } }, { a: { b: null } }), { a: {} });
  assert.deepEqual(defaults.a.c, [1, 2], 'inputs are not modified');
});

test('user overrides: files in order, then --set, --set-string, --set-file', () => {
  const files: Record<string, string> = {
    'one.yaml': 'gateway:\n  replicas: 2\n  name: one\n',
    'two.yaml': 'gateway:\n  replicas: 4\n',
    'ann.txt': 'from a file',
  };
  const read = (p: string) => files[p] ?? assert.fail(p);
  const out = userOverrides({ values: ['one.yaml', 'two.yaml'], set: ['gateway.port=4000'], setString: ['gateway.name=7'], setFile: ['podAnnotations.note=ann.txt'] }, undefined, read);
  assert.deepEqual(out, { gateway: { replicas: 4, name: '7', port: 4000 }, podAnnotations: { note: 'from a file' } });
});

test('our multicluster defaults equal upstream values.yaml and values-ha.yaml', () => {
  const chart = loadChart('multicluster');
  assert.deepEqual(chart.defaults, yaml.load(readFileSync(join(REFERENCE_DIR, 'install-values.yaml'), 'utf8')));
  assert.deepEqual(chart.haValues, yaml.load(readFileSync(join(REFERENCE_DIR, 'install-values-ha.yaml'), 'utf8')));
});

test('validation: unknown keys and wrong types name the key and the source', () => {
  const chart = loadChart('multicluster');
  const files: Record<string, string> = { 'bad.yaml': 'gateway:\n  probe:\n    seconds: "3"\n', 'unknown.yaml': 'localServiceMirror:\n  replica: 2\n', 'null.yaml': 'gateway: null\n' };
  const read = (p: string) => files[p]!;
  const fail = (user: object, re: RegExp) =>
    assert.throws(() => resolveValues(chart, { user, readFile: read }), (e: unknown) => e instanceof UsageError && re.test(e.message) && e.exitCode === 2);
  fail({ values: ['bad.yaml'] }, /"gateway\.probe\.seconds" in values file bad\.yaml: must be an integer, got a string "3"/);
  fail({ values: ['unknown.yaml'] }, /unknown value "localServiceMirror\.replica" in values file unknown\.yaml/);
  fail({ set: ['enablePSP=yes'] }, /"enablePSP" in --set enablePSP=yes: must be a boolean/);
  fail({ setString: ['gateway.replicas=3'] }, /"gateway\.replicas" in --set-string gateway\.replicas=3/);
  fail({ set: ['commonLabels.team=7'] }, /"commonLabels\.team" in --set commonLabels\.team=7: must be a string/);
  fail({ set: ['controllers[0].link.ref.nam=x'] }, /unknown value "controllers\[0\]\.link\.ref\.nam"/);
  fail({ set: ['controllers[0].replicas=two'] }, /"controllers\[0\]\.replicas".*must be an integer/);
  fail({ set: ['gateway.nodePort=abc'] }, /"gateway\.nodePort".*must be an integer/);
  fail({ set: ['gateway.name=null'] }, /"gateway\.name" in --set gateway\.name=null cannot be null.*default "linkerd-gateway"/);
  fail({ values: ['null.yaml'] }, /"gateway" in values file null\.yaml cannot be null/);
});

test('validation: optional keys, free-form maps and widened types are accepted', () => {
  const chart = loadChart('multicluster');
  const v = resolveValues(chart, {
    user: {
      set: [
        'gateway.nodePort=30143',
        'gateway.healthCheckNodePort=30000',
        'gateway.probe.nodePort=30191',
        'nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key=zone',
        'localServiceMirror.resources.limits.memory=250Mi',
        'gateway.tolerations[0].key=dedicated',
        'gateway.terminationGracePeriodSeconds=30',
        'remoteMirrorServiceAccountName={a,b}',
        'controllers[0].link.ref.name=east',
        'controllerDefaults.tolerations[0].operator=Exists',
        'podAnnotations.a=b',
        'podAnnotations=null',
        'gateway.loadBalancerIP=null',
        'controllers[0].logLevel=null',
      ],
    },
  });
  assert.equal((v.gateway as Values).nodePort, 30143);
  assert.deepEqual(v.remoteMirrorServiceAccountName, ['a', 'b']);
  assert.equal('podAnnotations' in v, false, 'null deleted the key');
  assert.equal('loadBalancerIP' in (v.gateway as Values), false, 'null deleted the key');
});

test('schema built from defaults: empty maps are free-form, filled maps closed', () => {
  const schema = buildSchema({ a: { b: 1 }, free: {}, l: [] }, { optional: { 'a.c': 'string' } });
  validateLayer({ a: { b: 2, c: 'x' }, free: { anything: { deep: [1] } }, l: [{ x: 1 }] }, schema, 'test');
  assert.throws(() => validateLayer({ a: { d: 1 } }, schema, 'test'), /unknown value "a\.d" in test/);
  assert.throws(() => validateLayer({ l: {} }, schema, 'test'), /"l" in test: must be a list/);
});

test('yamlScalar: any string round-trips through YAML 1.2 and stays a string under YAML 1.1 words', () => {
  fc.assert(
    fc.property(fc.string(), (s) => {
      assert.equal((yaml.load(`k: ${yamlScalar(s)}`) as { k: unknown }).k, s);
    }),
    { numRuns: propertyRuns(300) },
  );
  for (const word of ['yes', 'No', 'on', 'OFF', 'y', 'null', '~', '1e3', '0x1F', '012', '1:20', '-', '* x', '#x', 'a: b']) {
    assert.notEqual(yamlScalar(word), word, `${word} must be quoted`);
  }
  assert.equal(yamlScalar('cr.l5d.io/linkerd/controller:edge-26.8.3'), 'cr.l5d.io/linkerd/controller:edge-26.8.3');
  assert.equal(yamlBlock({}, 4), '');
  assert.equal(yamlBlock({ a: 'b' }, 4), '\n    a: b');
});

test('registry override replaces everything before the image name, as upstream', () => {
  assert.equal(registryOverride('cr.l5d.io/linkerd/controller', 'my.registry/mirror'), 'my.registry/mirror/controller');
  assert.equal(registryOverride('cr.l5d.io/linkerd/controller', 'my.registry/'), 'my.registry/controller');
});

test('-o json: one compact document per line, keys sorted', () => {
  assert.equal(toJsonStream([{ b: 1, a: { d: [{ z: 1, y: 2 }], c: 'x' } }, { kind: 'K' }]), '{"a":{"c":"x","d":[{"y":2,"z":1}]},"b":1}\n{"kind":"K"}\n');
});

test('linkerd-config: trust domain, outbound port, CNI, old "global" layout', () => {
  const s = linkerdSettings({ data: { values: 'identityTrustDomain: example.org\nclusterDomain: c.local\ncniEnabled: true\nproxy:\n  ports:\n    outbound: 5140\n' } }, 'cm');
  assert.deepEqual([s.identityTrustDomain, s.clusterDomain, s.proxyOutboundPort, s.cniEnabled], ['example.org', 'c.local', 5140, true]);
  const old = linkerdSettings({ data: { values: 'global:\n  identityTrustDomain: old.org\n' } }, 'cm');
  assert.equal(old.identityTrustDomain, 'old.org');
  assert.equal(old.proxyOutboundPort, 4140);
  assert.throws(() => linkerdSettings({ data: {} }, 'the ConfigMap'), /the ConfigMap has no "values" key/);
  assert.throws(() => linkerdSettings({ data: { values: 'clusterDomain: c.local\n' } }, 'cm'), /have no identityTrustDomain/);
  assert.throws(() => linkerdSettings({ data: { values: 'a: [\n' } }, 'cm'), /not valid YAML/);
  assert.throws(() => linkerdConfig({ data: { values: 'just text' } }, 'cm', { optional: true }), /not a YAML map/);
  // check reads what there is: no values key is empty values, not an error.
  assert.deepEqual(linkerdConfig({ data: {} }, 'cm', { optional: true }).values, {});
  const pems = linkerdConfig({ data: { values: 'global:\n  identityTrustAnchorsPEM: ANCHORS\nidentity:\n  issuer:\n    tls:\n      crtPEM: ISSUER\n' } }, 'cm');
  assert.deepEqual([pems.trustAnchorsPem, pems.issuerCertPem], ['ANCHORS', 'ISSUER']);
});

test('linkerd-config read again (a new object, the same text: each cluster linked to it reads it) gives the same values, each caller its own copy', () => {
  const text = 'linkerdVersion: edge-1\nidentity:\n  issuer:\n    tls:\n      crtPEM: ISSUER\n';
  const first = linkerdConfig({ data: { values: text } }, 'cm');
  (first.values.identity as { issuer: { tls: { crtPEM: string } } }).issuer.tls.crtPEM = 'CHANGED';
  first.values.linkerdVersion = 'changed';
  const again = linkerdConfig({ data: { values: text } }, 'cm');
  assert.deepEqual([again.values.linkerdVersion, again.issuerCertPem], ['edge-1', 'ISSUER']);
  assert.equal(linkerdConfig({ data: { values: text.replace('edge-1', 'edge-2') } }, 'cm').values.linkerdVersion, 'edge-2');
});

test('any string in a label, annotation or image reaches the documents unchanged (no YAML injection)', async () => {
  const files: Record<string, string> = {};
  await fc.assert(
    fc.asyncProperty(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), async (label, image) => {
      files['v.yaml'] = yaml.dump({ commonLabels: { team: label }, gateway: { serviceAnnotations: { note: label }, pauseImage: image } });
      const docs = await renderInstall({ linkerdVersion: 'v', linkerdNamespace: 'linkerd', user: { values: ['v.yaml'] }, readFile: (p) => files[p]! });
      for (const d of docs) if (d.object.kind !== 'Namespace') assert.equal(d.object.metadata.labels?.team, label, d.object.kind);
      const svc = docs.find((d) => d.object.kind === 'Service' && d.object.metadata.name === 'linkerd-gateway')!.object;
      assert.equal(svc.metadata.annotations?.note, label);
      const gw = docs.find((d) => d.object.kind === 'Deployment' && d.object.metadata.name === 'linkerd-gateway')!.object as unknown as { spec: { template: { spec: { containers: Array<{ image: string }> } } } };
      assert.equal(gw.spec.template.spec.containers[0]!.image, image);
    }),
    { numRuns: propertyRuns(25) },
  );
});
