// Promises about the project itself: the README's test command is what CI runs, every bin exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { repoRoot } from '../helpers/paths.js';

const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  scripts: Record<string, string>;
  engines: Record<string, string>;
  devDependencies?: Record<string, string>;
  dependencies?: Record<string, string>;
};

test('.ci/run finds exactly the quick-start test command of the README', () => {
  const found = execFileSync('sed', ['-n', 's/^\\(.*[^ ]\\) *# the tests$/\\1/p', 'README.md'], {
    cwd: repoRoot,
    encoding: 'utf8',
  }).trim();
  assert.equal(found, 'npm test');
  const ci = fs.readFileSync(path.join(repoRoot, '.ci', 'run'), 'utf8');
  assert.match(ci, /# the tests/);
  assert.match(ci, /^export CI=true$/m, '.ci/run sets CI=true itself, so that a skip fails the run');
  assert.doesNotMatch(ci, /apt-get install/, 'the Debian packages are installed by the test command, from test/debian-packages.txt');
  assert.ok(pkg.scripts['test'], 'package.json has a test script');
});

test('the quick start has two commands: the demo and the tests', () => {
  const quick = readme.split('## Quick start')[1]?.split('\n## ')[0] ?? '';
  assert.match(quick, /# the demo$/m);
  assert.match(quick, /# the tests$/m);
});

test('dependency versions are pinned exactly', () => {
  for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
    assert.match(version, /^\d+\.\d+\.\d+$/, `${name}@${version} is not an exact version`);
  }
  assert.equal(pkg.engines['node'], '>=20');
});

test('every package.json bin is built and answers (exit status and a message, never a stack trace)', () => {
  const expected = ['heartbeat', 'cl_status', 'hb_standby', 'hb_takeover', 'ipfail', 'hbctl'];
  assert.deepEqual(Object.keys(pkg.bin).sort(), [...expected].sort());
  for (const [name, rel] of Object.entries(pkg.bin)) {
    const file = path.join(repoRoot, rel);
    assert.ok(fs.existsSync(file), `${name}: ${rel} missing (run npm run build)`);
    assert.match(fs.readFileSync(file, 'utf8').split('\n')[0] ?? '', /^#!\/usr\/bin\/env node$/, `${name} shebang`);
    const r = spawnSync(process.execPath, [file, '--help'], { encoding: 'utf8', timeout: 10_000 });
    const out = `${r.stdout}${r.stderr}`;
    assert.ok(out.includes(name), `${name} --help should name itself, got: ${out}`);
    assert.doesNotMatch(out, /\n\s+at .+:\d+:\d+/, `${name} printed a stack trace`);
  }
});
