/**
 * Shared test helpers: run mc in-process with a test IO (as kubectl's tests
 * use test IOStreams), or as a child process where the process itself is
 * under test (launcher, broken pipes); run kubectl as a user would.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli.js';
import type { IO, OutputStream } from '../../src/io.js';
import type { ServiceMirrorInput } from '../../src/link/service-mirror.js';
import type { TestCluster } from '../support/index.js';

export const MC_BIN = fileURLToPath(new URL('../../../bin/mc.js', import.meta.url));
export const REFERENCE_DIR = fileURLToPath(new URL('../../../../shared/reference/linkerd-edge-26.8/', import.meta.url));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  input?: string;
  cwd?: string;
}

/** Run a program in a child process with `input` on stdin; never throws on a non-zero exit. */
export function runCommand(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A stream that keeps what is written (not a terminal). */
class Captured implements OutputStream {
  text = '';
  readonly isTTY = false;
  write(chunk: string, callback?: (err?: Error | null) => void): boolean {
    this.text += chunk;
    callback?.(null);
    return true;
  }
}

export interface McRunOptions {
  /** Added to the test process's environment (NO_COLOR=1 is set too). */
  env?: Record<string, string | undefined>;
  /** Standard input. */
  input?: string;
  /** Aborts the run as Ctrl-C would. */
  signal?: AbortSignal;
}

/** The IO of one in-process run: captured stdout/stderr, `input` on stdin. */
export function testIO(options: McRunOptions = {}): IO & { stdout: Captured; stderr: Captured } {
  return {
    stdin: Readable.from(options.input === undefined ? [] : [Buffer.from(options.input)]),
    stdout: new Captured(),
    stderr: new Captured(),
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    signal: options.signal ?? new AbortController().signal,
  };
}

/** Run `mc ARGS` in this process (main(argv, io) with a test IO); never throws on a non-zero exit. */
export async function runMc(args: string[], options: McRunOptions = {}): Promise<RunResult> {
  const io = testIO(options);
  const code = await main(args, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

/** Run `mc ARGS` through the launcher in a child process: for tests of the process itself. */
export function runMcProcess(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return runCommand(process.execPath, [MC_BIN, ...args], { ...options, env: { ...process.env, NO_COLOR: '1', ...options.env } });
}

let kubectlInstalled: boolean | undefined;
/** Whether a real kubectl is on PATH (tests that need it skip visibly when not). */
export function hasKubectl(): boolean {
  kubectlInstalled ??= spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
  return kubectlInstalled;
}

/**
 * Run the real `kubectl --kubeconfig KUBECONFIG --context CONTEXT ARGS` with `input` on stdin.
 * kubectl's discovery cache goes next to the kubeconfig (a test environment's folder, removed with
 * it), not into ~/.kube/cache, where every test server's random port would leave a folder behind.
 */
export function runKubectl(kubeconfig: string, context: string, args: string[], input = ''): Promise<RunResult> {
  return runCommand('kubectl', ['--kubeconfig', kubeconfig, '--context', context, ...args], { input, env: { ...process.env, KUBECACHEDIR: join(dirname(kubeconfig), '.kube-cache') } });
}

/** The input of upstream's service-mirror golden: `link --namespace test --cluster-name test-cluster`. */
export const GOLDEN_LINK_INPUT: Readonly<ServiceMirrorInput> = {
  clusterName: 'test-cluster',
  namespace: 'test',
  version: 'dev-undefined',
  registry: 'cr.l5d.io/linkerd',
  logLevel: 'info',
  logFormat: 'plain',
  retryLimit: 3,
  gateway: true,
  ha: false,
  valueOptions: {},
};

/** Runs of a property test: the default keeps CI quick; MC_PROPERTY_RUNS=5000 searches harder before a release. */
export function propertyRuns(defaultRuns: number): number {
  return Number(process.env.MC_PROPERTY_RUNS ?? defaultRuns);
}

/** An object as mc prints it with -o json. */
export interface McObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** Put every object `mc ARGS -o json` prints (those `keep` accepts) into a cluster's store, as `kubectl apply` would. */
export async function putFromMc(c: TestCluster, args: string[], keep: (o: McObject) => boolean = () => true): Promise<void> {
  const r = await runMc([...args, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  for (const line of r.stdout.trim().split('\n')) {
    const o = JSON.parse(line) as McObject;
    if (keep(o)) c.put(o);
  }
}
