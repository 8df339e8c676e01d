import type { Command } from 'commander';
import { commandAction, examples, flagChoices, globalOptions, outputFormat } from '../cli-kit.js';
import { durationFlag } from '../duration.js';
import { UsageError } from '../errors.js';
import type { IO } from '../io.js';

export function register(program: Command, io: IO): void {
  const cmd = program
    .command('check')
    .description('check the multicluster extension for potential problems: Links, credentials, trust anchors, service mirrors, gateways, mirrors and certificates')
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
      const { CHECK_OUTPUTS } = await import('../check/render.js');
      const output = outputFormat(opts.output, CHECK_OUTPUTS);
      const waitMs = durationFlag('--wait', opts.wait);
      const timeoutMs = durationFlag('--timeout', opts.timeout);
      if (timeoutMs <= 0) throw new UsageError('--timeout must be greater than 0');
      const g = globalOptions(cmd);

      const { runCheck } = await import('../check/run.js');
      return runCheck({ kubeconfig: g.kubeconfig, context: g.context, env: io.env, linkerdNamespace: g.linkerdNamespace, verbose: g.verbose, output, waitMs, timeoutMs, insecureRemoteTls: opts.insecureRemoteTls }, io);
    }));
}
