/** `mc certs rotate`: a trust anchor rotation across linked clusters, stage by stage, each gated by what mc can verify. */
import type { Command } from 'commander';
import { commandAction, examples, globalOptions } from '../../cli-kit.js';
import type { IO } from '../../io.js';
import { durationFlag } from '../../duration.js';
import { UsageError } from '../../errors.js';
import type { RotateOptions } from '../../certs/rotate.js';
import { lifetimeFlag } from './shared.js';

interface Flags {
  dir: string;
  stage?: string;
  apply: boolean;
  anchorLifetime: string;
  issuerLifetime: string;
  timeout: string;
}

export function register(certs: Command, io: IO): void {
  certs
    .command('rotate')
    .description('rotate the trust anchor of linked clusters (--context, repeatable) in verified stages')
    .option('--dir <dir>', 'rotation folder: new anchor ca.crt/ca.key, bundle.crt, CLUSTER/issuer.crt/.key', 'rotation')
    .option('--stage <n>', 'do stage N (1 plan, 2 bundle old+new, 3 verify proxies, 4 new issuers, 5 verify issuers in use, 6 remove the old anchor) once stage N-1 is complete; without it: where the rotation stands')
    .option('--apply', 'write the stage\'s changes (bundle, issuer) into the clusters not managed by Helm, instead of printing the commands', false)
    .option('--anchor-lifetime <duration>', 'validity of the new trust anchor made by stage 2 (Go duration)', '87600h')
    .option('--issuer-lifetime <duration>', 'validity of the new issuers made by stage 4 (Go duration)', '8760h')
    .option('--timeout <duration>', 'timeout of each Kubernetes API call', '10s')
    .addHelpText(
      'after',
      examples(`
# Where does the rotation of east, west and north stand? (reads the clusters and ./rotation)
mc --context east --context west --context north certs rotate
# The plan: anchors, issuers, and every stage's commands per cluster
mc --context east --context west --context north certs rotate --stage 1
# New anchor, bundle old+new, written into the clusters
mc --context east --context west --context north certs rotate --stage 2 --apply
# Which proxies still need a restart? (exit 1 while some do)
mc --context east --context west --context north certs rotate --stage 3

Every run derives the state from the clusters and the rotation folder, so it can stop
and resume anywhere. A stage refuses (exit 1) until the one before is complete, and
says what is missing.`),
    )
    .action(
      commandAction(async (flags: Flags, cmd: Command) => {
      const g = globalOptions(cmd);
      if (g.contexts.length === 0) throw new UsageError('give every linked cluster with --context (repeatable)', 'e.g. mc --context east --context west certs rotate');
      let stage: number | undefined;
      if (flags.stage !== undefined) {
        stage = Number(flags.stage);
        if (!Number.isInteger(stage) || stage < 1 || stage > 6) throw new UsageError(`invalid --stage "${flags.stage}": want 1 to 6`);
      }
      if (flags.apply && ![2, 4, 6].includes(stage ?? 0)) throw new UsageError('--apply goes with --stage 2, 4 or 6 (the stages that change the clusters)');
      const timeoutMs = durationFlag('--timeout', flags.timeout);
      if (timeoutMs <= 0) throw new UsageError('--timeout must be greater than 0');
      const options: RotateOptions = {
        kubeconfig: g.kubeconfig,
        contexts: g.contexts,
        linkerdNamespace: g.linkerdNamespace,
        dir: flags.dir,
        stage,
        apply: flags.apply,
        anchorLifetimeMs: lifetimeFlag('anchor-lifetime', flags.anchorLifetime),
        issuerLifetimeMs: lifetimeFlag('issuer-lifetime', flags.issuerLifetime),
        timeoutMs,
      };
      const { runRotate } = await import('../../certs/rotate.js');
      return runRotate(options, io);
      }),
    );
}
