// A state file that cannot be written (full disk, read-only or broken state directory) is a StateFileError
// naming the file and the cause, which the daemon reports as "cannot write FILE: CAUSE; not starting".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StateFileError, loadOrCreateUuid, nextGeneration } from '../../src/daemon/files/state-files.js';

function brokenStateDir(t: { after: (fn: () => void) => void }): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-statefiles-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  // A regular file where the directory should be: every write below it fails with ENOTDIR or EEXIST.
  const notDir = path.join(root, 'heartbeat');
  fs.writeFileSync(notDir, 'not a directory');
  return notDir;
}

test('nextGeneration: an unwritable hb_generation is a StateFileError naming the file and the cause', (t) => {
  const dir = brokenStateDir(t);
  assert.throws(() => nextGeneration(dir, 'file', 1000), (e: unknown) => {
    assert.ok(e instanceof StateFileError, `got ${String(e)}`);
    assert.equal(e.file, path.join(dir, 'hb_generation'));
    assert.match(e.message, new RegExp(`^cannot write ${path.join(dir, 'hb_generation')}: (EEXIST|ENOTDIR)`));
    return true;
  });
});

test('loadOrCreateUuid: an unwritable hb_uuid is a StateFileError naming the file and the cause', (t) => {
  const dir = brokenStateDir(t);
  assert.throws(() => loadOrCreateUuid(dir, 'file', 'alpha'), (e: unknown) => {
    assert.ok(e instanceof StateFileError, `got ${String(e)}`);
    assert.match(e.message, new RegExp(`^cannot write ${path.join(dir, 'hb_uuid')}: (EEXIST|ENOTDIR)`));
    return true;
  });
});
