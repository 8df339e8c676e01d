/**
 * Errors the user can act on. `message` says what failed and where; `hint`
 * says what to do next. Anything else that escapes a command is a bug and is
 * reported with its stack only under --verbose.
 */
export class McError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'McError';
  }
}

/** Bad flags or arguments: exit code 2, as kubectl and commander do. */
export class UsageError extends McError {
  constructor(message: string, hint?: string) {
    super(message, hint, 2);
    this.name = 'UsageError';
  }
}

/**
 * Independent failures of one command (one per object tried, the others went
 * on): each is reported as an error of its own, then what they add up to.
 */
export class McErrors extends McError {
  constructor(
    readonly errors: unknown[],
    summary: string,
    hint?: string,
  ) {
    super(summary, hint, 1);
    this.name = 'McErrors';
  }
}

/** Format an error for stderr: message, hint, and the stack only when verbose. */
export function formatError(err: unknown, verbose: boolean): string {
  if (err instanceof McErrors) {
    const summary = [`Error: ${err.message}`, ...(err.hint ? [err.hint] : [])];
    return [...err.errors.map((e) => formatError(e, verbose)), ...summary].join('\n');
  }
  if (err instanceof McError) {
    const lines = [`Error: ${err.message}`];
    if (err.hint) lines.push(err.hint);
    if (verbose && err.stack) lines.push(err.stack);
    return lines.join('\n');
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const lines = [`Error: ${e.message}`];
  lines.push(verbose ? (e.stack ?? '') : 'Run again with --verbose for details.');
  return lines.join('\n');
}

export function exitCodeOf(err: unknown): number {
  return err instanceof McError ? err.exitCode : 1;
}
