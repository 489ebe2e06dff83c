// Where things are, from a compiled test file (dist/test/...) or a source one.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'src'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the project root from ' + fileURLToPath(import.meta.url));
}

export const repoRoot = findRoot();
export const fixturesDir = path.join(repoRoot, 'test', 'fixtures');
export const realFixturesDir = path.join(fixturesDir, 'heartbeat-3.0.6');
export const distDir = path.join(repoRoot, 'dist');

/** The path of a compiled CLI, e.g. cliPath('heartbeat') → dist/src/cli/heartbeat.js. */
export function cliPath(name: string): string {
  return path.join(distDir, 'src', 'cli', `${name}.js`);
}

/**
 * Whether other users can reach `dir`: every directory above it searchable by others. Debian makes /root 0700, so
 * a checkout there cannot be read by the users the tests run programs as (ipfail as hacluster, API clients as
 * nobody), which then fail for a reason that is not the project's.
 */
export function othersCanReach(dir: string): boolean {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if ((fs.statSync(d).mode & 0o001) === 0) return false;
    if (path.dirname(d) === d) return true;
  }
}
