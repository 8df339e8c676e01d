import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CertificateInfo } from '../src/certs/inspect.js';
import { clusterNameOf, contextsOf, parseAddressMap, planPairs, remoteAccountName } from '../src/connect/plan.js';
import { formatProblems, preflightProblems, type ClusterFacts, type PreflightOptions } from '../src/connect/preflight.js';
import { UsageError } from '../src/errors.js';

const pairs = (spec: Parameters<typeof planPairs>[0]) => planPairs(spec).map((p) => `${p.source}<-${p.target}`);

test('pairs: both ways, a mesh, one way', () => {
  assert.deepEqual(pairs({ both: ['east', 'west'] }), ['east<-west', 'west<-east']);
  assert.deepEqual(pairs({ mesh: ['a', 'b', 'c'] }), ['a<-b', 'a<-c', 'b<-a', 'b<-c', 'c<-a', 'c<-b']);
  assert.equal(planPairs({ mesh: ['1', '2', '3', '4', '5'] }).length, 20);
  assert.deepEqual(pairs({ from: ['west'], to: ['east'] }), ['west<-east']);
  assert.deepEqual(pairs({ from: ['a', 'b'], to: ['b', 'c'] }), ['a<-b', 'a<-c', 'b<-c']);
  assert.deepEqual(contextsOf(planPairs({ from: ['a', 'b'], to: ['c'] })), ['a', 'c', 'b']);
});

test('pairs: bad combinations are usage errors', () => {
  for (const spec of [{}, { both: ['a'] }, { both: ['a', 'b', 'c'] }, { both: ['a', 'a'] }, { mesh: ['a'] }, { mesh: ['a', 'b', 'a'] }, { from: ['a'] }, { to: ['a'] }, { from: ['a'], to: ['a'] }, { both: ['a', 'b'], mesh: ['c', 'd'] }]) {
    assert.throws(() => planPairs(spec), (e: unknown) => e instanceof UsageError && e.exitCode === 2, JSON.stringify(spec));
  }
});

test('names: cluster name from the context, one remote-access account per source', () => {
  assert.equal(clusterNameOf('kind-East_1'), 'kind-east-1');
  assert.equal(remoteAccountName('west'), 'linkerd-service-mirror-remote-access-west');
  assert.throws(() => clusterNameOf('___'), UsageError);
});

test('--api-server-address CTX=URL', () => {
  assert.deepEqual([...parseAddressMap(['east=https://10.0.0.1:6443', 'west=https://w.example:443'])], [
    ['east', 'https://10.0.0.1:6443'],
    ['west', 'https://w.example:443'],
  ]);
  for (const bad of ['east', '=https://x', 'east=', 'east=not a url', 'east=http://10.0.0.1', 'east=https://b']) {
    assert.throws(() => parseAddressMap(bad === 'east=https://b' ? ['east=https://a', bad] : [bad]), UsageError, bad);
  }
});

const anchor = (cn: string, fp: string) => ({ subject: `CN=${cn}`, fingerprintSha256: fp }) as CertificateInfo;
const A = anchor('root.linkerd.cluster.local', 'AA:01:02:03:04:05:06:07:08:09');
const B = anchor('root.linkerd.cluster.local', 'BB:11:12:13:14:15:16:17:18:19');

function facts(context: string, extra: Partial<ClusterFacts> = {}): ClusterFacts {
  return {
    context,
    clusterName: context,
    server: `https://${context}.example:6443`,
    linkerdInstalled: true,
    settings: { identityTrustDomain: 'cluster.local', proxyOutboundPort: 4140, cniEnabled: false },
    anchors: [A],
    extensionInstalled: true,
    gateway: { namespace: 'linkerd-multicluster', name: 'linkerd-gateway', address: '192.0.2.1' },
    gatewayCandidates: [],
    accounts: [],
    ...extra,
  };
}

const options = (extra: Partial<PreflightOptions> = {}): PreflightOptions => ({
  install: false,
  remoteDiscovery: false,
  apiServerAddresses: new Map(),
  allowLoopback: false,
  isLoopback: (s) => new URL(s).hostname === '127.0.0.1',
  ...extra,
});

const asMap = (list: ClusterFacts[]) => new Map(list.map((f) => [f.context, f]));

test('preflight: a healthy plan has no problem', () => {
  assert.deepEqual(preflightProblems(planPairs({ mesh: ['a', 'b', 'c'] }), asMap([facts('a'), facts('b'), facts('c')]), options()), []);
});

test('preflight: every problem at once, each with its fix', () => {
  const list = [
    facts('a', { anchors: [B] }),
    facts('b', { error: 'API server unreachable' }),
    facts('c', { linkerdInstalled: false }),
    facts('d', { extensionInstalled: false }),
    facts('e', { gateway: { namespace: 'linkerd-multicluster', name: 'linkerd-gateway' } }),
    facts('f', { server: 'https://127.0.0.1:6443' }),
    facts('g', { gateway: undefined, gatewayCandidates: ['x/gw1', 'y/gw2'] }),
  ];
  const problems = preflightProblems(planPairs({ mesh: list.map((f) => f.context) }), asMap(list), options());
  const text = formatProblems(problems);
  assert.match(text, /× b: cannot read the cluster: API server unreachable/);
  assert.match(text, /× c: Linkerd is not installed/);
  assert.match(text, /× d: the multicluster extension is not installed\n {6}fix: Pass --install, or run `mc --context d install \| kubectl --context d apply -f -`/);
  assert.match(text, /× e: its gateway Service linkerd-multicluster\/linkerd-gateway has no address yet/);
  assert.match(text, /× f: its API server address https:\/\/127\.0\.0\.1:6443 is a loopback address: a, b, c, d, e, g cannot reach it there\n {6}fix: Pass --api-server-address f=https:\/\/HOST:PORT/);
  assert.match(text, /× g: several Services could be its gateway \(x\/gw1, y\/gw2\)\n {6}fix: Name it: --gateway g=NAMESPACE\/NAME/);
  // a shares no anchor with d, e, f, g (b and c cannot be read): named with fingerprints and the mc certs fix, once per pair.
  const trust = problems.filter((p) => p.message.includes('share no trust anchor'));
  assert.deepEqual(trust.map((p) => p.where), ['a and d', 'a and e', 'a and f', 'a and g']);
  assert.match(trust[0]!.message, /a trusts root\.linkerd\.cluster\.local \(SHA-256 BB:11:12:13:14:15:16:17…\); d trusts root\.linkerd\.cluster\.local \(SHA-256 AA:01:02:03:04:05:06:07…\)/);
  assert.match(trust[0]!.fix, /mc certs bundle --context a --context d > bundle\.crt/);
  assert.equal(problems.length, 1 + 1 + 1 + 1 + 1 + 1 + 4);
});

test('preflight: loopback allowed when mapped or allowed; --install and --remote-discovery lift their problems', () => {
  const list = [facts('a', { server: 'https://127.0.0.1:1' }), facts('b', { extensionInstalled: false, gateway: undefined })];
  const plan = planPairs({ both: ['a', 'b'] });
  assert.equal(preflightProblems(plan, asMap(list), options()).length, 2);
  assert.deepEqual(preflightProblems(plan, asMap(list), options({ install: true, apiServerAddresses: new Map([['a', 'https://10.0.0.1:6443']]) })), []);
  assert.deepEqual(preflightProblems(plan, asMap(list), options({ install: true, allowLoopback: true })), []);
  const noAddress = [facts('a'), facts('b', { gateway: { namespace: 'x', name: 'y' } })];
  assert.equal(preflightProblems(plan, asMap(noAddress), options()).length, 1);
  assert.deepEqual(preflightProblems(plan, asMap(noAddress), options({ remoteDiscovery: true })), []);
  // Only targets need a reachable server and a gateway: a one-way link from a loopback source is fine.
  assert.deepEqual(preflightProblems(planPairs({ from: ['a'], to: ['b'] }), asMap([facts('a', { server: 'https://127.0.0.1:1' }), facts('b')]), options()), []);
});
