import type { Command } from 'commander';
import { commandAction, examples, flagChoices, globalOptions, printResult } from '../cli-kit.js';
import { durationFlag } from '../duration.js';
import { UsageError } from '../errors.js';
import type { IO } from '../io.js';

export function register(program: Command, io: IO): void {
  const cmd = program
    .command('check')
    .description('Check the multicluster extension for potential problems: Links, credentials, trust anchors, service mirrors, gateways, mirrors and certificates')
    .option('-o, --output <format>', 'output format: basic, short (only problems) or json', 'basic')
    .option('--wait <duration>', 'maximum time for retrying checks (service mirrors, proxies) to pass', '5m')
    .option('--timeout <duration>', 'timeout of each Kubernetes API call, local and to every linked cluster', '10s')
    .option('--insecure-remote-tls', "accept insecure-skip-tls-verify in the kubeconfigs of Link credentials Secrets (exec plugins and local files stay refused)", false)
    .addHelpText(
      'after',
      examples(`
# Check that multicluster works from west's point of view
mc --context west check

# Only print problems; give up on retrying checks after 30 seconds
mc --context west check -o short --wait 30s

# Machine-readable results (linkerd's JSON shape), failing fast on dead clusters
mc --context west check -o json --timeout 3s`),
    );
  // The documented formats of check/render.ts's CHECK_OUTPUTS (not imported: it loads the renderer).
  flagChoices(cmd, '--output', ['basic', 'short', 'json']);
  cmd
    .action(commandAction(async (opts: { output: string; wait: string; timeout: string; insecureRemoteTls: boolean }, cmd: Command) => {
      const { CHECK_OUTPUTS, createRenderer } = await import('../check/render.js');
      if (!(CHECK_OUTPUTS as readonly string[]).includes(opts.output)) {
        throw new UsageError(`Invalid output type '${opts.output}'. Supported output types are: basic, short, json`);
      }
      const output = opts.output as (typeof CHECK_OUTPUTS)[number];
      const waitMs = durationFlag('--wait', opts.wait);
      const timeoutMs = durationFlag('--timeout', opts.timeout);
      if (timeoutMs <= 0) throw new UsageError('--timeout must be greater than 0');
      const g = globalOptions(cmd);

      const { runMulticlusterCheck } = await import('../check/index.js');
      const color = Boolean(io.stdout.isTTY) && !io.env.NO_COLOR && output !== 'json';
      const renderer = createRenderer(output, color);
      // On a terminal, results appear as they come; otherwise stdout gets everything at once.
      const stream = Boolean(io.stdout.isTTY) && output !== 'json';
      let buffered = '';
      let spinner: { text: string; start(): unknown; stop(): unknown; clear(): unknown; render(): unknown } | undefined;
      // A terminal without a size (some CI ptys) would make the spinner redraw forever.
      if (io.stderr.isTTY && (io.stderr.columns ?? 0) > 0 && !g.verbose) {
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
        summary = await runMulticlusterCheck({ kubeconfig: g.kubeconfig, context: g.context, env: io.env, linkerdNamespace: g.linkerdNamespace, waitMs, timeoutMs, signal: io.signal, insecureRemoteTls: opts.insecureRemoteTls }, (r) => {
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
    }));
}
