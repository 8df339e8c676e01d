/**
 * The command contract's streams (kubectl's IOStreams): everything a command
 * may touch of the outside world besides the cluster and the file system.
 * Only the entry point (src/cli.ts) builds one from `process`; tests build
 * one in memory and run commands in the test runner itself.
 */

/** Where text output goes: the standard streams, or a buffer in tests. */
export interface OutputStream {
  write(chunk: string, callback?: (err?: Error | null) => void): boolean;
  /** True on a terminal: spinners, colour and in-place refresh only then. */
  readonly isTTY?: boolean;
  /** Terminal width, when known. */
  readonly columns?: number;
}

export interface IO {
  stdin: NodeJS.ReadableStream;
  /** Machine output only (YAML, JSON) and reports that are the command's product. */
  stdout: OutputStream;
  /** Progress, warnings, errors. */
  stderr: OutputStream;
  /** The environment (KUBECONFIG, NO_COLOR, LINKERD_DOCKER_REGISTRY, HOME, ...). */
  env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C / SIGTERM: in-flight requests stop, temporary files are removed. */
  signal: AbortSignal;
}

/** All of a stream (standard input), as text. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

/** The environment a command sees (io.env). */
export type Env = IO['env'];
