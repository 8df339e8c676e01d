/**
 * Kubeconfigs from a cluster (Link credentials Secrets) are data: `mc check`
 * never runs their exec plugin, never reads a local file they name, and
 * never skips TLS verification unless the operator passes
 * --insecure-remote-tls. TLS and base64 problems are said as certificate
 * problems. Against the test API server over real HTTPS.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { AgentCache, KubeApiError, KubeClient } from '../src/kube/client.js';
import { coreRef } from '../src/kube/resources.js';
import { checkUntrustedKubeconfig, clientFromUntrustedKubeconfig, UntrustedKubeconfigError } from '../src/kube/untrusted-kubeconfig.js';
import { MC_BIN, runMc, type RunResult } from './helpers/index.js';
import { EAST_GATEWAY, makePki, putLink, putWestLinkedToEast, type Pki } from './fixtures/check.js';
import { startTestClusters, type Secret, type TestCluster, type TestEnv } from './support/index.js';

const SOURCE = 'Secret linkerd-multicluster/cluster-credentials-east';
let env: TestEnv;
let west: TestCluster;
let east: TestCluster;
let pki: Pki;
let dir: string;

before(async () => {
  env = await startTestClusters(['west', 'east']);
  west = env.cluster('west');
  east = env.cluster('east');
  pki = await makePki();
  dir = mkdtempSync(join(tmpdir(), 'mc-untrusted-'));
  putWestLinkedToEast(west, east, pki, ['podinfo']);
});

after(async () => {
  await env?.stop();
});

/** A kubeconfig for east as the Secret would hold it, with `cluster` / `user` fields changed. */
function eastKubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  const doc = yaml.load(east.kubeconfigFor(east.adminToken, 'east')) as any;
  Object.assign(doc.clusters[0].cluster, cluster);
  doc.users[0].user = user;
  for (const [k, v] of Object.entries(cluster)) if (v === undefined) delete doc.clusters[0].cluster[k];
  return yaml.dump(doc);
}

/** Replace the kubeconfig in west's credentials Secret for east. */
function putCredentials(kubeconfig: string): void {
  const secret = west.get<Secret>('v1', 'Secret', 'linkerd-multicluster', 'cluster-credentials-east')!;
  secret.data = { kubeconfig: Buffer.from(kubeconfig).toString('base64') };
  west.put(secret);
}

function check(...args: string[]): Promise<RunResult> {
  // --wait 300ms: a refused credential is retried once, not for a second
  return runMc(['--kubeconfig', env.kubeconfigPath, '--context', 'west', 'check', '--wait', '300ms', '--timeout', '3s', ...args]);
}

function accessBlock(out: string): string {
  const lines = out.split('\n');
  const i = lines.findIndex((l) => l.slice(2).startsWith('remote cluster access credentials are valid'));
  assert.ok(i >= 0, out);
  return lines.slice(i, i + 4).join('\n');
}


/** Whether the process `pid` is gone within 5 s (signal 0 only asks whether it exists). */
/** True once pid has exited. A zombie counts as gone: it was killed and only waits to be reaped by
 *  whatever adopted it (in a container, PID 1 may reap late or never). Polls for up to 15 s, which
 *  only a heavily loaded machine needs. */
async function processGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 150; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    if (isZombie(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function isZombie(pid: number): boolean {
  try {
    // /proc/PID/stat: "pid (comm) state ..."; comm may contain spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

test('each field that runs a program, reads a file or skips TLS is refused, naming the field and the Secret', () => {
  const cases: Array<[Record<string, unknown>, Record<string, unknown>, string]> = [
    [{ exec: { command: 'sh', args: ['-c', 'id'] } }, {}, 'users[0] ("east").user.exec'],
    [{ 'auth-provider': { name: 'oidc' } }, {}, 'users[0] ("east").user.auth-provider'],
    [{ tokenFile: '/etc/passwd' }, {}, 'users[0] ("east").user.tokenFile'],
    [{ 'client-certificate': '/home/me/.ssh/id', 'client-key-data': 'x' }, {}, 'users[0] ("east").user.client-certificate'],
    [{ 'client-key': '/home/me/key', 'client-certificate-data': 'x' }, {}, 'users[0] ("east").user.client-key'],
    [{ token: 't', as: 'system:admin' }, {}, 'users[0] ("east").user.as'],
    [{ token: 't' }, { 'certificate-authority': '/etc/ssl/ca.pem' }, 'clusters[0] ("east").cluster.certificate-authority'],
    [{ token: 't' }, { 'insecure-skip-tls-verify': true }, 'clusters[0] ("east").cluster.insecure-skip-tls-verify'],
    [{ token: 't' }, { 'proxy-url': 'http://evil:3128' }, 'clusters[0] ("east").cluster.proxy-url'],
  ];
  for (const [user, cluster, field] of cases) {
    assert.throws(
      () => checkUntrustedKubeconfig(eastKubeconfig(user, cluster), { source: SOURCE }),
      (e: unknown) => e instanceof UntrustedKubeconfigError && e.field === field && e.message.includes(`${SOURCE} sets ${field}`),
      field,
    );
  }
  // The operator's flag allows insecure TLS, and nothing else.
  assert.doesNotThrow(() => checkUntrustedKubeconfig(eastKubeconfig({ token: 't' }, { 'insecure-skip-tls-verify': true }), { source: SOURCE, allowInsecureTls: true }));
  assert.throws(() => checkUntrustedKubeconfig(eastKubeconfig({ exec: { command: 'sh' } }), { source: SOURCE, allowInsecureTls: true }), UntrustedKubeconfigError);
  assert.throws(() => checkUntrustedKubeconfig(eastKubeconfig({ tokenFile: '/x' }), { source: SOURCE, allowInsecureTls: true }), UntrustedKubeconfigError);
  // Unset values (false, empty) are not refused; inline credentials pass.
  assert.doesNotThrow(() => checkUntrustedKubeconfig(eastKubeconfig({ token: 't', tokenFile: '' }, { 'insecure-skip-tls-verify': false }), { source: SOURCE }));
});

test('check never runs the exec plugin of a Secret-sourced kubeconfig: × naming the field and the Secret', async (t) => {
  t.after(() => putLink(west, east, pki, { gatewayAddress: EAST_GATEWAY }));
  const marker = join(dir, 'pwned');
  const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { token: east.adminToken } });
  const script = `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran'); process.stdout.write(${JSON.stringify(credential)})`;
  putCredentials(eastKubeconfig({ exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: process.execPath, args: ['-e', script] } }));
  const r = await check();
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.equal(existsSync(marker), false, 'the exec plugin from the Secret ran on this machine');
  const b = accessBlock(r.stdout);
  assert.match(b, /^× remote cluster access credentials are valid/);
  assert.match(b, /Secret linkerd-multicluster\/cluster-credentials-east sets users\[0\] \("east"\)\.user\.exec/);
  assert.match(b, /runs a program on this machine/);
});

test('check never reads a local file named by a Secret-sourced kubeconfig (tokenFile)', async (t) => {
  t.after(() => putLink(west, east, pki, { gatewayAddress: EAST_GATEWAY }));
  // The file holds a token that would work: reading it would pass the check.
  const tokenPath = join(dir, 'admin-token');
  writeFileSync(tokenPath, east.adminToken);
  putCredentials(eastKubeconfig({ tokenFile: tokenPath }));
  const r = await check();
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const b = accessBlock(r.stdout);
  assert.match(b, /^× /);
  assert.match(b, /user\.tokenFile, which mc refuses from a cluster: it reads a local file/);
  assert.doesNotMatch(r.stdout + r.stderr, new RegExp(east.adminToken));
});

test('insecure-skip-tls-verify from a Secret is refused unless --insecure-remote-tls', async (t) => {
  t.after(() => putLink(west, east, pki, { gatewayAddress: EAST_GATEWAY }));
  putCredentials(eastKubeconfig({ token: east.adminToken }, { 'certificate-authority-data': undefined, 'insecure-skip-tls-verify': true }));
  const refused = await check();
  assert.equal(refused.code, 1);
  assert.match(accessBlock(refused.stdout), /cluster\.insecure-skip-tls-verify, which mc refuses from a cluster: it turns TLS verification off/);
  const allowed = await check('--insecure-remote-tls');
  assert.match(accessBlock(allowed.stdout), /^√ remote cluster access credentials are valid/, allowed.stdout);
});

test('a wrong CA is a certificate problem, and CA data that is not base64 is never ignored', async (t) => {
  t.after(() => putLink(west, east, pki, { gatewayAddress: EAST_GATEWAY }));
  putCredentials(eastKubeconfig({ token: east.adminToken }, { 'certificate-authority-data': Buffer.from(west.caPem).toString('base64') }));
  const wrongCa = await check();
  assert.equal(wrongCa.code, 1);
  assert.match(accessBlock(wrongCa.stdout), /TLS certificate problem .*x509: certificate signed by unknown authority/);
  assert.doesNotMatch(accessBlock(wrongCa.stdout), /unreachable/);

  // Before, "not base64!" decoded to a few junk bytes and Node fell back to the system roots.
  putCredentials(eastKubeconfig({ token: east.adminToken }, { 'certificate-authority-data': 'not base64!' }));
  const badData = await check();
  assert.equal(badData.code, 1);
  assert.match(accessBlock(badData.stdout), /cluster "east"\.certificate-authority-data is not valid base64/);
});

test('the user kubeconfig: shape errors name the file, the entry and the field', async () => {
  const write = (name: string, doc: unknown) => {
    const p = join(dir, name);
    writeFileSync(p, typeof doc === 'string' ? doc : yaml.dump(doc));
    return p;
  };
  const good = yaml.load(east.kubeconfigFor(east.adminToken, 'east')) as any;
  const cases: Array<[string, unknown, RegExp]> = [
    ['clusters-number', { ...good, clusters: 5 }, /clusters-number: "clusters" must be a list, not number 5/],
    ['server-number', { ...good, clusters: [{ name: 'east', cluster: { server: 5 } }] }, /server-number: clusters\[0\] \("east"\)\.cluster\.server must be a string, not number 5/],
    ['user-list', { ...good, users: [{ name: 'east', user: ['x'] }] }, /user-list: users\[0\] \("east"\)\.user must be a mapping, not a list/],
    ['no-name', { ...good, contexts: [{ context: { cluster: 'east' } }] }, /no-name: contexts\[0\]\.name must be a non-empty string/],
    ['bad-url', { ...good, clusters: [{ name: 'east', cluster: { server: 'https://a b:6443' } }] }, /bad-url: cluster "east": "server" is not a URL/],
    ['bad-ca', { ...good, clusters: [{ name: 'east', cluster: { server: east.server, 'certificate-authority-data': 'bm90IHBlbQ==' } }] }, /bad-ca: cluster "east"\.certificate-authority-data does not hold PEM data/],
  ];
  for (const [name, doc, want] of cases) {
    const r = await runMc(['--kubeconfig', write(name, doc), '--context', 'east', 'unlink', '--cluster-name', 'x']);
    assert.equal(r.code, 1, `${name}: ${r.stderr}`);
    assert.match(r.stderr, want, name);
    assert.doesNotMatch(r.stderr, /is not iterable|Invalid URL|TypeError/, name);
    assert.equal(r.stdout, '');
  }
});

test('the user kubeconfig: an exec plugin printing non-JSON is named; a hanging plugin is stopped with its process group', async () => {
  const kubeconfigWith = (name: string, args: string[]) => {
    const doc = yaml.load(east.kubeconfigFor(east.adminToken, 'east')) as any;
    doc.users[0].user = { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: process.execPath, args } };
    const p = join(dir, name);
    writeFileSync(p, yaml.dump(doc));
    return p;
  };
  const notJson = await runMc(['--kubeconfig', kubeconfigWith('not-json', ['-e', 'process.stdout.write("ok then")']), 'unlink', '--cluster-name', 'x']);
  assert.equal(notJson.code, 1);
  assert.match(notJson.stderr, /the exec plugin ".*" of user "east" in kubeconfig .*not-json did not print an ExecCredential JSON document/);

  // The plugin starts a child that would outlive it, then hangs; both must be gone after the deadline.
  const pidFile = join(dir, 'grandchild.pid');
  const script = `const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); setInterval(() => {}, 1000);`;
  const hang = await runMc(['--kubeconfig', kubeconfigWith('hang', ['-e', script]), '--request-timeout', '2s', 'unlink', '--cluster-name', 'x']);
  assert.equal(hang.code, 1, hang.stderr);
  assert.match(hang.stderr, /gave no credentials within 2s and was stopped/);
  const pid = Number((await import('node:fs')).readFileSync(pidFile, 'utf8'));
  const alive = !(await processGone(pid));
  assert.equal(alive, false, 'the plugin\'s child process was left running');
});

test('--request-timeout (kubectl syntax) bounds every request and names the request and the server; 0 means no limit', async (t) => {
  east.faults.latencyMs = 1500;
  t.after(() => {
    east.faults.latencyMs = 0;
  });
  const r = await runMc(['--kubeconfig', env.kubeconfigPath, '--context', 'east', '--request-timeout', '1', 'unlink', '--cluster-name', 'x']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`cannot (list|get) .*: the API server of context "east" \\(${east.server.replace(/[.]/g, '\\.')}\\) gave no answer within 1s \\(request timed out\\)`));
  assert.match(r.stderr, /--request-timeout/);
  assert.equal(r.stdout, '');
  // No limit: the slow answers arrive and the command gets as far as the cluster's answer.
  const none = await runMc(['--kubeconfig', env.kubeconfigPath, '--context', 'east', '--request-timeout', '0', 'unlink', '--cluster-name', 'x']);
  assert.doesNotMatch(none.stderr, /timed out/);
  assert.match(none.stderr, /there is no Link "x"/);
  const bad = await runMc(['--kubeconfig', env.kubeconfigPath, '--request-timeout', 'soon', 'unlink', '--cluster-name', 'x']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid duration "soon" for --request-timeout/);
});

test('Ctrl-C while an exec plugin hangs: mc exits 130 and the plugin\'s process group is killed', async () => {
  const { spawn } = await import('node:child_process');
  const { readFileSync } = await import('node:fs');
  const pidFile = join(dir, 'sigint-grandchild.pid');
  const script = `const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); setInterval(() => {}, 1000);`;
  const doc = yaml.load(east.kubeconfigFor(east.adminToken, 'east')) as any;
  doc.users[0].user = { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: process.execPath, args: ['-e', script] } };
  const path = join(dir, 'sigint.kubeconfig');
  writeFileSync(path, yaml.dump(doc));
  const child = spawn(process.execPath, [MC_BIN, '--kubeconfig', path, '--request-timeout', '0', 'unlink', '--cluster-name', 'x'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const closed = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  // Wait until the plugin has started its child (no time limit: the test runner's own).
  while (!existsSync(pidFile)) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGINT');
  assert.equal(await closed, 130, stderr);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  const alive = !(await processGone(pid));
  assert.equal(alive, false, 'the plugin\'s child outlived Ctrl-C');
});

test('an AgentCache shares connections only among clients with the same TLS settings: tokens share, a client certificate never lends its connection', async () => {
  const agents = new AgentCache(1);
  try {
    const sa = (name: string) => {
      east.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'default' } });
      return clientFromUntrustedKubeconfig(east.kubeconfigFor(east.serviceAccountToken('default', name)), { source: `test ${name}`, agents });
    };
    const [a, b] = await Promise.all([sa('pool-a'), sa('pool-b')]);
    east.resetRequests();
    // Each token is still its own identity: an account without rights is forbidden, whichever client went first.
    for (const c of [a, b, a]) await assert.rejects(c.list(coreRef('secrets', 'default')), (err: KubeApiError) => err.code === 403);
    assert.equal(east.connections, 1, 'the two tokens share one connection');
    // The admin's client certificate (the kubeconfig of the test env) gets its own connection, and its rights stay its own.
    const admin = await KubeClient.connect({ kubeconfig: env.kubeconfigPath, context: 'east', env: {} }, { agents });
    await admin.list(coreRef('secrets', 'default'));
    await assert.rejects(a.list(coreRef('secrets', 'default')), (err: KubeApiError) => err.code === 403);
    assert.equal(east.connections, 2);
    // A client's close() leaves the shared agent to the cache.
    a.close();
    await assert.rejects(b.list(coreRef('secrets', 'default')), (err: KubeApiError) => err.code === 403);
    assert.equal(east.connections, 2);
  } finally {
    agents.close();
  }
});

test('an AgentCache sizes an agent as the client that makes it asks (the context\'s own burst), else with its own number (the Links\' tokens)', async () => {
  const agents = new AgentCache(1);
  east.faults.latencyMs = 50; // the reads overlap
  try {
    const admin = await KubeClient.connect({ kubeconfig: env.kubeconfigPath, context: 'east', env: {} }, { agents, maxSockets: 3 });
    east.resetRequests();
    await Promise.all(Array.from({ length: 6 }, () => admin.list(coreRef('namespaces'))));
    assert.equal(east.connections, 3, 'six reads at once on three connections');
    east.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'pool-c', namespace: 'default' } });
    const token = await clientFromUntrustedKubeconfig(east.kubeconfigFor(east.serviceAccountToken('default', 'pool-c')), { source: 'test pool-c', agents });
    east.resetRequests();
    const codes = await Promise.all(Array.from({ length: 4 }, () => token.list(coreRef('secrets', 'default')).then(() => 200, (err: KubeApiError) => err.code)));
    assert.deepEqual(codes, [403, 403, 403, 403], 'an account without rights');
    assert.equal(east.connections, 1, 'the token\'s agent has the cache\'s one connection');
  } finally {
    east.faults.latencyMs = 0;
    agents.close();
  }
});
