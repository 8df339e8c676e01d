/**
 * `mc check` from options to output: run the multicluster checks and print
 * each result in the chosen format as soon as its check completes (as
 * linkerd does, terminal or not: a CI log with `--wait 5m` shows progress,
 * and Ctrl-C leaves what completed on stdout). On a terminal a spinner
 * (stderr) shows the retrying check. `-o json` is one document, printed at
 * the end.
 */
import { printResult } from '../cli-kit.js';
import type { IO } from '../io.js';
import { runMulticlusterCheck, type CheckOptions } from './index.js';
import { createRenderer, type CheckOutput } from './render.js';

export interface CheckRunOptions extends CheckOptions {
  output: CheckOutput;
  /** --verbose: no spinner (it would mix with the log lines). */
  verbose: boolean;
}

/** Exit code 0 when nothing failed (warnings allowed), 1 otherwise. */
export async function runCheck(o: CheckRunOptions, io: IO): Promise<number> {
  const color = Boolean(io.stdout.isTTY) && !io.env.NO_COLOR && o.output !== 'json';
  const renderer = createRenderer(o.output, color);
  // Results appear as they come; JSON is one document, so it waits for the end.
  const stream = o.output !== 'json';
  let buffered = '';
  let spinner: { text: string; start(): unknown; stop(): unknown; clear(): unknown; render(): unknown } | undefined;
  // A terminal without a size (some CI ptys) would make the spinner redraw forever.
  if (io.stderr.isTTY && (io.stderr.columns ?? 0) > 0 && !o.verbose) {
    const { default: ora } = await import('ora');
    spinner = ora({ stream: io.stderr as NodeJS.WritableStream, text: 'running multicluster checks' }).start();
  }
  const emit = (text: string) => {
    if (text === '') return;
    if (!stream) {
      buffered += text;
      return;
    }
    spinner?.clear();
    io.stdout.write(text);
    spinner?.render();
  };

  let summary;
  try {
    summary = await runMulticlusterCheck({ ...o, signal: io.signal }, (r) => {
      if (spinner) {
        // One line: the retrying check and its current problem, cut to the terminal width.
        const text = r.retry ? `${r.description}: ${(r.error ?? '').trim().replace(/\s+/g, ' ')}` : 'running multicluster checks';
        const width = Math.max(20, (io.stderr.columns ?? 80) - 4);
        spinner.text = text.length > width ? `${text.slice(0, width - 1)}…` : text;
      }
      emit(renderer.result(r));
    });
  } finally {
    spinner?.stop();
  }
  emit(renderer.finish(summary.success, summary.warning));
  if (!stream) await printResult(io, buffered);
  return summary.success ? 0 : 1;
}
