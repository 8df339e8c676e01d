/**
 * Small helpers shared by the command files: global options, output format,
 * printing. Kept free of heavy imports so `mc --help` stays fast.
 */
import { Command, Option } from 'commander';
import { UsageError } from './errors.js';

export interface GlobalOptions {
  kubeconfig?: string;
  context?: string;
  linkerdNamespace: string;
  verbose: boolean;
}

/** The global options (kubectl-style) as seen from any subcommand. */
export function globalOptions(cmd: Command): GlobalOptions {
  const all = cmd.optsWithGlobals() as Partial<GlobalOptions>;
  return {
    kubeconfig: all.kubeconfig,
    context: all.context,
    linkerdNamespace: all.linkerdNamespace ?? 'linkerd',
    verbose: Boolean(all.verbose),
  };
}

/** Examples block for `--help`, in kubectl's layout. */
export function examples(text: string): string {
  const body = text
    .trim()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
  return `\nExamples:\n${body}\n`;
}

/**
 * A boolean flag that accepts `--name`, `--no-name` and (through
 * normalizeBooleanArgs) `--name=false`, as upstream's pflag booleans do.
 */
export function booleanFlag(cmd: Command, name: string, description: string, defaultValue: boolean): Command {
  cmd.addOption(new Option(`--${name}`, description).default(defaultValue));
  cmd.addOption(new Option(`--no-${name}`).hideHelp());
  return cmd;
}

const PFLAG_TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const PFLAG_FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

/**
 * Rewrite `--flag=true|false` into `--flag` / `--no-flag` for the boolean flags
 * commander knows, so `--gateway=false` works as it does with upstream.
 */
export function normalizeBooleanArgs(argv: string[], booleanNames: Set<string>): string[] {
  return argv.map((arg) => {
    const m = /^--([a-z0-9][a-z0-9-]*)=(.*)$/i.exec(arg);
    if (!m || !booleanNames.has(m[1]!)) return arg;
    if (PFLAG_TRUE.has(m[2]!)) return `--${m[1]}`;
    if (PFLAG_FALSE.has(m[2]!)) return `--no-${m[1]}`;
    throw new UsageError(`invalid value "${m[2]}" for --${m[1]}: want true or false`);
  });
}

/** Every long flag of every command that takes no value (booleans). */
export function booleanFlagNames(program: Command): Set<string> {
  const names = new Set<string>();
  const visit = (c: Command) => {
    for (const o of c.options) {
      if (!o.required && !o.optional && !o.negate && o.long) names.add(o.long.replace(/^--/, ''));
    }
    c.commands.forEach(visit);
  };
  visit(program);
  return names;
}

export type OutputFormat = 'yaml' | 'json';

/** Parse `-o`: only the formats a command supports. */
export function outputFormat(value: string | undefined, allowed: readonly string[] = ['yaml', 'json']): string {
  const v = value ?? allowed[0]!;
  if (!allowed.includes(v)) {
    throw new UsageError(`unsupported output format "${v}"`, `Use -o ${allowed.join(' or -o ')}.`);
  }
  return v;
}

/** Write all of stdout in one go, so a pipeline never sees half a result. */
export function printResult(text: string): Promise<void> {
  const out = text.endsWith('\n') || text === '' ? text : `${text}\n`;
  return new Promise((resolve, reject) => {
    process.stdout.write(out, (err) => (err ? reject(err) : resolve()));
  });
}

/** Human-facing text (progress, reports, warnings) always goes to stderr. */
export function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Collect a repeatable option into an array (commander option parser). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * Run a domain `run(options, io)` with the process's streams and keep its exit
 * code. Stop-gap until the entry point hands every command its IO.
 */
export async function runWithProcessIO(run: (io: import('./io.js').IO) => Promise<number>): Promise<void> {
  const controller = new AbortController();
  const code = await run({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal });
  if (code !== 0) process.exitCode = code;
}
