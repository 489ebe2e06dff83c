// `npm test`'s runner (test/run-tests.ts): a skip or a todo is listed in the final summary, and fails the run
// when CI=true; a failed test is named in that summary with its first error line; a run where everything passes
// exits 0 either way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { distDir, othersCanReach, repoRoot } from '../helpers/paths.js';
import { requireRootAndCommands } from '../helpers/privileges.js';

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

test('a failing test is named at the end with the first line of its error, a failed subtest once, not its parent', () => {
  const r = runTests(fixture('one-fail'), true);
  assert.equal(r.code, 1, r.out);
  const summary = r.out.slice(r.out.lastIndexOf('npm test: node --test exited'));
  assert.match(summary, /^npm test: node --test exited 1: 2 test\(s\) failed \(details above, in the file's TAP output\):$/m);
  assert.match(summary, /^ {2}- fixtures\/runner\/one-fail\.js: fails on purpose — the sum is not three$/m);
  assert.match(summary, /^ {2}- fixtures\/runner\/one-fail\.js: a failing subtest — the subtest broke$/m);
  assert.doesNotMatch(summary, /a parent|passes|second line/);
});

test('othersCanReach: false below a directory others cannot search (Debian\'s /root is 0700), true otherwise', () => {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-reach-'));
  try {
    fs.mkdirSync(path.join(top, 'checkout'));
    fs.chmodSync(top, 0o700);
    assert.equal(othersCanReach(path.join(top, 'checkout')), false);
    fs.chmodSync(top, 0o755);
    assert.equal(othersCanReach(path.join(top, 'checkout')), true);
  } finally {
    fs.rmSync(top, { recursive: true, force: true });
  }
});

test('as root, a checkout other users cannot read runs from a readable copy, which is removed at the end', (t) => {
  if (!requireRootAndCommands(t, [])) return;
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-private-'));
  try {
    // A minimal checkout: the runner and its fixtures, under a 0700 directory as /root is on Debian.
    const checkout = path.join(top, 'checkout');
    fs.mkdirSync(path.join(checkout, 'src'), { recursive: true });
    fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(checkout, 'package.json'));
    fs.cpSync(path.join(distDir, 'test'), path.join(checkout, 'dist', 'test'), { recursive: true });
    fs.chmodSync(top, 0o700);
    const env: NodeJS.ProcessEnv = { ...process.env, HBTS_TEST_NO_INSTALL: '1' };
    delete env['NODE_TEST_CONTEXT'];
    delete env['CI'];
    const r = spawnSync(process.execPath, [path.join(checkout, 'dist', 'test', 'run-tests.js'), path.join(checkout, 'dist', 'test', 'fixtures', 'runner', 'one-skip.js')], { encoding: 'utf8', env, timeout: 60_000 });
    const out = `${r.stdout}${r.stderr}`;
    assert.equal(r.status, 0, out);
    const m = /^npm test: .* is not readable by other users .*: running from a copy, (\S+) \(removed at the end\)$/m.exec(out);
    assert.ok(m?.[1] !== undefined, out);
    assert.equal(fs.existsSync(m[1]), false, `${m[1]} still there`);
    // The skips are listed with the checkout's own paths, not the copy's.
    assert.match(out, /one-skip\.js: skips — needs a thing this fixture never has \(skip\)$/m);
  } finally {
    fs.rmSync(top, { recursive: true, force: true });
  }
});
