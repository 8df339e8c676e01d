/**
 * The pod readings of check: kubectl's STATUS, the proxy as a container or a
 * native sidecar, and the proxy's version.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { podStatus, proxyReady, type PodObject } from '../src/check/pods.js';
import { proxyVersion } from '../src/versions/read.js';

const running = { running: { startedAt: '2026-01-01T00:00:00Z' } };

function pod(status: PodObject['status'], spec: PodObject['spec'] = { containers: [{ name: 'app' }] }, metadata: PodObject['metadata'] = { name: 'p' }): PodObject {
  return { metadata, spec, status };
}

test('podStatus: what kubectl get pods shows', () => {
  assert.equal(podStatus(pod({ phase: 'Running', containerStatuses: [{ name: 'app', ready: true, state: running }] })), 'Running');
  assert.equal(podStatus(pod({ phase: 'Running', containerStatuses: [{ name: 'app', ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } } }] })), 'CrashLoopBackOff');
  assert.equal(podStatus(pod({ phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, state: { waiting: { reason: 'ImagePullBackOff' } } }] })), 'ImagePullBackOff');
  assert.equal(podStatus(pod({ phase: 'Succeeded', containerStatuses: [{ name: 'app', ready: false, state: { terminated: { reason: 'Completed', exitCode: 0 } } }] })), 'Completed');
  assert.equal(podStatus(pod({ phase: 'Failed', containerStatuses: [{ name: 'app', ready: false, state: { terminated: { exitCode: 137, signal: 9 } } }] })), 'Signal:9');
  assert.equal(podStatus(pod({ phase: 'Failed', reason: 'Evicted' })), 'Evicted');
  assert.equal(podStatus(pod({ phase: 'Running' }, undefined, { name: 'p', deletionTimestamp: '2026-01-01T00:00:00Z' })), 'Terminating');
  assert.equal(podStatus(pod({})), 'Unknown');
});

test('podStatus: init containers, and a native sidecar that keeps running', () => {
  const spec = { initContainers: [{ name: 'linkerd-init' }, { name: 'linkerd-proxy', restartPolicy: 'Always' }], containers: [{ name: 'app' }] };
  const initDone = { name: 'linkerd-init', ready: false, state: { terminated: { reason: 'Completed', exitCode: 0 } } };
  assert.equal(podStatus(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'linkerd-init', ready: false, state: running }] }, spec)), 'Init:0/2');
  assert.equal(podStatus(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'linkerd-init', ready: false, state: { terminated: { reason: 'Error', exitCode: 1 } } }] }, spec)), 'Init:Error');
  assert.equal(podStatus(pod({ phase: 'Pending', initContainerStatuses: [initDone, { name: 'linkerd-proxy', ready: false, started: false, state: running }] }, spec)), 'Init:1/2');
  const up = pod({ phase: 'Running', initContainerStatuses: [initDone, { name: 'linkerd-proxy', ready: true, started: true, state: running }], containerStatuses: [{ name: 'app', ready: true, state: running }] }, spec);
  assert.equal(podStatus(up), 'Running');
  assert.equal(proxyReady(up), true);
});

test('proxyReady and proxyVersion read the proxy wherever it is', () => {
  const asContainer = pod({ phase: 'Running', containerStatuses: [{ name: 'linkerd-proxy', ready: false }] }, { containers: [{ name: 'linkerd-proxy', image: 'cr.l5d.io/linkerd/proxy:edge-26.8.3' }] });
  assert.equal(proxyReady(asContainer), false);
  assert.equal(proxyVersion(asContainer), 'edge-26.8.3');
  const sidecar = pod({}, { initContainers: [{ name: 'linkerd-proxy', image: 'localhost:5000/proxy:dev', restartPolicy: 'Always' }], containers: [] });
  assert.equal(proxyVersion(sidecar), 'dev', 'a registry port is not a tag');
  assert.equal(proxyVersion(pod({}, { containers: [{ name: 'linkerd-proxy', image: 'localhost:5000/proxy' }] })), '');
  assert.equal(proxyVersion(pod({}, { containers: [{ name: 'linkerd-proxy', image: 'cr.l5d.io/linkerd/proxy@sha256:abc' }] })), '', 'pinned by digest: unknown');
  assert.equal(proxyVersion(pod({}, { containers: [{ name: 'app', image: 'x:1' }] })), '');
  assert.equal(proxyReady(pod({ containerStatuses: [{ name: 'app', ready: true }] })), false);
});
