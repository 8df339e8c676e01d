/**
 * Runs every benchmark in turn, each in its own process so one's load does
 * not skew another's figures. Extra arguments (e.g. `--runs 5`) are passed on.
 *
 * Usage: npm run bench [-- --runs N]   or   node dist/bench/all.js [--runs N]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHES = ['startup', 'install', 'link', 'export-service', 'check', 'gateways', 'status-connect', 'certs-inspect'];

let failed = 0;
for (const name of BENCHES) {
  const script = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  process.stdout.write(`\n=== bench/${name} ===\n`);
  const r = spawnSync(process.execPath, [script, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`bench/${name} exited with ${r.status ?? r.signal}\n`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
