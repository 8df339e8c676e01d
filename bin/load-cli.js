// What both launchers share: load the CLI, bundled into one CommonJS file by
// `npm run build` (dist/bundle/mc.cjs, see src/bundle.ts), compiled with a V8
// code cache. Node 20 has no compile cache of its own (that is Node 22's
// module.enableCompileCache), so mc keeps one per command, in
// dist/bundle/cache/: written after the command's first successful run, used by
// the next ones (V8 skips parsing and compiling what the cache holds).
// The cache is best effort: where dist/ is read-only there is none, and a
// cache V8 refuses (another Node, other flags) is made again. The name of a
// cache carries the bundle's size and time, so no cache outlives its bundle
// (V8 itself only compares the source's length); a build removes them all.
// CommonJS, as the launchers (bin/package.json): Node then starts no ES module
// loader, which costs mc --help about a third of its start-up.
const { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

const BUNDLE = path.join(__dirname, '..', 'dist', 'bundle', 'mc.cjs');
const CACHE_DIR = path.join(path.dirname(BUNDLE), 'cache');
/** Enough for every command and subcommand; words that are arguments, not commands, must not fill the disk. */
const MAX_CACHES = 64;

/** mc's global options that take a value (src/cli.ts): their value is no command word. test/cli.test.ts compares the two. */
const GLOBAL_VALUE_OPTIONS = ['--kubeconfig', '--context', '-L', '--linkerd-namespace', '--request-timeout'];

/**
 * The name of the code cache for a command line: the command and its
 * subcommand (`certs generate`), as they run different code, and `help` when
 * help is asked for (`install --help` compiles little of what `install` does).
 */
function cacheName(args) {
  const words = [];
  for (let i = 0; i < args.length && words.length < 2; i++) {
    const arg = args[i];
    if (GLOBAL_VALUE_OPTIONS.includes(arg)) i++;
    else if (arg.startsWith('-')) {
      if (words.length) break;
    } else if (/^[a-z][a-z-]{0,30}$/.test(arg)) words.push(arg);
    else break;
  }
  if (args.includes('--help') || args.includes('-h')) words.push('help');
  return words.length ? words.join('.') : 'mc';
}

/** The module's exports: main, processIO, runProcess, buildProgram. `name` names the code cache (see cacheName). */
function loadCli(name) {
  const source = readFileSync(BUNDLE, 'utf8');
  const { size, mtimeMs } = statSync(BUNDLE);
  const cacheFile = path.join(CACHE_DIR, `${name}-${size}-${Math.trunc(mtimeMs)}.bin`);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // none yet
  }
  // The bundle is a function expression taking CommonJS's module arguments and the launcher's import(), for what
  // the bundle imports from node_modules at run time.
  const script = new vm.Script(source, { filename: BUNDLE, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', (code) => {
      if (code !== 0) return; // a cache of what a failed run compiled would serve the next run less
      try {
        mkdirSync(CACHE_DIR, { recursive: true });
        if (readdirSync(CACHE_DIR).length >= MAX_CACHES) return;
        const temp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(temp, script.createCachedData());
        renameSync(temp, cacheFile);
      } catch {
        // read-only, or full: run without a cache
      }
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(BUNDLE), module, BUNDLE, path.dirname(BUNDLE), (specifier) => import(specifier));
  return module.exports;
}

module.exports = { GLOBAL_VALUE_OPTIONS, cacheName, loadCli };
