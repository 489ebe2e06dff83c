// fast-check properties of the codec: round trips in both forms, no exceptions on any input, and no
// signature surviving a single-byte change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { realFixturesDir } from '../helpers/paths.js';
import {
  ClassicStreamSplitter,
  MAX_DEPTH,
  decodeClassic,
  decodeFrame,
  decodeNetstring,
  encodeClassic,
  encodeNetstring,
  encodeNetstringBody,
  messageProblem,
  messagesEqual,
  readPcap,
  signMessage,
  singleKey,
  verifyBytes,
  verifyInnerAuth,
  verifyTrailer,
  type Field,
  type Message,
  type WireForm,
} from '../../src/wire/index.js';

const SPECIAL = [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 15, 16, 17, 18];
const NASTY = ['', ',', '\n', '\0', '>>>', '<<<', '>>>\n', '<<<\n', '###\n', '%%%\n', '12:', '(1)', '=', ':', '\x13', '\x14', '\xff'].map((s) => Buffer.from(s, 'latin1'));

/** Bytes biased towards the ones that break naive parsers. */
const bytesArb = fc
  .array(fc.oneof(fc.constantFrom(...NASTY), fc.uint8Array({ maxLength: 24 }).map((u) => Buffer.from(u))), { maxLength: 6 })
  .map((parts) => Buffer.concat(parts));

/** Replace what `form` cannot carry in a text value at `depth` (see validate.ts), keeping everything else. */
function sanitizeText(b: Buffer, form: WireForm, depth: number, isList: boolean): Buffer {
  const out = Buffer.from(b);
  for (let i = 0; i < out.length; i++) {
    const c = out[i] as number;
    const bad = c === 0 || (form === 'classic' && ((isList ? c === 0x0a : c === 0x13) || SPECIAL.slice(0, depth).includes(c)));
    if (bad) out[i] = 0x78;
  }
  return out;
}

const nameArbAny = fc
  .array(fc.oneof(fc.integer({ min: 0x21, max: 0x7e }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 12 })
  .map((cs) => String.fromCharCode(...cs))
  .filter((n) => messageProblem({ fields: [{ name: n, type: 0, value: new Uint8Array(0) }] }, 'netstring') === null);

function messageArb(form: WireForm, depth: number): fc.Arbitrary<Message> {
  // Inside structs the classic form also reserves the enclosing levels' SPECIAL_SYMS in names.
  const nameArb = nameArbAny.map((n) => (form === 'classic' ? n.replace(/[\x0f-\x1f]/g, (c) => (SPECIAL.slice(0, depth).includes(c.charCodeAt(0)) ? 'x' : c)) : n));
  const leaf: Array<fc.Arbitrary<Field>> = [
    fc.record({ name: nameArb, value: bytesArb }).map(({ name, value }) => ({ name, type: 0 as const, value: sanitizeText(value, form, depth, false) })),
    fc.record({ name: nameArb, value: bytesArb }).map(({ name, value }) => ({ name, type: 1 as const, value })),
    fc.record({ name: nameArb, value: bytesArb }).map(({ name, value }) => ({ name, type: 4 as const, value })),
    fc
      .record({ name: nameArb, value: fc.array(bytesArb, { minLength: 1, maxLength: 4 }) })
      .map(({ name, value }) => ({ name, type: 3 as const, value: value.map((v) => sanitizeText(v, form, depth, true)) })),
  ];
  const kinds = depth < 3 && depth + 1 < MAX_DEPTH
    ? [...leaf, fc.record({ name: nameArb, value: fc.constant(null) }).chain(({ name }) => messageArb(form, depth + 1).map((m) => ({ name, type: 2 as const, value: m })))]
    : leaf;
  return fc.array(fc.oneof(...kinds), { maxLength: depth === 0 ? 10 : 4 }).map((fields) => ({ fields }));
}

const KEYS = [singleKey('sha1', 'SomeKey'), singleKey('md5', 'k\xffy', 3), singleKey('crc', '', 0)];

test('property: netstring decode(encode(m)) = m (signed: m plus its auth field) and both signatures verify', () => {
  fc.assert(
    fc.property(messageArb('netstring', 0), fc.constantFrom(...KEYS), (m, keys) => {
      assert.equal(messageProblem(m, 'netstring'), null);
      const packet = encodeNetstring(m, keys);
      assert.ok(packet.ok, packet.ok ? '' : packet.error.detail);
      const d = decodeNetstring(packet.value);
      assert.ok(d.ok, d.ok ? '' : JSON.stringify(d.error));
      const signed = signMessage(m, keys);
      assert.ok(signed.ok);
      assert.ok(messagesEqual(d.value.message, signed.value));
      assert.equal(verifyTrailer(d.value, keys), 'ok');
      assert.equal(verifyInnerAuth(d.value.message, keys), 'ok');
      const body = decodeNetstring(encodeNetstringBody(m));
      assert.ok(body.ok && messagesEqual(body.value.message, m) && body.value.trailer === null);
    }),
    { numRuns: 400 },
  );
});

test('property: classic decode(encode(m)) = m, signed or not, with or without the NUL', () => {
  fc.assert(
    fc.property(messageArb('classic', 0), fc.boolean(), fc.constantFrom(...KEYS), (m, nul, keys) => {
      const c = encodeClassic(m, { trailingNul: nul });
      assert.ok(c.ok, c.ok ? '' : c.error.detail);
      const d = decodeClassic(c.value);
      assert.ok(d.ok, d.ok ? '' : JSON.stringify(d.error));
      assert.ok(messagesEqual(d.value, m));
      const s = encodeClassic(m, { keys });
      assert.ok(s.ok);
      const ds = decodeClassic(s.value);
      assert.ok(ds.ok);
      assert.equal(verifyInnerAuth(ds.value, keys), 'ok');
    }),
    { numRuns: 400 },
  );
});

test('property: decoders, verifiers, the splitter and readPcap never throw on random bytes', () => {
  const keys = singleKey('sha1', 'SomeKey');
  const prefixed = fc.tuple(fc.constantFrom('', '###\n', '>>>\n', '\xd4\xc3\xb2\xa1', '###\n11:(0)t=status,'), fc.uint8Array({ maxLength: 300 })).map(([p, u]) =>
    Buffer.concat([Buffer.from(p, 'latin1'), u]),
  );
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }).map((u) => Buffer.from(u)), prefixed, bytesArb), (b) => {
      decodeNetstring(b);
      decodeClassic(b);
      decodeFrame(b);
      verifyBytes(b, keys);
      readPcap(b);
      new ClassicStreamSplitter(256).push(b);
    }),
    { numRuns: 3000 },
  );
});

const payloadDir = path.join(realFixturesDir, 'payloads');
const realPackets = fs.readdirSync(payloadDir).filter((f) => f.endsWith('.bin')).sort().map((f) => fs.readFileSync(path.join(payloadDir, f)));

test('property: mutated real packets never make the decoder throw', () => {
  const keys = singleKey('sha1', 'SomeKey');
  const mutation = fc.record({
    which: fc.nat(realPackets.length - 1),
    edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')), { minLength: 1, maxLength: 5 }),
    cut: fc.option(fc.nat()),
  });
  fc.assert(
    fc.property(mutation, ({ which, edits, cut }) => {
      let b = Buffer.from(realPackets[which] as Buffer);
      for (const [at, byte, op] of edits) {
        const i = at % (b.length + 1);
        if (op === 'set' && i < b.length) b[i] = byte;
        else if (op === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
        else b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
      }
      if (cut !== null) b = b.subarray(0, cut % (b.length + 1));
      verifyBytes(b, keys);
    }),
    { numRuns: 3000 },
  );
});

/** Every single-byte substitution of `packet` at every offset (all 255 other values) is refused. */
function everyByteChangeRefused(packet: Buffer, keys: ReturnType<typeof singleKey>): number {
  let tried = 0;
  const b = Buffer.from(packet);
  for (let i = 0; i < b.length; i++) {
    const orig = b[i] as number;
    for (let v = 0; v < 256; v++) {
      if (v === orig) continue;
      b[i] = v;
      const r = verifyBytes(b, keys);
      if (r.accepted === 'ok') assert.fail(`byte ${i} set to 0x${v.toString(16)} still verifies`);
      tried++;
    }
    b[i] = orig;
  }
  return tried;
}

test('exhaustive: no single-byte change of a real sha1 / md5 packet (netstring and classic) verifies', () => {
  const cases: Array<[string, ReturnType<typeof singleKey>]> = [
    ['status-sha1.bin', singleKey('sha1', 'SomeKey')],
    ['status-md5.bin', singleKey('md5', 'SomeKey')],
    ['status-serial-classic-sha1.bin', singleKey('sha1', 'SomeKey')],
  ];
  for (const [file, keys] of cases) {
    const packet = fs.readFileSync(path.join(payloadDir, file));
    assert.equal(verifyBytes(packet, keys).accepted, 'ok');
    assert.equal(everyByteChangeRefused(packet, keys), packet.length * 255);
  }
});

test('property: a sha1/md5 signature never verifies after any single-byte change of a signed message', () => {
  const keyArb = fc.constantFrom(singleKey('sha1', 'SomeKey'), singleKey('md5', 'SomeKey'), singleKey('sha1', 'other', 2));
  fc.assert(
    fc.property(messageArb('classic', 0), keyArb, fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), (m, keys, netstring, at, delta) => {
      const enc = netstring ? encodeNetstring(m, keys) : encodeClassic(m, { keys });
      assert.ok(enc.ok);
      const b = Buffer.from(enc.value);
      const i = at % b.length;
      b[i] = ((b[i] as number) + delta) & 0xff;
      assert.notEqual(verifyBytes(b, keys).accepted, 'ok');
    }),
    { numRuns: 1500 },
  );
});
