// `npm test` (after the build): every test tier, with what they need.
//
// As root: installs the Debian packages the tests use that are missing (test/debian-packages.txt, through apt-get,
// saying so), then runs the unit, integration and netns tiers in one `node --test` (files run concurrently, as
// before). Not root: runs the unit and integration tiers and ends with what it did not run and the command that
// would. Every run ends with one summary of the tests that skipped, with their reasons; with CI=true a skip, a
// todo or a tier not run fails the run (.ci/run exports CI=true and runs this same command).
//
// Extra arguments go to `node --test` (e.g. `npm test -- --test-name-pattern=demo`); test files among them
// (`npm test -- dist/test/netns/demo.test.js`) replace the tiers' files.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { distDir, othersCanReach, repoRoot } from './helpers/paths.js';

const TIERS = ['unit', 'integration', 'netns'] as const;
type Tier = (typeof TIERS)[number];
const ROOT_TIERS: readonly Tier[] = ['netns'];
const PACKAGE_LIST = 'test/debian-packages.txt';

const say = (line: string): void => console.log(`npm test: ${line}`);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const ci = process.env['CI'] === 'true';

/** The package names of test/debian-packages.txt (comments and blank lines left out). */
function readPackageList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l !== '');
}

function installed(pkg: string): boolean {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** As root: apt-get install what test/debian-packages.txt lists and this machine lacks. False on failure. */
function installDebianPackages(): boolean {
  const wanted = readPackageList(fs.readFileSync(path.join(repoRoot, PACKAGE_LIST), 'utf8'));
  if (!have('dpkg-query') || !have('apt-get')) {
    say(`this machine has no dpkg/apt-get: install the equivalents of ${PACKAGE_LIST} yourself (${wanted.join(' ')});`);
    say('tests needing them skip (and fail with CI=true)');
    return true;
  }
  const missing = wanted.filter((p) => !installed(p));
  if (missing.length === 0) {
    say(`the Debian packages the tests use (${PACKAGE_LIST}) are all installed`);
    return true;
  }
  say(`installing the Debian packages the tests use (${PACKAGE_LIST}): ${missing.join(' ')}`);
  // Keep services (the packaged heartbeat, apache2) from starting while they are installed.
  const policy = '/usr/sbin/policy-rc.d';
  const madePolicy = !fs.existsSync(policy);
  if (madePolicy) fs.writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const argv of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...missing]]) {
      const r = spawnSync('apt-get', argv, { env, stdio: ['ignore', 'ignore', 'inherit'], timeout: 20 * 60_000 });
      if (r.status !== 0) {
        say(`apt-get ${argv.join(' ')} failed (exit ${r.status ?? r.signal})`);
        return false;
      }
    }
  } finally {
    if (madePolicy) fs.rmSync(policy, { force: true });
  }
  return true;
}

function testFiles(tier: Tier): string[] {
  const dir = path.join(distDir, 'test', tier);
  return fs.existsSync(dir)
    ? fs.readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort().map((f) => path.join(dir, f))
    : [];
}

interface Outcome {
  readonly kind: 'skip' | 'todo' | 'fail';
  readonly file: string;
  readonly name: string;
  readonly reason: string;
}

function readOutcomes(file: string): Outcome[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Outcome);
}

/** A copy of the checkout (without .git) that every user can read, under the system's temporary directory. */
function readableCopy(): string {
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-checkout-'));
  fs.chmodSync(dest, 0o755);
  const git = path.join(repoRoot, '.git');
  fs.cpSync(repoRoot, dest, { recursive: true, verbatimSymlinks: true, filter: (src) => src !== git });
  return dest;
}

/** Test files run at once (`npm test -- --test-concurrency=N` overrides it). */
const TEST_CONCURRENCY = 3;

async function main(): Promise<number> {
  // HBTS_TEST_NO_INSTALL=1: leave the Debian packages alone (test/integration/run-tests.test.ts runs this script).
  if (isRoot && process.env['HBTS_TEST_NO_INSTALL'] !== '1' && !installDebianPackages()) {
    if (ci) return 1;
    say('going on without them: the tests that need them skip (listed at the end)');
  }
  const extra = process.argv.slice(2);
  const chosen = extra.filter((a) => !a.startsWith('-') && a.endsWith('.js'));
  const options = extra.filter((a) => !chosen.includes(a));
  const tiers = chosen.length > 0 ? [] : TIERS.filter((t) => isRoot || !ROOT_TIERS.includes(t));
  const notRun = chosen.length > 0 ? [] : TIERS.filter((t) => !tiers.includes(t));
  const files = chosen.length > 0 ? chosen : tiers.flatMap(testFiles);
  if (chosen.length > 0) say(`running ${files.length} chosen file(s): ${files.join(' ')}`);
  else say(`running the ${tiers.join(', ')} tiers (${files.length} files)${notRun.length > 0 ? `; not the ${notRun.join(', ')} tier (needs root)` : ''}`);

  // Tests run programs as hacluster and nobody, who must be able to read the compiled tree.
  const copy = isRoot && !othersCanReach(repoRoot) ? readableCopy() : undefined;
  const here = (f: string): string => (copy === undefined ? f : path.join(copy, path.relative(repoRoot, path.resolve(f))));
  if (copy !== undefined) say(`${repoRoot} is not readable by other users (a parent directory is not searchable), and the tests run programs as hacluster and nobody: running from a copy, ${copy} (removed at the end)`);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-test-'));
  const outcomeFile = path.join(work, 'outcomes.jsonl');
  const reporter = pathToFileURL(here(path.join(distDir, 'test', 'outcome-reporter.js'))).href;
  // Files run three at a time: the netns tests mostly wait on timers and peers, so a 2-core machine runs the
  // whole suite in about half the serial time (each test is written to hold on a loaded machine).
  const concurrency = options.some((o) => o.startsWith('--test-concurrency')) ? [] : [`--test-concurrency=${TEST_CONCURRENCY}`];
  const argv = [
    '--test',
    ...concurrency,
    `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
    '--test-reporter-destination=stdout',
    `--test-reporter=${reporter}`,
    `--test-reporter-destination=${outcomeFile}`,
    ...options,
    ...files.map(here),
  ];
  const child = spawn(process.execPath, argv, { stdio: 'inherit', ...(copy === undefined ? {} : { cwd: copy }) });
  const forward = (sig: NodeJS.Signals): void => void child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const code = await new Promise<number>((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig !== null ? 128 : 1))));
  const outcomes = readOutcomes(outcomeFile).map((k) => (copy === undefined ? k : { ...k, file: path.join(repoRoot, path.relative(copy, k.file)) }));
  const skipped = outcomes.filter((o) => o.kind !== 'fail');
  const failed = outcomes.filter((o) => o.kind === 'fail');
  fs.rmSync(work, { recursive: true, force: true });
  if (copy !== undefined) fs.rmSync(copy, { recursive: true, force: true });

  console.log('');
  const where = (o: Outcome): string => path.relative(path.join(distDir, 'test'), o.file) || '?';
  if (code === 0) say('no test failed');
  else say(`node --test exited ${code}${failed.length > 0 ? `: ${failed.length} test(s) failed (details above, in the file's TAP output):` : ' (see above)'}`);
  for (const f of failed) console.log(`  - ${where(f)}: ${f.name}${f.reason !== '' ? ` — ${f.reason}` : ''}`);
  if (skipped.length > 0) {
    say(`${skipped.length} test(s) did not run (skip/todo):`);
    for (const s of skipped) console.log(`  - ${where(s)}: ${s.name}${s.reason !== '' ? ` — ${s.reason}` : ''} (${s.kind})`);
  }
  if (notRun.length > 0) {
    const n = notRun.flatMap(testFiles).length;
    say(`not run: the ${notRun.join(', ')} tier (${n} files: network namespaces, veth pairs, the real Heartbeat 3.0.6 as a peer) needs root.`);
    say('to run every tier (it installs the Debian packages the tests use first): sudo npm test');
  }
  if (ci && (skipped.length > 0 || notRun.length > 0)) {
    say(`CI=true: a CI run must run every test, and ${skipped.length} skipped${notRun.length > 0 ? ` and the ${notRun.join(', ')} tier did not run` : ''}: failing`);
    return code === 0 ? 1 : code;
  }
  return code;
}

process.exitCode = await main();
