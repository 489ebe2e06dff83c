// bz2 whole-message compression: our pure decoder against vectors made by bzip2 1.0.x (`bzip2 -1`, the
// block size Heartbeat's BZ2_bzBuffToBuffCompress(…, 1, 0, 30) uses), and against corrupt input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bunzip2 } from '../../src/wire/bzip2.js';
import { decodeFrame, getString, singleKey, verifyFrame } from '../../src/wire/index.js';

const VECTORS: Record<string, [string, Buffer]> = {
  empty: ['QlpoMRdyRThQkAAAAAA=', Buffer.alloc(0)],
  hello: ['QlpoMTFBWSZTWRkxZT0AAACBAAJEoAAhmmgzTQczi7kinChIDJiynoA=', Buffer.from('hello')],
  // 300,000 bytes at level 1: three blocks, and the combined stream CRC.
  abc: [
    'QlpoMTFBWSZTWVoLN+QAQRcBADgAIAAwzAUppqpCB1UhA1UhA8xQVkmU1laCzfkAEEXAQA4ACAAMMwFKaaqQgdVIQNVIQPMUFZJlNZWgs35ABBFwEAOAAgADDMBSmmqkIHVSEDVSEDzFBWSZTWbCfGSYAAAkBADgAIAAwzAmqaYrisV4u5IpwoSF5+Cy6A==',
    Buffer.from('abc'.repeat(100000)),
  ],
  // Runs of 4, 5, 259, 260 and 1000 equal bytes: the RLE1 boundaries.
  runs: [
    'QlpoMTFBWSZTWXrbtSkAABFBgeAABgEB8ACAAAggACG1TSY8ihA0DQjcdzCYkeN3RDLPsOuhpOvxdyRThQkHrbtSkA==',
    Buffer.from('x'.repeat(4) + 'y'.repeat(5) + 'z'.repeat(259) + 'w'.repeat(260) + 'v'.repeat(1000) + 'end'),
  ],
};

test('bunzip2 reproduces what bzip2 compressed: empty, small, multi-block, RLE1 run boundaries', () => {
  for (const [name, [b64, expected]] of Object.entries(VECTORS)) {
    const r = bunzip2(Buffer.from(b64, 'base64'), 1 << 21);
    assert.ok(r.ok, `${name}: ${r.ok ? '' : r.error}`);
    assert.ok(r.value.equals(expected), name);
  }
});

test('bunzip2 refuses output past the cap, bad headers, and truncation at every length', () => {
  const abc = Buffer.from((VECTORS['abc'] as [string, Buffer])[0], 'base64');
  const capped = bunzip2(abc, 1000);
  assert.ok(!capped.ok && capped.error.includes('larger than'));
  assert.ok(!bunzip2(Buffer.from('BZh0'), 1 << 21).ok);
  assert.ok(!bunzip2(Buffer.from('BZx1'), 1 << 21).ok);
  for (let n = 0; n < abc.length - 1; n++) assert.ok(!bunzip2(abc.subarray(0, n), 1 << 21).ok, `cut at ${n}`);
});

test('every single-byte change of a bz2 stream is refused or (padding bits only) still gives the same bytes', () => {
  const [b64, expected] = VECTORS['runs'] as [string, Buffer];
  const b = Buffer.from(b64, 'base64');
  for (let i = 0; i < b.length; i++) {
    const orig = b[i] as number;
    for (const v of [orig ^ 1, orig ^ 0x80, 0, 0xff]) {
      if (v === orig) continue;
      b[i] = v;
      const r = bunzip2(b, 1 << 21);
      if (r.ok) assert.ok(r.value.equals(expected), `byte ${i} = ${v} decoded to different content`);
      b[i] = orig;
    }
  }
});

test('property: bunzip2 never throws on random or mutated input', () => {
  const base = Object.values(VECTORS).map(([b64]) => Buffer.from(b64, 'base64'));
  fc.assert(
    fc.property(fc.nat(base.length - 1), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.uint8Array({ maxLength: 64 }), (which, edits, tail) => {
      const b = Buffer.concat([base[which] as Buffer]);
      for (const [at, v] of edits) b[at % b.length] = v;
      bunzip2(b, 1 << 21);
      bunzip2(Buffer.concat([Buffer.from('BZh1'), tail]), 1 << 21);
    }),
    { numRuns: 2000 },
  );
});

// A Heartbeat-shaped packet: the signed message as a netstring body, bz2-compressed, in _compressed_payload,
// followed by _compression_algorithm=bz2 and the sha1 trailer (cl_compressmsg with compression bz2).
const BZ2_PACKET = 'IyMjCjE5NDooMSlfY29tcHJlc3NlZF9wYXlsb2FkPUJaaDExQVkmU1kgzPKNAAAE2YDgEEpkf/I/5V7wAAggAIqGUhqH6jKehMmmCeoyH6UxGqYEGQAAABkkqyROrAk4fgRAjvHKGlpGAzpmjl0r8eX826o7PQTxYw8CWqYttNjNZUTMiNutv3yDz1JOAQBAAqyPxCRAAEkPo2dYqUEgkEkXUuqhczlvV8rVtklvdJga22b6HvMHC9wQ8K8MFwfi7kinChIEGZ5RoCwyOTooMClfY29tcHJlc3Npb25fYWxnb3JpdGhtPWJ6MiwlJSUKNDI6MSAxZTFhZDY5OGJhOTEyZjQ2NTNjOWMyODUxN2YwY2U4NjFkOGJiMGIyLA==';

test('a bz2-compressed packet decodes, its trailer and the inner auth field verify', () => {
  const keys = singleKey('sha1', 'SomeKey');
  const f = decodeFrame(Buffer.from(BZ2_PACKET, 'base64'));
  assert.ok(f.ok, f.ok ? '' : JSON.stringify(f.error));
  assert.equal(getString(f.value.message, '_compression_algorithm'), 'bz2');
  assert.ok(f.value.inner !== null);
  assert.equal(getString(f.value.inner, 'data'), 'abcabcabc'.repeat(500));
  assert.equal(getString(f.value.inner, 'runs'), 'x'.repeat(4) + 'y'.repeat(5) + 'z'.repeat(259) + 'w'.repeat(260));
  assert.deepEqual(verifyFrame(f.value, keys), { trailer: 'ok', inner: 'ok', accepted: 'ok' });
});
