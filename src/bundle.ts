/**
 * Build step (`npm run build`, after tsc): bundle the compiled CLI
 * (dist/src/cli.js and every mc module it reaches) into one CommonJS file,
 * dist/bundle/mc.cjs, with esbuild, for the launchers in bin/. Two start-up
 * costs go away:
 * - Node 20 pays for each module it loads (resolve, read, compile, link):
 *   `mc --help` reads one file instead of ~45, `certs generate` one instead
 *   of ~260. A command's work (each dynamic import of a domain module) stays
 *   behind its import: that code runs only when the command does.
 * - Compiling: bin/load-cli.js compiles the file with a V8 code cache, which
 *   only CommonJS-style scripts can use on Node 20 (module.enableCompileCache
 *   is Node 22+).
 *
 * The packages the start-up budgets depend on (bench/startup.ts) are bundled
 * too, at their pinned versions: commander, js-yaml, Handlebars' runtime and
 * @peculiar/x509 with its ASN.1 libraries. Every other package is imported
 * from node_modules as usual, at run time.
 *
 * Tests that spawn bin/mc.js run this bundle; in-process tests import dist/src.
 *
 * Usage: node dist/src/bundle.js
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const SRC = fileURLToPath(new URL('./', import.meta.url));
const OUT = fileURLToPath(new URL('../bundle/', import.meta.url));
const OUTFILE = path.join(OUT, 'mc.cjs');

/** Packages bundled when mc's own code imports them (what they import is bundled with them). */
const BUNDLED = new Set(['commander', 'js-yaml', 'handlebars/runtime.js', '@peculiar/x509']);

const bundled = (specifier: string) => specifier.startsWith('.') || BUNDLED.has(specifier);

const onlyListedPackages: Plugin = {
  name: 'only-listed-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:') || args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      return BUNDLED.has(args.path) ? undefined : { path: args.path, external: true };
    });
  },
};

/**
 * mc's modules as they run in the bundle:
 * - `import.meta.url` is the URL the module has in dist/src/ (chart.ts finds
 *   the templates and version.ts package.json relative to it);
 * - a dynamic import of what is not bundled (a package left in node_modules,
 *   a precompiled template's URL) goes through `mcImport`, the launcher's own
 *   import(): a script compiled with a code cache cannot import by itself.
 */
const asBundled: Plugin = {
  name: 'as-bundled',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(SRC)) return undefined;
      const fromOut = path.relative(OUT, args.path).split(path.sep).join('/');
      const contents = (await readFile(args.path, 'utf8'))
        .replaceAll('import.meta.url', `new URL(${JSON.stringify(fromOut)}, mcBundleUrl).href`)
        .replace(/(?<![.\w$])import\((\s*)(?:(['"])([^'"]*)\2)?/g, (call, space: string, quote: string | undefined, specifier: string | undefined) =>
          quote !== undefined && bundled(specifier!) ? call : `mcImport(${space}${quote ? `${quote}${specifier}${quote}` : ''}`,
        );
      return { contents, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

/**
 * commander requires node:child_process (which loads node:net and node:dgram)
 * for executable subcommands, which mc has none of: here it is required when
 * first used instead, so no command pays for it at start-up.
 */
const COMMANDER_CHILD_PROCESS = "const childProcess = require('node:child_process');";
const commanderChildProcessWhenUsed: Plugin = {
  name: 'commander-child-process-when-used',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes(COMMANDER_CHILD_PROCESS)) {
        console.warn(`warning: ${args.path} no longer has "${COMMANDER_CHILD_PROCESS}": node:child_process is loaded at start-up`);
        return undefined;
      }
      return { contents: text.replace(COMMANDER_CHILD_PROCESS, "const childProcess = { get spawn() { return require('node:child_process').spawn; } };"), loader: 'js' };
    });
  },
};

rmSync(OUT, { recursive: true, force: true }); // and the code caches made from the previous bundle
const result = await build({
  entryPoints: [path.join(SRC, 'cli.js')],
  outfile: OUTFILE,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // The ES builds where a package has one (@peculiar/x509's libraries): esbuild can then leave out what is never used.
  mainFields: ['module', 'main'],
  // The file is one function expression that bin/load-cli.js compiles and calls: CommonJS's module wrapper and
  // `mcImport`, the launcher's import(). mc's modules are ES modules, strict by definition; so is the bundle.
  banner: { js: `(function (exports, require, module, __filename, __dirname, mcImport) {'use strict';\nconst mcBundleUrl = require('node:url').pathToFileURL(__filename).href;` },
  footer: { js: '})' },
  sourcemap: 'linked',
  logLevel: 'warning',
  metafile: true,
  plugins: [onlyListedPackages, asBundled, commanderChildProcessWhenUsed],
});
// ASCII only (the few other characters are in comments and a regular expression), as \u escapes: V8 keeps the
// source as a one-byte string then, half the memory of a two-byte one, and reads it faster.
const text = readFileSync(OUTFILE, 'utf8');
writeFileSync(OUTFILE, text.replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
const inputs = Object.keys(result.metafile.inputs).length;
console.log(`bundled dist/src/cli.js and ${inputs - 1} more modules -> ${OUTFILE}`);
