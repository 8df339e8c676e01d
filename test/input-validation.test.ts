/**
 * Flag and value validation (issue 10 item 13, issue 11's one CLI kit): one
 * -o validator, one port parser, one DNS-name / address validator and one
 * required-flag check, used wherever ports and addresses enter (flags, --set,
 * -f values files). Bad input is a usage error: exit 2, nothing on stdout,
 * stderr says what, where and what to do.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'node:test';
import yaml from 'js-yaml';
import {
  isDns1035Label,
  isDnsLabel,
  isDnsName,
  isDnsSubdomain,
  isIpAddress,
  outputFormat,
  parseAddresses,
  parsePort,
  parseServerUrl,
  parseUint,
  requireFlag,
} from '../src/cli-kit.js';
import { UsageError } from '../src/errors.js';
import { runMc } from './helpers/index.js';

const usage = (message: RegExp) => (e: unknown) => e instanceof UsageError && e.exitCode === 2 && message.test(e.message);

test('parsePort: 1-65535 only, naming the flag', () => {
  assert.equal(parsePort('1', '--p'), 1);
  assert.equal(parsePort('65535', '--p'), 65535);
  assert.equal(parsePort(' 4143 ', '--p'), 4143);
  for (const bad of ['0', '65536', '70000', '-1', '1.5', '', 'http', '0x10', '1e3']) {
    assert.throws(() => parsePort(bad, '--gateway-port'), usage(/^invalid --gateway-port ".*": not a port number$/), bad);
  }
});

test('parseUint: whole numbers up to a maximum', () => {
  assert.equal(parseUint('0', '--n'), 0);
  assert.equal(parseUint('4294967295', '--n', 0xffffffff), 0xffffffff);
  assert.throws(() => parseUint('4294967296', '--n', 0xffffffff), usage(/--n/));
  assert.throws(() => parseUint('-3', '--n'), usage(/--n "-3"/));
});

test('DNS names: labels, subdomains, host names', () => {
  assert.ok(isDnsLabel('east-1') && !isDnsLabel('East') && !isDnsLabel('-a') && !isDnsLabel('a.b') && !isDnsLabel('a'.repeat(64)));
  assert.ok(isDns1035Label('podinfo') && !isDns1035Label('1podinfo'));
  assert.ok(isDnsSubdomain('a.b-c.d') && !isDnsSubdomain('a..b') && !isDnsSubdomain('') && !isDnsSubdomain('a'.repeat(254)));
  // Kubernetes limits only the total length of a subdomain; a host name also limits each label.
  assert.ok(isDnsSubdomain(`${'a'.repeat(64)}.b`) && !isDnsName(`${'a'.repeat(64)}.b`));
  assert.ok(isDnsName('cluster.local'));
});

test('parseAddresses: IP addresses and DNS names, comma separated', () => {
  assert.deepEqual(parseAddresses('192.0.2.10, gw.example.com,2001:db8::1', '--gateway-addresses'), ['192.0.2.10', 'gw.example.com', '2001:db8::1']);
  for (const bad of ['http://x y', 'x y', 'gw.example.com:4143', '10.0.0.1/24', 'a_b.example.com', '-gw']) {
    assert.throws(() => parseAddresses(bad, '--gateway-addresses'), usage(/^invalid --gateway-addresses ".*": ".*" is neither an IP address nor a DNS name$/), bad);
  }
});

test('isIpAddress: IPv4 dotted quads and IPv6, nothing else', () => {
  for (const ok of ['0.0.0.0', '192.0.2.10', '255.255.255.255', '::1', '2001:db8::1', '::ffff:192.0.2.1', 'fe80::a:b:c:d']) assert.ok(isIpAddress(ok), ok);
  for (const bad of ['256.1.1.1', '1.2.3', '01.2.3.4', '1.2.3.4.5', '2001:db8::g', '1::2::3', 'a:b', '[::1]', '::1]/x', '']) assert.ok(!isIpAddress(bad), bad);
});

test('parseServerUrl: https with an IP or DNS host', () => {
  for (const ok of ['https://10.0.0.1:6443', 'https://east.example.com', 'https://[2001:db8::1]:6443', 'https://localhost:6443']) assert.equal(parseServerUrl(ok, '--api-server-address'), ok);
  for (const bad of ['http://10.0.0.1', 'east.example.com', 'https://x_y:6443', 'not a url', 'https://a b']) {
    assert.throws(() => parseServerUrl(bad, '--api-server-address'), usage(/^invalid --api-server-address/), bad);
  }
});

test('outputFormat: the allowed formats, a default when absent, one message', () => {
  assert.equal(outputFormat(undefined, ['yaml', 'json']), 'yaml');
  assert.equal(outputFormat('', ['table', 'json']), 'table');
  assert.equal(outputFormat(undefined, ['json', 'yaml'], 'text'), 'text');
  assert.throws(() => outputFormat('xml', ['yaml', 'json']), (e: unknown) => e instanceof UsageError && e.message === 'unsupported output format "xml"' && e.hint === 'Use -o yaml or -o json.');
  assert.throws(() => outputFormat('xml', ['json', 'yaml'], 'text'), (e: unknown) => e instanceof UsageError && e.hint === 'Use -o json or -o yaml (or no -o for text).');
  assert.throws(() => outputFormat('xml', ['a', 'b', 'c']), (e: unknown) => e instanceof UsageError && e.hint === 'Use -o a, -o b or -o c.');
});

test('requireFlag: a usage error with an example', () => {
  assert.equal(requireFlag('x', '--name', 'e.g. --name x'), 'x');
  assert.throws(() => requireFlag(undefined, '--name', 'e.g. --name west'), (e: unknown) => e instanceof UsageError && e.message === '--name is required' && e.hint === 'e.g. --name west');
  assert.throws(() => requireFlag('', '--name', 'e.g. --name west'), UsageError);
});

const dir = mkdtempSync(join(tmpdir(), 'mc-validation-'));
const valuesFile = join(dir, 'values.yaml');
writeFileSync(valuesFile, 'gateway:\n  probe:\n    port: 0\n');
const linkValuesFile = join(dir, 'link-values.yaml');
writeFileSync(linkValuesFile, 'gateway:\n  probe:\n    port: 65536\n');

/** Every entry point of a port or an address: [args, what stderr must name]. */
const BAD_INPUT: Array<[string[], RegExp]> = [
  [['install', '--ignore-cluster', '--gateway-port', '0'], /invalid --gateway-port "0": not a port number\nGive a port from 1 to 65535\./],
  [['install', '--ignore-cluster', '--gateway-probe-port', '65536'], /invalid --gateway-probe-port "65536"/],
  [['install', '--ignore-cluster', '--gateway-healthcheck-nodeport', '0'], /invalid --gateway-healthcheck-nodeport "0"/],
  [['install', '--ignore-cluster', '--set', 'gateway.port=70000'], /invalid value for "gateway\.port" in --set gateway\.port=70000: 70000 is not a port number\nGive "gateway\.port" a port from 1 to 65535\./],
  [['install', '--ignore-cluster', '--set', 'gateway.nodePort=0'], /"gateway\.nodePort" .* 0 is not a port number/],
  [['install', '--ignore-cluster', '--set', 'proxyOutboundPort=65536'], /"proxyOutboundPort"/],
  [['install', '--ignore-cluster', '-f', valuesFile], /invalid value for "gateway\.probe\.port" in .*values\.yaml: 0 is not a port number/],
  [['install', '--ignore-cluster', '--set', 'controllers[0].link.ref.name=east,controllers[0].gateway.probe.port=0'], /"controllers\[0\]\.gateway\.probe\.port"/],
  [['install', '--ignore-cluster', '--set', 'controllerDefaults.gateway.probe.port=99999'], /"controllerDefaults\.gateway\.probe\.port"/],
  [['link-gen', '--cluster-name', 'east', '--gateway-port', '0'], /invalid --gateway-port "0"/],
  [['link-gen', '--cluster-name', 'east', '--gateway-port', '70000'], /invalid --gateway-port "70000"/],
  [['link-gen', '--cluster-name', 'east', '--gateway-addresses', 'http://x y'], /invalid --gateway-addresses "http:\/\/x y": "http:\/\/x y" is neither an IP address nor a DNS name\nGive addresses without scheme/],
  [['link-gen', '--cluster-name', 'east', '--api-server-address', 'http://east:6443'], /invalid --api-server-address "http:\/\/east:6443"/],
  [['link', '--cluster-name', 'east', '--gateway-port', '0'], /invalid --gateway-port "0"/],
  [['link', '--cluster-name', 'east', '--gateway-addresses', '1.2.3.4,x y'], /"x y" is neither/],
  [['link', '--cluster-name', 'east', '--set', 'gateway.probe.port=70000'], /invalid value for "gateway\.probe\.port" in --set/],
  [['link', '--cluster-name', 'east', '-f', linkValuesFile], /"gateway\.probe\.port" in .*link-values\.yaml: 65536 is not a port number/],
  [['link-gen', '--cluster-name', 'east', '-n', 'Multi_Cluster'], /^Error: invalid --namespace "Multi_Cluster": a namespace is a DNS-1123 label/],
  [['link-gen', '--cluster-name', 'east', '--gateway-namespace', 'Amb'], /^Error: invalid --gateway-namespace "Amb": a namespace is a DNS-1123 label/],
  [['link-gen', '--cluster-name', 'east', '--gateway-name', 'svc/ambassador'], /^Error: invalid --gateway-name "svc\/ambassador": not a Service name/],
  [['link', '--cluster-name', 'east', '--service-account-name', 'West_Mirror'], /^Error: invalid --service-account-name "West_Mirror"/],
  [['link', '--cluster-name', 'east', '-n', ''], /^Error: invalid --namespace "": a namespace is a DNS-1123 label/],
  [['split', 'podinfo', '--to', 'podinfo=1', '--offline', '-n', ''], /invalid --namespace ""/],
  [['adopt-gateway', 'deploy/ambassador', '--gateway-port', '0'], /invalid --gateway-port "0"/],
  [['adopt-gateway', 'deploy/ambassador', '--probe-port', '65536'], /invalid --probe-port "65536"/],
  [['split', 'podinfo', '--to', 'podinfo=1', '--offline', '--port', '0'], /invalid --port "0"/],
  [['connect', 'a', 'b', '--api-server-address', 'a=https://x y:6443'], /invalid --api-server-address "https:\/\/x y:6443"/],
  [['certs', 'issuer', '--ca-cert', 'ca.crt', '--dir', 'out'], /^Error: --ca-key is required\ne\.g\. --ca-key certs\/ca\.key\n$/],
  [['install', '--ignore-cluster', '-o', 'xml'], /^Error: unsupported output format "xml"\nUse -o yaml or -o json\.\n$/],
  [['check', '-o', 'xml'], /^Error: unsupported output format "xml"\nUse -o basic, -o table, -o short or -o json\.\n$/],
  [['status', '-o', 'xml'], /unsupported output format "xml"\nUse -o table, -o wide, -o json, -o mermaid or -o dot\./],
];

for (const [args, stderr] of BAD_INPUT) {
  test(`usage error: mc ${args.join(' ')}`, async () => {
    // No kubeconfig: a usage error comes before any cluster is read.
    const r = await runMc(args, { env: { KUBECONFIG: join(dir, 'none'), HOME: dir } });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, stderr);
  });
}

test('valid ports and addresses still render', async () => {
  const r = await runMc(['install', '--ignore-cluster', '--gateway-port', '65535', '--set', 'gateway.probe.port=1']);
  assert.equal(r.code, 0, r.stderr);
  const docs = yaml.loadAll(r.stdout) as Array<{ kind: string; metadata: { name: string }; spec: { ports: Array<{ port: number }> } }>;
  const svc = docs.find((d) => d.kind === 'Service' && d.metadata.name === 'linkerd-gateway')!;
  assert.deepEqual(svc.spec.ports.map((p) => p.port).sort((a, b) => a - b), [1, 65535]);
});

/** The validators exist once: no other module of src/ writes them again. */
test('one -o validator, one port range, one DNS-name pattern (src/cli-kit.ts)', () => {
  const src = fileURLToPath(new URL('../../src/', import.meta.url));
  const files = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? files(join(d, f)) : f.endsWith('.ts') ? [join(d, f)] : []));
  const copies = files(src)
    .filter((f) => !f.endsWith('cli-kit.ts'))
    .flatMap((f) => {
      const text = readFileSync(f, 'utf8');
      return [/unsupported output format|Invalid output type/, /[<>]=? *65535/, /'--[a-z-]+ is required'/, /\[a-z0-9\]\(\[-a-z0-9/, /requiredOption\(/].filter((re) => re.test(text)).map((re) => `${f.slice(src.length)}: ${re}`);
    });
  assert.deepEqual(copies, []);
});
