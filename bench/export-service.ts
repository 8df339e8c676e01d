/**
 * Benchmark: `mc export-service FILE` against
 * `kubectl label --local -f FILE mirror.linkerd.io/exported=true -o yaml`
 * on a stream of 10,000 Services shaped like `kubectl get svc -A -o yaml`.
 *
 * Runs are interleaved (mc, kubectl, mc, kubectl, ...); the medians and their
 * ratio come from the same run. mc's peak memory is the largest maxRSS of its
 * runs (from the child's resource usage, measured by a small wrapper).
 *
 *   node dist/bench/export-service.js [--services N] [--runs N]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import yaml from 'js-yaml';
import { loadAverage, MC as MC_BIN, median, numberArg, runsArg, timeProcess, type ProcessRun } from './lib.js';

function hex(n: number, len: number): string {
  return (n >>> 0).toString(16).padStart(len, '0').slice(-len);
}

/** One Service as the API server returns it (no managedFields, as kubectl prints by default). */
export function benchService(i: number): Record<string, unknown> {
  const ns = `team-${i % 97}`;
  const name = `svc-${i}`;
  const lb = i % 10 === 0;
  const ip = `10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
  const metadata: Record<string, unknown> = {};
  if (i % 3 === 0) {
    metadata.annotations = {
      'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { annotations: {}, labels: { app: name }, name, namespace: ns },
        spec: { ports: [{ name: 'http', port: 8080, targetPort: 'http' }], selector: { app: name } },
      })}\n`,
    };
  }
  metadata.creationTimestamp = `2026-0${1 + (i % 9)}-1${i % 10}T0${i % 10}:1${i % 6}:2${i % 10}Z`;
  if (i % 7 !== 0) metadata.labels = { app: name, 'app.kubernetes.io/part-of': `shop-${i % 13}`, tier: i % 2 ? 'backend' : 'frontend' };
  metadata.name = name;
  metadata.namespace = ns;
  metadata.resourceVersion = String(100000 + i * 7);
  metadata.uid = `${hex(i * 2654435761, 8)}-${hex(i, 4)}-4${hex(i * 7, 3)}-a${hex(i * 13, 3)}-${hex(i * 40503, 12)}`;
  const spec: Record<string, unknown> = {
    clusterIP: ip,
    clusterIPs: [ip],
    internalTrafficPolicy: 'Cluster',
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    ports: [
      { name: 'http', port: 8080, protocol: 'TCP', targetPort: 'http' },
      ...(i % 4 === 0 ? [{ name: 'grpc', port: 9090, protocol: 'TCP', targetPort: 9090 }] : []),
    ],
    selector: { app: name },
    sessionAffinity: 'None',
    type: lb ? 'LoadBalancer' : 'ClusterIP',
  };
  if (lb) {
    spec.allocateLoadBalancerNodePorts = true;
    spec.externalTrafficPolicy = 'Cluster';
    (spec.ports as Array<Record<string, unknown>>)[0]!.nodePort = 30000 + (i % 2000);
  }
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata,
    spec,
    status: { loadBalancer: lb ? { ingress: [{ ip: `203.0.${(i >> 8) & 255}.${i & 255}`, ipMode: 'VIP' }] } : {} },
  };
}

/** `kubectl get svc -A -o yaml` output for n Services. */
export function benchStream(n: number): string {
  const list = { apiVersion: 'v1', items: Array.from({ length: n }, (_, i) => benchService(i)), kind: 'List', metadata: { resourceVersion: '' } };
  // kubectl prints keys sorted, sequences not indented, ambiguous strings quoted.
  return yaml.dump(list, { sortKeys: true, noArrayIndent: true, lineWidth: -1 });
}

interface Run extends ProcessRun {
  maxRssKb?: number;
}

/** Run a command, discarding its stdout (counted), timing it from spawn to exit; a failure is reported, not thrown. */
async function timed(cmd: string, args: string[]): Promise<Run> {
  const r = await timeProcess(cmd, args, { allowFailure: true });
  if (r.code !== 0) process.stderr.write(`  ${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderrTail.slice(-500)}\n`);
  const m = /MC_BENCH_MAXRSS_KB=(\d+)/.exec(r.stderrTail);
  return { ...r, maxRssKb: m ? Number(m[1]) : undefined };
}

async function main(): Promise<void> {
  const n = numberArg('services', 10_000);
  const runs = runsArg(5);
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-export-'));
  try {
    const file = join(dir, 'services.yaml');
    const text = benchStream(n);
    writeFileSync(file, text);
    // The wrapper runs mc in-process after reporting its own peak RSS at exit.
    const wrapper = join(dir, 'wrap.mjs');
    writeFileSync(
      wrapper,
      `process.on('exit', () => process.stderr.write('MC_BENCH_MAXRSS_KB=' + process.resourceUsage().maxRSS + '\\n'));\n` +
        `process.argv = [process.argv[0], ${JSON.stringify(MC_BIN)}, ...process.argv.slice(2)];\n` +
        `await import(${JSON.stringify(pathToFileURL(MC_BIN).href)});\n`,
    );
    console.log(`export-service bench: ${n} Services, ${(text.length / 1e6).toFixed(1)} MB of YAML, ${runs} interleaved runs each; load average ${loadAverage()}`);

    const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
    if (!hasKubectl) console.log('kubectl: SKIPPED (kubectl not installed)');

    const mc: Run[] = [];
    const kc: Run[] = [];
    for (let r = 0; r < runs; r++) {
      mc.push(await timed(process.execPath, [wrapper, 'export-service', file]));
      if (hasKubectl) kc.push(await timed('kubectl', ['label', '--local', '-f', file, 'mirror.linkerd.io/exported=true', '-o', 'yaml']));
    }
    if (mc.some((x) => x.code !== 0)) throw new Error('mc export-service failed');
    const mcMs = median(mc.map((x) => x.ms));
    const peakMb = Math.max(...mc.map((x) => x.maxRssKb ?? 0)) / 1024;
    console.log(`mc export-service:      median ${mcMs.toFixed(0)} ms  (runs: ${mc.map((x) => x.ms.toFixed(0)).join(', ')})`);
    if (hasKubectl) {
      const kcMs = median(kc.map((x) => x.ms));
      console.log(`kubectl label --local:  median ${kcMs.toFixed(0)} ms  (runs: ${kc.map((x) => x.ms.toFixed(0)).join(', ')})`);
      console.log(`ratio kubectl/mc:       ${(kcMs / mcMs).toFixed(2)}x  (budget: >= 2x)`);
    }
    console.log(`mc peak RSS:            ${peakMb.toFixed(0)} MB  (budget: < 400 MB)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
