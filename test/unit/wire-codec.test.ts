// The codec on hand-built bytes: the spec's worked example, binary values, nesting, lists, compression,
// verdicts and the reasons malformed input is refused with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import {
  binaryField,
  compressMessage,
  crcHex,
  decodeClassic,
  decodeFrame,
  decodeNetstring,
  decompressMessage,
  encodeClassic,
  encodeNetstring,
  encodeNetstringBody,
  getString,
  heartbeatWireLength,
  latin1,
  listField,
  makeMessage,
  messagesEqual,
  renderForAuth,
  signMessage,
  singleKey,
  stringField,
  structField,
  verifyBytes,
  verifyInnerAuth,
  verifyTrailer,
  type AuthKeys,
  type Message,
} from '../../src/wire/index.js';

const SHA1 = singleKey('sha1', 'SomeKey');
const ascii = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

// heartbeat-protocol.md §11: the status packet of node hbxa, byte for byte.
const UUID = Buffer.from('6ec031703ee3482a88260fd758a6caed', 'hex');
const EXAMPLE: Message = makeMessage([
  ['t', 'status'],
  ['st', 'active'],
  ['dt', '1388'],
  ['protocol', '1'],
  ['src', 'hbxa'],
  binaryField('srcuuid', UUID),
  ['seq', '13'],
  ['hg', '6b05dc9b'],
  ['ts', '6b05dd3f'],
  ['ld', '0.87 0.34 0.20 5/108 31166'],
  ['ttl', '3'],
]);

const EXAMPLE_PACKET_HEX =
  '2323230a31313a283029743d7374617475732c31323a28302973743d6163746976652c31303a28302964743d31333838' +
  '2c31333a28302970726f746f636f6c3d312c31313a2830297372633d686278612c32373a283129737263757569643d6e' +
  'c031703ee3482a88260fd758a6caed2c393a2830297365713d31332c31343a28302968673d36623035646339622c3134' +
  '3a28302974733d36623035646433662c33323a2830296c643d302e383720302e333420302e323020352f313038203331' +
  '3136362c383a28302974746c3d332c35303a283029617574683d31203962643662643532653137626362633264326131' +
  '62636335653462373738383633343364306138392c2525250a34323a3120386430386636643932663564313930383834' +
  '643031616462393466303336356537333466613735342c';

test('§11 worked example: inner auth, trailer and every byte of the 311-byte packet', () => {
  assert.equal(renderForAuth(EXAMPLE).length, 150);
  const packet = encodeNetstring(EXAMPLE, SHA1);
  assert.ok(packet.ok);
  const b = Buffer.from(packet.value);
  assert.equal(b.length, 311);
  assert.equal(ascii(b.subarray(0, 0x13)), '###\n11:(0)t=status,');
  assert.equal(b.toString('hex'), EXAMPLE_PACKET_HEX);
  assert.ok(b.includes(Buffer.from(latin1('50:(0)auth=1 9bd6bd52e17bcbc2d2a1bcc5e4b77886343d0a89,%%%\n'))));
  assert.ok(ascii(b).endsWith('%%%\n42:1 8d08f6d92f5d190884d01adb94f0365e734fa754,'));
  const classic = encodeClassic(EXAMPLE, { keys: SHA1 });
  assert.ok(classic.ok);
  assert.equal(
    ascii(classic.value),
    '>>>\nt=status\nst=active\ndt=1388\nprotocol=1\nsrc=hbxa\n(1)srcuuid=bsAxcD7jSCqIJg/XWKbK7Q==\nseq=13\nhg=6b05dc9b\nts=6b05dd3f\nld=0.87 0.34 0.20 5/108 31166\nttl=3\nauth=1 9bd6bd52e17bcbc2d2a1bcc5e4b77886343d0a89\n<<<\n',
  );
});

test('crc: check value, no leading zeros, not zlib crc32', () => {
  assert.equal(crcHex(latin1('123456789')), '765e7680');
  assert.equal(crcHex(new Uint8Array(0)), 'ffffffff');
  // Some input whose crc has a leading zero nibble: it must be printed shorter than 8 characters.
  let found = '';
  for (let i = 0; i < 1000 && found === ''; i++) {
    const h = crcHex(latin1(`x${i}`));
    if (h.length < 8) found = h;
  }
  assert.ok(found.length > 0 && found.length < 8 && !found.startsWith('0'));
});

test('crc is forgeable by design: no secret, anyone can re-sign a tampered packet', () => {
  const crc = singleKey('crc', '');
  const p = encodeNetstring(makeMessage([['t', 'status'], ['src', 'alpha']]), crc);
  assert.ok(p.ok);
  const d = decodeNetstring(p.value);
  assert.ok(d.ok);
  // An attacker without any key edits the message and simply recomputes both crcs.
  const forged = encodeNetstring({ fields: d.value.message.fields.map((f) => (f.name === 'src' ? stringField('src', 'mallory') : f)) }, singleKey('crc', 'ignored'));
  assert.ok(forged.ok);
  assert.equal(verifyBytes(forged.value, crc).accepted, 'ok');
});

test('md5 and crc sign and verify; index and key are honoured', () => {
  for (const keys of [singleKey('md5', 'SomeKey'), singleKey('crc', ''), singleKey('sha1', 'k', 7)]) {
    const p = encodeNetstring(EXAMPLE, keys);
    assert.ok(p.ok);
    const d = decodeNetstring(p.value);
    assert.ok(d.ok);
    assert.equal(verifyTrailer(d.value, keys), 'ok');
    assert.equal(verifyInnerAuth(d.value.message, keys), 'ok');
    assert.match(getString(d.value.message, 'auth') ?? '', new RegExp(`^${keys.activeIndex} [0-9a-f]+$`));
  }
  const md5 = encodeNetstring(EXAMPLE, singleKey('md5', 'SomeKey'));
  assert.ok(md5.ok && ascii(md5.value).match(/34:1 [0-9a-f]{32},$/));
});

test('verdicts: no-signature, unknown-key, malformed, bad-digest', () => {
  const body = encodeNetstringBody(EXAMPLE);
  const unsigned = decodeNetstring(body);
  assert.ok(unsigned.ok);
  assert.equal(verifyTrailer(unsigned.value, SHA1), 'no-signature');
  assert.equal(verifyInnerAuth(EXAMPLE, SHA1), 'no-signature');
  const packet = encodeNetstring(EXAMPLE, SHA1);
  assert.ok(packet.ok);
  const p = decodeNetstring(packet.value);
  assert.ok(p.ok);
  assert.equal(verifyTrailer(p.value, singleKey('sha1', 'SomeKey', 2)), 'unknown-key');
  assert.equal(verifyTrailer(p.value, singleKey('sha1', 'OtherKey')), 'bad-digest');
  assert.equal(verifyTrailer(p.value, singleKey('md5', 'SomeKey')), 'bad-digest');
  const withAuth = (a: string): Message => ({ fields: [...EXAMPLE.fields, stringField('auth', a)] });
  for (const bad of ['', '1', '1 ', 'x abc', '1  abc', '01 abc', '16 abc', '1 ABC', '1 abc ', ' 1 abc', '1 xyz']) {
    assert.equal(verifyInnerAuth(withAuth(bad), SHA1), 'malformed', JSON.stringify(bad));
  }
  assert.equal(verifyInnerAuth(withAuth('1 abc'), SHA1), 'bad-digest');
  // A bad trailer shape decodes (the body is fine) but does not verify.
  const t = decodeNetstring(Buffer.concat([body, latin1('5:1 xyz,')]));
  assert.ok(t.ok);
  assert.equal(verifyTrailer(t.value, SHA1), 'malformed');
});

test('binary values may hold "," "\\n" NUL and markers: netstring lengths are byte lengths', () => {
  const nasty = Buffer.from([0x2c, 0x0a, 0x00, 0x25, 0x25, 0x25, 0x0a, 0x3e, 0x3e, 0x3e, 0x0a, 0xff, 0x3a, 0x2c]);
  const m = makeMessage([['t', 'x'], binaryField('destuuid', nasty), stringField('info', 'a\nb,c:%%%\n')]);
  const p = encodeNetstring(m, SHA1);
  assert.ok(p.ok);
  const d = decodeNetstring(p.value);
  assert.ok(d.ok);
  assert.ok(messagesEqual(d.value.message, { fields: [...m.fields, d.value.message.fields[3]!] }));
  assert.equal(verifyTrailer(d.value, SHA1), 'ok');
  // Classic: base64 for the binary, 0x13 for the newline in text.
  const c = encodeClassic(m, { keys: SHA1 });
  assert.ok(c.ok);
  assert.ok(ascii(c.value).includes('(1)destuuid=LAoAJSUlCj4+Pgr/Oiw=\n'));
  assert.ok(ascii(c.value).includes('info=a\x13b,c:%%%\x13\n'));
  const back = decodeClassic(c.value);
  assert.ok(back.ok);
  assert.equal(verifyInnerAuth(back.value, SHA1), 'ok');
  assert.equal(getString(back.value, 'info'), 'a\nb,c:%%%\n');
});

test('nested structs and lists in both forms (SPECIAL_SYMS per depth, packed lists)', () => {
  const inner2 = makeMessage([['leaf', 'x\ny']]);
  const inner1 = makeMessage([['a', '1'], structField('deeper', inner2), listField('l', ['p', 'qq'])]);
  const m = makeMessage([['t', 'nested'], structField('child', inner1), listField('nodes', ['alpha', 'bravo', ''])]);
  const ns = encodeNetstringBody(m);
  assert.ok(ascii(ns).includes('(3)nodes=5:alpha,5:bravo,0:,,'));
  assert.ok(ascii(ns).includes('(2)child=###\n'));
  const d = decodeNetstring(ns);
  assert.ok(d.ok && messagesEqual(d.value.message, m));
  const c = encodeClassic(m);
  assert.ok(c.ok);
  const s = ascii(c.value);
  // depth 0 child: its newlines become 0x14; the grandchild's (inside it) 0x15; text newlines 0x13.
  assert.ok(s.includes('(2)child=>>>\x14a=1\x14(2)deeper=>>>\x15leaf=x\x13y\x15<<<\x15\x14(3)l=1:p,2:qq,\x14<<<\x14\n'), JSON.stringify(s));
  const back = decodeClassic(c.value);
  assert.ok(back.ok && messagesEqual(back.value, m));
});

test('classic: NUL terminator (API/FIFO), empty lines skipped, trailing garbage refused', () => {
  const c = encodeClassic(makeMessage([['t', 'x']]), { trailingNul: true });
  assert.ok(c.ok);
  assert.equal(ascii(c.value), '>>>\nt=x\n<<<\n\0');
  assert.ok(decodeClassic(c.value).ok);
  const e = decodeClassic(latin1('>>>\n\nt=x\n\n<<<\n'));
  assert.ok(e.ok && getString(e.value, 't') === 'x');
  const bad = decodeClassic(latin1('>>>\nt=x\n<<<\nzz'));
  assert.ok(!bad.ok && bad.error.reason === 'trailing-bytes');
});

test('compression: zlib round trip (traditional_compression), corrupt bz2 and unknown algorithms refused with a reason', () => {
  const big = makeMessage([['t', 'big'], ['data', 'abc'.repeat(2000)]]);
  const p = encodeNetstring(big, SHA1, { compression: { algorithm: 'zlib', thresholdBytes: 2048 } });
  assert.ok(p.ok);
  assert.ok(p.value.length < 1000);
  const f = decodeFrame(p.value);
  assert.ok(f.ok);
  assert.equal(getString(f.value.message, '_compression_algorithm'), 'zlib');
  assert.ok(f.value.inner !== null);
  assert.equal(getString(f.value.inner, 'data'), 'abc'.repeat(2000));
  assert.equal(verifyInnerAuth(f.value.inner, SHA1), 'ok');
  assert.equal(verifyBytes(p.value, SHA1).accepted, 'ok');
  // Heartbeat sizes messages by the classic form (+ NUL) for this comparison, unless structs force netstring.
  const signedExample = signMessage(EXAMPLE, SHA1);
  const classicExample = encodeClassic(EXAMPLE, { keys: SHA1 });
  assert.ok(signedExample.ok && classicExample.ok);
  assert.equal(heartbeatWireLength(signedExample.value), classicExample.value.length + 1);
  const withStruct = makeMessage([['t', 'x'], structField('s', makeMessage([['a', 'b']]))]);
  assert.equal(heartbeatWireLength(withStruct), encodeNetstringBody(withStruct).length);
  // Below the threshold nothing is compressed.
  const small = encodeNetstring(EXAMPLE, SHA1, { compression: { algorithm: 'zlib', thresholdBytes: 2048 } });
  assert.ok(small.ok && small.value.length === 311);
  // Whole-message compression of a classic payload also opens (wirefmt2msg accepts both forms).
  const classicInside = { fields: [binaryField('_compressed_payload', deflateSync(latin1('>>>\nt=y\n<<<\n'))), stringField('_compression_algorithm', 'zlib')] };
  const opened = decompressMessage(classicInside);
  assert.ok(opened.ok && opened.value !== null && getString(opened.value, 't') === 'y');
  const bz2 = decompressMessage({ fields: [binaryField('_compressed_payload', latin1('BZh91AY&SY')), stringField('_compression_algorithm', 'bz2')] });
  assert.ok(!bz2.ok && bz2.error.reason === 'bad-compressed');
  const lzo = decompressMessage({ fields: [binaryField('_compressed_payload', latin1('x')), stringField('_compression_algorithm', 'lzo')] });
  assert.ok(!lzo.ok && lzo.error.reason === 'unsupported-compression');
  const corrupt = decompressMessage({ fields: [binaryField('_compressed_payload', latin1('not zlib')), stringField('_compression_algorithm', 'zlib')] });
  assert.ok(!corrupt.ok && corrupt.error.reason === 'bad-compressed');
  // Past MAXMSG Heartbeat always compresses, and the receiver inflates up to MAXUNCOMPRESSED (2 MiB).
  const large = makeMessage([['t', 'large'], ['data', 'xyz'.repeat(150_000)]]);
  const lp = encodeNetstring(large, SHA1);
  assert.ok(lp.ok && lp.value.length < 262144);
  const lf = decodeFrame(lp.value);
  assert.ok(lf.ok && lf.value.inner !== null);
  assert.equal(getString(lf.value.inner, 'data')?.length, 450_000);
  assert.equal(verifyBytes(lp.value, SHA1).accepted, 'ok');
  // A zip bomb past MAXUNCOMPRESSED (2 MiB) is refused, not inflated.
  const bomb = compressMessage(makeMessage([['x', 'a'.repeat(3 * 1024 * 1024)]]));
  const bombOpened = decompressMessage(bomb);
  assert.ok(!bombOpened.ok && bombOpened.error.reason === 'bad-compressed');
});

test('messages Heartbeat could not carry are refused on encoding, with a reason', () => {
  const keys: AuthKeys = SHA1;
  const cases: Array<[Message, string]> = [
    [makeMessage([['', 'x']]), 'bad-name'],
    [makeMessage([['a=b', 'x']]), 'bad-name'],
    [makeMessage([['a\nb', 'x']]), 'bad-name'],
    [makeMessage([['(1)x', 'x']]), 'bad-name'],
    [makeMessage([['>>>', 'x']]), 'bad-name'],
    [makeMessage([['n'.repeat(255), 'x']]), 'bad-name'],
    [makeMessage([['t', 'nul\0inside']]), 'bad-value'],
    [makeMessage([listField('l', [])]), 'bad-list'],
  ];
  for (const [m, reason] of cases) {
    const r = encodeNetstring(m, keys);
    assert.ok(!r.ok && r.error.reason === reason, `${JSON.stringify(m.fields[0]?.name)} → ${r.ok ? 'ok' : r.error.reason}`);
  }
  const c = encodeClassic(makeMessage([['t', 'has\x13sym']]));
  assert.ok(!c.ok && c.error.reason === 'bad-value');
  // Found by the round-trip property: inside a struct, the enclosing level's SPECIAL_SYM (0x14) in a name
  // would be turned into a newline by the receiver. Fine in netstring form, refused in classic form.
  const symName = makeMessage([structField('s', makeMessage([['a\x14', 'x']]))]);
  assert.ok(encodeNetstring(symName, keys).ok);
  const sc = encodeClassic(symName);
  assert.ok(!sc.ok && sc.error.reason === 'bad-name');
  const noKey = encodeNetstring(EXAMPLE, { activeIndex: 3, keys: new Map() });
  assert.ok(!noKey.ok && noKey.error.reason === 'unknown-key');
  let deep: Message = makeMessage([['leaf', '1']]);
  for (let i = 0; i < 16; i++) deep = makeMessage([structField('s', deep)]);
  const tooDeep = encodeNetstring(deep, keys);
  assert.ok(!tooDeep.ok && tooDeep.error.reason === 'too-deep');
  const huge = encodeNetstring(makeMessage([binaryField('b', randomBytes(300_000))]), keys);
  assert.ok(!huge.ok && huge.error.reason === 'too-large');
});

test('malformed netstring input: a stable reason each, never an exception', () => {
  const cases: Array<[string, string]> = [
    ['', 'empty'],
    ['##', 'no-start'],
    ['>>>\n', 'no-start'],
    ['###\n', 'no-end'],
    ['###\nx:(0)t=a,%%%\n', 'bad-length'],
    ['###\n011:(0)t=status,%%%\n', 'bad-length'],
    ['###\n-1:(0)t=a,%%%\n', 'bad-length'],
    ['###\n99:(0)t=a,%%%\n', 'truncated'],
    ['###\n999999999:(0)t=a,%%%\n', 'bad-length'],
    ['###\n6:(0)t=a;%%%\n', 'bad-item'],
    ['###\n6:[0]t=a,%%%\n', 'bad-item'],
    ['###\n6:(9)t=a,%%%\n', 'bad-type'],
    ['###\n6:(5)t=a,%%%\n', 'bad-type'],
    ['###\n6:(0)tta,%%%\n', 'bad-item'],
    ['###\n4:(0)=,%%%\n', 'bad-item'],
    ['###\n5:(0)=a,%%%\n', 'bad-name'],
    ['###\n6:(0)t=\0,%%%\n', 'bad-value'],
    ['###\n9:(3)l=2:a,,%%%\n', 'bad-list'],
    ['###\n5:(3)l=,%%%\n', 'bad-list'],
    ['###\n14:(2)s=###\n%%%\nx,%%%\n', 'trailing-bytes'],
    ['###\n6:(0)t=a,%%%\n1:1 a,', 'bad-trailer'],
    ['###\n6:(0)t=a,%%%\n9:1 a,', 'truncated'],
    ['###\n6:(0)t=a,%%%\n3:1 a,\0', 'trailing-bytes'],
  ];
  for (const [input, reason] of cases) {
    const r = decodeNetstring(latin1(input));
    assert.ok(!r.ok, JSON.stringify(input));
    assert.equal(r.error.reason, reason, JSON.stringify(input));
  }
  assert.equal(decodeNetstring(new Uint8Array(262145)).ok === false, true);
  let nested = '###\n%%%\n';
  for (let i = 0; i < 20; i++) nested = `###\n${5 + nested.length}:(2)s=${nested},%%%\n`;
  const deep = decodeNetstring(latin1(nested));
  assert.ok(!deep.ok && deep.error.reason === 'too-deep');
});

test('malformed classic input: a stable reason each', () => {
  const cases: Array<[string, string]> = [
    ['', 'empty'],
    ['###\n', 'no-start'],
    ['>>>\nt=a\n', 'no-end'],
    ['>>>\nta\n<<<\n', 'bad-item'],
    ['>>>\n(7)t=a\n<<<\n', 'bad-type'],
    ['>>>\n(1)u=abc\n<<<\n', 'bad-base64'],
    ['>>>\n(1)u=ab=c\n<<<\n', 'bad-base64'],
    ['>>>\n(1)u=YR==\n<<<\n', 'bad-base64'],
    ['>>>\n(3)l=2:a,\n<<<\n', 'bad-list'],
    ['>>>\n(2)s=>>>\x14t=a\n<<<\n', 'no-end'],
    ['>>>\n=a\n<<<\n', 'bad-name'],
  ];
  for (const [input, reason] of cases) {
    const r = decodeClassic(latin1(input));
    assert.ok(!r.ok, JSON.stringify(input));
    assert.equal(r.error.reason, reason, JSON.stringify(input));
  }
});
