// Gate for tests that need root and network namespaces: skip on a developer's laptop, fail loudly in CI.
import type { TestContext } from 'node:test';
import { execFileSync } from 'node:child_process';

export function isCi(): boolean {
  return process.env['CI'] === 'true';
}

function haveCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns true when the test may go on. `missing` names what the test needs and this machine lacks (a package,
 * a user, a file): outside CI the test is skipped with that note; with CI=true it fails loudly instead, since CI
 * installs everything (.ci/run) and a skipped check there is a check that was never made.
 */
export function requirePrerequisites(t: TestContext, missing: readonly string[]): boolean {
  if (missing.length === 0) return true;
  const why = `needs ${missing.join(', ')}`;
  if (isCi()) throw new Error(`${why}: CI=true, so this test must run (install it in .ci/run)`);
  t.skip(why);
  return false;
}

/**
 * Returns true when the test may go on. Missing prerequisites skip the test outside CI and throw
 * (a failure, never a skip) when CI=true.
 */
export function requireRootAndCommands(t: TestContext, commands: readonly string[] = []): boolean {
  const missing: string[] = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) missing.push('root');
  for (const c of ['ip', 'unshare', 'nsenter', ...commands]) if (!haveCommand(c)) missing.push(c);
  return requirePrerequisites(t, missing);
}
