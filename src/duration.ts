/**
 * Go duration syntax (time.ParseDuration), as upstream Linkerd's flags and the
 * Link CRD use it: "87600h", "1h30m", "1.5h", "90m", "30s", "500ms".
 * Pure; no heavy imports.
 */
import { UsageError } from './errors.js';

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign
  'μs': 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds in a Go duration string, or undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  let s = text.trim();
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  const part = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  let total = 0;
  while (s.length > 0) {
    const m = part.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    s = s.slice(m[0].length);
  }
  return sign * total;
}

/** A compact human rendering of a duration in ms: "3650d", "365d", "1d12h", "90m". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const parts: string[] = [];
  if (d) parts.push(`${d}d`);
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (sec || parts.length === 0) parts.push(`${sec}s`);
  return parts.join('');
}

/** Whether text is a Go duration (what the Link CRD's probe period expects). */
export function isGoDuration(text: string): boolean {
  return parseGoDuration(text) !== undefined;
}

/** Whole seconds as Go's Duration.String() prints them: "3s", "1m30s", "1h0m0s". */
export function secondsToGoDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const sign = seconds < 0 ? '-' : '';
  let s = Math.abs(seconds);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h > 0) return `${sign}${h}h${m}m${s}s`;
  if (m > 0) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}

/**
 * kubectl's --request-timeout: "0" for no limit, a bare integer is seconds
 * ("1" = 1s), else a Go duration ("1s", "2m", "1m30s").
 */
export function requestTimeout(value: string): number {
  const v = value.trim();
  const ms = /^\d+$/.test(v) ? Number(v) * 1000 : parseGoDuration(v);
  if (ms === undefined || ms < 0 || !Number.isFinite(ms)) {
    throw new UsageError(`invalid duration "${value}" for --request-timeout`, 'Use a number of seconds or a duration with a unit (1s, 2m, 1m30s); 0 means no limit.');
  }
  return ms;
}

/** A duration flag's value in ms; anything else is a usage error naming the flag. */
export function durationFlag(flag: string, value: string, example = '30s, 5m or 1m30s'): number {
  const ms = parseGoDuration(value);
  if (ms === undefined || ms < 0) throw new UsageError(`invalid duration "${value}" for ${flag}`, `Use Go duration syntax, e.g. ${example}.`);
  return ms;
}
