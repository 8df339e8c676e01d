/** `npm run demo` plays the whole scenario on the test clusters without a failed step. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDemo } from './support/demo.js';

test('the demo runs every step, printing each command as typed', async () => {
  let out = '';
  const failed = await runDemo((s) => (out += s));
  assert.equal(failed, 0, out);
  assert.match(out, /^\$ mc certs generate --dir certs --cluster east --cluster west$/m);
  // the current upstream flow: the extension runs the mirror, link-gen brings the Link, check is green
  assert.match(out, /^\$ mc --context west install --set 'controllers\[0\]\.link\.ref\.name=east' \| kubectl --context west apply -f -$/m);
  assert.match(out, /^\$ mc --context east link-gen --cluster-name east /m);
  assert.match(out, /^√ extension is managing controllers$/m);
  assert.match(out, /^# demo finished in/m);
});

test('without kubectl, the demo stand-in applies multi-document files and prints tables', async () => {
  const { startTestClusters } = await import('./support/index.js');
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const lite = fileURLToPath(new URL('./support/kubectl-lite.js', import.meta.url));
  const env = await startTestClusters(['east']);
  const run = (args: string[], input = '') =>
    new Promise<{ code: number; out: string }>((resolve) => {
      const c = spawn(process.execPath, [lite, '--kubeconfig', env.kubeconfigPath, ...args]);
      let out = '';
      c.stdout.on('data', (d) => (out += d));
      c.stderr.on('data', (d) => (out += d));
      c.on('close', (code) => resolve({ code: code ?? -1, out }));
      c.stdin.on('error', () => {});
      c.stdin.end(input);
    });
  try {
    const docs = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: lite}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: lite}\ndata: {a: "1"}\n';
    let r = await run(['--context', 'east', 'apply', '-f', '-'], docs);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out, 'namespace/lite created\nconfigmap/c created\n');
    r = await run(['--context', 'east', 'apply', '-f', '-'], docs);
    assert.equal(r.out, 'namespace/lite unchanged\nconfigmap/c unchanged\n');
    r = await run(['get', 'cm', '-n', 'lite']);
    assert.match(r.out, /^NAME\s+DATA\s+AGE\n/);
    assert.match(r.out, /\nc\s+1\s+\d+s\n/);
  } finally {
    await env.stop();
  }
});
