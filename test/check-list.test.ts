/**
 * mc's multicluster checks against upstream's declaration (edge-26.8.3,
 * multicluster/cmd/check.go, multiclusterCategory): the same descriptions,
 * hint anchors and levels, in the same order. Upstream's list is data here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXTRA_CHECKS, UPSTREAM_CHECKS } from '../src/check/multicluster/index.js';

type Level = 'fatal' | 'error' | 'warning';
interface UpstreamCheck {
  description: string;
  hintAnchor: string;
  level: Level;
  retry: boolean;
}

const UPSTREAM: UpstreamCheck[] = [
  { description: 'Link CRD exists', hintAnchor: 'l5d-multicluster-link-crd-exists', level: 'fatal', retry: false },
  { description: 'Link resources are valid', hintAnchor: 'l5d-multicluster-links-are-valid', level: 'fatal', retry: false },
  { description: 'Link and CLI versions match', hintAnchor: 'l5d-multicluster-links-version', level: 'warning', retry: false },
  { description: 'remote cluster access credentials are valid', hintAnchor: 'l5d-smc-target-clusters-access', level: 'error', retry: false },
  { description: 'clusters share trust anchors', hintAnchor: 'l5d-multicluster-clusters-share-anchors', level: 'error', retry: false },
  { description: 'service mirror controller has required permissions', hintAnchor: 'l5d-multicluster-source-rbac-correct', level: 'error', retry: false },
  { description: 'service mirror controllers are running', hintAnchor: 'l5d-multicluster-service-mirror-running', level: 'error', retry: true },
  { description: 'extension is managing controllers', hintAnchor: 'l5d-multicluster-managed-controllers', level: 'warning', retry: false },
  { description: 'probe services able to communicate with all gateway mirrors', hintAnchor: 'l5d-multicluster-gateways-endpoints', level: 'error', retry: false },
  { description: 'all mirror services have endpoints', hintAnchor: 'l5d-multicluster-services-endpoints', level: 'error', retry: false },
  { description: 'all mirror services are part of a Link', hintAnchor: 'l5d-multicluster-orphaned-services', level: 'warning', retry: false },
  { description: 'multicluster extension proxies are healthy', hintAnchor: 'l5d-multicluster-proxy-healthy', level: 'warning', retry: true },
  { description: 'multicluster extension proxies are up-to-date', hintAnchor: 'l5d-multicluster-proxy-cp-version', level: 'warning', retry: false },
  { description: 'multicluster extension proxies and cli versions match', hintAnchor: 'l5d-multicluster-proxy-cli-version', level: 'warning', retry: false },
];

/** Upstream checks mc does not have, and why. */
const LEFT_OUT: Record<string, string> = {
  'multicluster extension proxies are up-to-date': 'asks versioncheck.linkerd.io over the internet',
};

const levelOf = (c: { fatal?: boolean; warning?: boolean }): Level => (c.fatal ? 'fatal' : c.warning ? 'warning' : 'error');

test("mc's upstream checks are upstream's, in upstream's order, with the same anchors and levels", () => {
  const mine = UPSTREAM_CHECKS.map((c) => ({ description: c.description, hintAnchor: c.hintAnchor, level: levelOf(c), retry: Boolean(c.retry) }));
  assert.deepEqual(mine, UPSTREAM.filter((c) => !(c.description in LEFT_OUT)));
});

test('every upstream check mc leaves out is named with its reason, and really is upstream', () => {
  const upstream = new Set(UPSTREAM.map((c) => c.description));
  for (const d of Object.keys(LEFT_OUT)) assert.ok(upstream.has(d), d);
  const mine = new Set(UPSTREAM_CHECKS.map((c) => c.description));
  for (const c of UPSTREAM) assert.ok(mine.has(c.description) !== c.description in LEFT_OUT, c.description);
});

test("the checks upstream lacks come after upstream's and do not reuse their descriptions", () => {
  const upstream = new Set(UPSTREAM.map((c) => c.description));
  assert.equal(EXTRA_CHECKS.length, 5);
  for (const c of EXTRA_CHECKS) assert.ok(!upstream.has(c.description), c.description);
});
