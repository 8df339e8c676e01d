/** The flags `link` and `link-gen` share: what decides the credentials Secrets and the Link (no heavy imports). */
import type { Command } from 'commander';
import { booleanFlag, collect, flagChoices } from '../../cli-kit.js';

export function addLinkGenFlags(cmd: Command): Command {
  cmd
    .option('--cluster-name <name>', 'name of this cluster as the other cluster will know it (default: the context name made a DNS-1123 label)')
    .option('-n, --namespace <ns>', "the multicluster extension's namespace (not the context's): of the Link and its credentials there, and of the remote-access service account here", 'linkerd-multicluster')
    .option('--api-server-address <url>', "API server address the linking cluster should use (default: the context's server)")
    .option('--service-account-name <name>', 'remote-access service account whose token goes into the credentials', 'linkerd-service-mirror-remote-access-default')
    .option('--gateway-name <name>', 'name of the gateway Service', 'linkerd-gateway')
    .option('--gateway-namespace <ns>', 'namespace of the gateway Service', 'linkerd-multicluster')
    .option('--gateway-addresses <list>', "gateway addresses (comma separated); default: the Service's load balancer ingress")
    .option('--gateway-port <port>', 'gateway port; default: the Service port named mc-gateway')
    .option('-l, --selector <selector>', 'label query selecting the services to mirror (gateway mode)', 'mirror.linkerd.io/exported=true')
    .option('--remote-discovery-selector <selector>', 'label query selecting the services to mirror in remote-discovery mode', 'mirror.linkerd.io/exported=remote-discovery')
    .option('--federated-service-selector <selector>', 'label query selecting federated service members', 'mirror.linkerd.io/federated=member')
    .option('--excluded-labels <list>', 'labels not copied to mirrored services (comma separated, repeatable)', collect, [])
    .option('--excluded-annotations <list>', 'annotations not copied to mirrored services (comma separated, repeatable)', collect, [])
    .option('-o, --output <format>', 'output format: yaml or json', 'yaml')
    .option('--apply-to <context>', 'apply the result to this kubeconfig context (server-side apply, field manager mc) instead of printing it');
  booleanFlag(cmd, 'insecure-skip-tls-verify', "copy the context's insecure-skip-tls-verify into the credentials (refused without this flag)", false);
  booleanFlag(cmd, 'gateway', 'link through the gateway; --gateway=false links without one (flat network)', true);
  return flagChoices(cmd, '--output', ['yaml', 'json']);
}
