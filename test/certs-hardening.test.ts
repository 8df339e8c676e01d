/**
 * certs generate when things go wrong: an interrupted write leaves no
 * temporary key files; --force does not silently replace an anchor that
 * issuers were made from (--rotate-anchor keeps the old one); lifetimes end
 * by 9999-12-31.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFilesAtomically } from '../src/certs/files.js';
import { MC_BIN, runMc } from './helpers/index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'mc-certs-h-'));

/** Every file under `dir`, recursively, relative to it. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length + 1))
    .sort();
}

test('an interrupt during the write removes every temporary file and writes nothing', async () => {
  const dir = tmp();
  const files = ['ca.crt', 'ca.key', 'east/issuer.crt', 'east/issuer.key'].map((f) => ({ path: join(dir, 'out', f), content: `-----BEGIN X-----\n${f}\n`, mode: f.endsWith('.key') ? 0o600 : 0o644 }));
  // Ctrl-C arrives once the first temporary file (a key's sibling) has been written.
  for (const after of [1, 2, 3]) {
    let checks = 0;
    // A signal whose `aborted` turns true at the Nth look (the writer looks after each temporary file).
    const signal = {
      get aborted() {
        return checks++ > after;
      },
      addEventListener() {},
      removeEventListener() {},
    } as unknown as AbortSignal;
    await assert.rejects(writeFilesAtomically(files, { signal }), /interrupted; nothing was written/);
    assert.deepEqual(tree(dir), [], `files left after an interrupt at check ${after}`);
  }
  // A real abort (the entry point's Ctrl-C) removes the temporary files at once, synchronously.
  const controller = new AbortController();
  const writing = writeFilesAtomically(files, { signal: controller.signal });
  controller.abort();
  assert.deepEqual(tree(dir).filter((f) => f.endsWith('.tmp')), []);
  await assert.rejects(writing);
  assert.deepEqual(tree(dir), []);
  await writeFilesAtomically(files, { signal: new AbortController().signal });
  assert.equal(tree(dir).length, 4);
});

test('SIGINT during certs generate: exit 130 with nothing written, or done; never a temporary key file left', async () => {
  for (const delayMs of [400, 900]) {
    const dir = join(tmp(), 'certs');
    const child = spawn(process.execPath, [MC_BIN, 'certs', 'generate', '--dir', dir, '--anchor-key', 'rsa4096', '--cluster', 'a,b,c,d,e,f'], { stdio: 'ignore' });
    setTimeout(() => child.kill('SIGINT'), delayMs);
    const [code] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    const files = tree(dir);
    assert.deepEqual(files.filter((f) => f.endsWith('.tmp')), [], `temporary files left: ${files.join(', ')}`);
    if (code === 0) assert.equal(files.length, 14);
    else assert.deepEqual(files, [], `exit ${code} left ${files.join(', ')}`);
  }
});

test('--force does not replace an anchor that issuers were made from, unless --rotate-anchor (the old one kept, orphans named)', async () => {
  const dir = join(tmp(), 'certs');
  const first = await runMc(['certs', 'generate', '--dir', dir, '--cluster', 'east,west']);
  assert.equal(first.code, 0, first.stderr);
  const oldCa = readFileSync(join(dir, 'ca.crt'), 'utf8');
  const oldKey = readFileSync(join(dir, 'ca.key'), 'utf8');

  const refused = await runMc(['certs', 'generate', '--dir', dir, '--cluster', 'east', '--force']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /refusing to replace the trust anchor .*ca\.crt \(issuers made from it: .*east\/issuer\.crt, .*west\/issuer\.crt; cluster folders: east, west\)/);
  assert.match(refused.stderr, /--rotate-anchor/);
  assert.equal(readFileSync(join(dir, 'ca.crt'), 'utf8'), oldCa, 'the anchor was replaced');

  const noForce = await runMc(['certs', 'generate', '--dir', dir, '--cluster', 'east', '--rotate-anchor']);
  assert.equal(noForce.code, 2);

  const rotated = await runMc(['certs', 'generate', '--dir', dir, '--cluster', 'east', '--force', '--rotate-anchor']);
  assert.equal(rotated.code, 0, rotated.stderr);
  assert.notEqual(readFileSync(join(dir, 'ca.crt'), 'utf8'), oldCa);
  assert.equal(readFileSync(join(dir, 'ca.crt.old'), 'utf8'), oldCa);
  assert.equal(readFileSync(join(dir, 'ca.key.old'), 'utf8'), oldKey);
  assert.equal(statSync(join(dir, 'ca.key.old')).mode & 0o777, 0o600);
  assert.match(rotated.stderr, /no longer chain to the new one: .*west\/issuer\.crt\./);
  assert.doesNotMatch(rotated.stderr, /no longer chain.*east\/issuer\.crt/);
  // Proof by inspection: west's issuer chains to the old anchor only.
  const westOld = await runMc(['certs', 'inspect', join(dir, 'ca.crt.old'), join(dir, 'west', 'issuer.crt')]);
  assert.equal(westOld.code, 0, westOld.stdout + westOld.stderr);
  const westNew = await runMc(['certs', 'inspect', join(dir, 'ca.crt'), join(dir, 'west', 'issuer.crt')]);
  assert.equal(westNew.code, 1);

  // A folder with an anchor and nothing made from it is replaced with --force alone, as before.
  const lone = join(tmp(), 'lone');
  assert.equal((await runMc(['certs', 'generate', '--dir', lone, '--cluster', 'east'])).code, 0);
  const { rmSync } = await import('node:fs');
  rmSync(join(lone, 'east'), { recursive: true });
  const replaced = await runMc(['certs', 'generate', '--dir', lone, '--force']);
  assert.equal(replaced.code, 0, replaced.stderr);
});

test('a lifetime that ends after 9999-12-31 is a usage error naming the latest valid date; nothing written', async () => {
  const dir = join(tmp(), 'certs');
  for (const flag of ['--anchor-lifetime', '--issuer-lifetime']) {
    const r = await runMc(['certs', 'generate', '--dir', dir, flag, '99999999h']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`${flag} 99999999h would end after 9999-12-31T23:59:59Z, the latest date a certificate can carry`));
    assert.match(r.stderr, /Use at most \d+h/);
    assert.equal(existsSync(dir), false);
  }
});

test('a file that --force would replace but cannot be read is named as every certs input is: cannot read FILE: why; nothing written', async () => {
  const dir = join(tmp(), 'unreadable');
  mkdirSync(join(dir, 'ca.crt'), { recursive: true });
  const r = await runMc(['certs', 'generate', '--dir', dir, '--cluster', 'east', '--force']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `Error: cannot read ${join(dir, 'ca.crt')}: EISDIR: illegal operation on a directory, read\n`);
  assert.deepEqual(tree(dir), [], 'nothing written');
});
