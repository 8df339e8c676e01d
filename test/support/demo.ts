/**
 * `npm run demo`: the scenario of the talk on two test clusters (east, west),
 * each `mc` command printed as a user would type it, followed by its output.
 *
 * The clusters are the in-process test API servers; Linkerd, the Ambassador
 * gateway, podinfo and the service mirror are SIMULATIONS (linkerd-sim.ts).
 * Commands run in child processes (real HTTPS, real kubeconfig) from a
 * scratch folder that holds `certs/` and a `kubeconfig` file ($KUBECONFIG).
 *
 * To add a step: append an entry to STEPS below. `ctx.sh(line)` prints and
 * runs a shell line (mc and kubectl are on PATH); `ctx.note(text)` prints a
 * comment; `ctx.env` / `ctx.east` / `ctx.west` reach the test clusters.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestClusters, type TestCluster, type TestEnv } from './index.js';
import { addIngress, addPodinfo, installSimulatedLinkerd, settleWorkloads, startServiceMirrorSimulation, type ServiceMirrorSimulation } from './linkerd-sim.js';

const MC_BIN = fileURLToPath(new URL('../../../bin/mc.js', import.meta.url));
const KUBECTL_LITE = fileURLToPath(new URL('./kubectl-lite.js', import.meta.url));

export interface ShResult {
  code: number;
  output: string;
}

export interface DemoContext {
  env: TestEnv;
  east: TestCluster;
  west: TestCluster;
  /** Scratch folder the commands run in (certs/ lives here). */
  dir: string;
  hasKubectl: boolean;
  /** The simulated service mirror of west, once started. */
  mirror?: ServiceMirrorSimulation;
  /** Print `$ line`, run it with bash in `dir`, print its output. A failure fails the step unless allowFailure. */
  sh(line: string, options?: { allowFailure?: boolean; input?: string }): Promise<ShResult>;
  /** Print a comment line (`# text`). */
  note(text: string): void;
}

export interface DemoStep {
  title: string;
  run(ctx: DemoContext): Promise<void>;
}

// The gateway address of east as its LoadBalancer reports it (TEST-NET-3).
const EAST_GATEWAY_IP = '203.0.113.10';

export const STEPS: DemoStep[] = [
  {
    title: 'A shared trust anchor and one issuer per cluster',
    async run(ctx) {
      await ctx.sh('mc certs generate --dir certs --cluster east --cluster west');
      await ctx.sh('ls -l certs certs/east certs/west');
    },
  },
  {
    title: 'Linkerd on both clusters, from those files (simulated control planes)',
    async run(ctx) {
      for (const name of ['east', 'west']) {
        ctx.note(`linkerd --context ${name} install --crds | kubectl --context ${name} apply -f -`);
        ctx.note(
          `linkerd --context ${name} install --identity-trust-anchors-file certs/ca.crt --identity-issuer-certificate-file certs/${name}/issuer.crt --identity-issuer-key-file certs/${name}/issuer.key | kubectl --context ${name} apply -f -`,
        );
        const certs = {
          trustAnchorsPem: readFileSync(join(ctx.dir, 'certs', 'ca.crt'), 'utf8'),
          issuerCertPem: readFileSync(join(ctx.dir, 'certs', name, 'issuer.crt'), 'utf8'),
          issuerKeyPem: readFileSync(join(ctx.dir, 'certs', name, 'issuer.key'), 'utf8'),
        };
        installSimulatedLinkerd(ctx.env.cluster(name), certs);
      }
      ctx.note('(simulated: the test clusters now hold what linkerd install leaves behind)');
      if (ctx.hasKubectl) await ctx.sh('kubectl --context east get deploy,cm -n linkerd');
    },
  },
  {
    title: 'Ambassador, the ingress of east, and podinfo on both clusters (simulated)',
    async run(ctx) {
      ctx.note('helm install ambassador datawire/ambassador -n ambassador ... ; kubectl apply -k podinfo ...');
      addIngress(ctx.east, { flavor: 'ambassador-1', address: EAST_GATEWAY_IP });
      addPodinfo(ctx.east, { namespace: 'test' });
      addPodinfo(ctx.west, { namespace: 'test' });
      if (ctx.hasKubectl) {
        await ctx.sh('kubectl --context east get svc -n ambassador');
        await ctx.sh('kubectl --context east get deploy,svc,pods -n test');
      }
    },
  },
  {
    title: 'The multicluster extension: east without a gateway (Ambassador is its gateway); west with one, running the service mirror for east',
    async run(ctx) {
      if (!ctx.hasKubectl) return ctx.note('kubectl not installed: skipping the kubectl apply steps');
      await ctx.sh('mc --context east install --gateway=false | kubectl --context east apply -f -');
      // The current flow (Linkerd 2.18+): a `controllers` entry per linked cluster runs its service mirror.
      await ctx.sh("mc --context west install --set 'controllers[0].link.ref.name=east' | kubectl --context west apply -f -");
    },
  },
  {
    title: "East's Ambassador becomes its multicluster gateway (the talk's \"patching the gateway\")",
    async run(ctx) {
      if (!ctx.hasKubectl) return ctx.note('kubectl not installed: skipping');
      await ctx.sh('mc --context east adopt-gateway -n ambassador deploy/ambassador svc/ambassador | kubectl --context east apply -f -');
      ctx.note('(simulated: the Ambassador pods restart with the Linkerd proxy in gateway mode)');
      settleWorkloads(ctx.east, 'ambassador');
      await ctx.sh('mc --context east adopt-gateway -n ambassador deploy/ambassador svc/ambassador');
    },
  },
  {
    title: 'Link east to west: west mirrors what east exports, through Ambassador',
    async run(ctx) {
      if (!ctx.hasKubectl) return ctx.note('kubectl not installed: skipping');
      // link-gen: only the Link and its credentials; west's extension already runs controller-east.
      await ctx.sh('mc --context east link-gen --cluster-name east --gateway-name ambassador --gateway-namespace ambassador | kubectl --context west apply -f -');
      ctx.note('(simulated: controller-east in west reads its Link and watches east through it)');
      ctx.mirror = startServiceMirrorSimulation(ctx.env, 'west', { intervalMs: 1000 });
      await ctx.mirror.syncOnce();
      for (const [link, err] of ctx.mirror.errors) ctx.note(`service mirror (simulated): Link ${link}: ${err}`);
      await ctx.sh('kubectl --context west get links.multicluster.linkerd.io -n linkerd-multicluster');
    },
  },
  {
    title: 'Export podinfo from east',
    async run(ctx) {
      await ctx.sh('mc --context east export-service svc/podinfo -n test');
      await ctx.mirror?.syncOnce();
      if (ctx.hasKubectl) {
        await ctx.sh('kubectl --context west get svc -n test');
        await ctx.sh('kubectl --context west get endpoints podinfo-east -n test');
      }
    },
  },
  {
    title: 'Half of podinfo\'s traffic in west goes to east (the talk\'s TrafficSplit, as an HTTPRoute)',
    async run(ctx) {
      if (!ctx.hasKubectl) return ctx.note('kubectl not installed: skipping');
      await ctx.sh('mc --context west split podinfo -n test --to podinfo=50 --to podinfo-east=50 | kubectl --context west apply -f -');
      ctx.note('the talk wrote an SMI TrafficSplit (linkerd-smi): mc split ... --api smi');
    },
  },
  {
    title: 'Check west',
    async run(ctx) {
      // All green here, or the demo fails.
      await ctx.sh('mc --context west check --wait 10s');
      const gw = await ctx.sh('mc --context west gateways');
      if (!/^east +True /m.test(gw.output)) throw new Error('mc gateways should show east alive');
    },
  },
  {
    title: 'East goes down: the check of west names what fails, and still checks the rest',
    async run(ctx) {
      ctx.note('(simulated: east\'s API server stops answering)');
      ctx.east.faults.down = true;
      try {
        const check = await ctx.sh('mc --context west check --wait 2s --timeout 2s', { allowFailure: true });
        if (check.code !== 1) throw new Error(`mc check should fail (exit 1) while east is down, but exited ${check.code}`);
        ctx.note('as expected: the checks that need east fail (exit 1), the local ones still pass');
        await ctx.mirror?.syncOnce(); // (simulated: the mirror's next probe of east's gateway gets no answer)
        const gw = await ctx.sh('mc --context west gateways');
        if (!/^east +False /m.test(gw.output)) throw new Error('mc gateways should show east not alive while east is down');
      } finally {
        ctx.east.faults.down = false;
      }
    },
  },
  // ---- later steps go here (keep them fast: the whole demo stays well under a minute)
];

function hasKubectl(): boolean {
  const r = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
  return r.status === 0;
}

function makeContext(env: TestEnv, dir: string, binDir: string, out: (s: string) => void): DemoContext {
  const shellEnv = {
    ...process.env,
    KUBECONFIG: env.kubeconfigPath,
    KUBECACHEDIR: join(dir, '.kube-cache'),
    PATH: `${binDir}:${process.env.PATH ?? ''}`,
    NO_COLOR: '1',
  };
  const ctx: DemoContext = {
    env,
    east: env.cluster('east'),
    west: env.cluster('west'),
    dir,
    hasKubectl: hasKubectl(),
    note: (text) => out(`# ${text}\n`),
    sh(line, options = {}) {
      out(`$ ${line}\n`);
      return new Promise((resolve, reject) => {
        const child = spawn('bash', ['-o', 'pipefail', '-c', line], { cwd: dir, env: shellEnv, stdio: ['pipe', 'pipe', 'pipe'] });
        let output = '';
        const onData = (d: Buffer) => {
          const s = d.toString('utf8');
          output += s;
          out(s);
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.on('error', reject);
        child.on('close', (code) => {
          if (output !== '' && !output.endsWith('\n')) out('\n');
          out('\n');
          const result = { code: code ?? -1, output };
          if (result.code !== 0 && !options.allowFailure) reject(new Error(`command failed (exit ${result.code}): ${line}`));
          else resolve(result);
        });
        child.stdin.on('error', () => {}); // a command that exits early closes its stdin
        child.stdin.end(options.input ?? '');
      });
    },
  };
  return ctx;
}

/** Run the demo; returns the number of failed steps. */
export async function runDemo(out: (s: string) => void = (s) => process.stdout.write(s), steps: DemoStep[] = STEPS): Promise<number> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'mc-demo-'));
  const binDir = join(dir, '.bin');
  mkdirSync(binDir);
  writeFileSync(join(binDir, 'mc'), `#!/bin/sh\nexec "${process.execPath}" "${MC_BIN}" "$@"\n`);
  chmodSync(join(binDir, 'mc'), 0o755);
  // no kubectl (or MC_DEMO_KUBECTL_LITE=1): a small stand-in that can `apply -f` and `get`
  const lite = process.env.MC_DEMO_KUBECTL_LITE === '1' || !hasKubectl();
  if (lite) {
    writeFileSync(join(binDir, 'kubectl'), `#!/bin/sh\nexec "${process.execPath}" "${KUBECTL_LITE}" "$@"\n`);
    chmodSync(join(binDir, 'kubectl'), 0o755);
  }
  const env = await startTestClusters(['east', 'west', 'north']);
  const ctx = makeContext(env, dir, binDir, out);
  if (lite) {
    ctx.hasKubectl = true;
    out('# kubectl is not installed: `kubectl` below is a small stand-in (test/support/kubectl-lite.ts) that applies with server-side apply\n');
  }
  out(`# Three test clusters: east (${ctx.east.server}), west (${ctx.west.server}) and north (${env.cluster('north').server}), which joins at the end\n`);
  out(`# export KUBECONFIG=${env.kubeconfigPath}\n\n`);
  let failed = 0;
  try {
    for (const [i, step] of steps.entries()) {
      out(`## ${i + 1}. ${step.title}\n\n`);
      try {
        await step.run(ctx);
      } catch (err) {
        failed++;
        out(`!! step failed: ${(err as Error).message}\n\n`);
      }
    }
  } finally {
    ctx.mirror?.stop();
    await env.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  out(`# demo finished in ${((Date.now() - started) / 1000).toFixed(1)}s${failed ? `, ${failed} step(s) failed` : ''}\n`);
  return failed;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runDemo().then(
    (failed) => {
      process.exitCode = failed > 0 ? 1 : 0;
    },
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}

// ---- many clusters: north joins with mc connect --mesh, mc status shows all of them (issue 15)
const meshMirrors: ServiceMirrorSimulation[] = [];

async function syncMeshMirrors(ctx: DemoContext): Promise<void> {
  // Two rounds: the first makes the controllers' Pods, the second gives them their Leases and probes.
  for (let i = 0; i < 2; i++) await Promise.all([ctx.mirror, ...meshMirrors].map((m) => m?.syncOnce()));
}

const MESH_STEPS: DemoStep[] = [
  {
    title: 'A third cluster, north: an issuer from the same anchor, Linkerd, the extension with its gateway',
    async run(ctx) {
      await ctx.sh('mc certs issuer --ca-cert certs/ca.crt --ca-key certs/ca.key --dir certs/north');
      const north = ctx.env.cluster('north');
      installSimulatedLinkerd(north, {
        trustAnchorsPem: readFileSync(join(ctx.dir, 'certs', 'ca.crt'), 'utf8'),
        issuerCertPem: readFileSync(join(ctx.dir, 'certs', 'north', 'issuer.crt'), 'utf8'),
        issuerKeyPem: readFileSync(join(ctx.dir, 'certs', 'north', 'issuer.key'), 'utf8'),
      });
      ctx.note('(simulated: linkerd --context north install ... with certs/north)');
      await ctx.sh('mc --context north install | kubectl --context north apply -f -');
      // West's gateway (installed above) and north's get their Pods and load balancer addresses.
      for (const [cluster, address] of [[ctx.west, '198.51.100.10'], [north, '198.51.100.20']] as const) {
        settleWorkloads(cluster, 'linkerd-multicluster');
        const gw = cluster.get('v1', 'Service', 'linkerd-multicluster', 'linkerd-gateway');
        if (gw) cluster.put({ ...gw, status: { loadBalancer: { ingress: [{ ip: address }] } } });
      }
      ctx.note('(simulated: the load balancers give the gateways of west and north the addresses 198.51.100.10 and 198.51.100.20)');
    },
  },
  {
    title: 'Join the three: every cluster mirrors every other (6 links), preflight first',
    async run(ctx) {
      ctx.note('the test clusters all listen on 127.0.0.1: --allow-loopback says that is fine here');
      await ctx.sh('mc connect --mesh east west north --allow-loopback');
      ctx.note('(simulated: the controllers of east and north start too)');
      meshMirrors.push(startServiceMirrorSimulation(ctx.env, 'east', { intervalMs: 1000 }), startServiceMirrorSimulation(ctx.env, 'north', { intervalMs: 1000 }));
      await syncMeshMirrors(ctx);
      await ctx.sh('mc connect --mesh east west north --allow-loopback 2>&1 | tail -1');
    },
  },
  {
    title: 'mc status: all clusters at once, 6 links alive',
    async run(ctx) {
      // A generous per-cluster deadline: the test clusters (and every mc) share this machine.
      await ctx.sh('mc status --timeout 30s');
    },
  },
  {
    title: 'North goes down: mc status says so, and still reads the others',
    async run(ctx) {
      ctx.note('(simulated: north\'s API server and gateway stop answering)');
      const north = ctx.env.cluster('north');
      north.faults.down = true;
      try {
        await syncMeshMirrors(ctx);
        const r = await ctx.sh('mc status --timeout 30s', { allowFailure: true });
        if (r.code !== 1 || !/north .*unreachable/.test(r.output)) throw new Error(`mc status should show north unreachable and exit 1, but exited ${r.code}`);
        await ctx.sh('mc status --timeout 30s -o mermaid', { allowFailure: true });
      } finally {
        north.faults.down = false;
        for (const m of meshMirrors) m.stop();
      }
    },
  },
];
STEPS.push(...MESH_STEPS);
