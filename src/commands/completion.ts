/**
 * `mc completion SHELL`: the script that makes the shell complete mc's
 * commands, flags and values; and the hidden `mc complete -- WORDS...` that
 * the script calls on every TAB (cli.ts loads every command file for it, so
 * every flag can be completed).
 */
import { Argument, Command } from 'commander';
import { commandAction, examples } from '../cli-kit.js';
import type { IO } from '../io.js';
import { SHELLS, type Shell } from '../completion/shells.js';

export function register(program: Command, io: IO): void {
  program
    .command('completion')
    .summary('print the shell completion script (bash, zsh, fish, powershell)')
    .description(
      'Prints a script that makes the shell complete mc: commands, flags, and values such as contexts, namespaces, ' +
        'services and Links (read from the cluster of the chosen context, given at most a second). Source it, or install it ' +
        'where the shell loads completions.',
    )
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .addHelpText(
      'after',
      examples(`
# bash (needs the bash-completion package for quoting; works without it)
source <(mc completion bash)
mc completion bash > /etc/bash_completion.d/mc

# zsh
source <(mc completion zsh)
mc completion zsh > "\${fpath[1]}/_mc"

# fish
mc completion fish > ~/.config/fish/completions/mc.fish

# PowerShell
mc completion powershell | Out-String | Invoke-Expression`),
    )
    .action(
      commandAction(async (shell: Shell, _flags: unknown, _command: Command) => {
        const { runCompletionScript } = await import('../completion/index.js');
        return runCompletionScript({ shell, programName: 'mc' }, io);
      }),
    );

  program
    .command('complete', { hidden: true })
    .description('the candidates for the last word (called by the completion scripts: mc complete -- WORDS...)')
    .argument('[words...]', 'the words after mc; the last one is being typed')
    .action(
      commandAction(async (words: string[], _flags: unknown, command: Command) => {
        const { runComplete } = await import('../completion/index.js');
        return runComplete({ program: command.parent!, words }, io);
      }),
    );
}
