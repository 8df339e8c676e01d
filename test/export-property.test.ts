/**
 * Property tests of the offline export: for random manifests (Services among
 * other kinds, Lists, YAML in several layouts with comments, JSON), export
 * then --unexport gives back the same objects, export is idempotent, and
 * nothing but the export marks of Services changes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import jsyaml from 'js-yaml';
import { parseAllDocuments } from 'yaml';
import { exportOffline } from '../src/export/offline.js';
import { EXPORTED_LABEL, FEDERATED_LABEL, GATEWAY_NAME_ANNOTATION, GATEWAY_NS_ANNOTATION, type ExportOptions } from '../src/export/transform.js';
import { propertyRuns } from './helpers/index.js';

const dnsLabel = fc.stringMatching(/^[a-z]([a-z0-9-]{0,8}[a-z0-9])?$/);
const labelKey = fc.oneof(dnsLabel, fc.tuple(fc.constantFrom('app.kubernetes.io', 'example.com', 'mirror.linkerd.io'), dnsLabel).map(([p, n]) => `${p}/${n}`));
// Label values that need quoting in YAML too ("true", "1", "") — the editor must keep their types.
const labelValue = fc.oneof(dnsLabel, fc.constantFrom('', 'true', 'false', '1', '0.5', 'null', 'yes', 'a b', 'x: y', '#c', 'remote-discovery'));
/** Maps without the keys export sets (else export then unexport cannot give back the original) and never empty. */
const MARKS = new Set([EXPORTED_LABEL, FEDERATED_LABEL, GATEWAY_NAME_ANNOTATION, GATEWAY_NS_ANNOTATION, 'mirror.linkerd.io/mirrored-service']);
const stringMap = fc.dictionary(labelKey, labelValue, { minKeys: 1, maxKeys: 4 }).map((m) => Object.fromEntries(Object.entries(m).filter(([k]) => !MARKS.has(k))));
const nonEmpty = (m: Record<string, string>) => (Object.keys(m).length ? m : undefined);

const metadata = fc.record(
  {
    name: dnsLabel,
    namespace: fc.option(dnsLabel, { nil: undefined }),
    labels: fc.option(stringMap.map(nonEmpty), { nil: undefined }),
    annotations: fc.option(
      fc.oneof(stringMap.map(nonEmpty), fc.constant({ 'kubectl.kubernetes.io/last-applied-configuration': '{"apiVersion":"v1","kind":"Service"}\n' })),
      { nil: undefined },
    ),
    resourceVersion: fc.option(fc.nat().map(String), { nil: undefined }),
  },
  { requiredKeys: ['name'] },
).map((m) => JSON.parse(JSON.stringify(m)) as Record<string, unknown>);

const port = fc.record({ name: fc.option(dnsLabel, { nil: undefined }), port: fc.integer({ min: 1, max: 65535 }), protocol: fc.constantFrom('TCP', 'UDP') });
const service = fc
  .record({ metadata, ports: fc.array(port, { minLength: 1, maxLength: 3 }), type: fc.constantFrom('ClusterIP', 'LoadBalancer'), status: fc.boolean(), unknown: fc.option(fc.dictionary(dnsLabel, fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }))), { nil: undefined }) })
  .map(({ metadata, ports, type, status, unknown }) => {
    const svc: Record<string, unknown> = { apiVersion: 'v1', kind: 'Service', metadata, spec: { ports, selector: { app: metadata.name }, type } };
    if (status) svc.status = { loadBalancer: type === 'LoadBalancer' ? { ingress: [{ ip: '203.0.113.7' }] } : {} };
    if (unknown !== undefined) svc['x-unknown-field'] = unknown;
    return JSON.parse(JSON.stringify(svc)) as Record<string, unknown>;
  });
const mirror = service.map((s) => {
  const m = s.metadata as Record<string, unknown>;
  return { ...s, metadata: { ...m, name: `${m.name as string}-east`, labels: { ...((m.labels as object) ?? {}), 'mirror.linkerd.io/mirrored-service': 'true' } } };
});
const other = fc.oneof(
  fc.record({ metadata, data: stringMap }).map(({ metadata, data }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata, data })),
  fc.record({ metadata, replicas: fc.nat(5) }).map(({ metadata, replicas }) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: { replicas, template: { metadata: { labels: { app: metadata.name } }, spec: { containers: [{ name: 'app', image: 'ghcr.io/x/y:1' }] } } },
  })),
  fc.record({ metadata }).map(({ metadata }) => ({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata })),
);
const object = fc.oneof({ weight: 4, arbitrary: service }, { weight: 1, arbitrary: mirror }, { weight: 2, arbitrary: other });
const document = fc.oneof(
  { weight: 4, arbitrary: object },
  { weight: 1, arbitrary: fc.array(object, { maxLength: 5 }).map((items) => ({ apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } })) },
);

interface Layout {
  json: boolean;
  indent: number;
  noArrayIndent: boolean;
  sortKeys: boolean;
  flowLevel: number;
  comments: boolean;
  crlf: boolean;
}
/** true in `yes` of every `yes + no` draws. */
const sometimes = (yes: number, no: number) => fc.oneof({ weight: yes, arbitrary: fc.constant(true) }, { weight: no, arbitrary: fc.constant(false) });
const layout: fc.Arbitrary<Layout> = fc.record({
  // Drawn from fast-check's seed only (no Math.random), so a printed seed replays the same case.
  json: sometimes(1, 3),
  indent: fc.constantFrom(2, 4),
  noArrayIndent: fc.boolean(),
  sortKeys: fc.boolean(),
  flowLevel: fc.constantFrom(-1, -1, -1, 2, 3),
  comments: fc.boolean(),
  crlf: sometimes(1, 6),
});

function render(docs: unknown[], l: Layout): string {
  if (l.json) return docs.map((d) => JSON.stringify(d, null, l.indent)).join('\n');
  let text = docs
    .map((d, i) => {
      const body = jsyaml.dump(d, { indent: l.indent, noArrayIndent: l.noArrayIndent, sortKeys: l.sortKeys, flowLevel: l.flowLevel, lineWidth: -1 });
      return (l.comments ? `# document ${i}\n` : '') + body;
    })
    .join(l.comments ? '--- # next\n' : '---\n');
  if (l.comments) text = text.replace(/^(\s*)name: (.*)$/m, '$1name: $2 # the name');
  return l.crlf ? text.replace(/\n/g, '\r\n') : text;
}

function readsBack(yamlText: string, docs: unknown[]): boolean {
  try {
    return isDeepStrictEqual(jsyaml.loadAll(yamlText), docs);
  } catch {
    return false;
  }
}

function objects(text: string): unknown[] {
  if (/^\s*[{[]/.test(text)) {
    // A JSON stream: one value per top-level {...} (the renderer and mc put each on its own lines).
    return text.trim() === '' ? [] : text.trim().split(/\r?\n(?=[{[])/).map((j) => JSON.parse(j));
  }
  const out: unknown[] = [];
  for (const d of parseAllDocuments(text)) {
    assert.equal(d.errors.length, 0, d.errors.map((e) => e.message).join('; '));
    const v = d.toJS();
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

let documentApiUses = 0;
async function run(text: string, options: ExportOptions): Promise<string> {
  const r = await exportOffline([{ name: 'input', text }], options);
  documentApiUses += r.report.documentApi ?? 0;
  return r.output;
}

const exportOptions: fc.Arbitrary<ExportOptions> = fc.oneof(
  fc.constant({}),
  fc.constant({ remoteDiscovery: true }),
  fc.constant({ federated: true }),
  fc.record({ gatewayName: dnsLabel, gatewayNamespace: dnsLabel }),
);

/** What export must do to one object, as plain data (the test's own model). */
function model(obj: any, o: ExportOptions): any {
  if (obj?.kind === 'List') return { ...obj, items: obj.items.map((i: unknown) => model(i, o)) };
  if (obj?.kind !== 'Service' || obj.apiVersion !== 'v1') return obj;
  if (obj.metadata?.labels?.['mirror.linkerd.io/mirrored-service'] !== undefined) return obj;
  const labels = { ...(obj.metadata.labels ?? {}) };
  const annotations = { ...(obj.metadata.annotations ?? {}) };
  if (o.federated) labels[FEDERATED_LABEL] = 'member';
  else labels[EXPORTED_LABEL] = o.remoteDiscovery ? 'remote-discovery' : 'true';
  if (o.gatewayName) {
    annotations[GATEWAY_NAME_ANNOTATION] = o.gatewayName;
    annotations[GATEWAY_NS_ANNOTATION] = o.gatewayNamespace;
  }
  const metadata = { ...obj.metadata, labels };
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  return { ...obj, metadata };
}

test('export matches the model; export then --unexport gives back the same objects; export is idempotent', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(document, { minLength: 1, maxLength: 6 }), layout, exportOptions, async (docs, l, o) => {
      const input = render(docs, l);
      // js-yaml's flow style can write text it cannot read back (`{a: .:]}`): not valid YAML, so not a case
      // for this property (invalid input has its own tests).
      fc.pre(l.json || readsBack(input, docs));
      documentApiUses = 0;
      const before = objects(input);
      const exported = await run(input, o);
      const after = objects(exported);
      assert.deepEqual(after, before.map((d) => model(d, o)));
      // Idempotent: exporting again changes nothing, not even a byte.
      assert.equal(await run(exported, o), exported);
      // Unexport restores the objects (no mark was there before).
      const back = await run(exported, { unexport: true });
      assert.deepEqual(objects(back), before);
      if (l.json) assert.match(exported, /^[{[]/, 'JSON stays JSON');
      // Block-style YAML (any indent, sequence style, comments, CRLF) is edited line by line, never re-rendered.
      if (!l.json && l.flowLevel === -1) assert.equal(documentApiUses, 0, 'line editor gave up');
    }),
    { numRuns: propertyRuns(150) },
  );
});

test('in YAML the edit touches only lines of Services, comments survive', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(document, { minLength: 1, maxLength: 4 }), async (docs) => {
      const input = render(docs, { json: false, indent: 2, noArrayIndent: true, sortKeys: true, flowLevel: -1, comments: true, crlf: false });
      const out = await run(input, {});
      const inLines = input.split('\n');
      const outLines = out.split('\n');
      // Every input line is still there, in order; added lines are export marks (or a new labels: key).
      let j = 0;
      for (const line of outLines) {
        if (j < inLines.length && line === inLines[j]) j++;
        else assert.match(line, /^\s*(labels:|mirror\.linkerd\.io\/exported: "true")$/, `unexpected new line ${JSON.stringify(line)}`);
      }
      assert.equal(j, inLines.length, 'every input line survives');
    }),
    { numRuns: propertyRuns(100) },
  );
});
