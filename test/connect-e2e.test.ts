/**
 * `mc connect` / `mc disconnect` on test API servers (real HTTPS, a real
 * kubeconfig): meshes of 3 and 5, a second run that changes nothing, a pair
 * failing part-way and the rerun that resumes it, preflight stopping before
 * any write, the loopback refusal, and disconnect leaving nothing behind.
 * The simulated service mirror then reads each target through the Link's
 * credentials, which proves the account, its RBAC and the kubeconfig work.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import yaml from 'js-yaml';
import { runConnect, runDisconnect, type ConnectOptions } from '../src/connect/index.js';
import { LINKERD_VERSION } from '../src/version.js';
import { MC_BIN, runCommand, runMc } from './helpers/index.js';
import { snapshot, startMeshClusters, testIO } from './fixtures/mesh.js';
import type { Deployment, Link, Secret, Service, TestEnv } from './support/index.js';
import { startServiceMirrorSimulation } from './support/linkerd-sim.js';

const envs: TestEnv[] = [];
after(async () => Promise.all(envs.map((e) => e.stop())));

async function mesh(names: string[], options: Parameters<typeof startMeshClusters>[1] = {}): Promise<TestEnv> {
  const env = await startMeshClusters(names, options);
  envs.push(env);
  return env;
}

function options(env: TestEnv, extra: Partial<ConnectOptions> = {}): ConnectOptions {
  return {
    kubeconfig: env.kubeconfigPath,
    linkerdNamespace: 'linkerd',
    pairs: { mesh: env.clusters.map((c) => c.name) },
    install: false,
    remoteDiscovery: false,
    legacy: false,
    apiServerAddresses: new Map(),
    // The test servers listen on 127.0.0.1, and so do the simulated mirrors that reach them.
    allowLoopback: true,
    gateways: new Map(),
    dryRun: false,
    timeoutMs: 30_000,
    linkerdVersion: LINKERD_VERSION,
    verbose: false,
    ...extra,
  };
}

async function connect(env: TestEnv, extra: Partial<ConnectOptions> = {}) {
  const io = testIO();
  const code = await runConnect(options(env, extra), io);
  return { code, stdout: io.out(), stderr: io.err() };
}

async function disconnect(env: TestEnv, extra: Parameters<typeof runDisconnect>[0] extends infer O ? Partial<O> : never = {}) {
  const io = testIO();
  const code = await runDisconnect({ kubeconfig: env.kubeconfigPath, linkerdNamespace: 'linkerd', pairs: { mesh: env.clusters.map((c) => c.name) }, timeoutMs: 30_000, linkerdVersion: LINKERD_VERSION, ...extra }, io);
  return { code, stdout: io.out(), stderr: io.err() };
}

const links = (env: TestEnv, c: string) => env.cluster(c).list<Link>('multicluster.linkerd.io/v1alpha3', 'Link', 'linkerd-multicluster').map((l) => l.metadata.name).sort();

/** Each cluster's simulated mirror reads its targets through the Links' credentials: no error means they work. */
async function mirrorsWork(env: TestEnv): Promise<void> {
  for (const c of env.clusters) {
    const sim = startServiceMirrorSimulation(env, c.name, { intervalMs: 0 });
    await sim.syncOnce();
    sim.stop();
    assert.deepEqual([...sim.errors], [], `the mirror in ${c.name} reads every target`);
  }
}

test('a mesh of 3: six links with their accounts and controllers; the second run changes nothing', async () => {
  const env = await mesh(['east', 'west', 'north']);
  const r = await connect(env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '', 'the report goes to stderr');
  assert.match(r.stderr, /6 links: 6 connected, 0 unchanged, 0 failed/);
  assert.match(r.stderr, /^west←east: connected \(\d+ created\)$/m);
  for (const c of ['east', 'west', 'north']) {
    assert.deepEqual(links(env, c), ['east', 'west', 'north'].filter((x) => x !== c).sort(), c);
    const cluster = env.cluster(c);
    for (const other of ['east', 'west', 'north'].filter((x) => x !== c)) {
      // The controller for each target (the chart's managed controller), and one account per source.
      assert.ok(cluster.get('apps/v1', 'Deployment', 'linkerd-multicluster', `controller-${other}`), `controller-${other} in ${c}`);
      assert.ok(cluster.get('v1', 'ServiceAccount', 'linkerd-multicluster', `linkerd-service-mirror-remote-access-${other}`), `account for ${other} in ${c}`);
      assert.ok(cluster.get('v1', 'Secret', 'linkerd', `cluster-credentials-${other}`));
      const link = cluster.get<Link>('multicluster.linkerd.io/v1alpha3', 'Link', 'linkerd-multicluster', other)!;
      assert.match(link.spec!.gatewayAddress!, /^192\.0\.2\.\d$/);
      const managedFields = link.metadata.managedFields ?? [];
      assert.ok(managedFields.some((m) => m.manager === 'mc'), 'applied by mc');
    }
  }
  await mirrorsWork(env);

  const before = env.clusters.map(snapshot);
  const again = await connect(env);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /6 links: 0 connected, 6 unchanged, 0 failed/);
  assert.equal(again.stderr.match(/: no changes$/gm)?.length, 6);
  assert.deepEqual(env.clusters.map(snapshot), before, 'nothing was written');
});

test('a mesh of 5 (20 links), then disconnect leaves every cluster as it was', async () => {
  const names = ['c1', 'c2', 'c3', 'c4', 'c5'];
  const env = await mesh(names);
  const before = env.clusters.map(snapshot);
  // Every request each cluster gets (the fault hook sees them all and injects nothing).
  const seen = new Map(names.map((n) => [n, [] as string[]]));
  for (const c of env.clusters) c.faults.failRequest = (method, path) => void seen.get(c.name)!.push(`${method} ${path}`);
  const r = await connect(env);
  for (const c of env.clusters) c.faults.failRequest = undefined;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /20 links: 20 connected/);
  for (const [name, requests] of seen) {
    // What connect applies it knows from one list per kind, not from a GET before each apply.
    const patched = new Set(requests.filter((q) => q.startsWith('PATCH ')).map((q) => q.slice('PATCH '.length)));
    assert.equal(patched.size, 4 * 4 + 4 * 9, `${name}: 4 account objects per source, 9 objects per target (Link, Secrets, controller)`);
    assert.deepEqual(requests.filter((q) => q.startsWith('GET ') && patched.has(q.slice('GET '.length))), [], `${name}: no GET of an object it applies`);
    // What link-gen reads of a target, read once for the 4 pairs that link to it (the preflight reads linkerd-config twice).
    assert.ok(requests.filter((q) => q.endsWith('/configmaps/linkerd-config')).length <= 3, `${name}: linkerd-config read once by link-gen for every pair`);
    assert.ok(requests.filter((q) => q.endsWith('/services/linkerd-gateway')).length <= 2, `${name}: the gateway read once by link-gen for every pair`);
  }
  for (const c of names) assert.equal(links(env, c).length, 4);
  await mirrorsWork(env);

  // One pair, then everything.
  const one = await disconnect(env, { pairs: { from: ['c1'], to: ['c2'] } });
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stderr, /^c1←c2: disconnected \(\d+ objects removed\)$/m);
  assert.deepEqual(links(env, 'c1'), ['c3', 'c4', 'c5']);
  assert.equal(env.cluster('c2').get('v1', 'ServiceAccount', 'linkerd-multicluster', 'linkerd-service-mirror-remote-access-c1'), undefined);
  const all = await disconnect(env);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stderr, /20 links: 19 disconnected, 1 had nothing to remove, 0 failed/);
  env.clusters.forEach((c, i) => {
    // Pods of deleted Deployments are the garbage collector's (the test server has none).
    const now = new Map([...snapshot(c)].filter(([k]) => !k.startsWith('Pod ') || before[i]!.has(k)));
    const left = [...now.keys()].filter((k) => !before[i]!.has(k));
    assert.deepEqual(left, [], `nothing left behind in ${c.name}`);
    const gone = [...before[i]!.keys()].filter((k) => !now.has(k));
    assert.deepEqual(gone, [], `nothing of ${c.name}'s own removed`);
  });
});

test('a pair failing part-way reports done/failed/why; the rerun resumes', async () => {
  const env = await mesh(['a', 'b', 'c']);
  // b refuses to take controllers: its two pairs stop after the Link and credentials.
  env.cluster('b').faults.failRequest = (method, path) => (method === 'PATCH' && path.includes('/deployments/') ? 500 : undefined);
  const r = await connect(env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^b←a: FAILED at controller for a in b: .*InternalError/m);
  assert.match(r.stderr, /^b←c: FAILED at controller for c in b: /m);
  assert.match(r.stderr, /^a←b: connected/m);
  assert.match(r.stderr, /6 links: 4 connected, 0 unchanged, 2 failed/);
  assert.match(r.stderr, /Failed: b←a, b←c\. .*run the same command again/);
  // The Link went in before its credentials, and both before the controller.
  assert.deepEqual(links(env, 'b'), ['a', 'c']);
  assert.equal(env.cluster('b').get('apps/v1', 'Deployment', 'linkerd-multicluster', 'controller-a'), undefined);

  env.cluster('b').faults.failRequest = undefined;
  const rerun = await connect(env);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stderr, /^b←a: connected \(\d+ created, \d+ unchanged\)$/m);
  assert.match(rerun.stderr, /^a←b: no changes$/m);
  assert.match(rerun.stderr, /6 links: 2 connected, 4 unchanged, 0 failed/);
  assert.ok(env.cluster('b').get('apps/v1', 'Deployment', 'linkerd-multicluster', 'controller-a'));
  await mirrorsWork(env);
});

test('clusters that share no anchor stop the preflight: every problem at once, nothing written', async () => {
  const env = await mesh(['p', 'q', 'r'], { ownAnchor: ['r'], withoutExtension: ['q'] });
  const before = env.clusters.map(snapshot);
  const r = await connect(env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Preflight found 3 problems; nothing was written:/);
  assert.match(r.stderr, /× q: the multicluster extension is not installed/);
  assert.match(r.stderr, /× p and r: the clusters share no trust anchor: p trusts root\.linkerd\.cluster\.local \(SHA-256 [0-9A-F:]+…\); r trusts root\.linkerd\.cluster\.local \(SHA-256 [0-9A-F:]+…\)\n {6}fix: Make each trust both anchors: `mc certs bundle --context p --context r > bundle\.crt`/);
  assert.match(r.stderr, /× q and r: the clusters share no trust anchor/);
  assert.deepEqual(env.clusters.map(snapshot), before);
});

test('a loopback API server is refused unless mapped (--api-server-address) or allowed', async () => {
  const env = await mesh(['x', 'y']);
  const before = env.clusters.map(snapshot);
  const refused = await connect(env, { allowLoopback: false });
  assert.equal(refused.code, 1);
  const y = env.cluster('y').server;
  assert.match(refused.stderr, new RegExp(`× y: its API server address ${y.replace(/[.]/g, '\\.')} is a loopback address: x cannot reach it there\\n {6}fix: Pass --api-server-address y=https://HOST:PORT`));
  assert.deepEqual(env.clusters.map(snapshot), before);
  // Mapped: the Link's credentials carry the address given (here: the same server, named explicitly).
  const mapped = await connect(env, { allowLoopback: false, apiServerAddresses: new Map([['x', env.cluster('x').server], ['y', y]]) });
  assert.equal(mapped.code, 0, mapped.stderr);
  const secret = env.cluster('x').get<Secret>('v1', 'Secret', 'linkerd-multicluster', 'cluster-credentials-y')!;
  const kubeconfig = yaml.load(Buffer.from(secret.data!.kubeconfig!, 'base64').toString()) as { clusters: Array<{ cluster: { server: string } }> };
  assert.equal(kubeconfig.clusters[0]!.cluster.server, y);
});

test('--dry-run prints each context\'s documents and writes nothing; --out-dir writes one file per cluster', async () => {
  const env = await mesh(['d1', 'd2']);
  const before = env.clusters.map(snapshot);
  const dry = await connect(env, { dryRun: true });
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^# context: d1\n---\n/);
  assert.match(dry.stdout, /\n# context: d2\n---\n/);
  // No account exists yet, so no token: the Links are left out and the user is told why.
  assert.match(dry.stderr, /d1←d2: the Link and its credentials Secrets are left out: they hold the token of account linkerd-service-mirror-remote-access-d1 in d2/);
  const d1 = yaml.loadAll(dry.stdout.split('# context: d2')[0]!) as Array<{ kind: string; metadata: { name: string } } | null>;
  assert.ok(d1.some((o) => o?.kind === 'ServiceAccount' && o.metadata.name === 'linkerd-service-mirror-remote-access-d2'));
  assert.ok(d1.some((o) => o?.kind === 'Deployment' && o.metadata.name === 'controller-d2'));
  assert.deepEqual(env.clusters.map(snapshot), before, 'a dry run writes nothing');
  // The kubeconfig is read once per run, not once per cluster: it may be a pipe (bash's <(...)), which reads only once.
  const piped = await runCommand('bash', ['-c', 'exec "$1" "$2" connect --kubeconfig <(cat "$3") --mesh d1,d2 --allow-loopback --dry-run', 'bash', process.execPath, MC_BIN, env.kubeconfigPath], {
    env: { ...process.env, NO_COLOR: '1' },
  });
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stdout, dry.stdout);

  const dir = mkdtempSync(join(tmpdir(), 'mc-connect-out-'));
  try {
    await connect(env); // the accounts exist now: the files hold the Links too
    const out = await connect(env, { outDir: join(dir, 'gitops') });
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(readdirSync(join(dir, 'gitops')).sort(), ['d1.yaml', 'd2.yaml']);
    const docs = yaml.loadAll(readFileSync(join(dir, 'gitops', 'd1.yaml'), 'utf8')) as Array<{ kind: string; metadata: { name: string } }>;
    assert.ok(docs.some((o) => o.kind === 'Link' && o.metadata.name === 'd2'));
    assert.match(out.stderr, /wrote .*d1\.yaml/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the CLI: flags in, usage errors exit 2 with nothing on stdout', async () => {
  const env = await mesh(['u1', 'u2']);
  const mc = (args: string[]) => runMc(['--kubeconfig', env.kubeconfigPath, ...args]);
  const bad = await mc(['connect', 'u1']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /expected two contexts/);
  const unknown = await mc(['connect', 'u1', 'nope']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /context "nope" not in the kubeconfig/);
  const badMap = await mc(['connect', 'u1', 'u2', '--api-server-address', 'u1=http://x']);
  assert.equal(badMap.code, 2);
  const ok = await mc(['connect', 'u1', 'u2', '--allow-loopback', '--timeout', '30s']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /2 links: 2 connected/);
  const gone = await mc(['disconnect', 'u1', 'u2', '--timeout', '30s']);
  assert.equal(gone.code, 0, gone.stderr);
  assert.match(gone.stderr, /2 links: 2 disconnected/);
});

test('connect and disconnect take the same pair selection: one definition of the arguments, --mesh, --from and --to', async () => {
  const env = await mesh(['p1', 'p2', 'p3']);
  const mc = (args: string[]) => runMc(['--kubeconfig', env.kubeconfigPath, ...args]);
  // The help of both, its columns and line breaks aside: the argument and the three flags, word for word.
  const pairHelp = (help: string) => /Arguments: (contexts .*?) Options: (--mesh .*?--to <contexts> .*?\))/.exec(help.replace(/\s+/g, ' '))?.slice(1);
  const [connectHelp, disconnectHelp] = await Promise.all([mc(['connect', '--help']), mc(['disconnect', '--help'])]);
  assert.ok(pairHelp(connectHelp.stdout), connectHelp.stdout);
  assert.deepEqual(pairHelp(disconnectHelp.stdout), pairHelp(connectHelp.stdout));
  // Commas and spaces mix in --mesh, --from and --to alike, for both commands.
  const ok = await mc(['connect', '--mesh', 'p1,p2', 'p3', '--allow-loopback', '--timeout', '30s']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /6 links: 6 connected/);
  const one = await mc(['disconnect', '--from', 'p1,p2', '--to', 'p3', '--timeout', '30s']);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stderr, /^p1←p3: disconnected/m);
  assert.match(one.stderr, /^p2←p3: disconnected/m);
  const rest = await mc(['disconnect', '--mesh', 'p1', 'p2,p3', '--timeout', '30s']);
  assert.equal(rest.code, 0, rest.stderr);
  assert.match(rest.stderr, /6 links: 4 disconnected, 2 had nothing to remove, 0 failed/);
});

test('--wait: until every controller holds its Lease and sees its gateway alive; else which link and why', async () => {
  const env = await mesh(['w1', 'w2']);
  // Only w1 runs its controllers: w2's link to w1 never gets a Lease holder.
  const sims = [startServiceMirrorSimulation(env, 'w1', { intervalMs: 100 })];
  try {
    const r = await connect(env, { waitMs: 3000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^w1←w2: controller controller-w2-\S+ holds the Lease, gateway alive \(\d+ ms\)$/m);
    assert.match(r.stderr, /^1 of 2 links not ready after 3s:\n {2}w2←w1: /m);
    sims.push(startServiceMirrorSimulation(env, 'w2', { intervalMs: 100 }));
    const again = await connect(env, { waitMs: 30_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /^2 of 2 links ready: every controller holds its Lease and sees its gateway alive$/m);
  } finally {
    for (const s of sims) s.stop();
  }
});

test('the controller image registry: --registry, else $LINKERD_DOCKER_REGISTRY of the IO (read by the domain, as link and install do)', async () => {
  const env = await mesh(['r1', 'r2']);
  const registries = (text: string) => [...new Set([...text.matchAll(/image: (\S+)\/controller:/g)].map((m) => m[1]))];
  const io = testIO({ LINKERD_DOCKER_REGISTRY: 'env.example/l5d' });
  assert.equal(await runConnect(options(env, { dryRun: true }), io), 0, io.err());
  assert.deepEqual(registries(io.out()), ['env.example/l5d']);
  const mc = (args: string[], registry?: string) => runMc(['--kubeconfig', env.kubeconfigPath, 'connect', 'r1', 'r2', '--allow-loopback', '--dry-run', ...args], { env: { LINKERD_DOCKER_REGISTRY: registry } });
  const flag = await mc(['--registry', 'flag.example/l5d'], 'env.example/l5d');
  assert.equal(flag.code, 0, flag.stderr);
  assert.deepEqual(registries(flag.stdout), ['flag.example/l5d'], 'the flag wins over the environment');
  const unset = await mc([], '');
  assert.equal(unset.code, 0, unset.stderr);
  assert.deepEqual(registries(unset.stdout), ['cr.l5d.io/linkerd'], 'an empty variable is not set');
});

test('a pair\'s warnings read "Warning: PAIR: ..." as mc\'s other warnings', async () => {
  const env = await mesh(['v1', 'v2']);
  // v2's gateway answers probes on 4192, not the chart's 4191: link-gen warns about the probe Service.
  const c = env.cluster('v2');
  const svc = c.get<Service>('v1', 'Service', 'linkerd-multicluster', 'linkerd-gateway')!;
  const ports = svc.spec.ports!;
  c.put({ ...svc, spec: { ...svc.spec, ports: ports.map((p) => (p.name === 'mc-probe' ? { ...p, port: 4192 } : p)) } });
  const r = await connect(env, { pairs: { from: ['v1'], to: ['v2'] } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^Warning: v1←v2: the Link's probe port is 4192 /m);
  assert.doesNotMatch(r.stderr, /warning:/);
});
