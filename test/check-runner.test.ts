import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderAll } from '../src/check/render.js';
import { CheckWarning, runChecks, SkipCheck, type Category, type CheckResult, type Checker } from '../src/check/runner.js';
import { formatSelector, matchesSelector } from '../src/multicluster/selectors.js';

function check(description: string, run: Checker['run'], extra: Partial<Checker> = {}): Checker {
  return { description, hintAnchor: `anchor-${description.replace(/\W+/g, '-')}`, run, ...extra };
}

async function collect(categories: Category[], opts: Partial<Parameters<typeof runChecks>[2]> = {}) {
  const results: CheckResult[] = [];
  const summary = await runChecks(categories, (r) => results.push(r), { retryDeadline: 0, ...opts });
  return { results, summary };
}

test('runner: results in order; details; skipped checks are not reported', async () => {
  const { results, summary } = await collect([
    {
      id: 'cat',
      checkers: [
        check('a', async () => undefined),
        check('b', async () => ['\t* east', '\t* north']),
        check('c', async () => {
          throw new SkipCheck('no links');
        }),
      ],
    },
  ]);
  assert.deepEqual(summary, { success: true, warning: false });
  assert.deepEqual(
    results.map((r) => [r.description, r.details, r.error]),
    [
      ['a', undefined, undefined],
      ['b', ['\t* east', '\t* north'], undefined],
    ],
  );
  assert.equal(results[0]!.hintUrl, 'https://linkerd.io/2/checks/#anchor-a');
});

test('runner: a warning check does not fail the run; CheckWarning downgrades an error', async () => {
  const { results, summary } = await collect([
    {
      id: 'cat',
      checkers: [
        check('w', async () => Promise.reject(new Error('meh')), { warning: true }),
        check('soon', async () => Promise.reject(new CheckWarning('expires in 30 days'))),
      ],
    },
  ]);
  assert.deepEqual(summary, { success: true, warning: true });
  assert.deepEqual(
    results.map((r) => [r.warning, r.error]),
    [
      [true, 'meh'],
      [true, 'expires in 30 days'],
    ],
  );
});

test('runner: a failed fatal check stops everything after it, other failures do not', async () => {
  let ran = 0;
  const { results, summary } = await collect([
    {
      id: 'one',
      checkers: [
        check('x', async () => Promise.reject(new Error('broken'))),
        check('fatal', async () => Promise.reject(new Error('no CRD')), { fatal: true }),
        check('never', async () => void ran++),
      ],
    },
    { id: 'two', checkers: [check('never either', async () => void ran++)] },
  ]);
  assert.equal(summary.success, false);
  assert.equal(ran, 0);
  assert.deepEqual(
    results.map((r) => r.description),
    ['x', 'fatal'],
  );
});

test('runner: retrying checks are re-run until they pass or the deadline passes', async () => {
  let clock = 1000;
  const sleeps: number[] = [];
  const opts = {
    retryDeadline: 1000 + 12_000,
    retryIntervalMs: 5000,
    now: () => clock,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      clock += ms;
    },
  };
  let attempts = 0;
  const passesThird = check(
    'eventually',
    async (attempt) => {
      attempts++;
      if (attempt < 2) throw new Error(`not ready (${attempt})`);
    },
    { retry: true, surfaceErrorOnRetry: true },
  );
  const neverPasses = check('never', async () => Promise.reject(new Error('still down')), { retry: true });
  const { results, summary } = await collect([{ id: 'c', checkers: [passesThird, neverPasses] }], opts);
  assert.equal(attempts, 3);
  assert.equal(summary.success, false);
  // Retries are reported with the current error (surfaced) or upstream's waiting message.
  assert.deepEqual(
    results.map((r) => [r.description, r.retry, r.error]),
    [
      ['eventually', true, 'not ready (0)'],
      ['eventually', true, 'not ready (1)'],
      ['eventually', false, undefined],
      ['never', true, 'waiting for check to complete'],
      ['never', false, 'still down'],
    ],
  );
  // The last sleep is cut to the deadline; no sleep past it.
  assert.deepEqual(sleeps, [5000, 5000, 2000]);
});

test('runner: one attempt of a check is bounded by checkTimeoutMs', async () => {
  const started = Date.now();
  const { results } = await collect([{ id: 'c', checkers: [check('hangs', () => new Promise(() => undefined))] }], { checkTimeoutMs: 50 });
  assert.ok(Date.now() - started < 2000);
  assert.match(results[0]!.error!, /did not complete within 0\.1s|within 0\.05s|within 0s/);
});

const sample: CheckResult[] = [
  { category: 'linkerd-multicluster', description: 'Link CRD exists', hintUrl: 'https://linkerd.io/2/checks/#l5d-multicluster-link-crd-exists', retry: false, warning: false },
  { category: 'linkerd-multicluster', description: 'Link resources are valid', hintUrl: 'https://linkerd.io/2/checks/#l5d-multicluster-links-are-valid', retry: false, warning: false, details: ['\t* east'] },
  { category: 'linkerd-multicluster', description: 'service mirror controllers are running', hintUrl: 'https://linkerd.io/2/checks/#h', retry: true, warning: false, error: 'waiting' },
  { category: 'linkerd-multicluster', description: 'service mirror controllers are running', hintUrl: 'https://linkerd.io/2/checks/#h', retry: false, warning: false, error: '        * no service mirror controller deployment for Link east' },
  { category: 'linkerd-multicluster', description: 'all mirror services are part of a Link', hintUrl: 'https://linkerd.io/2/checks/#o', retry: false, warning: true, error: '    mirror service a-x.ns is not part of any Link' },
];

test('render basic: linkerd layout, symbols, details, hints, final status line', () => {
  const text = renderAll('basic', sample, false, true);
  assert.equal(
    text,
    [
      'linkerd-multicluster',
      '--------------------',
      '√ Link CRD exists',
      '√ Link resources are valid',
      '\t* east',
      '× service mirror controllers are running',
      '            * no service mirror controller deployment for Link east',
      '    see https://linkerd.io/2/checks/#h for hints',
      '‼ all mirror services are part of a Link',
      '        mirror service a-x.ns is not part of any Link',
      '    see https://linkerd.io/2/checks/#o for hints',
      '',
      'Status check results are ×',
      '',
    ].join('\n'),
  );
  assert.equal(renderAll('basic', sample.slice(0, 2), true, false).split('\n').slice(-3).join('|'), '|Status check results are √|');
});

test('render short: only problems, then the status line', () => {
  assert.equal(renderAll('short', sample.slice(0, 2), true, false), 'Status check results are √\n');
  const text = renderAll('short', sample, false, true);
  assert.ok(text.startsWith('linkerd-multicluster\n--------------------\n× service mirror controllers are running\n'));
  assert.ok(!text.includes('Link CRD exists'));
  assert.ok(text.endsWith('\n\nStatus check results are ×\n'));
});

test('render json: upstream shape, retries left out, hint only on problems', () => {
  const doc = JSON.parse(renderAll('json', sample, false, true));
  assert.deepEqual(Object.keys(doc), ['success', 'categories']);
  assert.equal(doc.success, false);
  assert.equal(doc.categories.length, 1);
  assert.equal(doc.categories[0].categoryName, 'linkerd-multicluster');
  assert.deepEqual(doc.categories[0].checks[0], { description: 'Link CRD exists', result: 'success' });
  assert.deepEqual(doc.categories[0].checks[1], { description: 'Link resources are valid\n\t* east', result: 'success' });
  assert.deepEqual(Object.keys(doc.categories[0].checks[2]), ['description', 'hint', 'error', 'result']);
  assert.equal(doc.categories[0].checks[2].result, 'error');
  assert.equal(doc.categories[0].checks[3].result, 'warning');
  assert.equal(doc.categories[0].checks.length, 4);
  assert.equal(JSON.parse(renderAll('json', [], true, false)).categories, null);
});

test('selectors: matchLabels and matchExpressions, printed like kubectl -l', () => {
  const sel = { matchLabels: { 'mirror.linkerd.io/exported': 'true' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }, { key: 'app', operator: 'Exists' }] };
  assert.equal(matchesSelector(sel, { 'mirror.linkerd.io/exported': 'true', app: 'x' }), true);
  assert.equal(matchesSelector(sel, { 'mirror.linkerd.io/exported': 'true', app: 'x', tier: 'db' }), false);
  assert.equal(matchesSelector(sel, { 'mirror.linkerd.io/exported': 'remote-discovery', app: 'x' }), false);
  assert.equal(formatSelector(sel), 'mirror.linkerd.io/exported=true,tier notin (db),app');
});

test('runner: Ctrl-C during a check stops the run; the interrupted check is not reported as a failure', async () => {
  const controller = new AbortController();
  const results: CheckResult[] = [];
  const run = runChecks(
    [
      {
        id: 'c',
        checkers: [
          check('done', async () => undefined),
          check('in flight', () => {
            controller.abort();
            return Promise.reject(new Error('request aborted'));
          }),
          check('never', async () => undefined),
        ],
      },
    ],
    (r) => results.push(r),
    { retryDeadline: 0, signal: controller.signal },
  );
  await assert.rejects(run, /interrupted: the remaining checks did not run/);
  assert.deepEqual(results.map((r) => r.description), ['done']);
});
