/**
 * The entry point, and the only module that touches `process`: it builds the
 * IO (argv, env, stdio, Ctrl-C) from the process, builds the commander
 * program from the files in src/commands (each exports `register(program, io)`),
 * runs it, and turns errors into exit codes. No logic.
 */
import { Command, CommanderError } from 'commander';
import { booleanFlagNames, collect, commandExitCode, completeFlag, normalizeBooleanArgs } from './cli-kit.js';
import * as adoptGateway from './commands/adopt-gateway.js';
import * as allow from './commands/allow.js';
import * as certs from './commands/certs.js';
import * as check from './commands/check.js';
import * as completion from './commands/completion.js';
import * as connect from './commands/connect.js';
import * as disconnect from './commands/disconnect.js';
import * as exportService from './commands/export-service.js';
import * as gateways from './commands/gateways.js';
import * as install from './commands/install.js';
import * as linkGen from './commands/link-gen.js';
import * as link from './commands/link.js';
import * as split from './commands/split.js';
import * as status from './commands/status.js';
import * as uninstall from './commands/uninstall.js';
import * as unlink from './commands/unlink.js';
import * as version from './commands/version.js';
import { exitCodeOf, formatError } from './errors.js';
import type { IO } from './io.js';
import { LINKERD_VERSION, mcVersion } from './version.js';

type CommandModule = { register(program: Command, io: IO): void };

/** Global options that take a value, so the value is not taken for a command name. */
const GLOBAL_VALUE_OPTIONS = new Set(['--kubeconfig', '--context', '-L', '--linkerd-namespace', '--request-timeout']);

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
 * Every command, by name, in the order help lists them (the files of
 * src/commands/, sorted; test/cli.test.ts keeps the two the same). A command
 * file only declares flags: its work is behind a dynamic import in its action,
 * so loading all of them is cheap, and the launcher's bundle (src/bundle.ts)
 * holds them in one file.
 */
const COMMANDS: Readonly<Record<string, CommandModule>> = {
  'adopt-gateway': adoptGateway,
  allow,
  certs,
  check,
  completion,
  connect,
  disconnect,
  'export-service': exportService,
  gateways,
  install,
  'link-gen': linkGen,
  link,
  split,
  status,
  uninstall,
  unlink,
  version,
};

/**
 * The commands to register: only the one asked for when it exists (a command
 * never pays for setting up the others' flags), else all of them (help,
 * unknown names).
 */
function commandsFor(argv: string[]): CommandModule[] {
  const wanted = commandName(argv);
  return wanted !== undefined && Object.hasOwn(COMMANDS, wanted) ? [COMMANDS[wanted]!] : Object.values(COMMANDS);
}

/** Commander's own output (help, usage errors) goes to the IO too. */
function outputTo(io: IO) {
  return {
    writeOut: (s: string) => void io.stdout.write(s),
    writeErr: (s: string) => void io.stderr.write(s),
    getOutHelpWidth: () => (io.stdout.isTTY ? (io.stdout.columns ?? 80) : 80),
    getErrHelpWidth: () => (io.stderr.isTTY ? (io.stderr.columns ?? 80) : 80),
    getOutHasColors: () => Boolean(io.stdout.isTTY) && !io.env.NO_COLOR,
    getErrHasColors: () => Boolean(io.stderr.isTTY) && !io.env.NO_COLOR,
    // One error prefix: commander's "error: unknown option" reads as mc's own "Error: ...".
    outputError: (s: string, write: (s: string) => void) => write(s.replace(/^error: /, 'Error: ')),
  };
}

/**
 * Help wrapped to the terminal (80 columns off a terminal): commands listed by
 * name (their arguments are in their own --help), so descriptions keep a
 * column wide enough to wrap in.
 */
const HELP_LAYOUT = { minWidthToWrap: 24, subcommandTerm: (c: Command) => c.name() };

export async function buildProgram(argv: string[], io: IO): Promise<Command> {
  const program = new Command('mc')
    .description('Linkerd multicluster: trust anchors, install manifests, links, exports and health checks.')
    .version(`mc ${mcVersion()} (Linkerd ${LINKERD_VERSION})`, '--version', 'print the version of mc and of the Linkerd release it targets')
    .option('--kubeconfig <path>', 'path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    // Repeatable: the last one wins (as kubectl); commands over several clusters (certs bundle/rotate) take them all.
    .option('--context <name>', 'kubeconfig context to use (default: the current context)', collect)
    .option('-L, --linkerd-namespace <ns>', 'namespace of the Linkerd control plane', 'linkerd')
    .option('--request-timeout <duration>', 'how long to wait for each API request (and exec credential plugin): 1s, 2m, a number of seconds; 0 for no limit', '30s')
    .option('-v, --verbose', 'log more, and show stack traces on errors', false)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput(outputTo(io))
    .configureHelp(HELP_LAYOUT);
  completeFlag(program, '--context', 'contexts');

  for (const mod of commandsFor(argv)) mod.register(program, io);
  // Sub-commands inherit the error handling and output of the root.
  const inherit = (c: Command) => {
    for (const sub of c.commands) {
      sub.exitOverride().showHelpAfterError('(run with --help for usage)').configureOutput(outputTo(io)).configureHelp(HELP_LAYOUT);
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

/** Run mc with the given arguments and IO; resolves to the exit code. */
export async function main(argv: string[], io: IO): Promise<number> {
  const verbose = argv.includes('-v') || argv.includes('--verbose');
  try {
    const program = await buildProgram(argv, io);
    const args = normalizeBooleanArgs(argv, booleanFlagNames(program));
    await program.parseAsync(args, { from: 'user' });
    return commandExitCode(program);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version "errors" are normal exits; the rest are usage errors.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    io.stderr.write(`${formatError(err, verbose)}\n`);
    return exitCodeOf(err);
  }
}

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * The IO of the real process. Ctrl-C / SIGTERM abort `signal` (its listeners
 * run at once: requests stop, temporary files go) and then end the process
 * with the shell's code for the signal, as the default handler did.
 */
export function processIO(): IO {
  const controller = new AbortController();
  for (const [name, code] of Object.entries(SIGNAL_EXIT_CODES)) {
    process.once(name, () => {
      controller.abort(new Error(`interrupted (${name})`));
      process.exit(code);
    });
  }
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal };
}

/** What bin/mc.js runs: mc on the process's argv and IO; sets the exit code. */
export async function runProcess(): Promise<void> {
  // A reader that goes away (`mc --help | head`) ends us quietly, as SIGPIPE ends kubectl.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  process.exitCode = await main(process.argv.slice(2), processIO());
}
