/** Bits shared by the `mc certs` sub-commands (no heavy imports). */
import { UsageError } from '../../errors.js';
import { outputFormat } from '../../cli-kit.js';
import { durationFlag } from '../../duration.js';
import { isoSeconds } from '../../certs/names.js';

/** The latest date an X.509 certificate can carry (GeneralizedTime 9999-12-31T23:59:59Z, RFC 5280). */
export const LATEST_NOT_AFTER = new Date(Date.UTC(9999, 11, 31, 23, 59, 59));

/** A positive Go-style duration flag, in ms, that ends by 9999-12-31 counted from `now`. */
export function lifetimeFlag(flag: string, value: string, now: Date = new Date()): number {
  const ms = durationFlag(`--${flag}`, value, '87600h (10 years), 8760h (1 year), 720h, 90m');
  if (ms < 1000) throw new UsageError(`--${flag} must be at least 1s, got "${value}"`, 'Use e.g. 8760h for one year.');
  if (now.getTime() + ms > LATEST_NOT_AFTER.getTime()) {
    const maxHours = Math.floor((LATEST_NOT_AFTER.getTime() - now.getTime()) / 3_600_000);
    throw new UsageError(
      `--${flag} ${value} would end after ${isoSeconds(LATEST_NOT_AFTER)}, the latest date a certificate can carry`,
      `Use at most ${maxHours}h (valid until ${isoSeconds(LATEST_NOT_AFTER)}).`,
    );
  }
  return ms;
}

/** `-o json` or nothing (human text on stderr only). */
export function jsonOutput(value: string | undefined): boolean {
  return outputFormat(value, ['json'], 'text') === 'json';
}
