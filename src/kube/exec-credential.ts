/**
 * client-go's exec credential plugins (users.user.exec), for the user's OWN
 * kubeconfig only (a kubeconfig from a cluster never runs a program: see
 * untrusted-kubeconfig.ts). Run here rather than through client-node because
 * client-node gives a plugin no deadline and cannot stop it: the plugin runs
 * in its own process group, and on its deadline or on Ctrl-C the whole group
 * is killed, so no plugin (nor a child it started) is left behind.
 */
import { spawn } from 'node:child_process';
import { McError } from '../errors.js';
import type { UserCredentials } from './static-credentials.js';

export interface ExecConfig {
  command?: string;
  args?: string[];
  env?: Array<{ name?: string; value?: string }> | null;
  apiVersion?: string;
  installHint?: string;
}

export interface ExecOptions {
  /** Deadline of the plugin in ms; 0 = none. */
  timeoutMs: number;
  signal?: AbortSignal;
  env: Readonly<Record<string, string | undefined>>;
}

const DEFAULT_API_VERSION = 'client.authentication.k8s.io/v1beta1';

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Run the plugin and turn its ExecCredential into request credentials. */
export function execCredential(exec: ExecConfig, where: string, options: ExecOptions): Promise<UserCredentials> {
  const field = `${where}.exec`;
  if (typeof exec.command !== 'string' || exec.command === '') {
    return Promise.reject(new McError(`${field}.command is missing`, 'Fix the exec section of the kubeconfig user.'));
  }
  const apiVersion = exec.apiVersion || DEFAULT_API_VERSION;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.env)) if (v !== undefined) env[k] = v;
  for (const e of exec.env ?? []) if (e?.name) env[e.name] = e.value ?? '';
  env.KUBERNETES_EXEC_INFO = JSON.stringify({ apiVersion, kind: 'ExecCredential', spec: { interactive: false } });
  const command = exec.command;
  return new Promise((resolve, reject) => {
    let settled = false;
    let stdout = '';
    let stderr = '';
    const child = spawn(command, exec.args ?? [], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const finish = (err: Error | undefined, value?: UserCredentials) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(value!);
    };
    const timer =
      options.timeoutMs > 0
        ? setTimeout(() => {
            killGroup(child.pid);
            finish(new McError(`the exec plugin "${command}" of ${where} gave no credentials within ${options.timeoutMs / 1000}s and was stopped`, 'Run the plugin by hand to see what it waits for (a login prompt?), or raise --request-timeout.'));
          }, options.timeoutMs)
        : undefined;
    const onAbort = () => {
      killGroup(child.pid);
      finish(new McError(`the exec plugin "${command}" of ${where} was stopped (interrupted)`));
    };
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err: NodeJS.ErrnoException) => {
      const hint = exec.installHint || `Install "${command}" or fix ${field}.command.`;
      finish(new McError(`cannot run the exec plugin "${command}" of ${where}: ${err.code ?? err.message}`, hint));
    });
    child.on('close', (code, sig) => {
      if (settled) return;
      if (code !== 0) {
        const last = stderr.trim().split('\n').pop() ?? '';
        finish(new McError(`the exec plugin "${command}" of ${where} failed (${sig ? `signal ${sig}` : `exit code ${code}`})${last ? `: ${last}` : ''}`, 'Run the plugin by hand to see why.'));
        return;
      }
      try {
        finish(undefined, parseExecCredential(stdout, `the exec plugin "${command}" of ${where}`));
      } catch (err) {
        finish(err as Error);
      }
    });
  });
}

/** The credentials in an ExecCredential document; anything else says what the plugin printed wrong. */
export function parseExecCredential(text: string, who: string): UserCredentials {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new McError(`${who} did not print an ExecCredential JSON document (its output starts with ${JSON.stringify(text.trim().slice(0, 20))})`, 'A plugin must print only the ExecCredential JSON on stdout; run it by hand to see what it prints.');
  }
  const status = (doc as { kind?: unknown; status?: Record<string, unknown> } | null)?.status;
  if ((doc as { kind?: unknown } | null)?.kind !== 'ExecCredential' || typeof status !== 'object' || status === null) {
    throw new McError(`${who} printed JSON that is not an ExecCredential with a status`, 'A plugin must print {"kind":"ExecCredential","status":{"token":...}}.');
  }
  const out: UserCredentials = { headers: {} };
  if (typeof status.token === 'string' && status.token !== '') out.headers.Authorization = `Bearer ${status.token}`;
  // Unlike kubeconfig *-data fields, an ExecCredential carries PEM text, not base64.
  if (typeof status.clientCertificateData === 'string' && typeof status.clientKeyData === 'string') {
    out.cert = Buffer.from(status.clientCertificateData);
    out.key = Buffer.from(status.clientKeyData);
  }
  if (!out.headers.Authorization && !out.cert) {
    throw new McError(`${who} printed an ExecCredential without a token or a client certificate and key`, 'Run the plugin by hand to see what it prints.');
  }
  return out;
}
