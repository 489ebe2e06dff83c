import assert from 'node:assert/strict';
import { test } from 'node:test';
import { warmUp } from '../../src/daemon/warm-up.js';
import { singleKey } from '../../src/wire/index.js';

const TIMERS = { keepaliveMs: 1000, deadtimeMs: 5000, warntimeMs: 2000, initdeadMs: 10_000, deadpingMs: 1000, hopfudge: 1, maxRexmitDelayMs: 250 };

test('warm-up: the throwaway pair exchanges statuses (each sees the other active) for the rounds asked', () => {
  for (const method of ['sha1', 'md5', 'crc'] as const) {
    let t = 0;
    const r = warmUp({ ...TIMERS, authKeys: singleKey(method, 'the real key') }, 30, 1_000_000, () => t++);
    assert.equal(r.rounds, 30, method);
    assert.equal(r.peerActive, true, `${method}: the receive path ran`);
  }
});

test('warm-up: bounded by its time budget whatever the rounds', () => {
  let t = 0;
  const r = warmUp({ ...TIMERS, authKeys: singleKey('sha1', 'k') }, 1_000_000, 250, () => (t += 100));
  assert.ok(r.rounds <= 2, `rounds ${r.rounds}`);
  assert.ok(r.ms >= 250);
});

test('warm-up: keepalive 100 ms and the default bounds finish', () => {
  const r = warmUp({ ...TIMERS, keepaliveMs: 100, deadtimeMs: 1000, warntimeMs: 500, initdeadMs: 2000, authKeys: singleKey('sha1', 'k') });
  assert.ok(r.rounds >= 1 && r.rounds <= 400, `rounds ${r.rounds}`);
});
