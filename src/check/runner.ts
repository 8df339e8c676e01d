/**
 * The check runner, with linkerd's semantics (pkg/healthcheck): checks are
 * grouped in categories and run in order; a failed fatal check stops the run;
 * a failed warning check is reported (‼) without failing the run; a check
 * marked `retry` is re-run until the retry deadline (`--wait`) while it fails,
 * each failed attempt being reported as a retry so a spinner can show it.
 *
 * A check function resolves with nothing (√), with detail lines (√ plus one
 * line per item, linkerd's "VerboseSuccess"), throws SkipCheck (not reported
 * at all, as upstream), throws CheckWarning (reported as ‼ even when the
 * checker is not a warning one) or throws any other error (×, or ‼ for a
 * warning checker). Pure: no I/O beyond what the checks do.
 */

import { setTimeout as delay } from 'node:timers/promises';
import { McError } from '../errors.js';

export const DEFAULT_HINT_BASE_URL = 'https://linkerd.io/2/checks/#';

/** The check does not apply (e.g. no links): it is not reported. */
export class SkipCheck extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'SkipCheck';
  }
}

/** A problem that should not fail the run (e.g. a certificate expiring soon). */
export class CheckWarning extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckWarning';
  }
}

export interface Checker {
  description: string;
  hintAnchor: string;
  /** A failure stops every later check (upstream: all remaining checks are skipped). */
  fatal?: boolean;
  /** A failure is reported but does not fail the run. */
  warning?: boolean;
  /** Re-run while failing until the retry deadline. */
  retry?: boolean;
  /** While retrying, show the current error instead of "waiting for check to complete". */
  surfaceErrorOnRetry?: boolean;
  /** attempt counts from 0; resolve detail lines for a verbose success. */
  run(attempt: number): Promise<string[] | void>;
}

export interface Category {
  id: string;
  checkers: Checker[];
  hintBaseUrl?: string;
}

export interface CheckResult {
  category: string;
  description: string;
  hintUrl: string;
  /** This attempt failed and the check will be run again. */
  retry: boolean;
  /** The failure (if any) is a warning. */
  warning: boolean;
  /** Detail lines of a success (each already formatted, e.g. "\t* east"). */
  details?: string[];
  /** Failure message (possibly several lines); undefined on success. */
  error?: string;
}

export type CheckObserver = (result: CheckResult) => void;

export interface RunOptions {
  /** Epoch ms until which retrying checks are re-run (now + --wait). */
  retryDeadline: number;
  /** Pause between attempts of a retrying check (upstream: 5s). */
  retryIntervalMs?: number;
  /** Upper bound for one attempt of one check. */
  checkTimeoutMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Aborted: the run stops before the next attempt (requests in flight stop through their clients). */
  signal?: AbortSignal;
}

export interface RunSummary {
  success: boolean;
  warning: boolean;
}


/** Run one attempt with an upper time bound. */
async function attemptWithTimeout(checker: Checker, attempt: number, timeoutMs: number): Promise<string[] | void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`check did not complete within ${formatSeconds(timeoutMs)}`)), timeoutMs);
  });
  try {
    return await Promise.race([checker.run(attempt), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** After Ctrl-C no further check runs. */
function stopIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new McError('interrupted: the remaining checks did not run');
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Run every category in order, reporting each result to the observer.
 * Resolves whether the run succeeded (no non-warning failure) and whether any
 * warning was reported.
 */
export async function runChecks(categories: Category[], observer: CheckObserver, options: RunOptions): Promise<RunSummary> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => delay(ms, undefined, { signal: options.signal }));
  const interval = options.retryIntervalMs ?? 5000;
  const timeoutMs = options.checkTimeoutMs ?? 30_000;
  let success = true;
  let warning = false;

  for (const category of categories) {
    const base = category.hintBaseUrl ?? DEFAULT_HINT_BASE_URL;
    for (const checker of category.checkers) {
      for (let attempt = 0; ; attempt++) {
        stopIfAborted(options.signal);
        let details: string[] | undefined;
        let error: string | undefined;
        let isWarning = Boolean(checker.warning);
        try {
          const out = await attemptWithTimeout(checker, attempt, timeoutMs);
          if (Array.isArray(out) && out.length > 0) details = out;
        } catch (err) {
          if (err instanceof SkipCheck) break;
          // Ctrl-C during the attempt: the check did not complete, so it has no result to report.
          stopIfAborted(options.signal);
          error = messageOf(err);
          if (err instanceof CheckWarning) isWarning = true;
        }
        const result: CheckResult = {
          category: category.id,
          description: checker.description,
          hintUrl: `${base}${checker.hintAnchor}`,
          retry: false,
          warning: isWarning,
          details,
          error,
        };
        if (error !== undefined && checker.retry && now() < options.retryDeadline) {
          observer({ ...result, retry: true, error: checker.surfaceErrorOnRetry ? error : 'waiting for check to complete' });
          await sleep(Math.max(0, Math.min(interval, options.retryDeadline - now()))).catch((err: unknown) => {
            stopIfAborted(options.signal);
            throw err;
          });
          continue;
        }
        observer(result);
        if (error !== undefined) {
          if (isWarning) warning = true;
          else success = false;
          if (checker.fatal) return { success, warning };
        }
        break;
      }
    }
  }
  return { success, warning };
}
