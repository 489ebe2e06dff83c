// `npm test`'s runner (test/run-tests.ts): a skip or a todo is listed in the final summary, and fails the run
// when CI=true; a run where everything passes exits 0 either way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { distDir } from '../helpers/paths.js';

const runner = path.join(distDir, 'test', 'run-tests.js');
const fixture = (name: string): string => path.join(distDir, 'test', 'fixtures', 'runner', `${name}.js`);

function runTests(file: string, ci: boolean): { code: number | null; out: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, HBTS_TEST_NO_INSTALL: '1' };
  delete env['NODE_TEST_CONTEXT']; // else the inner node --test reports to us in the runner's private protocol
  if (ci) env['CI'] = 'true';
  else delete env['CI'];
  const r = spawnSync(process.execPath, [runner, file], { encoding: 'utf8', env, timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('outside CI, skips and todos are listed at the end and the run passes', () => {
  const r = runTests(fixture('one-skip'), false);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /^npm test: 2 test\(s\) did not run \(skip\/todo\):$/m);
  assert.match(r.out, /one-skip\.js: skips — needs a thing this fixture never has \(skip\)$/m);
  assert.match(r.out, /one-skip\.js: a todo — not written yet \(todo\)$/m);
});

test('with CI=true, a skip or a todo fails the run', () => {
  const r = runTests(fixture('one-skip'), true);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /^npm test: CI=true: a CI run must run every test, and 2 skipped: failing$/m);
});

test('with CI=true, a run where everything passes exits 0', () => {
  const r = runTests(fixture('all-pass'), true);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /^npm test: no test failed$/m);
  assert.doesNotMatch(r.out, /did not run/);
});
