/**
 * Shell completion, driven by the commander program itself: the words typed
 * so far (everything after `mc`, the last one being the word under the
 * cursor) give the candidates. Commands, subcommands and flags come from the
 * program; values from each option's declared choices or completion kinds
 * (cli-kit's flagChoices / completeFlag / completeArguments). Answers follow
 * the protocol of the scripts @bomb.sh/tab generates (cobra's): one
 * `value<TAB>description` line per candidate, then `:DIRECTIVE`.
 */
import type { Argument, Command, Option } from 'commander';
import { completionKindsOf, type CompletionKind } from '../cli-kit.js';
import type { IO } from '../io.js';
import { clusterValues, kubeconfigContexts, type ClusterSource } from './cluster-values.js';
import { localPaths } from './paths.js';

/** cobra's ShellCompDirective bits, as the generated scripts read them. */
export const Directive = { Default: 0, Error: 1, NoSpace: 2, NoFileComp: 4 } as const;

export interface Candidate {
  value: string;
  description?: string;
}

export interface Completions {
  candidates: Candidate[];
  directive: number;
}

export interface CompletionOptions {
  /** Time allowed for values read from the cluster (default 1 s); after it, those values are left out. */
  clusterDeadlineMs?: number;
}

/** Where the words typed so far leave the user. */
interface Position {
  command: Command;
  /** Values given so far, by option (the last one wins). */
  values: Map<Option, string>;
  /** Positional arguments of `command` given so far. */
  positionals: number;
  /** The option whose value is the word under the cursor (`--context <TAB>`). */
  pendingOption?: Option;
  /** After `--`: only arguments. */
  argumentsOnly: boolean;
}

/** The options in effect for `cmd`: its own, then its ancestors' (the global options). */
function optionsInScope(cmd: Command): Option[] {
  const all: Option[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) all.push(...c.options);
  return all;
}

function takesValue(o: Option): boolean {
  return o.required || o.optional;
}

function subcommand(cmd: Command, name: string): Command | undefined {
  return cmd.commands.find((c) => c.name() === name || c.aliases().includes(name));
}

function locate(program: Command, typed: string[]): Position {
  const pos: Position = { command: program, values: new Map(), positionals: 0, argumentsOnly: false };
  for (const word of typed) {
    if (pos.pendingOption) {
      pos.values.set(pos.pendingOption, word);
      pos.pendingOption = undefined;
    } else if (pos.argumentsOnly || !word.startsWith('-') || word === '-') {
      const sub = pos.positionals === 0 && !pos.argumentsOnly ? subcommand(pos.command, word) : undefined;
      if (sub) pos.command = sub;
      else pos.positionals++;
    } else if (word === '--') {
      pos.argumentsOnly = true;
    } else {
      const [flag, inline] = splitInline(word);
      const option = optionsInScope(pos.command).find((o) => o.long === flag || o.short === flag);
      if (!option || !takesValue(option)) continue;
      if (inline !== undefined) pos.values.set(option, inline);
      else if (option.required) pos.pendingOption = option;
    }
  }
  return pos;
}

/** `--flag=value` → ['--flag', 'value']; anything else → [word]. */
function splitInline(word: string): [string, string | undefined] {
  const eq = word.indexOf('=');
  return word.startsWith('--') && eq > 0 ? [word.slice(0, eq), word.slice(eq + 1)] : [word, undefined];
}

function valueOf(pos: Position, long: string): string | undefined {
  const option = [...pos.values.keys()].find((o) => o.long === long);
  return option ? pos.values.get(option) : undefined;
}

/** The visible flags of `cmd` and the global ones (help and version only where they are declared). */
function flagCandidates(cmd: Command): Candidate[] {
  const out: Candidate[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) {
    for (const o of c.createHelp().visibleOptions(c)) {
      if (c !== cmd && (o.long === '--help' || o.long === '--version')) continue;
      if (o.long) out.push({ value: o.long, description: o.description });
      if (o.short) out.push({ value: o.short, description: o.description });
    }
  }
  return out;
}

function commandCandidates(cmd: Command): Candidate[] {
  return cmd
    .createHelp()
    .visibleCommands(cmd)
    .map((c) => ({ value: c.name(), description: c.summary() || c.description().split('\n')[0] }));
}

/** What a value is, by the name it has in the help (`--dir <dir>`, `<file...>`), for values that declare no kinds. */
const KINDS_BY_VALUE_NAME: Record<string, readonly CompletionKind[]> = {
  file: ['files'],
  path: ['files'],
  dir: ['dirs'],
  ns: ['namespaces'],
  namespace: ['namespaces'],
  context: ['contexts'],
};

function kindsOf(target: Option | Argument): readonly CompletionKind[] {
  const declared = completionKindsOf(target);
  if (declared) return declared;
  const valueName = 'flags' in target ? /[<[]([\w-]+)(?:\.\.\.)?[>\]]/.exec(target.flags)?.[1] : target.name();
  return KINDS_BY_VALUE_NAME[valueName ?? ''] ?? [];
}

async function valuesOf(
  kinds: readonly CompletionKind[],
  choices: readonly string[] | undefined,
  word: string,
  pos: Position,
  io: IO,
  options: CompletionOptions,
): Promise<Completions> {
  const candidates: Candidate[] = (choices ?? []).map((value) => ({ value }));
  let directive: number = Directive.NoFileComp;
  const source: ClusterSource = {
    kubeconfig: valueOf(pos, '--kubeconfig'),
    context: valueOf(pos, '--context'),
    env: io.env,
    deadlineMs: options.clusterDeadlineMs ?? 1000,
  };
  const cluster = clusterValues(source);
  const found = await Promise.all(
    kinds.map(async (kind): Promise<Candidate[]> => {
      switch (kind) {
        case 'contexts':
          return kubeconfigContexts(source).map((value) => ({ value }));
        case 'namespaces':
          return (await cluster.namespaces()).map((value) => ({ value }));
        case 'services':
        case 'service-refs': {
          const names = await cluster.services(valueOf(pos, '--namespace'));
          return names.map((name) => ({ value: kind === 'services' ? name : `svc/${name}` }));
        }
        case 'links':
          return (await cluster.links()).map((value) => ({ value }));
        case 'files':
        case 'dirs': {
          const paths = localPaths(word, { dirsOnly: kind === 'dirs' });
          // A folder is completed without a space, so the path can go on.
          if (paths.some((p) => p.endsWith('/'))) directive = Directive.NoSpace;
          return paths.map((value) => ({ value }));
        }
      }
    }),
  );
  for (const list of found) candidates.push(...list);
  return { candidates, directive };
}

/** Keep the candidates that start with what is typed; drop repeats. */
function narrow(result: Completions, word: string, prefix = ''): Completions {
  const seen = new Set<string>();
  const candidates = result.candidates
    .filter((c) => c.value.startsWith(word) && !seen.has(c.value) && seen.add(c.value))
    .map((c) => ({ ...c, value: prefix + c.value }));
  return { candidates, directive: result.directive };
}

/**
 * The candidates for the word under the cursor. `words` are the words after
 * the program's name; the last is the word being typed ('' for a new one).
 * Never throws for what the user typed; cluster values that do not come
 * within the deadline are silently left out.
 */
export async function complete(program: Command, words: string[], io: IO, options: CompletionOptions = {}): Promise<Completions> {
  const typed = words.slice(0, -1);
  const word = words.at(-1) ?? '';
  const pos = locate(program, typed);

  if (pos.pendingOption) {
    const o = pos.pendingOption;
    return narrow(await valuesOf(kindsOf(o), o.argChoices, word, pos, io, options), word);
  }
  if (!pos.argumentsOnly && word.startsWith('-')) {
    const [flag, inline] = splitInline(word);
    if (inline !== undefined) {
      const o = optionsInScope(pos.command).find((x) => x.long === flag);
      if (!o) return { candidates: [], directive: Directive.NoFileComp };
      // Booleans take `--flag=true|false` too (cli-kit's normalizeBooleanArgs).
      if (!takesValue(o)) return narrow({ candidates: [{ value: 'true' }, { value: 'false' }], directive: Directive.NoFileComp }, inline, `${flag}=`);
      return narrow(await valuesOf(kindsOf(o), o.argChoices, inline, pos, io, options), inline, `${flag}=`);
    }
    return narrow({ candidates: flagCandidates(pos.command), directive: Directive.NoFileComp }, word);
  }

  const result: Completions = { candidates: [], directive: Directive.NoFileComp };
  if (pos.positionals === 0 && !pos.argumentsOnly) result.candidates.push(...commandCandidates(pos.command));
  const args = pos.command.registeredArguments;
  const arg: Argument | undefined = args[pos.positionals] ?? (args.at(-1)?.variadic ? args.at(-1) : undefined);
  if (arg) {
    const values = await valuesOf(kindsOf(arg), arg.argChoices, word, pos, io, options);
    result.candidates.push(...values.candidates);
    result.directive = values.directive;
  }
  return narrow(result, word);
}

/** The answer in the completion scripts' protocol. */
export function formatCompletions(result: Completions): string {
  const lines = result.candidates.map((c) => (c.description ? `${c.value}\t${c.description.replace(/\s+/g, ' ')}` : c.value));
  return `${[...lines, `:${result.directive}`].join('\n')}\n`;
}
