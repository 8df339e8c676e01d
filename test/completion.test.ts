/**
 * Shell completion: in-process (the words typed so far → the candidates)
 * against the test API server, the `mc complete` protocol through the real
 * binary, and the bash script sourced in a real bash for `mc --context <TAB>`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../src/cli.js';
import { complete } from '../src/completion/complete.js';
import { completionScript } from '../src/completion/scripts.js';
import { SHELLS } from '../src/completion/shells.js';
import type { IO } from '../src/io.js';
import { putMulticluster } from './fixtures/check.js';
import { hasKubectl, MC_BIN, runCommand, runMc, testIO } from './helpers/index.js';

const KUBECTL_COMPLETE_BIN = join(MC_BIN, '..', 'kubectl_complete-mc.js');
import { startTestClusters, type TestEnv } from './support/index.js';

const LINK = 'multicluster.linkerd.io/v1alpha3';
let env: TestEnv;
let program: Command;
let work: string;

function completionIO(): IO {
  return testIO({ env: { KUBECONFIG: env.kubeconfigPath } });
}

/** The candidate values for `mc WORDS...` (the last word is the one being typed). */
async function candidates(words: string[], deadlineMs = 1000): Promise<string[]> {
  const r = await complete(program, words, completionIO(), { clusterDeadlineMs: deadlineMs });
  return r.candidates.map((c) => c.value);
}

before(async () => {
  env = await startTestClusters(['east', 'west']);
  const east = env.cluster('east');
  for (const ns of ['test', 'apps']) east.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (const [name, ns] of [['podinfo', 'test'], ['frontend', 'test'], ['web', 'apps']] as const) {
    east.put({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { ports: [{ port: 9898 }] } });
  }
  const west = env.cluster('west');
  putMulticluster(west, '203.0.113.10');
  west.put({ apiVersion: LINK, kind: 'Link', metadata: { name: 'east', namespace: 'linkerd-multicluster' }, spec: { targetClusterName: 'east' } });
  west.put({ apiVersion: LINK, kind: 'Link', metadata: { name: 'north', namespace: 'linkerd-multicluster' }, spec: { targetClusterName: 'north' } });
  program = await buildProgram(['complete'], completionIO());
  work = mkdtempSync(join(tmpdir(), 'mc-completion-'));
  mkdirSync(join(work, 'certs'));
  writeFileSync(join(work, 'certs', 'ca.crt'), '');
  writeFileSync(join(work, 'certs', 'ca.key'), '');
  writeFileSync(join(work, 'values.yaml'), '');
});

after(async () => {
  await env?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('commands and subcommands come from the program (the hidden complete command is left out)', async () => {
  const top = await candidates(['']);
  for (const name of ['certs', 'install', 'link', 'unlink', 'export-service', 'check', 'completion', 'help']) assert.ok(top.includes(name), name);
  assert.ok(!top.includes('complete'));
  assert.deepEqual(await candidates(['ex']), ['export-service']);
  assert.deepEqual((await candidates(['certs', ''])).filter((c) => c !== 'help').sort(), ['bundle', 'generate', 'inspect', 'issuer', 'rotate']);
  assert.deepEqual(await candidates(['completion', '']), ['bash', 'zsh', 'fish', 'powershell']);
});

test("flags: the command's own and the global ones, hidden --no-* left out", async () => {
  const flags = await candidates(['install', '--gateway']);
  assert.deepEqual(flags.sort(), ['--gateway', '--gateway-healthcheck-nodeport', '--gateway-port', '--gateway-probe-port', '--gateway-probe-seconds', '--gateway-service-type']);
  // link's --control-plane-version is hidden.
  assert.deepEqual(await candidates(['--context', 'east', 'link', '--con']), ['--context']);
  assert.ok((await candidates(['unlink', '-'])).includes('-o'));
  assert.ok(!(await candidates(['install', '--no-'])).includes('--no-gateway'));
  assert.deepEqual(await candidates(['install', '--gateway=f']), ['--gateway=false']);
});

test('--context completes the contexts of $KUBECONFIG or --kubeconfig, also as --context=', async () => {
  assert.deepEqual(await candidates(['--context', '']), ['east', 'west']);
  assert.deepEqual(await candidates(['--context', 'w']), ['west']);
  assert.deepEqual(await candidates(['--context=e']), ['--context=east']);
  const other = join(work, 'other-kubeconfig');
  writeFileSync(other, 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts:\n- name: only-here\n  context: {}\n');
  assert.deepEqual(await candidates(['--kubeconfig', other, '--context', '']), ['only-here']);
  assert.deepEqual(await candidates(['--kubeconfig', join(work, 'missing'), '--context', '']), []);
});

test('-o formats and --gateway-service-type choices come from the flags', async () => {
  assert.deepEqual(await candidates(['install', '-o', '']), ['yaml', 'json']);
  assert.deepEqual(await candidates(['check', '--output', '']), ['basic', 'short', 'json']);
  assert.deepEqual(await candidates(['certs', 'generate', '-o', '']), ['json']);
  assert.deepEqual(await candidates(['install', '--gateway-service-type', '']), ['LoadBalancer', 'NodePort', 'ClusterIP']);
  assert.deepEqual(await candidates(['install', '--gateway-service-type=N']), ['--gateway-service-type=NodePort']);
});

test('namespaces and svc/NAME come from the cluster of the chosen context', async () => {
  const namespaces = await candidates(['--context', 'east', 'export-service', '-n', '']);
  assert.ok(namespaces.includes('test') && namespaces.includes('apps'), namespaces.join(' '));
  assert.ok(!namespaces.includes('linkerd-multicluster'), 'west only');
  assert.ok((await candidates(['--context', 'west', 'export-service', '-n', ''])).includes('linkerd-multicluster'));
  assert.deepEqual(await candidates(['--context', 'east', 'export-service', '-n', 'test', 'svc/']), ['svc/frontend', 'svc/podinfo']);
  assert.deepEqual(await candidates(['--context=east', 'export-service', '--namespace=apps', 'svc/']), ['svc/web']);
  assert.deepEqual(await candidates(['--context', 'east', '-L', '']), await candidates(['--context', 'east', 'export-service', '-n', '']));
});

test('unlink and gateways --cluster-name complete the Links of the cluster', async () => {
  assert.deepEqual(await candidates(['--context', 'west', 'unlink', '--cluster-name', '']), ['east', 'north']);
  assert.deepEqual(await candidates(['--context', 'west', 'gateways', '--cluster-name', 'n']), ['north']);
  assert.deepEqual(await candidates(['gateways', '-o', '']), ['table', 'json']);
  assert.deepEqual(await candidates(['--context', 'east', 'unlink', '--cluster-name', '']), []);
});

test('file paths where a command takes files, folders where it takes a folder', async () => {
  const w = `${work}/`;
  assert.deepEqual(await candidates(['certs', 'inspect', `${w}certs/`]), [`${w}certs/ca.crt`, `${w}certs/ca.key`]);
  assert.deepEqual(await candidates(['certs', 'issuer', '--ca-cert', `${w}c`]), [`${w}certs/`]);
  assert.deepEqual(await candidates(['certs', 'generate', '--dir', w]), [`${w}certs/`]);
  assert.deepEqual(await candidates(['install', '-f', `${w}v`]), [`${w}values.yaml`]);
  const r = await complete(program, ['export-service', w], completionIO());
  assert.ok(r.candidates.some((c) => c.value === `${w}values.yaml`));
  assert.equal(r.directive & 2, 2, 'a folder among the candidates: no space after it');
});

test('a cluster that is down or too slow completes to nothing, without an error', async () => {
  const east = env.cluster('east');
  east.faults.down = true;
  try {
    assert.deepEqual(await candidates(['--context', 'east', 'export-service', '-n', '']), []);
  } finally {
    east.faults.down = false;
  }
  east.faults.latencyMs = 5000;
  try {
    assert.deepEqual(await candidates(['--context', 'east', 'export-service', '-n', 'test', 'svc/'], 200), []);
  } finally {
    east.faults.latencyMs = 0;
  }
  // Contexts need no cluster.
  assert.deepEqual(await candidates(['--context', '']), ['east', 'west']);
});

test('mc complete -- WORDS speaks the scripts\' protocol; a down cluster still exits 0 with only the directive', async () => {
  const r = await runMc(['complete', '--', '--context', 'east', 'export-service', '-n', 'test', 'svc/p'], { env: { KUBECONFIG: env.kubeconfigPath } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'svc/podinfo\n:4\n');
  const flags = await runMc(['complete', '--', 'install', '--gateway-service-type=']);
  assert.equal(flags.stdout, '--gateway-service-type=LoadBalancer\n--gateway-service-type=NodePort\n--gateway-service-type=ClusterIP\n:4\n');
  const east = env.cluster('east');
  east.faults.down = true;
  try {
    const down = await runMc(['complete', '--', '--context', 'east', 'export-service', '-n', ''], { env: { KUBECONFIG: env.kubeconfigPath } });
    assert.equal(down.code, 0);
    assert.equal(down.stdout, ':4\n');
    assert.equal(down.stderr, '');
  } finally {
    east.faults.down = false;
  }
});

test('mc completion SHELL prints the script for each shell; an unknown shell is a usage error', async () => {
  const markers: Record<string, RegExp> = { bash: /complete -F __mc_complete mc/, zsh: /^#compdef mc/m, fish: /complete -c mc /, powershell: /Register-ArgumentCompleter/ };
  for (const shell of SHELLS) {
    const text = completionScript(shell, 'mc');
    assert.match(text, markers[shell]!, shell);
    assert.match(text, /mc complete '?--/, `${shell} asks mc complete -- for candidates`);
  }
  const r = await runMc(['completion', 'zsh']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, completionScript('zsh', 'mc'));
  const bad = await runMc(['completion', 'tcsh']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /tcsh/);
});

const HAS_BASH = spawnSync('bash', ['--version'], { stdio: 'ignore' }).status === 0;

test('bash: the sourced script completes `mc --context <TAB>` with the kubeconfig contexts', { skip: HAS_BASH ? false : 'bash is not installed' }, async () => {
  // `mc` on PATH is this build, as after `npm install -g`.
  const bin = join(work, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'mc'), `#!/bin/sh\nexec "${process.execPath}" "${MC_BIN}" "$@"\n`);
  chmodSync(join(bin, 'mc'), 0o755);
  // Drive the function the script registered, as bash does on TAB (complete -p names it).
  const script = `
source <(mc completion bash)
spec=$(complete -p mc) || exit 3
fn=\${spec#*-F }; fn=\${fn%% *}
tab() {
  COMP_LINE="$1"; COMP_POINT=\${#COMP_LINE}
  read -ra COMP_WORDS <<< "$COMP_LINE"; [[ $COMP_LINE == *' ' ]] && COMP_WORDS+=("")
  COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
  COMPREPLY=()
  "$fn" mc "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null
  printf '%s\\n' "\${COMPREPLY[@]}"
  echo "--"
}
tab 'mc --context '
tab 'mc --context w'
tab 'mc --context west unlink --cluster-name '
`;
  const r = await runCommand('bash', ['--norc', '--noprofile', '-c', script], {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, KUBECONFIG: env.kubeconfigPath },
  });
  assert.equal(r.code, 0, r.stderr);
  const [contexts, narrowed, links] = r.stdout.split('--\n');
  assert.deepEqual(contexts!.trim().split('\n').sort(), ['east', 'west']);
  assert.equal(narrowed!.trim(), 'west');
  assert.deepEqual(links!.trim().split('\n').sort(), ['east', 'north']);
});

test('kubectl mc <TAB>: kubectl asks kubectl_complete-mc from PATH, which answers as mc complete', { skip: hasKubectl() ? false : 'kubectl is not installed' }, async () => {
  // As `npm install -g` links them: kubectl-mc and kubectl_complete-mc on PATH.
  const bin = join(work, 'kubectl-plugins');
  mkdirSync(bin, { recursive: true });
  for (const [name, script] of [['kubectl-mc', MC_BIN], ['kubectl_complete-mc', KUBECTL_COMPLETE_BIN]] as const) {
    writeFileSync(join(bin, name), `#!/bin/sh\nexec "${process.execPath}" "${script}" "$@"\n`);
    chmodSync(join(bin, name), 0o755);
  }
  const r = await runCommand('kubectl', ['__complete', 'mc', '--context', 'west', 'unlink', '--cluster-name', ''], {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, KUBECONFIG: env.kubeconfigPath },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['east', 'north', ':4']);
});
