/**
 * Output of check results in linkerd's three formats (pkg/healthcheck
 * healthcheck_output.go):
 *
 * - basic (linkerd's "table"): a header per category, `√` / `‼` / `×` per
 *   check, detail lines under a success, the error and
 *   `see <hint> for hints` under a problem, then `Status check results are √`.
 * - short: only problems (with their category header), then the status line.
 * - json: `{ success, categories: [{ categoryName, checks: [{ description,
 *   hint?, error?, result }] }] }`, indented by two spaces.
 *
 * Renderers are incremental: `result()` returns the text to print for one
 * result (printed as soon as its check completes), `finish()` the closing text.
 * Retry results print nothing: the spinner shows them.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { CheckResult } from './runner.js';

export const CHECK_OUTPUTS = ['basic', 'table', 'short', 'json'] as const;
export type CheckOutput = (typeof CHECK_OUTPUTS)[number];

export interface Renderer {
  result(r: CheckResult): string;
  finish(success: boolean, warning: boolean): string;
}

export interface Symbols {
  ok: string;
  warn: string;
  fail: string;
}

export function symbols(color: boolean): Symbols {
  const c: ChalkInstance = new Chalk({ level: color ? 1 : 0 });
  return {
    ok: c.green.bold('\u221A'), // √
    warn: c.yellow.bold('\u203C'), // ‼
    fail: c.red.bold('\u00D7'), // ×
  };
}

function statusOf(r: CheckResult, s: Symbols): string {
  if (r.error === undefined) return s.ok;
  return r.warning ? s.warn : s.fail;
}

/** "desc", then the detail lines (upstream appends them to the description). */
function describe(r: CheckResult): string {
  return r.details && r.details.length > 0 ? `${r.description}\n${r.details.join('\n')}` : r.description;
}

function resultLines(r: CheckResult, s: Symbols): string {
  let out = `${statusOf(r, s)} ${describe(r)}\n`;
  if (r.error === undefined) return out;
  out += `    ${r.error}\n`;
  if (r.hintUrl) out += `    see ${r.hintUrl} for hints\n`;
  return out;
}

class TableRenderer implements Renderer {
  private lastCategory = '';
  private anyWarning = false;

  constructor(
    private readonly s: Symbols,
    private readonly short: boolean,
  ) {}

  private header(r: CheckResult): string {
    if (this.lastCategory === r.category) return '';
    const sep = this.lastCategory === '' ? '' : '\n';
    this.lastCategory = r.category;
    return `${sep}${r.category}\n${'-'.repeat(r.category.length)}\n`;
  }

  result(r: CheckResult): string {
    if (r.retry) return '';
    if (this.short && r.error === undefined) return '';
    if (r.error !== undefined && r.warning) this.anyWarning = true;
    return this.header(r) + resultLines(r, this.s);
  }

  finish(success: boolean, warning: boolean): string {
    // Upstream: a blank line ends the checks, except in short output without warnings.
    const blank = !this.short || warning || this.anyWarning ? '\n' : '';
    return `${blank}Status check results are ${success ? this.s.ok : this.s.fail}\n`;
  }
}

interface JsonCheck {
  description: string;
  hint?: string;
  error?: string;
  result: 'success' | 'warning' | 'error';
}

interface JsonCategory {
  categoryName: string;
  checks: JsonCheck[];
}

/** Go's encoding/json escapes <, > and & in strings; so do we, for identical output. */
function goJson(value: unknown): string {
  return JSON.stringify(value, null, 2)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
}

class JsonRenderer implements Renderer {
  private readonly categories: JsonCategory[] = [];

  result(r: CheckResult): string {
    let current = this.categories[this.categories.length - 1];
    if (!current || current.categoryName !== r.category) {
      current = { categoryName: r.category, checks: [] };
      this.categories.push(current);
    }
    if (r.retry) return '';
    const check: JsonCheck = { description: describe(r), result: 'success' };
    if (r.error !== undefined) {
      check.result = r.warning ? 'warning' : 'error';
      if (r.hintUrl) check.hint = r.hintUrl;
      check.error = r.error;
    }
    // Key order as upstream: description, hint, error, result.
    current.checks.push({ description: check.description, ...(check.hint ? { hint: check.hint } : {}), ...(check.error !== undefined ? { error: check.error } : {}), result: check.result });
    return '';
  }

  finish(success: boolean): string {
    return `${goJson({ success, categories: this.categories.length > 0 ? this.categories : null })}\n`;
  }
}

export function createRenderer(output: CheckOutput, color: boolean): Renderer {
  switch (output) {
    case 'json':
      return new JsonRenderer();
    case 'short':
      return new TableRenderer(symbols(color), true);
    default:
      return new TableRenderer(symbols(color), false);
  }
}

/** Render a whole run at once (tests). */
export function renderAll(output: CheckOutput, results: CheckResult[], success: boolean, warning: boolean, color = false): string {
  const r = createRenderer(output, color);
  return results.map((x) => r.result(x)).join('') + r.finish(success, warning);
}
