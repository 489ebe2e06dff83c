// API problem lines (issue 24): counted per kind, at most API_PROBLEM_BURST lines per kind per interval, and a
// summary of what was not logged; the limiter is the UDP path's LogLimiter (burst 1 there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_PROBLEM_BURST, API_PROBLEM_INTERVAL_MS, ApiProblems } from '../../src/api/problems.js';
import { LogLimiter } from '../../src/membership/rate-limit.js';

test('LogLimiter: one line per interval by default, the next says how many were suppressed', () => {
  const l = new LogLimiter(1000);
  assert.equal(l.admit('k', 0), '');
  assert.equal(l.admit('k', 10), null);
  assert.equal(l.admit('k', 999), null);
  assert.equal(l.admit('other', 999), '', 'keys are independent');
  assert.equal(l.admit('k', 1000), ' (2 more since the last report)');
});

test('LogLimiter with a burst: that many lines per interval', () => {
  const l = new LogLimiter(1000, 3);
  assert.deepEqual([0, 1, 2, 3, 4].map((t) => l.admit('k', t)), ['', '', '', null, null]);
  assert.equal(l.admit('k', 1000), ' (2 more since the last report)');
});

test('a flood of 10,000 bad frames in 60 s: every one counted, at most one line a second, a summary', () => {
  const lines: string[] = [];
  const p = new ApiProblems((level, text) => lines.push(`${level}: ${text}`));
  for (let i = 0; i < 10_000; i++) p.report('bad-frame', 'warn', `api: connection ${i}: bad-magic: …; disconnecting`, i * 6);
  assert.equal(p.counts()['bad-frame'], 10_000);
  assert.equal(p.counts()['refused-signon'], 0);
  // 60 s in windows of API_PROBLEM_INTERVAL_MS, API_PROBLEM_BURST lines each.
  assert.equal(lines.length, (60_000 / API_PROBLEM_INTERVAL_MS) * API_PROBLEM_BURST);
  assert.ok(lines.length <= 60, `${lines.length} lines in 60 s`);
  assert.equal(lines[0], 'warn: api: connection 0: bad-magic: …; disconnecting', 'the first problem is logged whole');
  assert.match(lines[API_PROBLEM_BURST] ?? '', /\(\d+ more since the last report\)$/);
  p.summarize();
  const summary = lines.at(-1) ?? '';
  assert.match(summary, /^warn: api: problems in the last 60 s: 10000 bad frame\(s\) \(\d+ line\(s\) not logged\); since start: 10000 bad frame\(s\), 0 refused signon\(s\), 0 bad request\(s\), 0 dropped client\(s\)$/);
  const n = lines.length;
  p.summarize();
  assert.equal(lines.length, n, 'no summary when nothing was suppressed');
});

test('a second line about a counted problem (apiauth\'s reason) is rate-limited but not counted', () => {
  const lines: string[] = [];
  const p = new ApiProblems((_l, text) => lines.push(text));
  p.report('refused-signon', 'info', 'apiauth: client refused: rule …', 0, false);
  p.report('refused-signon', 'warn', 'Client [x] pid 1 failed authorization [client failed authorization]', 0);
  assert.equal(p.counts()['refused-signon'], 1);
  assert.equal(lines.length, 2);
});
