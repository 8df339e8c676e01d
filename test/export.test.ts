/** `mc export-service` offline: files, folders, URLs, stdin, Lists, JSON, errors — run as a user would. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { runMc } from './helpers/index.js';

const SERVICE = `# podinfo, as kept in git
apiVersion: v1
kind: Service
metadata:
  name: podinfo # the frontend
  namespace: test
  labels:
    app: podinfo
spec:
  # the only port
  ports:
  - name: http
    port: 9898
  selector:
    app: podinfo
`;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  namespace: test
spec:
  template:
    metadata:
      labels:
        app: podinfo
`;

const MIRROR = `apiVersion: v1
kind: Service
metadata:
  name: podinfo-west
  namespace: test
  labels:
    mirror.linkerd.io/mirrored-service: "true"
`;

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mc-export-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
}

function objects(text: string): any[] {
  return parseAllDocuments(text)
    .map((d) => {
      assert.deepEqual(d.errors, []);
      return d.toJS();
    })
    .filter((v) => v !== null && v !== undefined);
}

test('a file: the label is added, comments and everything else stay byte for byte, report on stderr', async () => {
  const f = file('podinfo.yaml', `${SERVICE}---\n${DEPLOYMENT}---\n${MIRROR}`);
  const r = await runMc(['export-service', f]);
  assert.equal(r.code, 0, r.stderr);
  const expected = `${SERVICE.replace('    app: podinfo\nspec:', '    app: podinfo\n    mirror.linkerd.io/exported: "true"\nspec:')}---\n${DEPLOYMENT}---\n${MIRROR}`;
  assert.equal(r.stdout, expected);
  assert.equal(
    r.stderr,
    'service "podinfo" exported\n' +
      'service "podinfo-west" in namespace "test" skipped: it is a mirror of a remote service (label mirror.linkerd.io/mirrored-service)\n' +
      '\nNumber of skipped resources:\ndeployments.apps: 1\nservices: 1\n',
  );
});

test('--gateway-name/--gateway-namespace add the Linkerd 2.8 annotations; --unexport removes every mark', async () => {
  const f = file('gw.yaml', SERVICE);
  const r = await runMc(['export-service', f, '--gateway-name', 'ambassador', '--gateway-namespace', 'ambassador']);
  assert.equal(r.code, 0, r.stderr);
  const [svc] = objects(r.stdout);
  assert.deepEqual(svc.metadata.labels, { app: 'podinfo', 'mirror.linkerd.io/exported': 'true' });
  assert.deepEqual(svc.metadata.annotations, { 'mirror.linkerd.io/gateway-name': 'ambassador', 'mirror.linkerd.io/gateway-ns': 'ambassador' });

  const back = await runMc(['export-service', '-', '--unexport'], { input: r.stdout });
  assert.equal(back.code, 0, back.stderr);
  assert.equal(back.stdout, SERVICE, 'unexport gives back the original text');
  assert.match(back.stderr, /^service "podinfo" unexported$/m);
});

test('--remote-discovery and --federated set their labels', async () => {
  const f = file('modes.yaml', SERVICE);
  const rd = await runMc(['export-service', f, '--remote-discovery']);
  assert.equal(objects(rd.stdout)[0].metadata.labels['mirror.linkerd.io/exported'], 'remote-discovery');
  const fed = await runMc(['export-service', f, '--federated']);
  assert.deepEqual(objects(fed.stdout)[0].metadata.labels, { app: 'podinfo', 'mirror.linkerd.io/federated': 'member' });
  // Leaving the federation only removes the federation label.
  const both = `${SERVICE.replace('    app: podinfo\n', '    app: podinfo\n    mirror.linkerd.io/exported: "true"\n    mirror.linkerd.io/federated: member\n')}`;
  const leave = await runMc(['export-service', '-', '--unexport', '--federated'], { input: both });
  assert.deepEqual(objects(leave.stdout)[0].metadata.labels, { app: 'podinfo', 'mirror.linkerd.io/exported': 'true' });
});

test('a folder is read recursively (.yaml, .yml, .json), other files ignored; several inputs make one stream', async () => {
  const d = join(dir, 'tree');
  file('tree/a.yaml', SERVICE);
  file('tree/sub/b.yml', SERVICE.replace(/podinfo/g, 'web'));
  file('tree/sub/deeper/c.json', JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'api' } }, null, 2));
  file('tree/notes.txt', 'not: a manifest\n');
  const extra = file('extra.yaml', DEPLOYMENT);
  const r = await runMc(['export-service', d, extra]);
  assert.equal(r.code, 0, r.stderr);
  const objs = objects(r.stdout);
  assert.deepEqual(
    objs.map((o) => `${o.kind}/${o.metadata.name}:${o.metadata.labels?.['mirror.linkerd.io/exported'] ?? '-'}`),
    ['Service/podinfo:true', 'Service/web:true', 'Service/api:true', 'Deployment/podinfo:-'],
  );
  assert.match(r.stderr, /service "podinfo" exported\nservice "web" exported\nservice "api" exported\n\nNumber of skipped resources:\ndeployments.apps: 1/);
});

test('a folder with symlinks: linked folders are not followed (as kubectl), no loop hangs, no document is emitted twice', async () => {
  const d = join(dir, 'links');
  file('links/app/svc.yaml', SERVICE);
  file('links/other/web.yaml', SERVICE.replace(/podinfo/g, 'web'));
  // two loops: each folder links to the other and to the top; a link to a folder outside; a link to a file already read
  symlinkSync(join(d, 'other'), join(d, 'app', 'to-other'));
  symlinkSync(join(d, 'app'), join(d, 'other', 'to-app'));
  symlinkSync(d, join(d, 'app', 'loop'));
  symlinkSync(join(d, 'app', 'svc.yaml'), join(d, 'other', 'same-svc.yaml'));
  const r = await runMc(['export-service', d]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    objects(r.stdout).map((o) => o.metadata.name),
    ['podinfo', 'web'],
  );
  assert.match(r.stderr, /links\/app\/loop: a symbolic link to a folder, not followed/);
  assert.match(r.stderr, /links\/other\/same-svc\.yaml: the same file as .*links\/app\/svc\.yaml, read once/);
  assert.match(r.stderr, /^service "podinfo" exported\nservice "web" exported$/m);
  // the same folder twice, or through a link given as an argument: still once
  const twice = await runMc(['export-service', d, join(d, 'app', 'to-other')]);
  assert.equal(twice.code, 0, twice.stderr);
  assert.deepEqual(objects(twice.stdout).map((o) => o.metadata.name), ['podinfo', 'web']);
});

test('a List (kubectl get svc -o yaml) has its items exported; status and unknown fields survive', async () => {
  const list = `apiVersion: v1
items:
- apiVersion: v1
  kind: Service
  metadata:
    creationTimestamp: "2026-01-01T00:00:00Z"
    name: a
    namespace: x
    resourceVersion: "12"
  spec:
    clusterIP: 10.96.0.10
    x-future-field: {keep: me}
  status:
    loadBalancer: {}
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: c
kind: List
metadata:
  resourceVersion: ""
`;
  const r = await runMc(['export-service', '-'], { input: list });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, list.replace('    resourceVersion: "12"\n', '    resourceVersion: "12"\n    labels:\n      mirror.linkerd.io/exported: "true"\n'));
  assert.match(r.stderr, /service "a" exported\n\nNumber of skipped resources:\nconfigmaps: 1/);
});

test('JSON stays JSON (a List, and a stream of objects)', async () => {
  const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'a' } }] }, null, 4);
  const r = await runMc(['export-service', '-'], { input: list });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.items[0].metadata, { name: 'a', labels: { 'mirror.linkerd.io/exported': 'true' } });
  assert.match(r.stdout, /^\{\n {4}"apiVersion"/, 'same indentation');

  const stream = '{"apiVersion":"v1","kind":"Service","metadata":{"name":"a"}}\n{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}\n';
  const s = await runMc(['export-service', '-'], { input: stream });
  assert.equal(s.code, 0, s.stderr);
  const lines = s.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.deepEqual(JSON.parse(lines[0]!).metadata.labels, { 'mirror.linkerd.io/exported': 'true' });
  assert.deepEqual(JSON.parse(lines[1]!), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } });
});

test('layouts the line editor does not handle (flow style, anchors) still come out right', async () => {
  const input =
    'apiVersion: v1\nkind: Service\nmetadata: {name: flow, labels: {app: x}}\n---\n' +
    'apiVersion: v1\nkind: Service\nspec:\n  selector: &sel\n    app: y\nmetadata:\n  name: aliased\n  labels: *sel\n';
  const r = await runMc(['export-service', '-'], { input });
  assert.equal(r.code, 0, r.stderr);
  const objs = objects(r.stdout);
  assert.deepEqual(objs[0].metadata.labels, { app: 'x', 'mirror.linkerd.io/exported': 'true' });
  // The alias is expanded for the labels; the anchored selector is left alone.
  assert.deepEqual(objs[1].metadata.labels, { app: 'y', 'mirror.linkerd.io/exported': 'true' });
  assert.deepEqual(objs[1].spec.selector, { app: 'y' });
});

test('an http(s) URL is read; a failing URL is an error and nothing is printed', async (t) => {
  const server = createServer((req, res) => {
    if (req.url === '/podinfo.yaml') res.end(SERVICE);
    else {
      res.statusCode = 404;
      res.end('no');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ok = await runMc(['export-service', `${base}/podinfo.yaml`]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(objects(ok.stdout)[0].metadata.labels['mirror.linkerd.io/exported'], 'true');

  const f = file('fine.yaml', SERVICE);
  const bad = await runMc(['export-service', f, `${base}/missing.yaml`]);
  assert.equal(bad.code, 1);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, new RegExp(`Error: cannot read ${base}/missing.yaml: the server answered 404`));
});

test('a URL that hangs (headers sent, body never finished) fails within --request-timeout naming the URL; Ctrl-C stops it too', async (t) => {
  const open = new Set<import('node:http').ServerResponse>();
  const server = createServer((req, res) => {
    open.add(res);
    res.writeHead(200, { 'content-type': 'application/yaml' });
    if (req.url === '/half.yaml') res.write('apiVersion: v1\n'); // and never ends
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const res of open) res.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/half.yaml`;
  const r = await runMc(['--request-timeout', '1s', 'export-service', url]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, new RegExp(`^Error: cannot read ${url}: no complete answer within 1s \\(--request-timeout\\)$`, 'm'));
  assert.doesNotMatch(r.stderr, /operation was aborted/i);

  const controller = new AbortController();
  const run = runMc(['--request-timeout', '0', 'export-service', url], { signal: controller.signal });
  setTimeout(() => controller.abort(), 300);
  const i = await run;
  assert.equal(i.code, 1);
  assert.match(i.stderr, new RegExp(`^Error: cannot read ${url}: interrupted$`, 'm'));
});

test('offline input errors name the file and the document: an alias to another document, duplicate JSON keys, a Service without usable metadata', async () => {
  const alias = file('alias.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: &meta\n  name: x\n---\napiVersion: v1\nkind: Service\nmetadata: *meta\n');
  const a = await runMc(['export-service', alias]);
  assert.equal(a.code, 1);
  assert.equal(a.stdout, '');
  assert.match(a.stderr, /^Error: invalid YAML in .*alias\.yaml: document 2 \(line 8\): alias \*meta has no anchor &meta before it in this document; anchors do not reach across documents/m);

  const dup = file('dup.json', '{\n  "apiVersion": "v1",\n  "kind": "Service",\n  "metadata": {"name": "a"},\n  "metadata": {"name": "b"}\n}\n');
  const d = await runMc(['export-service', dup]);
  assert.equal(d.code, 1);
  assert.equal(d.stdout, '');
  assert.match(d.stderr, /^Error: invalid JSON in .*dup\.json: document 1 \(line 5\): duplicate key "metadata" in an object/m);
  // the same input as YAML was already an error: both formats agree
  const dupYaml = await runMc(['export-service', '-'], { input: 'apiVersion: v1\nkind: Service\nmetadata: {name: a}\nmetadata: {name: b}\n' });
  assert.equal(dupYaml.code, 1);

  const cases: Array<[string, RegExp]> = [
    ['apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: v1\nkind: Service\nmetadata: 5\n', /document 2 \(line 5\): the metadata of a Service is 5, not a map with a name/],
    ['apiVersion: v1\nkind: Service\nspec: {}\n', /document 1 \(line 1\): a Service without metadata/],
    ['# comment\n\napiVersion: v1\nkind: Service\nmetadata:\n  labels: {app: x}\n', /document 1 \(line 3\): a Service without metadata\.name/],
    ['{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Service","metadata":{"name":7}}]}', /document 1 \(line 1\): items\[0\]: a Service without metadata\.name \(it is 7, not a string\)/],
  ];
  for (const [input, message] of cases) {
    const r = await runMc(['export-service', '-'], { input });
    assert.equal(r.code, 1, input);
    assert.equal(r.stdout, '', input);
    assert.match(r.stderr, new RegExp(`^Error: cannot export in standard input: ${message.source}`, 'm'), input);
    assert.doesNotMatch(r.stderr, /service "" exported/);
  }
});

test('invalid YAML: the error names the file, the document and the line; nothing on stdout', async () => {
  const good = file('good.yaml', SERVICE);
  const bad = file('bad.yaml', `${DEPLOYMENT}---\n${SERVICE}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: [broken\n`);
  const r = await runMc(['export-service', good, bad]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /Error: invalid YAML in .*bad\.yaml: document 3 \(line 3[0-9]\)/);
  const line = Number(/line (\d+)/.exec(r.stderr)![1]);
  assert.ok(line >= 32 && line <= 33, `line ${line}`);

  const missing = await runMc(['export-service', join(dir, 'nope.yaml')]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, '');
  assert.match(missing.stderr, /Error: cannot read .*nope\.yaml: no such file or directory/);

  const json = await runMc(['export-service', '-'], { input: '{"apiVersion": "v1",\n "kind": "Service"\n' });
  assert.equal(json.code, 1);
  assert.equal(json.stdout, '');
  assert.match(json.stderr, /Error: invalid JSON in standard input/);

  // a folder without manifests is most likely a wrong path, as kubectl apply -f DIR says
  const empty = join(dir, 'empty');
  file('empty/notes.txt', 'not a manifest');
  const none = await runMc(['export-service', good, empty]);
  assert.equal(none.code, 1);
  assert.equal(none.stdout, '');
  assert.match(none.stderr, /Error: no manifests in folder .*empty: no \.yaml, \.yml or \.json files/);
});

test('usage errors: exit 2, nothing on stdout', async () => {
  const f = file('u.yaml', SERVICE);
  for (const args of [
    ['export-service'],
    ['export-service', f, '--unexport', '--remote-discovery'],
    ['export-service', f, '--federated', '--remote-discovery'],
    ['export-service', f, 'svc/podinfo'],
    ['export-service', f, '--dry-run'],
    ['export-service', 'svc/a', '-l', 'app=x'],
  ]) {
    const r = await runMc(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
  }
});

test('--help explains offline versus live, with examples', async () => {
  const r = await runMc(['export-service', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /svc\/NAME/);
  assert.match(r.stdout, /Examples:/);
  assert.match(r.stdout, /--remote-discovery/);
});
