// The netns tests' "never on both nodes" watcher (test/helpers/hold-watch.ts) on marker files: it sees a double,
// does not take a hand-over for one, fails when it could not look, and reads a FIB dump as the kernel writes it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertNeverBoth, HoldWatcher, type Probe } from '../helpers/hold-watch.js';

function dir(t: TestContext): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-holdwatch-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

const files = (...f: string[]): Probe => ({ kind: 'files', files: f });
/** Real time here: the watcher is a thread sampling every 10 ms; 150 ms is many samples even on a loaded machine. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 150));

test('a unit held by both nodes is reported, with the changes of holders', async (t) => {
  const d = dir(t);
  const [a, b] = [path.join(d, 'a'), path.join(d, 'b')];
  const w = new HoldWatcher(['alpha', 'bravo'], { vip: [files(a), files(b)] });
  await w.ready;
  fs.writeFileSync(a, '');
  await settle();
  fs.writeFileSync(b, '');
  await settle();
  const r = await w.stop();
  assert.ok(r.samples >= 3, `${r.samples} samples`);
  assert.ok(r.doubles.length > 0 && r.doubles.every((x) => / ms: vip$/.test(x)), r.doubles.join(', '));
  assert.deepEqual(r.changes.map((c) => c.replace(/^\d+ ms: /, '')), ['vip=none', 'vip=alpha', 'vip=alpha+bravo']);
  assert.throws(() => assertNeverBoth(r, 'vip'), /vip was never on both nodes/);
});

test('a hand-over (one lets go, then the other takes) is never a double, however the reads fall', async (t) => {
  const d = dir(t);
  const [a, b] = [path.join(d, 'a'), path.join(d, 'b')];
  fs.writeFileSync(a, '');
  const w = new HoldWatcher(['alpha', 'bravo'], { g: [files(a), files(b)] });
  await w.ready;
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 7));
    const [from, to] = i % 2 === 0 ? [a, b] : [b, a];
    fs.rmSync(from);
    fs.writeFileSync(to, '');
  }
  const r = await w.stop();
  assert.deepEqual(r.doubles, []);
  assert.ok(r.samples >= 2);
  assert.match(assertNeverBoth(r, 'g'), /doubles: 0$/);
});

test('a watcher that cannot read a probe stops and fails; a FIB dump is read as the kernel writes it', async (t) => {
  const d = dir(t);
  const gone = new HoldWatcher(['alpha', 'bravo'], { vip: [{ kind: 'fib', file: path.join(d, 'no-such-fib'), address: '198.51.100.100' }, files()] });
  const r = await gone.stop(); // never ready: its first sample fails, and it says why

  assert.match(r.halted ?? '', /ENOENT/);
  assert.throws(() => assertNeverBoth(r, 'vip'), /stopped sampling early/);

  const fib = path.join(d, 'fib_trie');
  // The shape of /proc/PID/net/fib_trie: the address, then its route type on the next line.
  fs.writeFileSync(fib, 'Local:\n  +-- 198.51.100.0/24 2 0 2\n     |-- 198.51.100.10\n        /32 host LOCAL\n     |-- 198.51.100.100\n        /32 link BROADCAST\n');
  const only10 = new HoldWatcher(['alpha', 'bravo'], {
    ten: [{ kind: 'fib', file: fib, address: '198.51.100.10' }, files()],
    hundred: [{ kind: 'fib', file: fib, address: '198.51.100.100' }, files()],
  });
  await only10.ready;
  const seen = await only10.stop();
  assert.equal(seen.halted, undefined);
  assert.deepEqual(seen.changes.map((c) => c.replace(/^\d+ ms: /, '')), ['ten=alpha', 'hundred=none']);
});
