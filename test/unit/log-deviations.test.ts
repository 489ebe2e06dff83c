// docs/logging.md shows the deviations the log-lines netns test accepts (test/fixtures/log-lines/deviations.json),
// row for row; the normalizer masks what differs between runs and keeps the words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { deviationsTable, diffLines, excusable, loadDeviations, normalizeLine, orderProblems, MILESTONES } from '../helpers/log-lines.js';

test('docs/logging.md deviation table = deviations.json', () => {
  const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'logging.md'), 'utf8');
  const block = /<!-- deviations:begin -->\n([\s\S]*?)\n<!-- deviations:end -->/.exec(doc)?.[1];
  assert.ok(block !== undefined, 'docs/logging.md lacks the deviation-table markers');
  assert.equal(block, deviationsTable(loadDeviations()));
});

test('normalizeLine: time, host, pid, node names, addresses and numbers masked; both log formats', () => {
  const nodes = ['alpha', 'bravo'];
  assert.equal(normalizeLine('Dec  6 22:20:08 alpha heartbeat: [1234]: info: Link bravo:eth0 up.', nodes), 'info: Link <nodeN>:ethN up.');
  assert.equal(normalizeLine('Dec 16 02:00:00 bravo heartbeat: [77]: WARN: node alpha: is dead', nodes), 'WARN: node <nodeN>: is dead');
  assert.equal(
    normalizeLine('2026/12/06_22:22:17  ResourceManager(default)[3988]:    info: Running /etc/ha.d//resource.d/hbts-res web start', nodes),
    'info: Running /etc/ha.d/resource.d/hbts-res web start',
  );
  assert.equal(normalizeLine('Dec  6 22:20:08 alpha heartbeat: [1]: info: ping 198.51.100.1 up', nodes), 'info: ping <addr> up');
  assert.equal(normalizeLine('\u0000\u0001binary dump', nodes), undefined);
});

test('diffLines: missing lines fail unless excused; a reworded line needs its replacement', () => {
  const dev = [
    { real: 'info: banner', kind: 'missing' as const, reason: 'r' },
    { real: 'info: old words', kind: 'reworded' as const, ours: 'info: new words', reason: 'r' },
  ];
  const d = diffLines(['info: a', 'info: banner', 'info: old words', 'info: b'], ['info: a', 'info: extra'], dev);
  assert.deepEqual(d.missing, ['info: old words', 'info: b']);
  assert.deepEqual(d.excused.map((e) => e.line), ['info: banner']);
  assert.deepEqual(d.extra, ['info: extra']);
  assert.deepEqual(diffLines(['info: old words'], ['info: new words'], dev).missing, []);
  // A deviation scoped to scenarios excuses its line there only.
  const scoped = [{ real: 'info: only here', kind: 'missing' as const, reason: 'r', scenarios: ['partition'] }];
  assert.deepEqual(diffLines(['info: only here'], [], scoped, 'partition').missing, []);
  assert.deepEqual(diffLines(['info: only here'], [], scoped, 'll').missing, ['info: only here']);
  assert.deepEqual(diffLines(['info: only here'], [], scoped).missing, ['info: only here']);
  assert.deepEqual(diffLines(['info: only here'], [], scoped, 'partition/heal').missing, []);
  const phase = [{ real: 'info: only here', kind: 'missing' as const, reason: 'r', scenarios: ['partition/heal'] }];
  assert.deepEqual(diffLines(['info: only here'], [], phase, 'partition/heal').missing, []);
  assert.deepEqual(diffLines(['info: only here'], [], phase, 'partition/cold start').missing, ['info: only here']);
  assert.equal(excusable('info: only here', phase, 'partition/heal'), true);
  assert.equal(excusable('info: only here', phase, 'partition/cold start'), false);
});

test('orderProblems: the milestones both wrote must come in the same order', () => {
  const real = ['info: Resources being acquired from <nodeN>.', 'info: mach_down takeover complete.'];
  assert.equal(orderProblems(real, [...real], MILESTONES), undefined);
  assert.notEqual(orderProblems(real, [...real].reverse(), MILESTONES), undefined);
});
