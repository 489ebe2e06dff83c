// hb_standby and hb_takeover write Heartbeat's classic messages into the control FIFO, and say so when nobody reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliPath } from '../helpers/paths.js';

function run(cli: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliPath(cli), ...args], { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('hb_standby / hb_takeover: the messages in the FIFO, argument checks, and no daemon', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-fifo-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fifo = path.join(dir, 'fifo');
  assert.equal(spawnSync('mkfifo', ['-m', '600', fifo]).status, 0);
  // No reader yet: a clear error, exit 1, no hang.
  const none = run('hb-standby', ['--state-dir', dir]);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /nobody reads .*fifo: heartbeat is not running/);
  // A reader (what the daemon does): O_RDWR so the FIFO never reports end-of-file.
  const fd = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  t.after(() => fs.closeSync(fd));
  const read = (): string => {
    const b = Buffer.alloc(4096);
    const n = fs.readSync(fd, b, 0, b.length, null);
    return b.subarray(0, n).toString('latin1');
  };
  assert.equal(run('hb-standby', ['--state-dir', dir]).status, 0);
  assert.equal(read(), '>>>\nt=ask_resources\nrsc_hold=all\ninfo=me\n<<<\n');
  assert.equal(run('hb-standby', ['failback', '--state-dir', dir]).status, 0);
  assert.equal(read(), '>>>\nt=ask_resources\nrsc_hold=foreign\ninfo=me\n<<<\n');
  assert.equal(run('hb-takeover', ['local', '--state-dir', dir]).status, 0);
  assert.equal(read(), '>>>\nt=hb_takeover\nrsc_hold=local\n<<<\n');
  const bad = run('hb-standby', ['everything', '--state-dir', dir]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /wrong resources \(everything\)/);
  const missing = run('hb-takeover', ['--state-dir', path.join(dir, 'nope')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /does not exist: is heartbeat running/);
});
