// The serial medium without a device: byte cleaning and framing, the real Heartbeat recordings, the re-open
// back-off on a manual clock with a fake device, the output queue bound, close().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { HbError } from '../../src/core/errors.js';
import { cleanSerialBytes, isVanishedError, ProblemLimiter, retryDelayMs, SerialFrameReader } from '../../src/media/serial-stream.js';
import {
  SerialMedium,
  type SerialDevice,
  type SerialDeviceEvents,
  type SerialOpenRequest,
  type SerialTimers,
} from '../../src/media/serial.js';
import type { MediumListener } from '../../src/media/medium.js';
import {
  decodeClassic,
  encodeClassic,
  getString,
  makeMessage,
  signMessage,
  singleKey,
  verifyInnerAuth,
  type Message,
} from '../../src/wire/index.js';
import { realFixturesDir } from '../helpers/paths.js';

const keys = singleKey('sha1', 'SomeKey');
const latin = (s: string): Buffer => Buffer.from(s, 'latin1');
const text = (ms: readonly Uint8Array[]): string[] => ms.map((m) => Buffer.from(m).toString('latin1'));

function signed(seq: number, extra: ReadonlyArray<readonly [string, string]> = []): Message {
  const s = signMessage(makeMessage([['t', 'status'], ['st', 'active'], ['src', 'alpha'], ['seq', seq.toString(16)], ...extra]), keys);
  assert.ok(s.ok);
  return s.value;
}

function classic(seq: number): string {
  const e = encodeClassic(signed(seq));
  assert.ok(e.ok);
  return Buffer.from(e.value).toString('latin1');
}

/** Deterministic chunk sizes (a small LCG): the same "random" chunking on every run. */
function chunks(bytes: Uint8Array, seed: number, max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let x = seed;
  for (let i = 0; i < bytes.length; ) {
    x = (x * 1103515245 + 12345) >>> 0;
    const n = 1 + (x % max);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

// ─── Byte cleaning and framing ──────────────────────────────────────────────────────────────────────────────

test('cleanSerialBytes strips the 8th bit (ISTRIP) then drops CR (IGNCR), and leaves clean input alone', () => {
  assert.deepEqual([...cleanSerialBytes(Uint8Array.from([0xbe, 0x3e, 0x0d, 0x8d, 0x0a, 0xff, 0x80]))], [0x3e, 0x3e, 0x0a, 0x7f, 0x00]);
  const clean = latin('>>>\nt=x\n<<<\n');
  assert.equal(cleanSerialBytes(clean), clean);
  assert.equal(cleanSerialBytes(new Uint8Array(0)).length, 0);
});

test('frames split at every offset arrive whole (two pushes, and one byte at a time)', () => {
  const msgs = [classic(1), classic(2), classic(3)];
  const stream = latin(`noise\n${msgs[0]}${msgs[1]}junk>>>\n${msgs[2]}`);
  for (let cut = 0; cut <= stream.length; cut++) {
    const r = new SerialFrameReader();
    const got = [...r.push(stream.subarray(0, cut)), ...r.push(stream.subarray(cut))];
    assert.deepEqual(text(got), msgs, `cut at ${cut}`);
  }
  const r = new SerialFrameReader();
  const got: Uint8Array[] = [];
  for (let i = 0; i < stream.length; i++) got.push(...r.push(stream.subarray(i, i + 1)));
  assert.deepEqual(text(got), msgs);
  assert.equal(r.stats.frames, 3);
  assert.equal(r.bufferedBytes, 0);
});

test('the 8th bit is stripped and CRs are dropped before framing: the frames still verify', () => {
  const msgs = [classic(7), classic(8)];
  const noisy = latin(msgs.join('').replaceAll('\n', '\r\n'));
  for (let i = 0; i < noisy.length; i += 3) noisy[i] = (noisy[i] as number) | 0x80;
  const r = new SerialFrameReader();
  const got = chunks(noisy, 5, 17).flatMap((c) => r.push(c));
  assert.deepEqual(text(got), msgs);
  for (const f of got) {
    const m = decodeClassic(f);
    assert.ok(m.ok);
    assert.equal(verifyInnerAuth(m.value, keys), 'ok');
  }
});

test('garbage between frames is ignored (stray markers, binary noise, lines that only contain >>>)', () => {
  const a = classic(1);
  const b = classic(2);
  const r = new SerialFrameReader();
  const got = r.push(latin(`\0\x01\xfe<<<\nx>>>\n>>>x\n${a}\n\n<<<\n\xff\xfe garbage\n${b}<<`));
  assert.deepEqual(text(got), [a, b]);
  assert.ok(r.stats.discardedBytes > 10);
});

test('an oversized frame is dropped with bounded memory and the reader resynchronises', () => {
  const limit = 1024;
  const r = new SerialFrameReader(limit);
  let peak = 0;
  const big = latin(`>>>\nt=status\npad=${'x'.repeat(20_000)}\nmore=${'y\n'.repeat(3000)}<<<\n`);
  for (const c of chunks(big, 3, 200)) {
    assert.deepEqual(r.push(c), []);
    peak = Math.max(peak, r.bufferedBytes);
  }
  assert.ok(peak <= limit + 200, `buffered ${peak} bytes`);
  const next = classic(9);
  assert.deepEqual(text(r.push(latin(next))), [next]);
  assert.ok(r.stats.abandoned >= 1);
});

test('reset() forgets a partial frame', () => {
  const a = classic(1);
  const r = new SerialFrameReader();
  assert.deepEqual(r.push(latin(a.slice(0, 40))), []);
  r.reset();
  assert.equal(r.bufferedBytes, 0);
  // The rest of the cut-off frame is garbage now; the next whole frame comes through.
  assert.deepEqual(text(r.push(latin(a.slice(40) + a))), [a]);
});

// ─── Real Heartbeat 3.0.6 serial recordings ─────────────────────────────────────────────────────────────────

for (const [file, expected] of [
  ['serial-a2b.raw', 46],
  ['serial-b2a.raw', 57],
] as const) {
  test(`real Heartbeat recording ${file}: ${expected} frames in any chunking, every inner signature valid`, () => {
    const raw = fs.readFileSync(path.join(realFixturesDir, 'serial', file));
    let reference: string[] | null = null;
    for (const [seed, max] of [
      [1, 1],
      [2, 7],
      [3, 64],
      [4, 512],
      [5, 100_000],
    ] as const) {
      const r = new SerialFrameReader();
      const frames = chunks(raw, seed, max).flatMap((c) => r.push(c));
      assert.equal(frames.length, expected, `seed ${seed}`);
      assert.equal(r.stats.discardedBytes, 0);
      const t = text(frames);
      if (reference === null) reference = t;
      else assert.deepEqual(t, reference);
      for (const f of frames) {
        const m = decodeClassic(f);
        assert.ok(m.ok, `decodes: ${Buffer.from(f).toString('latin1').slice(0, 60)}`);
        assert.equal(verifyInnerAuth(m.value, keys), 'ok');
      }
    }
    // The recording re-encodes byte for byte: our sender writes what Heartbeat writes.
    assert.equal((reference ?? []).join(''), raw.toString('latin1'));
  });
}

// ─── SerialMedium with a fake device and a manual clock ─────────────────────────────────────────────────────

class ManualTimers implements SerialTimers {
  now = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { atMs: number; fn: () => void }>();

  nowMs(): number {
    return this.now;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { atMs: this.now + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  get pendingCount(): number {
    return this.pending.size;
  }
  /** Runs every timer due within `ms`, in order, letting promise callbacks settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      let next: [number, { atMs: number; fn: () => void }] | undefined;
      for (const e of this.pending) if (e[1].atMs <= end && (next === undefined || e[1].atMs < next[1].atMs)) next = e;
      if (next === undefined) break;
      this.pending.delete(next[0]);
      this.now = next[1].atMs;
      next[1].fn();
      await settle();
    }
    this.now = end;
    await settle();
  }
}

/** Lets pending promise callbacks (fake opens and writes) run: a few turns of the event loop, no time passes. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
}

class FakeDevice implements SerialDevice {
  readonly written: Uint8Array[] = [];
  closed = 0;
  /** When set, writes stay pending until release() (a line held by flow control). */
  hold = false;
  private held: Array<() => void> = [];
  constructor(readonly events: SerialDeviceEvents) {}
  write(bytes: Uint8Array): Promise<void> {
    this.written.push(bytes);
    if (!this.hold) return Promise.resolve();
    return new Promise((r) => this.held.push(r));
  }
  release(): void {
    this.hold = false;
    for (const r of this.held.splice(0)) r();
  }
  close(): Promise<void> {
    this.closed++;
    return Promise.resolve();
  }
}

/** A device that is present or not; counts open attempts with their times. */
class FakePort {
  present = true;
  openTimes: number[] = [];
  devices: FakeDevice[] = [];
  requests: SerialOpenRequest[] = [];
  failWith: Error = new Error('Error: No such file or directory, cannot open /dev/ttyS1');
  constructor(private readonly timers: ManualTimers) {}
  readonly open = (request: SerialOpenRequest, events: SerialDeviceEvents): Promise<SerialDevice> => {
    this.openTimes.push(this.timers.now);
    this.requests.push(request);
    if (!this.present) return Promise.reject(this.failWith);
    const d = new FakeDevice(events);
    this.devices.push(d);
    return Promise.resolve(d);
  };
  get last(): FakeDevice {
    const d = this.devices[this.devices.length - 1];
    assert.ok(d, 'a device was opened');
    return d;
  }
}

function recorder(): MediumListener & { frames: Uint8Array[]; problems: string[] } {
  const frames: Uint8Array[] = [];
  const problems: string[] = [];
  return { frames, problems, frame: (b) => frames.push(b), problem: (t) => problems.push(t) };
}

function setup(deps: { maxQueuedFrames?: number } = {}): { timers: ManualTimers; port: FakePort; medium: SerialMedium } {
  const timers = new ManualTimers();
  const port = new FakePort(timers);
  const medium = new SerialMedium({ device: '/dev/ttyS1', baud: 19200 }, { openDevice: port.open, timers, ...deps });
  return { timers, port, medium };
}

test('retry delays: 1 s, 2 s, 4 s, 8 s, then every 10 s', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 50, 1e9].map(retryDelayMs), [1000, 2000, 4000, 8000, 10000, 10000, 10000, 10000]);
});

test('problem limiter: one line per kind per 10 s, then the count held back; kinds are independent', () => {
  const l = new ProblemLimiter();
  assert.equal(l.admit('a', 0), '');
  assert.equal(l.admit('a', 9_999), null);
  assert.equal(l.admit('b', 5_000), '');
  assert.equal(l.admit('a', 9_999), null);
  assert.equal(l.admit('a', 10_000), ' (2 more since the last report)');
  assert.equal(l.admit('a', 20_000), '');
});

test('vanished-device errors are told apart from other open failures', () => {
  for (const t of ['Error: No such file or directory, cannot open /dev/ttyS1', 'ENXIO: no such device or address', 'hung up: end of file', 'EIO: i/o error, read']) {
    assert.ok(isVanishedError(t), t);
  }
  for (const t of ['Error: Permission denied, cannot open /dev/ttyS1', 'Error Resource temporarily unavailable Cannot lock port', 'EIOX']) {
    assert.ok(!isVanishedError(t), t);
  }
});

test('opens with Heartbeat line settings: baud, 8N1, RTS/CTS, locked; kind and name', async () => {
  const { port, medium } = setup();
  await medium.start(recorder());
  assert.equal(medium.kind, 'serial');
  assert.equal(medium.name, '/dev/ttyS1');
  assert.deepEqual(port.requests[0], { path: '/dev/ttyS1', baudRate: 19200, dataBits: 8, stopBits: 1, parity: 'none', rtscts: true, lock: true });
  await medium.close();
});

test('device missing: start resolves, one problem line, retries at 1 s, 2 s, 4 s … every 10 s, bounded over a minute', async () => {
  const { timers, port, medium } = setup();
  port.present = false;
  const rec = recorder();
  await medium.start(rec);
  assert.equal(medium.isOpen, false);
  await timers.advance(60_000);
  assert.deepEqual(port.openTimes, [0, 1000, 3000, 7000, 15000, 25000, 35000, 45000, 55000]);
  assert.ok(port.openTimes.length <= 15);
  assert.equal(rec.problems.length, 1, rec.problems.join('\n'));
  assert.match(rec.problems[0] ?? '', /^serial \/dev\/ttyS1: device vanished \(Error: No such file or directory, cannot open \/dev\/ttyS1\); retrying every 1 s/);
  // The device appears: the next retry opens it and says so.
  port.present = true;
  await timers.advance(10_000);
  assert.equal(medium.isOpen, true);
  assert.match(rec.problems[1] ?? '', /^serial \/dev\/ttyS1: device back: re-opened after 65\.0 s$/);
  await medium.close();
});

test('a device that fails to open for another reason is reported as such, and retried the same way', async () => {
  const { timers, port, medium } = setup();
  port.present = false;
  port.failWith = new Error('Error Resource temporarily unavailable Cannot lock port');
  const rec = recorder();
  await medium.start(rec);
  await timers.advance(20_000);
  assert.deepEqual(port.openTimes, [0, 1000, 3000, 7000, 15000]);
  assert.deepEqual(rec.problems, ['serial /dev/ttyS1: cannot open device (Error Resource temporarily unavailable Cannot lock port); retrying every 1 s (backing off to 10 s)']);
  await medium.close();
});

test('a hung-up line is reported once, closed, and re-opened after 1 s; frames flow again', async () => {
  const { timers, port, medium } = setup();
  const rec = recorder();
  await medium.start(rec);
  const first = port.last;
  first.events.data(latin(classic(1)));
  assert.equal(rec.frames.length, 1);
  await timers.advance(60_000); // a long healthy period: the back-off starts afresh
  first.events.lost('hung up: end of file');
  first.events.lost('hung up: end of file'); // a second report from the same device changes nothing
  first.events.data(latin(classic(2))); // nor does data from the old device
  assert.equal(first.closed, 1);
  assert.equal(rec.frames.length, 1);
  assert.deepEqual(rec.problems, ['serial /dev/ttyS1: device vanished (hung up: end of file); retrying every 1 s (backing off to 10 s)']);
  await timers.advance(999);
  assert.equal(port.openTimes.length, 1);
  await timers.advance(1);
  assert.equal(port.openTimes.length, 2);
  assert.equal(medium.isOpen, true);
  port.last.events.data(latin(classic(3)));
  assert.equal(rec.frames.length, 2);
  assert.equal(getString((decodeClassic(rec.frames[1] as Uint8Array) as { ok: true; value: Message }).value, 'seq'), '3');
  await medium.close();
});

test('a flapping line (opens, then hangs up at once, forever) backs off: no tight loop, problems rate-limited', async () => {
  const { timers, port, medium } = setup();
  const rec = recorder();
  await medium.start(rec);
  let opened = 0;
  const tick = async (): Promise<void> => {
    while (opened < port.devices.length) port.devices[opened++]?.events.lost('hung up: end of file');
    await settle();
  };
  await tick();
  for (let t = 0; t < 600; t++) {
    await timers.advance(100);
    await tick();
  }
  // 60 s simulated: opens at 0, 1, 3, 7, 15, 25, 35, 45, 55 s.
  assert.deepEqual(port.openTimes, [0, 1000, 3000, 7000, 15000, 25000, 35000, 45000, 55000]);
  // At most one line per kind per 10 s; "vanished" and "device back" alternate kinds.
  const vanished = rec.problems.filter((p) => p.includes('vanished')).length;
  assert.ok(vanished <= 7, rec.problems.join('\n'));
  await medium.close();
});

test('repeated identical problems: one line per kind per 10 s, then a count of the held-back ones', async () => {
  const { timers, port, medium } = setup();
  const rec = recorder();
  await medium.start(rec);
  const d = port.last;
  d.write = () => Promise.reject(Object.assign(new Error('write EAGAIN oddity'), { code: 'EPROTO' }));
  for (let i = 0; i < 5; i++) {
    medium.send({ packet: new Uint8Array(), message: signed(i) });
    await settle();
  }
  assert.deepEqual(rec.problems, ['serial /dev/ttyS1: write failed: EPROTO: write EAGAIN oddity']);
  await timers.advance(10_000);
  medium.send({ packet: new Uint8Array(), message: signed(9) });
  await settle();
  assert.equal(rec.problems[1], 'serial /dev/ttyS1: write failed: EPROTO: write EAGAIN oddity (4 more since the last report)');
  assert.equal(medium.stats.framesDropped, 6);
  await medium.close();
});

test('send writes the classic rendering of the signed message: no NUL, no CR, inner auth kept', async () => {
  const { port, medium } = setup();
  const rec = recorder();
  await medium.start(rec);
  const m = signed(5, [['info', 'two\nlines']]);
  medium.send({ packet: new Uint8Array(), message: m });
  await settle();
  const w = port.last.written;
  assert.equal(w.length, 1);
  const bytes = w[0] as Uint8Array;
  const e = encodeClassic(m);
  assert.ok(e.ok);
  assert.deepEqual(Buffer.from(bytes), Buffer.from(e.value));
  assert.ok(!bytes.includes(0) && !bytes.includes(0x0d));
  assert.ok(Buffer.from(bytes).toString('latin1').startsWith('>>>\n') && Buffer.from(bytes).toString('latin1').endsWith('<<<\n'));
  const back = decodeClassic(bytes);
  assert.ok(back.ok);
  assert.equal(verifyInnerAuth(back.value, keys), 'ok');
  assert.equal(medium.stats.framesSent, 1);
  await medium.close();
});

test('write queue is bounded while the line is held: oldest dropped, reported once, never from inside send()', async () => {
  const { port, medium } = setup({ maxQueuedFrames: 8 });
  const rec = recorder();
  await medium.start(rec);
  const d = port.last;
  d.hold = true;
  for (let i = 0; i < 100; i++) {
    medium.send({ packet: new Uint8Array(), message: signed(i) });
    assert.equal(rec.problems.length, 0, 'no listener call re-entrantly from send()');
  }
  await settle();
  assert.equal(d.written.length, 1, 'one write in flight');
  assert.equal(rec.problems.length, 1, rec.problems.join('\n'));
  assert.match(rec.problems[0] ?? '', /^serial \/dev\/ttyS1: output blocked \(flow control holds the line\?\): dropped 1 oldest frame\(s\), 8 queued/);
  assert.equal(medium.stats.framesDropped, 100 - 1 - 8);
  d.release();
  await settle();
  // The frame in flight, then the 8 newest, in order.
  const seqs = d.written.map((b) => getString((decodeClassic(b) as { ok: true; value: Message }).value, 'seq'));
  assert.deepEqual(seqs, ['0', ...[92, 93, 94, 95, 96, 97, 98, 99].map((n) => n.toString(16))]);
  assert.equal(medium.stats.framesSent, 9);
  await medium.close();
});

test('frames sent while the device is down are dropped quietly (the outage was reported), never thrown', async () => {
  const { port, medium } = setup();
  port.present = false;
  const rec = recorder();
  medium.send({ packet: new Uint8Array(), message: signed(1) }); // before start
  await medium.start(rec);
  medium.send({ packet: new Uint8Array(), message: signed(2) });
  await settle();
  assert.equal(medium.stats.framesDropped, 2);
  assert.equal(rec.problems.length, 1);
  await medium.close();
});

test('received data goes through the cleaner and splitter to listener.frame, whatever the chunking', async () => {
  const { port, medium } = setup();
  const rec = recorder();
  await medium.start(rec);
  const raw = fs.readFileSync(path.join(realFixturesDir, 'serial', 'serial-b2a.raw'));
  for (const c of chunks(raw, 11, 300)) port.last.events.data(c);
  assert.equal(rec.frames.length, 57);
  assert.equal(medium.stats.framesReceived, 57);
  assert.deepEqual(rec.problems, []);
  await medium.close();
});

test('close() stops retries, closes the device once, and is idempotent', async () => {
  const { timers, port, medium } = setup();
  await medium.start(recorder());
  const d = port.last;
  await Promise.all([medium.close(), medium.close()]);
  await medium.close();
  assert.equal(d.closed, 1);
  // Closed while waiting to retry: no more opens.
  const s = setup();
  s.port.present = false;
  await s.medium.start(recorder());
  await s.medium.close();
  assert.equal(s.timers.pendingCount, 0);
  await s.timers.advance(60_000);
  assert.equal(s.port.openTimes.length, 1);
  // A late event from a closed medium's device is ignored.
  d.events.data(latin(classic(1)));
  d.events.lost('hung up');
  await timers.advance(60_000);
  assert.equal(port.openTimes.length, 1);
});

test('close() while an open is still pending closes the device when it arrives', async () => {
  const timers = new ManualTimers();
  let resolveOpen: ((d: SerialDevice) => void) | undefined;
  const dev = new FakeDevice({ data: () => undefined, lost: () => undefined });
  const medium = new SerialMedium(
    { device: '/dev/ttyS9', baud: 9600 },
    { timers, openDevice: () => new Promise<SerialDevice>((r) => (resolveOpen = r)) },
  );
  const started = medium.start(recorder());
  await settle();
  const closed = medium.close();
  resolveOpen?.(dev);
  await started;
  await closed;
  await settle();
  assert.equal(dev.closed, 1);
  assert.equal(medium.isOpen, false);
});

test('start() rejects when serial support itself is unusable (serialport binding does not load)', async () => {
  const timers = new ManualTimers();
  const medium = new SerialMedium(
    { device: '/dev/ttyS1', baud: 19200 },
    { timers, openDevice: () => Promise.reject(new HbError('HB_MEDIUM_START', 'serial /dev/ttyS1: the serialport module does not load: x')) },
  );
  await assert.rejects(medium.start(recorder()), /serial \/dev\/ttyS1: the serialport module does not load/);
  assert.equal(timers.pendingCount, 0);
  await medium.close();
  await assert.rejects(medium.start(recorder()), /start\(\) called twice/);
});
