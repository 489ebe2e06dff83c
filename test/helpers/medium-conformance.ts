// One conformance suite every medium passes (bcast, ucast, mcast, serial…): frames in, the same bytes out, clean close.
//
// Medium-agnostic: a test file hands mediumConformanceSuite a factory that starts two ends A and B of one
// medium (processes in lab nodes, or adapters in this process via adapterEnd) and the suite drives them
// through MediumEnd only. Every case gets a fresh pair and disposes of it, however the case ends.
//
// Frames are tagged (case name + sender + index) so a receiver can tell them apart from anything else it
// hears, such as its own broadcasts coming back (Heartbeat nodes hear themselves, spec §4.1).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { MediumAdapter } from '../../src/media/medium.js';
import { makeMessage } from '../../src/wire/index.js';

/** How long any one wait may take. */
export const WAIT_MS = 10_000;

/** One end of a medium, as the suite sees it. */
export interface MediumEnd {
  readonly label: string;
  /** MediumAdapter.send() of one frame; returns at once. */
  send(bytes: Uint8Array): void;
  /** Resolves once every earlier send()/close() has been handled; rejects if one of the send() calls threw. */
  settled(): Promise<void>;
  /** MediumAdapter.close(); rejects if it rejected. */
  close(): Promise<void>;
  /** Everything received so far, in order, and every problem reported. */
  readonly log: FrameLog;
}

export interface BrokenStart {
  /** The rejection message of start(), or undefined if the medium started (a failure). */
  readonly message: string | undefined;
  /** What the message must name, e.g. the missing interface. */
  readonly mustName: string;
}

export interface MediumPair {
  readonly a: MediumEnd;
  readonly b: MediumEnd;
  /** Starts one more medium of this kind, on a device/interface that does not exist. */
  startBroken(): Promise<BrokenStart>;
  /** Stops both ends and everything the factory made; bounded. */
  dispose(): Promise<void>;
}

export type MakePair = (t: TestContext) => Promise<MediumPair>;

/** Received frames and problems, with bounded waits on them. */
export class FrameLog {
  readonly frames: Uint8Array[] = [];
  readonly problems: string[] = [];
  private readonly waiters = new Set<() => void>();

  frame(bytes: Uint8Array): void {
    this.frames.push(bytes);
    for (const w of this.waiters) w();
  }

  problem(text: string): void {
    this.problems.push(text);
    for (const w of this.waiters) w();
  }

  /** Resolves once pred(frames) holds; rejects after timeoutMs with `what` in the message. */
  waitFor(pred: (frames: readonly Uint8Array[]) => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
    return this.waitUntil(() => pred(this.frames), what, timeoutMs);
  }

  /** Resolves once a reported problem matches. */
  waitForProblem(pattern: RegExp, timeoutMs = WAIT_MS): Promise<void> {
    return this.waitUntil(() => this.problems.some((p) => pattern.test(p)), `problem ${pattern}`, timeoutMs);
  }

  private waitUntil(done: () => boolean, what: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no ${what} within ${timeoutMs} ms (${this.frames.length} frames received)`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

/** A MediumEnd over an adapter in this process (for media that need no namespace, e.g. serial on a pty pair). */
export async function adapterEnd(label: string, adapter: MediumAdapter): Promise<MediumEnd> {
  const log = new FrameLog();
  await adapter.start({ frame: (b) => log.frame(b), problem: (p) => log.problem(p) });
  let threw: unknown;
  const message = makeMessage([]);
  return {
    label,
    log,
    send(bytes) {
      try {
        adapter.send({ packet: bytes, message });
      } catch (err) {
        threw ??= err;
      }
    },
    settled: () => (threw === undefined ? Promise.resolve() : Promise.reject(threw)),
    close: () => adapter.close(),
  };
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** tag ‖ body, where the tag is unique to this run, case, sender and index. */
function tagged(run: string, from: string, index: number, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${run}/${from}/${index}|`, 'latin1'), body]);
}

/** Every byte value, and the separators a sloppy medium would mangle: NUL, ',', '\n', '\r', '%', '#'. */
const AWKWARD = Buffer.concat([Buffer.from('\0,\n\r%%%\n###\n\0', 'latin1'), Buffer.from(Array.from({ length: 256 }, (_, i) => i))]);

/** Fails unless `to` got every frame of `sent` (byte-exact) and nothing else but its own sends; reports counts. */
function expectArrived(t: TestContext, to: MediumEnd, sent: readonly Buffer[], own: readonly Buffer[]): void {
  const wanted = new Map(sent.map((b) => [hex(b), 0]));
  const ownSet = new Set(own.map(hex));
  let strangers = 0;
  let outOfOrder = 0;
  let lastIndex = -1;
  const order = new Map(sent.map((b, i) => [hex(b), i]));
  for (const f of to.log.frames) {
    const h = hex(f);
    const n = wanted.get(h);
    if (n !== undefined) {
      wanted.set(h, n + 1);
      const i = order.get(h) ?? 0;
      if (i < lastIndex) outOfOrder++;
      lastIndex = Math.max(lastIndex, i);
    } else if (!ownSet.has(h)) strangers++;
  }
  const counts = [...wanted.values()];
  const lost = counts.filter((n) => n === 0).length;
  const duplicated = counts.filter((n) => n > 1).length;
  t.diagnostic(
    `${to.label}: ${sent.length - lost}/${sent.length} arrived, lost ${lost}, duplicated ${duplicated}, ` +
      `out of order ${outOfOrder}, unexpected ${strangers}, problems ${to.log.problems.length}`,
  );
  assert.equal(lost, 0, `${to.label} lost ${lost} of ${sent.length} frames`);
  assert.equal(duplicated, 0, `${to.label} got ${duplicated} frames more than once`);
  assert.equal(strangers, 0, `${to.label} got ${strangers} frames nobody sent (corrupted?)`);
}

function allArrived(sent: readonly Buffer[]): (frames: readonly Uint8Array[]) => boolean {
  const want = new Set(sent.map(hex));
  return (frames) => {
    const seen = new Set(frames.map(hex));
    for (const h of want) if (!seen.has(h)) return false;
    return true;
  };
}

/** Runs `body` on a fresh pair, disposing of it afterwards. */
async function withPair(t: TestContext, makePair: MakePair, body: (p: MediumPair, run: string) => Promise<void>): Promise<void> {
  const pair = await makePair(t);
  let failure: { readonly error: unknown } | undefined;
  try {
    await body(pair, crypto.randomBytes(4).toString('hex'));
  } catch (error) {
    failure = { error };
  }
  // dispose() always runs; its own failure (e.g. an end that did not exit cleanly) counts only if the case passed.
  const disposed = await pair.dispose().then(() => undefined, (error: unknown) => ({ error }));
  const first = failure ?? disposed;
  if (first !== undefined) throw first.error;
}

export interface SuiteOptions {
  /** Checked first (e.g. requireRootAndCommands); false = the suite was skipped. */
  readonly prerequisites?: (t: TestContext) => boolean;
}

export function mediumConformanceSuite(name: string, makePair: MakePair, opts: SuiteOptions = {}): void {
  test(`${name}: medium conformance`, async (t) => {
    if (opts.prerequisites !== undefined && !opts.prerequisites(t)) return;
    await t.test('A→B and B→A frames arrive byte-exact (NUL, comma, newline, every byte value)', (tt) =>
      withPair(tt, makePair, async ({ a, b }, run) => {
        const ab = tagged(run, 'A', 0, AWKWARD);
        const ba = tagged(run, 'B', 0, Buffer.from(AWKWARD).reverse());
        a.send(ab);
        b.send(ba);
        await Promise.all([a.settled(), b.settled()]);
        await b.log.waitFor(allArrived([ab]), `A→B frame at ${b.label}`);
        await a.log.waitFor(allArrived([ba]), `B→A frame at ${a.label}`);
        expectArrived(tt, b, [ab], [ba]);
        expectArrived(tt, a, [ba], [ab]);
      }),
    );

    await t.test('200 frames in a row all arrive, once each', (tt) =>
      withPair(tt, makePair, async ({ a, b }, run) => {
        const sent = Array.from({ length: 200 }, (_, i) => tagged(run, 'A', i, crypto.randomBytes(64 + (i % 7) * 100)));
        for (const f of sent) a.send(f);
        await a.settled();
        await b.log.waitFor(allArrived(sent), '200 frames').catch(() => undefined); // the counts below say what is missing
        expectArrived(tt, b, sent, []);
      }),
    );

    await t.test('a 60 KiB frame arrives byte-exact', (tt) =>
      withPair(tt, makePair, async ({ a, b }, run) => {
        const big = tagged(run, 'A', 0, crypto.randomBytes(60 * 1024));
        a.send(big);
        await a.settled();
        await b.log.waitFor(allArrived([big]), '60 KiB frame');
        expectArrived(tt, b, [big], []);
      }),
    );

    await t.test('send after close does not throw; close is idempotent', (tt) =>
      withPair(tt, makePair, async ({ a }, run) => {
        await a.close();
        a.send(tagged(run, 'A', 0, Buffer.from('after close')));
        await a.settled();
        await a.close();
        await Promise.all([a.close(), a.close()]);
        await a.settled();
      }),
    );

    await t.test('start on a missing interface/device rejects, naming it', (tt) =>
      withPair(tt, makePair, async (pair) => {
        const r = await pair.startBroken();
        assert.ok(r.message !== undefined, 'the medium started on a missing interface/device');
        assert.ok(r.message.includes(r.mustName), `"${r.message}" does not name ${r.mustName}`);
        tt.diagnostic(`start rejected: ${r.message}`);
      }),
    );
  });
}
