import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { normalizeBooleanArgs } from '../src/cli-kit.js';
import { UsageError } from '../src/errors.js';
import { LINKERD_VERSION } from '../src/version.js';
import { buildProgram } from '../src/cli.js';
import { runMc, testIO } from './helpers/index.js';

test('--version prints mc and the targeted Linkerd version', async () => {
  const r = await runMc(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, new RegExp(`^mc \\d+\\.\\d+\\.\\d+ \\(Linkerd ${LINKERD_VERSION}\\)`));
});

test('--help lists the global options', async () => {
  const r = await runMc(['--help']);
  assert.equal(r.code, 0);
  for (const flag of ['--kubeconfig', '--context', '--linkerd-namespace', '--verbose']) assert.ok(r.stdout.includes(flag), flag);
});

test('an unknown option is a usage error: exit 2, nothing on stdout', async () => {
  const r = await runMc(['--no-such-flag']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /unknown option '--no-such-flag'/);
});

test('--flag=false becomes --no-flag for boolean flags only', () => {
  const booleans = new Set(['gateway', 'ha']);
  assert.deepEqual(normalizeBooleanArgs(['--gateway=false', '--ha=true', '--set=a=false', '--log-level=false'], booleans), [
    '--no-gateway',
    '--ha',
    '--set=a=false',
    '--log-level=false',
  ]);
  assert.throws(() => normalizeBooleanArgs(['--gateway=maybe'], booleans), UsageError);
});

test('global options before the command do not hide it (only that command file is loaded)', async () => {
  const r = await runMc(['--kubeconfig', '/nonexistent', '-L', 'linkerd', 'install', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: mc install/);
  const help = await runMc(['help', 'link']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: mc link/);
});

test('--help lists every command', async () => {
  const r = await runMc(['--help']);
  for (const name of ['certs', 'install', 'allow', 'link', 'unlink', 'export-service', 'check', 'uninstall']) {
    assert.match(r.stdout, new RegExp(`^  ${name}\\b`, 'm'), name);
  }
});

test('every file in src/commands/ is a command, listed by --help in file-name order (cli.ts registers them by name)', async () => {
  const files = readdirSync(new URL('../../src/commands/', import.meta.url)).filter((f) => f.endsWith('.ts')).sort().map((f) => f.slice(0, -3));
  const r = await runMc(['--help']);
  const listed = [...r.stdout.split('\nCommands:\n')[1]!.matchAll(/^  (\S+)/gm)].map((m) => m[1]);
  assert.deepEqual(listed, [...files, 'help']);
});

test('the launcher names its code cache after the command asked for, skipping the global options that take a value as cli.ts does', async () => {
  const launcher = new URL('../../bin/load-cli.js', import.meta.url).href;
  const { cacheName, GLOBAL_VALUE_OPTIONS } = (await import(launcher)) as { cacheName(args: string[]): string; GLOBAL_VALUE_OPTIONS: string[] };
  const program = await buildProgram(['--help'], testIO());
  const withValue = program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.short, o.long].filter((f) => f !== undefined));
  assert.deepEqual([...GLOBAL_VALUE_OPTIONS].sort(), withValue.sort());
  assert.equal(cacheName(['--context', 'east', 'certs', 'generate', '--dir', 'x']), 'certs.generate');
  assert.equal(cacheName(['-L', 'linkerd', 'install', '--ignore-cluster']), 'install');
  assert.equal(cacheName(['install', '--help']), 'install.help');
  assert.equal(cacheName(['--version']), 'mc');
  assert.equal(cacheName(['../x']), 'mc');
});
