// Gate for tests that need root and network namespaces: skip on a developer's laptop, fail loudly in CI.
import type { TestContext } from 'node:test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export function isCi(): boolean {
  return process.env['CI'] === 'true';
}

function namesIn(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').map((l) => l.split(':')[0] ?? '');
  } catch {
    return [];
  }
}

/** A command on PATH; an absolute path that exists; `user:NAME` or `group:NAME` in /etc/passwd or /etc/group. */
function haveCommand(cmd: string): boolean {
  if (cmd.startsWith('/')) return fs.existsSync(cmd);
  if (cmd.startsWith('user:')) return namesIn('/etc/passwd').includes(cmd.slice(5));
  if (cmd.startsWith('group:')) return namesIn('/etc/group').includes(cmd.slice(6));
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The mount points every lab binds its nodes' private copies onto (test/helpers/netns.ts); the Debian package
 * heartbeat makes them, and `npm test` as root installs it (test/debian-packages.txt).
 */
const LAB_MOUNT_POINTS = ['/etc/ha.d', '/var/lib/heartbeat'];

/**
 * Returns true when the test may go on. `missing` names what the test needs and this machine lacks (a package,
 * a user, a file): outside CI the test is skipped with that note; with CI=true it fails loudly instead, since CI
 * installs everything (test/debian-packages.txt) and a skipped check there is a check that was never made.
 */
export function requirePrerequisites(t: TestContext, missing: readonly string[]): boolean {
  if (missing.length === 0) return true;
  const why = `needs ${missing.join(', ')}`;
  if (isCi()) throw new Error(`${why}: CI=true, so this test must run (list its Debian package in test/debian-packages.txt)`);
  t.skip(why);
  return false;
}

/**
 * Returns true when the test may go on. Missing prerequisites skip the test outside CI and throw
 * (a failure, never a skip) when CI=true. `commands` are commands on PATH, absolute paths that must exist, or
 * `user:NAME` / `group:NAME` that must exist.
 */
export function requireRootAndCommands(t: TestContext, commands: readonly string[] = []): boolean {
  const missing: string[] = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) missing.push('root');
  for (const c of ['ip', 'unshare', 'nsenter', ...LAB_MOUNT_POINTS, ...commands]) if (!haveCommand(c)) missing.push(c);
  return requirePrerequisites(t, missing);
}

/** Like requireRootAndCommands, for tests that need commands but neither root nor namespaces. */
export function requireCommands(t: TestContext, commands: readonly string[]): boolean {
  return requirePrerequisites(t, commands.filter((c) => !haveCommand(c)));
}
