// The benchmark summary's pure formatting (test/bench/summary.ts): min / median / max per side, the ratio of the
// medians, a missing real side, no rows at all, the JSON twin, and the command that reproduces a run.
import assert from 'node:assert/strict';
import test from 'node:test';
import { formatNumber, ratioOf, reproduceCommand, sideStats, summaryJson, summaryMarkdown, type SummaryMeta, type SummaryRow } from '../bench/summary.js';

const META: SummaryMeta = {
  command: 'npm run bench -- wire check-config',
  benches: ['wire', 'check-config'],
  defaultSet: ['wire', 'check-config', 'membership', 'resources', 'ipfail'],
  node: 'v20.20.2',
  date: '2026-12-06T00:41:00.000Z',
  cpus: 2,
  loadavgBefore: [0.5, 0.25, 0.125],
  loadavgAfter: [1.5, 0.75, 0.375],
};

const BOTH: SummaryRow = { bench: 'resources', scenario: 'crash → served', unit: 'ms', ours: [5400, 5100, 5250, 5300], real: [6100, 6000, 6500], target: '≤ 5.30 s: met' };
const OURS_ONLY: SummaryRow = { bench: 'wire', scenario: 'sha1 encode+sign', unit: 'msgs/s', ours: [123456.7], real: [], note: 'one core' };

/** The table line of a scenario, split into its cells (without the outer pipes). */
function cells(markdown: string, scenario: string): string[] {
  const line = markdown.split('\n').find((l) => l.startsWith('| ') && l.includes(` ${scenario} `));
  assert.ok(line !== undefined, `no table line for ${scenario} in:\n${markdown}`);
  return line
    .slice(2, -2)
    .split(/ (?<!\\)\| /)
    .map((c) => c.trim());
}

test('side statistics: min, median (even and odd n), max, n; an empty side is null', () => {
  assert.deepEqual(sideStats([5400, 5100, 5250, 5300]), { n: 4, min: 5100, median: 5275, max: 5400, samples: [5400, 5100, 5250, 5300] });
  assert.deepEqual(sideStats([3, 1, 2]), { n: 3, min: 1, median: 2, max: 3, samples: [3, 1, 2] });
  assert.equal(sideStats([]), null);
});

test('ratio is median(ours) / median(real); null without a real side or with a zero real median', () => {
  assert.equal(ratioOf([5400, 5100, 5250, 5300], [6100, 6000, 6500]), 5275 / 6100);
  assert.equal(ratioOf([1, 2, 3], []), null);
  assert.equal(ratioOf([], [1, 2, 3]), null);
  assert.equal(ratioOf([1], [0]), null);
});

test('numbers keep about three significant figures, thousands separated', () => {
  assert.equal(formatNumber(123456.7), '123,457');
  assert.equal(formatNumber(5275), '5,275');
  assert.equal(formatNumber(312.4), '312');
  assert.equal(formatNumber(41.66), '41.7');
  assert.equal(formatNumber(2.345), '2.35');
  assert.equal(formatNumber(0.4213), '0.421');
  assert.equal(formatNumber(-37.25), '-37.3');
});

test('Markdown: one line per row with min / median / max (n), the ratio, the target and the note', () => {
  const md = summaryMarkdown([BOTH, OURS_ONLY], META);
  assert.deepEqual(cells(md, 'crash → served'), ['resources', 'crash → served', 'ms', '5,100 / 5,275 / 5,400 (n=4)', '6,000 / 6,100 / 6,500 (n=3)', '0.86', '≤ 5.30 s: met', '']);
  // No real side: a dash for it and for the ratio.
  assert.deepEqual(cells(md, 'sha1 encode+sign'), ['wire', 'sha1 encode+sign', 'msgs/s', '123,457 (n=1)', '—', '—', '', 'one core']);
  const lines = md.split('\n');
  const header = lines.findIndex((l) => l.startsWith('| bench |'));
  assert.ok(header > 0);
  assert.equal(lines[header + 1], '|---|---|---|---|---|---|---|---|');
  assert.equal(lines.filter((l) => l.startsWith('| ')).length, 3, 'header and two rows');
});

test('Markdown: the meta lines say the command, which benches ran, node, date, CPUs and load', () => {
  const md = summaryMarkdown([BOTH], META);
  assert.ok(md.includes('- Command: `npm run bench -- wire check-config`'));
  assert.ok(md.includes('- Benchmarks run: wire, check-config (a subset; the default set is wire, check-config, membership, resources, ipfail)'));
  assert.ok(md.includes('Node.js v20.20.2, 2026-12-06T00:41:00.000Z, 2 CPUs; load average before 0.50 0.25 0.13, after 1.50 0.75 0.38'));
  // Benches that ran and recorded nothing are named.
  assert.ok(md.includes('- No figures from: wire, check-config ('), md);
  const full = summaryMarkdown([BOTH], { ...META, benches: [...META.defaultSet, 'stress'] });
  assert.ok(full.includes('(the default set and stress)'), full);
  assert.ok(full.includes('- No figures from: wire, check-config, membership, ipfail, stress'), full);
});

test('Markdown: pipes in a scenario are escaped so the table keeps its columns', () => {
  const md = summaryMarkdown([{ ...OURS_ONLY, scenario: 'a | b' }], META);
  assert.deepEqual(cells(md, 'a \\| b').length, 8);
});

test('no rows: no table, a plain sentence, and still the meta', () => {
  const md = summaryMarkdown([], { ...META, failed: 'membership' });
  assert.ok(!md.includes('| bench |'));
  assert.ok(md.includes('_No figures recorded._'));
  assert.ok(md.includes('- The run stopped: membership threw'));
  assert.ok(md.includes('- No figures from: wire, check-config'));
  const json = JSON.parse(summaryJson([], META)) as { rows: unknown[]; meta: { failed: unknown } };
  assert.deepEqual(json.rows, []);
  assert.equal(json.meta.failed, null);
});

test('JSON holds the same figures as the table, with the samples', () => {
  const json = JSON.parse(summaryJson([BOTH, OURS_ONLY], META)) as {
    meta: SummaryMeta;
    rows: Array<{ scenario: string; unit: string; ours: unknown; real: unknown; ratio: number | null; target: string | null; note: string | null }>;
  };
  assert.deepEqual(json.meta.benches, ['wire', 'check-config']);
  assert.equal(json.meta.command, META.command);
  assert.deepEqual(json.meta.loadavgAfter, [1.5, 0.75, 0.375]);
  assert.equal(json.rows.length, 2);
  const [a, b] = json.rows;
  assert.deepEqual(a?.ours, { n: 4, min: 5100, median: 5275, max: 5400, samples: [5400, 5100, 5250, 5300] });
  assert.deepEqual(a?.real, { n: 3, min: 6000, median: 6100, max: 6500, samples: [6100, 6000, 6500] });
  assert.equal(a?.ratio, 5275 / 6100);
  assert.equal(a?.target, '≤ 5.30 s: met');
  assert.equal(a?.note, null);
  assert.equal(b?.real, null);
  assert.equal(b?.ratio, null);
  assert.equal(b?.target, null);
  assert.equal(b?.note, 'one core');
});

test('the reproducing command: npm or node, arguments, and the HBTS_BENCH_* settings that shaped the run', () => {
  assert.equal(reproduceCommand([], {}, true), 'npm run bench');
  assert.equal(reproduceCommand(['wire', 'check-config'], { PATH: '/bin', HBTS_BENCH_ROUNDS: '3' }, true), 'HBTS_BENCH_ROUNDS=3 npm run bench -- wire check-config');
  assert.equal(reproduceCommand(['wire'], { HBTS_BENCH_HTTPD: '/tmp/my httpd' }, false), "HBTS_BENCH_HTTPD='/tmp/my httpd' node dist/test/bench/run.js wire");
});
