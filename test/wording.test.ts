/**
 * The wording pass (issue 10, usability): one error prefix, one casing for
 * command descriptions, help wrapped to 80 columns, "1 Link remains", a
 * not-found said once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../src/cli.js';
import { McError } from '../src/errors.js';
import { assertNoLinks } from '../src/render/uninstall.js';
import { runMc, testIO } from './helpers/index.js';
import { startTestClusters, type TestEnv } from './support/index.js';

/** Every command and subcommand, with its path (`certs generate`). */
function commandsOf(program: Command): Array<{ path: string; cmd: Command }> {
  const out: Array<{ path: string; cmd: Command }> = [];
  const visit = (c: Command, prefix: string) => {
    for (const sub of c.commands) {
      const path = `${prefix}${sub.name()}`;
      out.push({ path, cmd: sub });
      visit(sub, `${path} `);
    }
  };
  visit(program, '');
  return out;
}

test('one casing: every command is listed with a lower-case summary without a final period', async () => {
  // An unknown command name loads every command file.
  const program = await buildProgram(['--help'], testIO());
  const commands = commandsOf(program);
  assert.ok(commands.length > 20, `${commands.length} commands`);
  const bad = commands
    .map(({ path, cmd }) => ({ path, text: cmd.summary() || cmd.description() }))
    .filter(({ text }) => !/^[a-z]/.test(text) || text.endsWith('.'));
  assert.deepEqual(bad, []);
});

test('help is wrapped to 80 columns off a terminal (only a single long word may stick out)', async () => {
  const program = await buildProgram(['--help'], testIO());
  for (const args of [[], ...commandsOf(program).map(({ path }) => path.split(' '))]) {
    const r = await runMc([...args, '--help']);
    assert.equal(r.code, 0, args.join(' '));
    // Examples are commands to copy as they are.
    const text = r.stdout.split('\nExamples:\n')[0]!;
    const long = text.split('\n').filter((line) => line.length > 80 && /\s\S+\s+\S/.test(line.trim()));
    assert.deepEqual(long, [], `mc ${args.join(' ')} --help`);
  }
});

test('one error prefix: commander\'s usage errors read "Error: " as mc\'s own', async () => {
  for (const args of [['no-such-command'], ['install', '--no-such-flag'], ['certs', 'generate', '--anchor-key', 'dsa']]) {
    const r = await runMc(args);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Error: /, args.join(' '));
    assert.doesNotMatch(r.stderr, /^error: /m);
  }
});

test('uninstall: "1 Link remains", "2 Links remain"', () => {
  const link = (name: string) => ({ metadata: { name, namespace: 'linkerd-multicluster' }, spec: { targetClusterName: name } });
  assert.throws(() => assertNoLinks([link('east')], 'west'), (e: unknown) => e instanceof McError && /: 1 Link remains:/.test(e.message));
  assert.throws(() => assertNoLinks([link('east'), link('north')], 'west'), (e: unknown) => e instanceof McError && /: 2 Links remain:/.test(e.message));
});

let env: TestEnv;
before(async () => {
  env = await startTestClusters(['east']);
});
after(async () => env?.stop());

test('a missing object is "not found" once, not again in the server\'s words', async () => {
  const r = await runMc(['--kubeconfig', env.kubeconfigPath, 'export-service', 'svc/nope', '-n', 'test']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error: not found: services "nope" in namespace "test" in context "east" \(https:\/\/[^)]+\)\n/);
  assert.equal(r.stderr.match(/not found/g)?.length, 1, r.stderr);
});
