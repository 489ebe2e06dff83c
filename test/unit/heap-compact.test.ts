import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdleCompactor, runtimeGc, type CompactorTimers } from '../../src/daemon/heap-compact.js';

/** Timers driven by hand: `advance` fires what is due. */
function fakeTimers(): CompactorTimers & { advance(ms: number): void; pending(): number } {
  let now = 0;
  let seq = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  return {
    setTimeout: (fn, ms) => {
      due.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (h) => void due.delete(h as number),
    monoMs: () => now,
    advance(ms) {
      now += ms;
      for (const [k, t] of [...due].sort((a, b) => a[1].at - b[1].at)) {
        if (t.at <= now) {
          due.delete(k);
          t.fn();
        }
      }
    },
    pending: () => due.size,
  };
}

test('one collection after a burst of group changes, once the node has been quiet for the whole delay', () => {
  const timers = fakeTimers();
  let collections = 0;
  const lines: string[] = [];
  const c = new IdleCompactor(() => collections++, (t) => lines.push(t), timers, 3000);
  c.busy();
  timers.advance(2000);
  c.busy(); // a second group in the same hand-over: the delay starts again
  timers.advance(2999);
  assert.equal(collections, 0);
  timers.advance(1);
  assert.equal(collections, 1);
  assert.equal(timers.pending(), 0);
  assert.match(lines[0] ?? '', /^heap compacted after a hand-over: \d+\.\d ms, RSS \d+\.\d → \d+\.\d MB$/);
  timers.advance(60_000);
  assert.equal(collections, 1, 'nothing more without another hand-over');
});

test('close cancels a pending collection; without a gc function nothing is ever scheduled', () => {
  const timers = fakeTimers();
  let collections = 0;
  const c = new IdleCompactor(() => collections++, () => undefined, timers, 3000);
  c.busy();
  c.close();
  timers.advance(10_000);
  assert.equal(collections, 0);
  c.busy();
  assert.equal(timers.pending(), 0);
  const none = new IdleCompactor(undefined, () => undefined, timers, 3000);
  none.busy();
  assert.equal(timers.pending(), 0);
});

test('the runtime gives a working gc() without --expose-gc on the command line', () => {
  assert.ok(!process.execArgv.includes('--expose-gc'));
  const gc = runtimeGc();
  assert.equal(typeof gc, 'function');
  gc?.();
});
