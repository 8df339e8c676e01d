/** Shared test helpers: run the built CLI as a user would. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const MC_BIN = fileURLToPath(new URL('../../bin/mc.js', import.meta.url));
export const REFERENCE_DIR = fileURLToPath(new URL('../../../shared/reference/linkerd-edge-26.8/', import.meta.url));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `mc ARGS` in a child process; never throws on a non-zero exit. */
export function runMc(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MC_BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
