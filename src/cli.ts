/**
 * Builds the commander program from the files in src/commands (each exports
 * `register(program)`), runs it, and turns errors into exit codes. No logic.
 */
import { existsSync, readdirSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { booleanFlagNames, normalizeBooleanArgs } from './cli-kit.js';
import { exitCodeOf, formatError } from './errors.js';
import { LINKERD_VERSION, mcVersion } from './version.js';

type CommandModule = { register(program: Command): void };

/** Global options that take a value, so the value is not taken for a command name. */
const GLOBAL_VALUE_OPTIONS = new Set(['--kubeconfig', '--context', '-L', '--linkerd-namespace']);

/** The first word of argv that is not an option: the command the user asked for. */
function commandName(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (GLOBAL_VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * The command files to load: only the one asked for when it exists (a command
 * never pays for the others' imports), else all of them (help, unknown names).
 */
function commandFiles(dir: URL, argv: string[]): string[] {
  const all = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.js')).sort() : [];
  const wanted = `${commandName(argv)}.js`;
  return all.includes(wanted) ? [wanted] : all;
}

export async function buildProgram(argv: string[] = []): Promise<Command> {
  const program = new Command('mc')
    .description('Linkerd multicluster: trust anchors, install manifests, links, exports and health checks.')
    .version(`mc ${mcVersion()} (Linkerd ${LINKERD_VERSION})`, '--version', 'print the version of mc and of the Linkerd release it targets')
    .option('--kubeconfig <path>', 'path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use (default: the current context)')
    .option('-L, --linkerd-namespace <ns>', 'namespace of the Linkerd control plane', 'linkerd')
    .option('-v, --verbose', 'log more, and show stack traces on errors', false)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const dir = new URL('./commands/', import.meta.url);
  for (const file of commandFiles(dir, argv)) {
    const mod = (await import(new URL(file, dir).href)) as CommandModule;
    mod.register(program);
  }
  // Sub-commands inherit the error handling of the root.
  const inherit = (c: Command) => {
    for (const sub of c.commands) {
      sub.exitOverride().showHelpAfterError('(run with --help for usage)').configureOutput({ writeErr: (s) => process.stderr.write(s) });
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

/** Run mc with the given arguments; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  // A reader that goes away (`mc --help | head`) ends us quietly, as SIGPIPE ends kubectl.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const verbose = argv.includes('-v') || argv.includes('--verbose');
  try {
    const program = await buildProgram(argv);
    const args = normalizeBooleanArgs(argv, booleanFlagNames(program));
    await program.parseAsync(args, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version "errors" are normal exits; the rest are usage errors.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    process.stderr.write(`${formatError(err, verbose)}\n`);
    return exitCodeOf(err);
  }
}
