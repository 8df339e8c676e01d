/**
 * Small helpers shared by the command files: global options, output format,
 * printing. Kept free of heavy imports so `mc --help` stays fast.
 */
import { Argument, Command, Option } from 'commander';
import { requestTimeout } from './duration.js';
import { UsageError } from './errors.js';
import { readAll, type IO, type OutputStream } from './io.js';
import type { ValueOptions } from './render/values-map.js';

export interface GlobalOptions {
  kubeconfig?: string;
  /** The last --context given (kubectl's rule). */
  context?: string;
  /** Every --context given, in order, without repeats (commands that read several clusters). */
  contexts: string[];
  linkerdNamespace: string;
  verbose: boolean;
  /** --request-timeout in ms; 0 = no limit. */
  requestTimeoutMs: number;
}

/** The global options (kubectl-style) as seen from any subcommand. */
export function globalOptions(cmd: Command): GlobalOptions {
  const all = cmd.optsWithGlobals() as Partial<Omit<GlobalOptions, 'context'>> & { context?: string | string[] };
  const given = all.context === undefined ? [] : Array.isArray(all.context) ? all.context : [all.context];
  return {
    kubeconfig: all.kubeconfig,
    context: given.at(-1),
    contexts: [...new Set(given)],
    linkerdNamespace: all.linkerdNamespace ?? 'linkerd',
    verbose: Boolean(all.verbose),
    requestTimeoutMs: requestTimeout((all as { requestTimeout?: string }).requestTimeout ?? '30s'),
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
  // After `--` every word is an argument (`mc complete -- --gateway=f` completes what was typed).
  const end = argv.indexOf('--');
  return argv.map((arg, i) => {
    if (end !== -1 && i > end) return arg;
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

/** "a, b or c" */
function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/**
 * Parse `-o`: one of the formats a command supports. Without -o (or with an
 * empty one, as kubectl) the result is `absent`, by default the first format.
 */
export function outputFormat<F extends string, A extends string = F>(value: string | undefined, allowed: readonly F[], absent?: A): F | A {
  if (value === undefined || value === '') return absent ?? allowed[0]!;
  if (!(allowed as readonly string[]).includes(value)) {
    const without = absent !== undefined && !(allowed as readonly string[]).includes(absent) ? ` (or no -o for ${absent})` : '';
    throw new UsageError(`unsupported output format "${value}"`, `Use ${orList(allowed.map((f) => `-o ${f}`))}${without}.`);
  }
  return value as F;
}

/** A flag the command cannot do without: a usage error whose hint says what to give (an example). */
export function requireFlag<T>(value: T | undefined, flag: string, hint: string): T {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`, hint);
  return value;
}

/** A TCP/UDP port number. */
export function isPort(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** A whole number 0..max given as text (flags), or a usage error naming the flag. */
export function parseUint(value: string, flag: string, max = 2 ** 31 - 1): number {
  const v = value.trim();
  if (!/^\d+$/.test(v) || Number(v) > max) throw new UsageError(`invalid ${flag} "${value}": want a whole number from 0 to ${max}`);
  return Number(v);
}

/** A port given as text (flags): 1-65535, or a usage error naming the flag. */
export function parsePort(value: string, flag: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!isPort(n)) throw new UsageError(`invalid ${flag} "${value}": not a port number`, 'Give a port from 1 to 65535.');
  return n;
}

/** Commander parser for a port flag (1-65535). */
export function portArg(flag: string): (value: string) => number {
  return (value) => parsePort(value, flag);
}

/** Commander parser for a whole-number flag (0..max). */
export function uintArg(flag: string, max?: number): (value: string) => number {
  return (value) => parseUint(value, flag, max);
}

const DNS_LABEL_FORMAT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS_LABEL = new RegExp(`^${DNS_LABEL_FORMAT}$`);
/** The pattern of a DNS-1123 subdomain, as the API server's messages show it. */
export const DNS_SUBDOMAIN_FORMAT = `${DNS_LABEL_FORMAT}(\\.${DNS_LABEL_FORMAT})*`;

/** A DNS-1123 label (namespaces, cluster names): lower-case letters, digits and "-", at most 63. */
export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && DNS_LABEL.test(s);
}

/** A DNS-1035 label (Service names): a DNS-1123 label that starts with a letter. */
export function isDns1035Label(s: string): boolean {
  return isDnsLabel(s) && /^[a-z]/.test(s);
}

/** A DNS-1123 subdomain (object names): DNS-1123 labels joined by ".", at most 253 (Kubernetes limits only the total). */
export function isDnsSubdomain(s: string): boolean {
  return s.length > 0 && s.length <= 253 && s.split('.').every((l) => DNS_LABEL.test(l));
}

/** A host name (trust domains, gateway addresses): a DNS-1123 subdomain whose labels have at most 63 characters. */
export function isDnsName(s: string): boolean {
  return isDnsSubdomain(s) && s.split('.').every((l) => l.length <= 63);
}

/** A namespace flag (-n/--namespace): a DNS-1123 label, or a usage error naming the flag. */
export function parseNamespace(value: string, flag = '--namespace'): string {
  if (!isDnsLabel(value)) {
    throw new UsageError(`invalid ${flag} "${value}": a namespace is a DNS-1123 label (lower-case letters, digits and "-", at most 63)`, `e.g. ${flag} linkerd-multicluster`);
  }
  return value;
}

const IPV4_OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${IPV4_OCTET}(\\.${IPV4_OCTET}){3}$`);

/**
 * An IPv4 (dotted quad) or IPv6 address. IPv6 goes through the URL parser
 * (which validates bracketed hosts), so `mc --help` does not pay for node:net.
 */
export function isIpAddress(s: string): boolean {
  if (IPV4.test(s)) return true;
  if (!s.includes(':') || !/^[0-9a-f:.]+$/i.test(s)) return false;
  try {
    return new URL(`http://[${s}]/`).hostname !== '';
  } catch {
    return false;
  }
}

/** Comma-separated addresses (IP or DNS name), or a usage error naming the flag and the bad entry. */
export function parseAddresses(value: string, flag: string): string[] {
  const list = value.split(',').map((a) => a.trim()).filter((a) => a !== '');
  for (const a of list) {
    if (!isIpAddress(a) && !isDnsName(a.toLowerCase())) {
      throw new UsageError(`invalid ${flag} "${value}": "${a}" is neither an IP address nor a DNS name`, `Give addresses without scheme, port or spaces, comma separated, e.g. ${flag} 192.0.2.10,gateway.example.com.`);
    }
  }
  return list;
}

/** Write all of stdout in one go, so a pipeline never sees half a result. */
export function printResult(io: Pick<IO, 'stdout'>, text: string): Promise<void> {
  const out = text.endsWith('\n') || text === '' ? text : `${text}\n`;
  return new Promise((resolve, reject) => {
    io.stdout.write(out, (err) => (err ? reject(err) : resolve()));
  });
}

/** Human-facing text (progress, reports, warnings) always goes to stderr. */
export function say(io: Pick<IO, 'stderr'>, line: string): void {
  io.stderr.write(`${line}\n`);
}

/** A line printer for stderr, for domain code that reports as it goes. */
export function sayTo(stderr: OutputStream): (line: string) => void {
  return (line) => void stderr.write(`${line}\n`);
}

const exitCodes = new WeakMap<Command, number>();

function rootOf(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}

/**
 * A commander action whose handler returns the command's exit code (nothing
 * means 0); the entry point reads it with commandExitCode(program).
 */
export function commandAction<A extends unknown[]>(handler: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const code = await handler(...args);
    const cmd = args[args.length - 1] as Command;
    exitCodes.set(rootOf(cmd), code ?? 0);
  };
}

/** The exit code the command that ran returned (0 when it returned none). */
export function commandExitCode(program: Command): number {
  return exitCodes.get(program) ?? 0;
}

/** Collect a repeatable option into an array (commander option parser). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A list flag's value: comma separated, blanks dropped; repeats of the flag add to it. */
function contextList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}

/** The pair flags of connect and disconnect, as commander gives them. */
export interface PairFlags {
  mesh?: string[];
  from?: string[];
  to?: string[];
}

/**
 * Which ordered pairs connect and disconnect act on, declared once for both:
 * two contexts as arguments (both ways), --mesh (every ordered pair) or
 * --from/--to (one way).
 */
export function pairFlags(cmd: Command): Command {
  return cmd
    .argument('[contexts...]', 'two contexts: both directions between them')
    .option('--mesh <contexts...>', 'every ordered pair of these contexts (space or comma separated)', (v: string, prev?: string[]) => contextList(v, prev))
    .option('--from <contexts>', 'one way: these contexts (comma separated) mirror the --to contexts', contextList)
    .option('--to <contexts>', 'one way: the contexts mirrored (comma separated)', contextList);
}

/** The pair selection of pairFlags, for the connect domain (src/connect/plan.ts PairSpec). */
export function pairSelection(args: string[], flags: PairFlags): { both: string[]; mesh?: string[]; from?: string[]; to?: string[] } {
  return { both: args, mesh: flags.mesh, from: flags.from, to: flags.to };
}

/** The values of -f / --set / --set-string / --set-file; standard input read now when one of them is "-". */
export async function valueOptions(flags: { values: string[]; set: string[]; setString: string[]; setFile: string[] }, io: IO): Promise<ValueOptions> {
  const opts: ValueOptions = { values: flags.values, set: flags.set, setString: flags.setString, setFile: flags.setFile };
  // -f - or --set-file KEY=- (the chart code reads files synchronously).
  if (opts.values!.includes('-') || opts.setFile!.some((e) => /=-(,|$)/.test(e))) opts.stdin = await readAll(io.stdin);
  return opts;
}

/** -f / --set / --set-string / --set-file, shared by the commands that render charts. */
export function addValueFlags(cmd: Command): Command {
  return cmd
    .option('-f, --values <file>', 'values file (YAML), repeatable, applied in order; "-" reads stdin', collect, [])
    .option('--set <key=value>', 'set a value (Helm syntax: a.b=c,list={x,y},a[0].b=c), repeatable', collect, [])
    .option('--set-string <key=value>', 'set a value, always as a string, repeatable', collect, [])
    .option('--set-file <key=path>', 'set a value to the contents of a file, repeatable', collect, []);
}

/** An API server address: https://HOST[:PORT] with HOST an IP address or a DNS name, or a usage error naming the flag. */
export function parseServerUrl(value: string, flag: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const host = url?.hostname.replace(/^\[(.*)\]$/, '$1') ?? '';
  if (!url || url.protocol !== 'https:' || !(isIpAddress(host) || isDnsName(host))) {
    throw new UsageError(`invalid ${flag} "${value}": not an https://HOST[:PORT] address`, 'HOST is an IP address or a DNS name, e.g. https://10.0.0.1:6443 or https://east.example.com:6443.');
  }
  return value;
}

/**
 * What the shell completes for a value (src/completion/): contexts of the
 * kubeconfig, names read from the cluster of the chosen context, or local
 * paths; `service-refs` are `svc/NAME` arguments. Values named `<file>`,
 * `<path>`, `<dir>`, `<ns>`, `<namespace>` or `<context>` in a flag need no
 * declaration; choices come from commander's `.choices()` or flagChoices.
 */
export type CompletionKind = 'contexts' | 'namespaces' | 'services' | 'service-refs' | 'links' | 'files' | 'dirs';

const completionKinds = new WeakMap<Option | Argument, readonly CompletionKind[]>();

function findOption(cmd: Command, flag: string): Option {
  const option = cmd.options.find((o) => o.long === flag || o.short === flag);
  if (!option) throw new Error(`${cmd.name()} has no option ${flag}`);
  return option;
}

/** Complete the value of `flag` (declared on `cmd`) with these kinds of names. */
export function completeFlag(cmd: Command, flag: string, ...kinds: CompletionKind[]): Command {
  completionKinds.set(findOption(cmd, flag), kinds);
  return cmd;
}

/** Complete the positional arguments of `cmd` with these kinds of names. */
export function completeArguments(cmd: Command, ...kinds: CompletionKind[]): Command {
  for (const arg of cmd.registeredArguments) completionKinds.set(arg, kinds);
  return cmd;
}

/**
 * The values the shell offers for `flag` (and --help lists as choices) while
 * the domain keeps validating them with its own messages.
 */
export function flagChoices(cmd: Command, flag: string, values: readonly string[]): Command {
  findOption(cmd, flag).argChoices = [...values];
  return cmd;
}

/** The completion kinds declared for an option or argument. */
export function completionKindsOf(target: Option | Argument): readonly CompletionKind[] | undefined {
  return completionKinds.get(target);
}
