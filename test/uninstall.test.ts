import assert from 'node:assert/strict';
import { test } from 'node:test';
import { McError } from '../src/errors.js';
import { assertNoLinks, deletionDocs, EXTENSION_KINDS, UNINSTALL_SELECTOR } from '../src/render/uninstall.js';

test('uninstall selects on upstream\'s extension label', () => {
  assert.equal(UNINSTALL_SELECTOR, 'linkerd.io/extension=multicluster');
});

test('deletion manifest: namespaced objects first, the CRD and the namespace last, identity only', () => {
  const kind = (k: string) => EXTENSION_KINDS.find((x) => x.kind === k)!;
  const docs = deletionDocs([
    { kind: kind('Namespace'), items: [{ metadata: { name: 'linkerd-multicluster', labels: { 'linkerd.io/extension': 'multicluster' } } }] },
    { kind: kind('CustomResourceDefinition'), items: [{ metadata: { name: 'links.multicluster.linkerd.io' } }] },
    { kind: kind('Deployment'), items: [{ metadata: { name: 'b', namespace: 'linkerd-multicluster' } }, { metadata: { name: 'a', namespace: 'linkerd-multicluster' } }] },
    { kind: kind('ClusterRole'), items: [{ metadata: { name: 'r', namespace: 'ignored-for-cluster-scope' } }] },
  ].sort((x, y) => EXTENSION_KINDS.indexOf(x.kind) - EXTENSION_KINDS.indexOf(y.kind)));
  assert.deepEqual(
    docs.map((d) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`),
    ['Deployment/linkerd-multicluster/a', 'Deployment/linkerd-multicluster/b', 'ClusterRole//r', 'CustomResourceDefinition//links.multicluster.linkerd.io', 'Namespace//linkerd-multicluster'],
  );
  assert.deepEqual(Object.keys(docs[0]!), ['apiVersion', 'kind', 'metadata']);
  const order = EXTENSION_KINDS.map((k) => k.kind);
  assert.equal(order.at(-1), 'Namespace');
  assert.ok(order.indexOf('CustomResourceDefinition') > order.indexOf('Deployment'));
});

test('Links block the uninstall: each named, with the unlink command', () => {
  assert.doesNotThrow(() => assertNoLinks([], 'west'));
  assert.throws(
    () => assertNoLinks([{ metadata: { name: 'east', namespace: 'linkerd-multicluster' }, spec: { targetClusterName: 'east' } }, { metadata: { name: 'north', namespace: 'linkerd-multicluster' } }], 'west'),
    (e: unknown) =>
      e instanceof McError &&
      e.exitCode === 1 &&
      /context "west": 2 Links remain/.test(e.message) &&
      e.message.includes('* east (Link linkerd-multicluster/east)') &&
      e.message.includes('* north (Link linkerd-multicluster/north)') &&
      /mc unlink --cluster-name east/.test(e.hint ?? ''),
  );
});
