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
 * Returns true when the test may go on. Missing prerequisites skip the test outside CI and throw
 * (a failure, never a skip) when CI=true.
 */
export function requireRootAndCommands(t: TestContext, commands: readonly string[] = []): boolean {
  const missing: string[] = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) missing.push('root');
  for (const c of ['ip', 'unshare', 'nsenter', ...commands]) if (!haveCommand(c)) missing.push(c);
  if (missing.length === 0) return true;
  const why = `needs ${missing.join(', ')}`;
  if (isCi()) throw new Error(`${why}: CI=true, so this test must run (install it in .ci/run)`);
  t.skip(why);
  return false;
}

/** Like requireRootAndCommands, for tests that need commands but neither root nor namespaces. */
export function requireCommands(t: TestContext, commands: readonly string[]): boolean {
  const missing = commands.filter((c) => !haveCommand(c));
  if (missing.length === 0) return true;
  const why = `needs ${missing.join(', ')}`;
  if (isCi()) throw new Error(`${why}: CI=true, so this test must run (install it in .ci/run)`);
  t.skip(why);
  return false;
}
