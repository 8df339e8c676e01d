/**
 * The layout rules the README's Development section states, checked on the
 * sources: no import cycles (imports read with the TypeScript compiler API,
 * type-only ones included), only the entry point touches `process`, and no
 * domain module imports the command layer; and test/support stands alone
 * with a typed API (no `any` in what it exports).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The mc modules a file imports (static, dynamic and type-only), as absolute .ts paths. */
function localImports(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => resolve(dirname(file), name.replace(/\.js$/, '.ts')));
}

/** Every cycle of the import graph, each once, as a list of files. */
function importCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'active');
    stack.push(f);
    for (const next of graph.get(f) ?? []) {
      if (state.get(next) === 'active') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next) && graph.has(next)) visit(next);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return cycles;
}

const rel = (f: string) => relative(ROOT, f);

test('the checker itself: imports of every kind are read, and a cycle is found', () => {
  const cli = join(SRC, 'cli.ts');
  assert.ok(localImports(cli).includes(join(SRC, 'cli-kit.ts')));
  assert.ok(localImports(join(SRC, 'commands', 'check.ts')).some((f) => f.endsWith(join('check', 'render.js').replace(/js$/, 'ts'))), 'dynamic imports count');
  const graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a', 'd']], ['d', []]]);
  assert.deepEqual(importCycles(graph), [['a', 'b', 'c', 'a']]);
  assert.deepEqual(importCycles(new Map([['a', ['b']], ['b', []]])), []);
});

test('no import cycles in src/, test/ and bench/', () => {
  const files = [SRC, join(ROOT, 'test'), join(ROOT, 'bench')].flatMap(sourceFiles);
  const graph = new Map(files.map((f) => [f, localImports(f).filter((i) => i !== f)]));
  const cycles = importCycles(graph).map((c) => c.map(rel).join(' -> '));
  assert.deepEqual(cycles, []);
});

/**
 * The one use of `process` outside the entry point that touches no process
 * state: killing a hung exec plugin's whole process group (child_process can
 * only signal the child itself, not the grandchildren it started).
 */
const PROCESS_ALLOWED = new Set(["src/kube/exec-credential.ts: process.kill(-pid, 'SIGKILL');"]);

test('only the entry point (src/cli.ts) touches process', () => {
  const offenders = sourceFiles(SRC)
    .filter((f) => f !== join(SRC, 'cli.ts'))
    .flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((line, i) => (/\bprocess\./.test(line) && !PROCESS_ALLOWED.has(`${rel(f)}: ${line.trim()}`) ? [`${rel(f)}:${i + 1}: ${line.trim()}`] : [])),
    );
  assert.deepEqual(offenders, []);
});

test('no domain module imports the command layer (src/commands/)', () => {
  const commands = join(SRC, 'commands');
  const offenders = sourceFiles(SRC)
    .filter((f) => !f.startsWith(commands) && f !== join(SRC, 'cli.ts'))
    .flatMap((f) => localImports(f).filter((i) => i.startsWith(commands)).map((i) => `${rel(f)} imports ${rel(i)}`));
  assert.deepEqual(offenders, []);
});

test('test/support stands alone: it imports nothing from mc and nothing from a test runner', () => {
  const support = join(ROOT, 'test', 'support');
  const offenders = sourceFiles(support).flatMap((f) =>
    ts
      .preProcessFile(readFileSync(f, 'utf8'), true, true)
      .importedFiles.map((i) => i.fileName)
      .filter((name) => (name.startsWith('.') ? !resolve(dirname(f), name).startsWith(support + sep) : /^(node:)?(test|assert)(\/|$)/.test(name)))
      .map((name) => `${rel(f)} imports ${name}`),
  );
  assert.deepEqual(offenders, []);
});

/** Every `any` type in a declaration file (comments and strings aside), as "file:line: text". */
function anyKeywords(fileName: string, text: string): string[] {
  const dts = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (node.kind === ts.SyntaxKind.AnyKeyword) {
      const { line } = dts.getLineAndCharacterOfPosition(node.getStart(dts));
      found.push(`${fileName}:${line + 1}: ${text.split('\n')[line]!.trim()}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(dts);
  return found;
}

test('the any-checker itself: an any type in a declaration is found; comments, strings and private members are not', () => {
  const dts = [
    'export interface Reply {',
    '    /** any JSON, or undefined */',
    '    body: any;',
    '}',
    'export declare class Store {',
    '    private raw;',
    '    get(name: string): unknown;',
    '}',
    'export declare function parse(text: string): Array<Record<string, any>>;',
    "export declare const word: 'any';",
  ].join('\n');
  assert.deepEqual(anyKeywords('api.d.ts', dts), ['api.d.ts:3: body: any;', 'api.d.ts:9: export declare function parse(text: string): Array<Record<string, any>>;']);
});

/**
 * What test/support exports, as the build's declaration files say it (tsconfig
 * has "declaration": true): parameters, returns, exported types and public
 * class members, written or inferred. Locals and private members are not in
 * a .d.ts, so the implementation may still narrow from unknown as it likes.
 */
test("test/support's exported API has no any: what it hands out is typed, or unknown for the reader to narrow", () => {
  const declarations = sourceFiles(join(ROOT, 'test', 'support')).map((f) => join(ROOT, 'dist', relative(ROOT, f)).replace(/\.ts$/, '.d.ts'));
  assert.deepEqual(declarations.filter((d) => !existsSync(d)).map(rel), [], 'the build writes declarations next to the JavaScript');
  assert.deepEqual(
    declarations.flatMap((d) => anyKeywords(rel(d), readFileSync(d, 'utf8'))),
    [],
  );
});

test('test/ holds only the tests: helpers in test/helpers/, fixtures in test/fixtures/', () => {
  const loose = readdirSync(join(ROOT, 'test'), { withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'));
  assert.deepEqual(
    loose.map((e) => e.name),
    [],
  );
});
