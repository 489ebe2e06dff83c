import { test } from 'node:test';
import assert from 'node:assert/strict';
import { finish, sharedFieldCount, statusFields } from '../../src/membership/outbound.js';
import { getString, singleKey } from '../../src/wire/index.js';

const origin = { name: 'alpha', uuid: new Uint8Array(16).fill(7), generation: 0x6b05da4e, ttl: 4, keys: singleKey('sha1', 'SomeKey') };

test('an hour of heartbeats leaves the shared-field table as small as the fields that repeat (ts and ld are not kept)', () => {
  const wall0 = 0x6b05dd90;
  let last: ReturnType<typeof finish> = null;
  for (let i = 0; i < 3600; i++) {
    last = finish(origin, statusFields('active', 1000, true), { seq: i + 1, wallSec: wall0 + i, loadavg: `0.${i % 100} 0.53 0.28 7/113 ${300 + i}` });
    assert.ok(last !== null);
  }
  assert.ok(last !== null);
  // t, st, dt, protocol, src, hg, ttl: one entry each, whatever else other tests in this process built.
  assert.ok(sharedFieldCount() <= 16, `the table holds ${sharedFieldCount()} fields`);
  assert.equal(getString(last.message, 'ts'), (wall0 + 3599).toString(16));
  assert.equal(getString(last.message, 'ld'), '0.99 0.53 0.28 7/113 3899');
});

test('a shared field value owns its memory: it does not keep a Buffer pool slab alive', () => {
  const out = finish(origin, statusFields('active', 1000, true), { seq: 1, wallSec: 0x6b05dd90, loadavg: '0.81 0.53 0.28 7/113 304' });
  assert.ok(out !== null);
  for (const name of ['t', 'st', 'dt', 'protocol', 'src', 'hg', 'ttl']) {
    const f = out.message.fields.find((x) => x.name === name);
    assert.ok(f !== undefined, name);
    const v = f.value as Uint8Array;
    assert.equal(v.buffer.byteLength, v.byteLength, `${name}: ${v.byteLength} bytes over an ArrayBuffer of ${v.buffer.byteLength}`);
  }
});
