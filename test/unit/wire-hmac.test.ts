// digestHex's own HMAC-SHA1 (no node:crypto on the heartbeat path) against node:crypto, and RFC 2202's vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { digestHex } from '../../src/wire/index.js';

test('HMAC-SHA1 matches RFC 2202 test cases 1, 2, 6 and 7', () => {
  assert.equal(digestHex('sha1', '\u000b'.repeat(20), Buffer.from('Hi There')), 'b617318655057264e28bc0b6fb378c8ef146be00');
  assert.equal(digestHex('sha1', 'Jefe', Buffer.from('what do ya want for nothing?')), 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79');
  const k80 = '\u00aa'.repeat(80);
  assert.equal(digestHex('sha1', k80, Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First')), 'aa4ae5e15272d00e95705637ce8a3b55ed402112');
  assert.equal(digestHex('sha1', k80, Buffer.from('Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data')), 'e8e99d0f45237d786d6bbaa7965c7808bbff1a91');
});

test('HMAC-SHA1 equals node:crypto for every data length 0..300 and keys of 0..100 bytes', () => {
  let seed = 12345;
  const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
  for (let len = 0; len <= 300; len++) {
    const data = Buffer.from(Array.from({ length: len }, rnd));
    const keyLen = len % 101;
    const key = String.fromCharCode(...Array.from({ length: keyLen }, rnd));
    assert.equal(digestHex('sha1', key, data), createHmac('sha1', Buffer.from(key, 'latin1')).update(data).digest('hex'), `data ${len} bytes, key ${keyLen} bytes`);
  }
  // Subarrays (views into a larger buffer, as the codec passes the body of a received packet).
  const big = Buffer.from(Array.from({ length: 1000 }, rnd));
  for (const [a, b] of [[1, 200], [63, 64], [100, 1000], [7, 7]] as const) {
    assert.equal(digestHex('sha1', 'Bench-Key_3', big.subarray(a, b)), createHmac('sha1', 'Bench-Key_3').update(big.subarray(a, b)).digest('hex'));
  }
});
