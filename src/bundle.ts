/**
 * Build step (`npm run build`, after tsc): bundle the compiled CLI
 * (dist/src/cli.js and every mc module it reaches) into dist/bundle/ with
 * esbuild, for the launchers in bin/. Node 20 pays for each module it loads
 * (resolve, read, compile, link): `mc --help` reads a few files instead of
 * ~45. Each dynamic import of a domain module (a command's work) stays a
 * chunk of its own, loaded only when that command runs.
 *
 * The packages the start-up budgets depend on (bench/startup.ts,
 * bench/install.ts) are bundled too, at their pinned versions: commander,
 * js-yaml, Handlebars' runtime and @peculiar/x509 with its ASN.1 libraries
 * (~220 CommonJS files, one chunk here). Every other package loads from
 * node_modules as usual.
 *
 * Tests that spawn bin/mc.js run this bundle; in-process tests import dist/src.
 *
 * Usage: node dist/src/bundle.js
 */
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const SRC = fileURLToPath(new URL('./', import.meta.url));
const OUT = fileURLToPath(new URL('../bundle/', import.meta.url));

/**
 * A bundled module sees the same `import.meta.url` as in dist/src/ (chart.ts
 * finds the templates and version.ts package.json relative to it), whichever
 * chunk it lands in: every chunk is in OUT.
 */
const moduleUrls: Plugin = {
  name: 'module-urls',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(SRC)) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const fromOut = path.relative(OUT, args.path).split(path.sep).join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromOut)}, import.meta.url).href`), loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

rmSync(OUT, { recursive: true, force: true }); // chunk names change with their contents
/** Packages bundled when mc's own code imports them (what they import is bundled with them). */
const BUNDLED = new Set(['commander', 'js-yaml', 'handlebars/runtime.js', '@peculiar/x509']);

const onlyListedPackages: Plugin = {
  name: 'only-listed-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:') || args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      return BUNDLED.has(args.path) ? undefined : { path: args.path, external: true };
    });
  },
};

const result = await build({
  entryPoints: [path.join(SRC, 'cli.js')],
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // The ES builds where a package has one (@peculiar/x509's libraries): esbuild can then leave out what is never used.
  mainFields: ['module', 'main'],
  // For the CommonJS packages bundled (commander requires node:events, ...).
  banner: { js: "import { createRequire as mcBundleRequire } from 'node:module'; const require = mcBundleRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
  metafile: true,
  plugins: [onlyListedPackages, moduleUrls],
});
const files = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'));
console.log(`bundled dist/src/cli.js -> ${OUT} (${files.length} files)`);
