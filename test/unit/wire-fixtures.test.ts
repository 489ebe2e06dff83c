// The codec against real Heartbeat 3.0.6 recordings: every payload, pcap and serial stream decodes, verifies
// and re-encodes byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { realFixturesDir } from '../helpers/paths.js';
import {
  ClassicStreamSplitter,
  decodeClassic,
  decodeFrame,
  decodeNetstring,
  describeMessage,
  encodeClassic,
  encodeNetstring,
  readPcap,
  singleKey,
  verifyFrame,
  verifyInnerAuth,
  type AuthKeys,
} from '../../src/wire/index.js';

/** The keys of test/fixtures/heartbeat-3.0.6/README.md, by file name. */
function keysFor(file: string): AuthKeys {
  if (file.includes('-crc')) return singleKey('crc', '');
  if (file.includes('-md5')) return singleKey('md5', 'SomeKey');
  return singleKey('sha1', 'SomeKey');
}

const payloadDir = path.join(realFixturesDir, 'payloads');
const payloads = fs.readdirSync(payloadDir).filter((f) => f.endsWith('.bin')).sort();

test('there are real payloads to test (guards against a vacuous pass)', () => {
  assert.ok(payloads.length >= 20, `only ${payloads.length} payloads`);
});

for (const file of payloads) {
  test(`payload ${file}: decodes, both signatures verify, re-encoding reproduces the bytes`, () => {
    const bytes = fs.readFileSync(path.join(payloadDir, file));
    const keys = keysFor(file);
    const frame = decodeFrame(bytes);
    assert.ok(frame.ok, frame.ok ? '' : JSON.stringify(frame.error));
    const v = verifyFrame(frame.value, keys);
    assert.equal(v.inner, 'ok');
    if (frame.value.form === 'netstring') {
      assert.equal(v.trailer, 'ok');
      // Re-signing from scratch (inner field recomputed in place, then the trailer) gives the same packet.
      const again = encodeNetstring(frame.value.message, keys);
      assert.ok(again.ok);
      assert.deepEqual(Buffer.from(again.value), bytes);
    } else {
      assert.ok(file.includes('classic'));
      const again = encodeClassic(frame.value.message, { keys });
      assert.ok(again.ok);
      assert.deepEqual(Buffer.from(again.value), bytes);
    }
    assert.ok(describeMessage(frame.value.message).t !== undefined);
  });
}

test('status-sha1.bin: the header fields read with their radixes (seq/hg/ts/dt hex, ttl decimal)', () => {
  const p = decodeNetstring(fs.readFileSync(path.join(payloadDir, 'status-sha1.bin')));
  assert.ok(p.ok);
  const d = describeMessage(p.value.message);
  assert.equal(d.t, 'status');
  assert.equal(d.st, 'active');
  assert.equal(d.src, 'alpha');
  assert.equal(d.seq, 5);
  assert.equal(d.ttl, 3);
  assert.equal(d.dtMs, 0x1b58);
  // The trailer is the last netstring: sha1 → "42:1 <40 hex>,".
  assert.equal(p.value.trailer?.length, 42);
});

const pcapDir = path.join(realFixturesDir, 'pcap');
for (const file of fs.readdirSync(pcapDir).filter((f) => f.endsWith('.pcap')).sort()) {
  test(`pcap ${file}: every Heartbeat packet decodes, verifies and re-encodes exactly`, () => {
    const cap = readPcap(fs.readFileSync(path.join(pcapDir, file)));
    assert.ok(cap.ok, cap.ok ? '' : cap.error);
    assert.equal(cap.value.linkType, 1); // the recordings are Ethernet
    assert.equal(cap.value.truncated, false);
    assert.ok(cap.value.packets.length > 50);
    const keys = keysFor(file);
    let icmp = 0;
    for (const pkt of cap.value.packets) {
      if (pkt.kind === 'icmp') icmp++;
      else assert.ok(pkt.srcPort === 694 || pkt.dstPort === 694);
      const p = decodeNetstring(pkt.payload);
      assert.ok(p.ok, `${pkt.src} @${pkt.timeMs}: ${p.ok ? '' : JSON.stringify(p.error)}`);
      const frame = decodeFrame(pkt.payload);
      assert.ok(frame.ok);
      assert.deepEqual(verifyFrame(frame.value, keys), { trailer: 'ok', inner: 'ok', accepted: 'ok' });
      const again = encodeNetstring(p.value.message, keys);
      assert.ok(again.ok);
      assert.deepEqual(Buffer.from(again.value), Buffer.from(pkt.payload));
    }
    if (file === 'ipfail.pcap') assert.ok(icmp > 0, 'the ping medium ICMP data is read');
  });
}

const serialDir = path.join(realFixturesDir, 'serial');
const SERIAL_COUNTS: Record<string, number> = { 'serial-a2b.raw': 46, 'serial-b2a.raw': 57 };

function splitAll(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const s = new ClassicStreamSplitter();
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...cuts, bytes.length]) {
    out.push(...s.push(bytes.subarray(prev, c)));
    prev = c;
  }
  return out;
}

for (const [file, count] of Object.entries(SERIAL_COUNTS)) {
  const bytes = fs.readFileSync(path.join(serialDir, file));
  const reference = splitAll(bytes, []);

  test(`serial ${file}: ${count} messages, each a classic message with a valid inner signature`, () => {
    assert.equal(reference.length, count);
    const keys = singleKey('sha1', 'SomeKey');
    for (const m of reference) {
      const d = decodeClassic(m);
      assert.ok(d.ok);
      assert.equal(verifyInnerAuth(d.value, keys), 'ok');
      const again = encodeClassic(d.value, { keys });
      assert.ok(again.ok);
      assert.deepEqual(Buffer.from(again.value), Buffer.from(m));
    }
    assert.deepEqual(Buffer.concat(reference), bytes, 'the stream is exactly the messages back to back');
  });

  test(`serial ${file}: the same messages whatever the read boundaries`, () => {
    // Cheap but exact: same count, same lengths, and together the same bytes as the reference split.
    const lengths = reference.map((m) => m.length).join(',');
    const same = (got: Uint8Array[]): void => {
      if (got.length !== reference.length || got.map((m) => m.length).join(',') !== lengths || !Buffer.concat(got).equals(bytes)) {
        assert.fail(`split differs: ${got.length} messages`);
      }
    };
    // One byte at a time (a split at every offset of the whole stream).
    same(splitAll(bytes, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1)));
    // Every 2-way split of the whole stream.
    for (let cut = 0; cut <= bytes.length; cut++) same(splitAll(bytes, [cut]));
    // Every 3-way split inside the first message.
    const first = (reference[0] as Uint8Array).length;
    for (let a = 1; a < first; a += 1) for (let b = a; b <= first; b += 7) same(splitAll(bytes, [a, b]));
    // Chunks of every size up to 64, and a few odd ones.
    for (const size of [...Array.from({ length: 64 }, (_, i) => i + 1), 97, 511, 512, 513, 4096]) {
      const cuts: number[] = [];
      for (let c = size; c < bytes.length; c += size) cuts.push(c);
      same(splitAll(bytes, cuts));
    }
  });
}
