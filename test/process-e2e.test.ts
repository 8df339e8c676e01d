/**
 * The few tests of mc as a process (everything else runs in-process through
 * main(argv, io)): the launcher, exit codes reaching the shell, a reader that
 * goes away.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { test } from 'node:test';
import { LINKERD_VERSION } from '../src/version.js';
import { MC_BIN, runMcProcess } from './helpers/index.js';

test('the launcher runs the compiled CLI: --version, and a usage error exits 2', async () => {
  const version = await runMcProcess(['--version']);
  assert.equal(version.code, 0, version.stderr);
  assert.match(version.stdout, new RegExp(`^mc \\d+\\.\\d+\\.\\d+ \\(Linkerd ${LINKERD_VERSION}\\)`));
  const usage = await runMcProcess(['--no-such-flag']);
  assert.equal(usage.code, 2);
  assert.equal(usage.stdout, '');
  assert.match(usage.stderr, /unknown option '--no-such-flag'/);
});

test('a failed command exits 1 through the process, with the error on stderr', async () => {
  const r = await runMcProcess(['--kubeconfig', '/nonexistent/kubeconfig', 'uninstall']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^Error: cannot read kubeconfig \/nonexistent\/kubeconfig/);
});

test('a reader that goes away ends mc quietly (as SIGPIPE ends kubectl)', async () => {
  // The reader closes its end before mc writes: the write fails with EPIPE.
  const child = spawn(process.execPath, [MC_BIN, 'install', '--ignore-cluster'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = (await once(child, 'close')) as [number | null];
  assert.equal(stderr, '');
  assert.equal(code, 0);
});

test("the launcher's code cache: written after a command's first successful run, and a cache V8 refuses is made again, with the same output", async () => {
  // `help unlink` is this test's own: its cache is named help.unlink-<bundle size>-<bundle time>.bin.
  const dir = join(MC_BIN, '..', '..', 'dist', 'bundle', 'cache');
  // (The folder is made by the first cache written after a build.)
  const mine = () => readdirSync(dir, { withFileTypes: true }).filter((e) => e.name.startsWith('help.unlink-')).map((e) => join(dir, e.name));
  if (existsSync(dir)) for (const f of mine()) rmSync(f);
  const first = await runMcProcess(['help', 'unlink']);
  assert.equal(first.code, 0, first.stderr);
  const [cache] = mine();
  assert.ok(cache, 'a cache was written');
  writeFileSync(cache, 'not a V8 code cache');
  const second = await runMcProcess(['help', 'unlink']);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout, first.stdout);
  assert.equal(second.stderr, '');
  assert.ok(statSync(cache).size > 1000, 'the refused cache was made again');
  const third = await runMcProcess(['help', 'unlink']);
  assert.equal(third.stdout, first.stdout);
});
