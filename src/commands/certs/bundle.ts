/** `mc certs bundle`: the union of the trust anchors of clusters and files, as one PEM bundle. */
import type { Command } from 'commander';
import { commandAction, examples, globalOptions } from '../../cli-kit.js';
import type { IO } from '../../io.js';
import { durationFlag } from '../../duration.js';
import { UsageError } from '../../errors.js';
import type { BundleOptions } from '../../certs/bundle.js';

export function register(certs: Command, io: IO): void {
  certs
    .command('bundle')
    .description('print the union of the trust anchors of clusters (--context, repeatable) and files, de-duplicated, as one PEM bundle')
    .argument('[file...]', 'PEM files with trust anchors (ca.crt, an existing bundle)')
    .option('--timeout <duration>', 'timeout of each Kubernetes API call (each cluster gets three in all)', '10s')
    .addHelpText(
      'after',
      examples(`
# A cluster installed with its own anchor joins east and west: every cluster trusts all three
mc certs bundle --context east --context west --context north > bundle.crt
linkerd --context north upgrade --identity-trust-anchors-file bundle.crt | kubectl --context north apply -f -
# Old and new anchor together (the first step of a rotation)
mc certs bundle --context east new/ca.crt > bundle.crt

Anchors come from ConfigMap linkerd-identity-trust-roots (else linkerd-config) of each
context, in parallel. Each anchor is listed on stderr with its subject, expiry and sources;
the bundle on stdout holds the anchor that expires last first.`),
    )
    .action(
      commandAction(async (files: string[], flags: { timeout: string }, cmd: Command) => {
      const g = globalOptions(cmd);
      const timeoutMs = durationFlag('--timeout', flags.timeout);
      if (timeoutMs <= 0) throw new UsageError('--timeout must be greater than 0');
      if (g.contexts.length === 0 && files.length === 0) {
        throw new UsageError('nothing to bundle: give clusters with --context and/or anchor files', 'e.g. mc certs bundle --context east --context west new/ca.crt');
      }
      const options: BundleOptions = { kubeconfig: g.kubeconfig, contexts: g.contexts, files, linkerdNamespace: g.linkerdNamespace, timeoutMs };
      const { runBundle } = await import('../../certs/bundle.js');
      return runBundle(options, io);
      }),
    );
}
