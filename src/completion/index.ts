/**
 * `mc completion SHELL` (the script to source) and `mc complete -- WORDS...`
 * (what the script calls on every TAB): run(options, io) → exit code.
 */
import type { Command } from 'commander';
import type { IO } from '../io.js';
import { complete, formatCompletions, type CompletionOptions } from './complete.js';
import { completionScript } from './scripts.js';
import type { Shell } from './shells.js';

export interface CompletionScriptOptions {
  shell: Shell;
  /** The name the shell knows the program by (the script calls it back). */
  programName: string;
}

export async function runCompletionScript(options: CompletionScriptOptions, io: IO): Promise<number> {
  io.stdout.write(completionScript(options.shell, options.programName));
  return 0;
}

export interface CompleteOptions extends CompletionOptions {
  /** The whole program, every command registered: what can be completed. */
  program: Command;
  /** The words after the program's name; the last is the one under the cursor. */
  words: string[];
}

export async function runComplete(options: CompleteOptions, io: IO): Promise<number> {
  const result = await complete(options.program, options.words, io, options);
  io.stdout.write(formatCompletions(result));
  return 0;
}
