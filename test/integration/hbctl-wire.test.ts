// The built `hbctl wire` over the real Heartbeat 3.0.6 recordings: exact verdicts and counts, JSON Lines, tampering, usage errors.
//
// Expected message counts come from outside our codec: pcap counts are what `tcpdump -r FILE 'udp port 694'`
// and `… 'icmp[icmptype] == icmp-echo or icmp[icmptype] == icmp-echoreply'` list; serial counts are the
// number of ">>>" lines in each stream (`grep -c '^>>>$'`).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliPath, realFixturesDir } from '../helpers/paths.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-hbctl-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const payloadDir = path.join(realFixturesDir, 'payloads');
const pcapDir = path.join(realFixturesDir, 'pcap');
const serialDir = path.join(realFixturesDir, 'serial');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function hbctl(args: readonly string[], input?: Buffer): Run {
  const r = spawnSync(process.execPath, [cliPath('hbctl'), ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
    ...(input !== undefined ? { input } : { stdio: ['ignore', 'pipe', 'pipe'] }),
  });
  assert.doesNotMatch(`${r.stdout}${r.stderr}`, /\n\s+at .+:\d+:\d+/, 'no stack trace');
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function keyFile(name: string, text: string): string {
  const p = path.join(work, name);
  fs.writeFileSync(p, text, { mode: 0o600 });
  return p;
}
const KEYS = {
  sha1: keyFile('sha1.keys', 'auth 1\n1 sha1 SomeKey\n'),
  md5: keyFile('md5.keys', 'auth 1\n1 md5 SomeKey\n'),
  crc: keyFile('crc.keys', 'auth 1\n1 crc\n'),
};

/** The key each recording was made with (fixtures README). */
function keysFor(file: string): string {
  return file.includes('-crc') ? KEYS.crc : file.includes('-md5') ? KEYS.md5 : KEYS.sha1;
}

const payloads = fs.readdirSync(payloadDir).filter((f) => f.endsWith('.bin')).sort();

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

function jsonLines(text: string): Array<Record<string, unknown>> {
  return lines(text).map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('hbctl --help names hbctl and documents JSON Lines; exit 0', () => {
  const r = hbctl(['--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^Usage: hbctl /);
  assert.match(r.stdout, /hbctl wire decode/);
  assert.match(r.stdout, /--json +JSON Lines: one JSON object per message/);
  assert.equal(r.stderr, '');
  const w = hbctl(['wire', '--help']);
  assert.equal(w.status, 0);
  assert.match(w.stdout, /hbctl wire verify --authkeys FILE/);
});

test('hbctl: unknown or missing command → usage on stderr, exit 2', () => {
  for (const args of [['frobnicate'], [], ['wire'], ['wire', 'frob']]) {
    const r = hbctl(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /Usage: hbctl/);
  }
});

test('there are recordings to test (guards against a vacuous pass)', () => {
  assert.equal(payloads.length, 22);
});

test('decode: every payload decodes; with its key both signatures are ok (classic: the inner one)', () => {
  for (const file of payloads) {
    const r = hbctl(['wire', 'decode', '--authkeys', keysFor(file), path.join(payloadDir, file)]);
    assert.equal(r.status, 0, `${file}: ${r.stderr}`);
    const classic = file.includes('classic');
    assert.match(r.stdout, new RegExp(`#1: ${classic ? 'classic' : 'netstring'} message, ${fs.statSync(path.join(payloadDir, file)).size} bytes`));
    assert.equal(lines(r.stdout).filter((l) => l === '  verdict: ok').length, 1, file);
    assert.equal(lines(r.stdout).filter((l) => l === '  signature inner auth: ok').length, 1, file);
    assert.equal(lines(r.stdout).filter((l) => l === '  signature trailer: ok').length, classic ? 0 : 1, file);
  }
});

test('decode status-sha1.bin: fields in wire order, binary as hex, trailer shown', () => {
  const r = hbctl(['wire', 'decode', '--authkeys', KEYS.sha1, path.join(payloadDir, 'status-sha1.bin')]);
  assert.equal(r.status, 0, r.stderr);
  const fieldNames = lines(r.stdout).slice(1, 13).map((l) => l.trim().split(/[ :]/)[0]);
  assert.deepEqual(fieldNames, ['t', 'st', 'dt', 'protocol', 'src', 'srcuuid', 'seq', 'hg', 'ts', 'ld', 'ttl', 'auth']);
  assert.match(r.stdout, /^ {2}t: status$/m);
  assert.match(r.stdout, /^ {2}seq: 5$/m);
  assert.match(r.stdout, /^ {2}srcuuid \(binary, 16 bytes\): [0-9a-f]{32}$/m);
  assert.match(r.stdout, /^ {2}trailer: 1 [0-9a-f]{40}$/m);
});

test('decode without keys: fields only, signatures "not checked"; --json verdicts null', () => {
  const file = path.join(payloadDir, 'status-md5.bin');
  const r = hbctl(['wire', 'decode', file]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /signatures: not checked/);
  const j = jsonLines(hbctl(['wire', 'decode', '--json', file]).stdout);
  assert.equal(j.length, 1);
  assert.equal(j[0]?.['verdicts'], null);
});

test('decode --json: one valid JSON object per line, fields typed, verdicts per signature', () => {
  const r = hbctl(['wire', 'decode', '--json', '--authkeys', KEYS.crc, path.join(payloadDir, 'status-crc.bin')]);
  assert.equal(r.status, 0, r.stderr);
  const [rec, ...more] = jsonLines(r.stdout);
  assert.equal(more.length, 0);
  assert.ok(rec);
  assert.equal(rec['form'], 'netstring');
  assert.equal(rec['bytes'], 246);
  assert.deepEqual(rec['verdicts'], { trailer: 'ok', inner: 'ok', accepted: 'ok', verified: true });
  const fields = rec['fields'] as Array<Record<string, unknown>>;
  assert.deepEqual(fields[0], { name: 't', type: 'string', value: 'status' });
  assert.equal(fields.find((f) => f['name'] === 'srcuuid')?.['type'], 'binary');
  assert.match(String(fields.find((f) => f['name'] === 'srcuuid')?.['hex']), /^[0-9a-f]{32}$/);
  const summary = rec['summary'] as Record<string, unknown>;
  assert.equal(summary['t'], 'status');
  assert.equal(summary['src'], 'bravo');
  assert.equal(summary['seq'], 6);
});

test('verify: every payload, grouped by key, exit 0 with one "ok" line per message', () => {
  for (const [method, key] of Object.entries(KEYS)) {
    const files = payloads.filter((f) => keysFor(f) === key).map((f) => path.join(payloadDir, f));
    assert.ok(files.length >= 1, method);
    const r = hbctl(['wire', 'verify', '--authkeys', key, ...files]);
    assert.equal(r.status, 0, `${method}: ${r.stdout}${r.stderr}`);
    const out = lines(r.stdout);
    assert.equal(out.length, files.length, method);
    for (const l of out) assert.match(l, /#1: ok \((trailer ok, inner ok|inner ok)\) t=\S+ seq=\S+ src=\S+$/);
    assert.match(r.stderr, new RegExp(`${files.length} of ${files.length} message\\(s\\) verified`));
  }
});

test('verify with the wrong key: exit 1, bad-digest for both signatures', () => {
  const r = hbctl(['wire', 'verify', '--authkeys', KEYS.md5, path.join(payloadDir, 'status-sha1.bin')]);
  assert.equal(r.status, 1);
  // The message names index 1, which is an md5 key here: a digest mismatch, not an unknown key.
  assert.match(r.stdout, /#1: FAIL \(trailer bad-digest, inner bad-digest\) t=status seq=5 src=alpha/);
});

test('verify a tampered copy: one flipped byte in a value or in the trailer digest fails with exit 1', () => {
  const original = fs.readFileSync(path.join(payloadDir, 'status-sha1.bin'));
  const inValue = Buffer.from(original);
  const st = inValue.indexOf('(0)st=') + '(0)st='.length;
  inValue[st] = (inValue[st] as number) ^ 0x01;
  const inTrailer = Buffer.from(original);
  inTrailer[inTrailer.length - 2] = (inTrailer[inTrailer.length - 2] as number) ^ 0x01;
  const a = path.join(work, 'tampered-value.bin');
  const b = path.join(work, 'tampered-trailer.bin');
  fs.writeFileSync(a, inValue);
  fs.writeFileSync(b, inTrailer);
  const good = hbctl(['wire', 'verify', '--authkeys', KEYS.sha1, path.join(payloadDir, 'status-sha1.bin')]);
  assert.equal(good.status, 0, good.stdout);
  const ra = hbctl(['wire', 'verify', '--authkeys', KEYS.sha1, a]);
  assert.equal(ra.status, 1);
  assert.match(ra.stdout, /tampered-value\.bin#1: FAIL \(trailer bad-digest, inner bad-digest\)/);
  const rb = hbctl(['wire', 'verify', '--authkeys', KEYS.sha1, b]);
  assert.equal(rb.status, 1);
  assert.match(rb.stdout, /tampered-trailer\.bin#1: FAIL \(trailer bad-digest, inner ok\)/);
  // One bad file among good ones still fails the whole run.
  const mixed = hbctl(['wire', 'verify', '--authkeys', KEYS.sha1, path.join(payloadDir, 'status-sha1.bin'), a]);
  assert.equal(mixed.status, 1);
  assert.equal(lines(mixed.stdout).length, 2);
  assert.match(mixed.stderr, /1 of 2 message\(s\) verified, 1 failed/);
});

const PCAP_COUNTS: Record<string, { udp: number; icmp: number; key: string }> = {
  'auth-crc.pcap': { udp: 86, icmp: 0, key: KEYS.crc },
  'auth-md5.pcap': { udp: 70, icmp: 0, key: KEYS.md5 },
  'fast-ka200ms.pcap': { udp: 973, icmp: 0, key: KEYS.sha1 },
  'ipfail.pcap': { udp: 183, icmp: 220, key: KEYS.sha1 },
  'main-sha1.pcap': { udp: 130, icmp: 0, key: KEYS.sha1 },
  'serial-bcast.pcap': { udp: 93, icmp: 0, key: KEYS.sha1 },
  'steady-ka1.pcap': { udp: 144, icmp: 0, key: KEYS.sha1 },
};

test('decode --pcap: one line per message (time, source, type, seq, src node, verdict), all ok', () => {
  assert.deepEqual(Object.keys(PCAP_COUNTS).sort(), fs.readdirSync(pcapDir).filter((f) => f.endsWith('.pcap')).sort());
  for (const [file, want] of Object.entries(PCAP_COUNTS)) {
    const r = hbctl(['wire', 'decode', '--pcap', path.join(pcapDir, file), '--authkeys', want.key]);
    assert.equal(r.status, 0, `${file}: ${r.stderr}`);
    const out = lines(r.stdout);
    const line = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z 192\.0\.2\.\d+ (udp|icmp) \S+ seq=(?:[0-9a-f]+|-) src=\S+ ok \(trailer ok, inner ok\)$/;
    for (const l of out) assert.match(l, line, file);
    assert.equal(out.filter((l) => / udp /.test(l)).length, want.udp, file);
    assert.equal(out.filter((l) => / icmp /.test(l)).length, want.icmp, file);
  }
});

test('decode --pcap ipfail.pcap: the ping medium\'s ICMP data is t=NS_st from the ping node', () => {
  const r = hbctl(['wire', 'decode', '--pcap', path.join(pcapDir, 'ipfail.pcap'), '--authkeys', KEYS.sha1]);
  const icmp = lines(r.stdout).filter((l) => / icmp /.test(l));
  assert.equal(icmp.length, 220);
  for (const l of icmp) assert.match(l, / icmp NS_st seq=- src=192\.0\.2\.1 ok/);
});

test('decode --pcap --json: JSON Lines, capture metadata, every message verified; verify on a pcap exits 0', () => {
  const file = path.join(pcapDir, 'main-sha1.pcap');
  const r = hbctl(['wire', 'decode', '--pcap', file, '--authkeys', KEYS.sha1, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const recs = jsonLines(r.stdout);
  assert.equal(recs.length, 130);
  for (const rec of recs) {
    const cap = rec['capture'] as Record<string, unknown>;
    assert.equal(cap['proto'], 'udp');
    assert.ok(cap['dstPort'] === 694 || cap['srcPort'] === 694);
    assert.equal((rec['verdicts'] as Record<string, unknown>)['verified'], true);
  }
  // The pcap is recognised by its magic number without --pcap too.
  const v = hbctl(['wire', 'verify', '--authkeys', KEYS.sha1, file]);
  assert.equal(v.status, 0, v.stderr);
  assert.equal(lines(v.stdout).length, 130);
});

test('--serial: raw serial streams split into their messages, every inner signature ok', () => {
  const counts = { 'serial-a2b.raw': 46, 'serial-b2a.raw': 57 };
  for (const [file, n] of Object.entries(counts)) {
    const r = hbctl(['wire', 'decode', '--serial', '--json', '--authkeys', KEYS.sha1, path.join(serialDir, file)]);
    assert.equal(r.status, 0, r.stderr);
    const recs = jsonLines(r.stdout);
    assert.equal(recs.length, n, file);
    for (const rec of recs) {
      assert.equal(rec['form'], 'classic');
      assert.deepEqual(rec['verdicts'], { trailer: 'no-signature', inner: 'ok', accepted: 'ok', verified: true });
    }
  }
  const v = hbctl(['wire', 'verify', '--serial', '--authkeys', KEYS.sha1, ...Object.keys(counts).map((f) => path.join(serialDir, f))]);
  assert.equal(v.status, 0, v.stderr);
  assert.equal(lines(v.stdout).length, 103);
});

test('--serial on a tampered stream: only the touched message fails, exit 1', () => {
  const bytes = Buffer.from(fs.readFileSync(path.join(serialDir, 'serial-a2b.raw')));
  // The `st=` value of the 3rd message.
  let at = -1;
  for (let i = 0; i < 3; i++) at = bytes.indexOf('\nst=', at + 1);
  bytes[at + 4] = (bytes[at + 4] as number) ^ 0x01;
  const file = path.join(work, 'tampered-serial.raw');
  fs.writeFileSync(file, bytes);
  const r = hbctl(['wire', 'verify', '--serial', '--authkeys', KEYS.sha1, file]);
  assert.equal(r.status, 1);
  const out = lines(r.stdout);
  assert.equal(out.length, 46);
  assert.deepEqual(out.map((l, i) => [i + 1, /: FAIL /.test(l)]).filter(([, bad]) => bad), [[3, true]]);
  assert.match(out[2] ?? '', /#3: FAIL \(inner bad-digest\)/);
});

test('decode reads standard input with "-"', () => {
  const r = hbctl(['wire', 'decode', '--authkeys', KEYS.crc, '-'], fs.readFileSync(path.join(payloadDir, 'status-crc.bin')));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^<stdin>#1: netstring message, 246 bytes, 12 fields$/m);
  assert.match(r.stdout, /^ {2}verdict: ok$/m);
});

test('undecodable input: decode and verify say why, exit 1', () => {
  const file = path.join(work, 'garbage.bin');
  fs.writeFileSync(file, 'hello world\n');
  const d = hbctl(['wire', 'decode', file]);
  assert.equal(d.status, 1);
  assert.match(d.stdout, /garbage\.bin#1: 12 bytes, cannot decode: no-start at byte 0/);
  const cut = path.join(work, 'cut.bin');
  fs.writeFileSync(cut, fs.readFileSync(path.join(payloadDir, 'status-sha1.bin')).subarray(0, 100));
  const v = hbctl(['wire', 'verify', '--authkeys', KEYS.sha1, cut]);
  assert.equal(v.status, 1);
  assert.match(v.stdout, /cut\.bin#1: FAIL cannot decode: /);
  const empty = path.join(work, 'empty.bin');
  fs.writeFileSync(empty, '');
  const e = hbctl(['wire', 'verify', '--authkeys', KEYS.sha1, empty]);
  assert.equal(e.status, 1, 'a file without messages does not verify');
  assert.match(e.stderr, /empty\.bin: no Heartbeat message found/);
});

test('usage and I/O errors: a clear message naming the file and cause, exit 2, no stack trace', () => {
  const payload = path.join(payloadDir, 'status-sha1.bin');
  const missing = path.join(work, 'no-such-file.bin');
  const badKeys = keyFile('bad.keys', 'auth 1\n1 sha9 x\n');
  const cases: Array<[string[], RegExp]> = [
    [['wire', 'verify', payload], /verify needs --authkeys FILE/],
    [['wire', 'verify', '--authkeys', KEYS.sha1], /no input FILE given/],
    [['wire', 'decode', '--bogus', payload], /unknown option --bogus/],
    [['wire', 'decode', '--authkeys'], /option --authkeys needs a value/],
    [['wire', 'decode', '--serial', '--pcap', payload], /--pcap and --serial do not go together/],
    [['wire', 'decode', missing], new RegExp(`cannot read ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no such file or directory`)],
    [['wire', 'decode', '--authkeys', missing, payload], /cannot read .*no-such-file\.bin: no such file or directory/],
    [['wire', 'decode', '--pcap', payload], /status-sha1\.bin: not a pcap file: bad magic/],
    [['wire', 'decode', '--authkeys', badKeys, payload], /bad\.keys:2:\d+: error HA_AUTH_UNKNOWN_METHOD: .*\n(.*\n)*hbctl wire: .*bad\.keys: no usable key/],
    [['wire', 'decode', work], /cannot read .*: is a directory/],
  ];
  for (const [args, why] of cases) {
    const r = hbctl(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why, args.join(' '));
    assert.equal(r.stdout, '', args.join(' '));
  }
});

test('decode shows nested structs indented, lists, and the decompressed message of a compressed frame', async () => {
  const wire = await import('../../src/wire/index.js');
  const keys = wire.singleKey('sha1', 'SomeKey');
  const child = wire.makeMessage([['a', '1'], ['b', 'two words']]);
  const m = wire.makeMessage([
    ['t', 'nested-test'],
    wire.structField('child', wire.makeMessage([['x', 'y'], wire.structField('grandchild', child)])),
    wire.listField('names', ['alpha', 'bravo']),
    ['src', 'alpha'],
  ]);
  const plain = wire.encodeNetstring(m, keys);
  assert.ok(plain.ok);
  const file = path.join(work, 'nested.bin');
  fs.writeFileSync(file, plain.value);
  const r = hbctl(['wire', 'decode', '--authkeys', KEYS.sha1, file]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\n {2}child \(struct, 2 fields\):\n {4}x: y\n {4}grandchild \(struct, 2 fields\):\n {6}a: 1\n {6}b: two words\n {2}names \(list, 2 items\): \["alpha", "bravo"\]\n/);
  assert.match(r.stdout, /^ {2}verdict: ok$/m);

  const packed = wire.encodeNetstring(m, keys, { compression: { algorithm: 'zlib', thresholdBytes: 0 } });
  assert.ok(packed.ok);
  const zfile = path.join(work, 'compressed.bin');
  fs.writeFileSync(zfile, packed.value);
  const z = hbctl(['wire', 'decode', '--authkeys', KEYS.sha1, zfile]);
  assert.equal(z.status, 0, z.stderr);
  assert.match(z.stdout, /^ {2}_compressed_payload \(binary, \d+ bytes\): [0-9a-f]+$/m);
  assert.match(z.stdout, /^ {2}decompressed \(5 fields\):\n {4}t: nested-test\n {4}child \(struct, 2 fields\):\n {6}x: y$/m);
  const j = jsonLines(hbctl(['wire', 'decode', '--json', zfile]).stdout);
  assert.equal((j[0]?.['summary'] as Record<string, unknown>)['t'], 'nested-test');
  assert.equal((j[0]?.['decompressed'] as unknown[]).length, 5);
});
