// Watching a pair for anything held by both nodes at once, from a worker thread that samples every 10 ms whatever the
// test's own event loop is busy with (several labs, clients and daemons driven from one process).
import { Worker } from 'node:worker_threads';
import assert from 'node:assert/strict';

/** How one node's holding of one unit is read: a local address in a FIB (/proc/PID/net/fib_trie), or marker files. */
export type Probe = { readonly kind: 'fib'; readonly file: string; readonly address: string } | { readonly kind: 'files'; readonly files: readonly string[] };

/** Per unit (an address, a resource group), the probe for the first node and the one for the second. */
export type Units = Readonly<Record<string, readonly [Probe, Probe]>>;

export const HOLD_WATCH_PERIOD_MS = 10;
/** A watcher whose samples were further apart than this on average fails: it did not look often enough. */
export const HOLD_WATCH_MAX_MEAN_GAP_MS = 20;

export interface HoldWatchResult {
  readonly samples: number;
  readonly meanGapMs: number;
  readonly maxGapMs: number;
  /** Each sample with a unit held by both nodes: `<ms since start> ms: <unit>`. */
  readonly doubles: readonly string[];
  /** Each change of holders: `<ms> ms: <unit>=<first>+<second>|none`. */
  readonly changes: readonly string[];
  /** Why sampling stopped before stop() (a probe could no longer be read: the lab was torn down), if it did. */
  readonly halted: string | undefined;
}

// The worker: an ES module given as a data: URL (whatever module type the test's entry point has). A unit counts as held by both only when the first node held it before and
// after the second was read (A-B-A): a hand-over between two reads (one lets go, then the other takes) is not a
// double. It sleeps with Atomics.wait on the shared stop flag, so stop() wakes it at once; it always takes a first
// sample, even when stopped before it started.
const WORKER = String.raw`
import { workerData, parentPort } from 'node:worker_threads';
import fs from 'node:fs';
import os from 'node:os';
const { nodes, units, periodMs, control } = workerData;
const flag = new Int32Array(control);
// An observer must not be starved by what it observes: on a loaded machine a nice-0 thread wakes late. Root
// (which the netns tests are) may raise this thread alone (Linux applies setpriority to a thread id).
try {
  const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
  os.setPriority(tid, -10);
} catch {
  // not root, or no /proc/thread-self: sample at the ordinary priority
}
function fibHas(text, address) {
  const key = '|-- ' + address + '\n';
  for (let i = text.indexOf(key); i >= 0; i = text.indexOf(key, i + 1)) {
    const from = i + key.length;
    const end = text.indexOf('\n', from);
    if (text.slice(from, end < 0 ? undefined : end).trim().startsWith('/32 host LOCAL')) return true;
  }
  return false;
}
function held(p) {
  if (p.kind === 'files') return p.files.some((f) => fs.existsSync(f));
  return fibHas(fs.readFileSync(p.file, 'latin1'), p.address);
}
const t0 = Date.now();
let samples = 0, first = 0, last = 0, maxGap = 0, halted;
const doubles = [], changes = [], lastHolders = new Map();
do {
  try {
    for (const [unit, [pa, pb]] of Object.entries(units)) {
      const a1 = held(pa), b = held(pb), a2 = held(pa);
      const at = Date.now() - t0;
      if (a1 && a2 && b) doubles.push(at + ' ms: ' + unit);
      const h = [a2 ? nodes[0] : '', b ? nodes[1] : ''].filter((x) => x !== '').join('+') || 'none';
      if (lastHolders.get(unit) !== h) { changes.push(at + ' ms: ' + unit + '=' + h); lastHolders.set(unit, h); }
    }
  } catch (e) {
    halted = String((e && e.message) || e);
    break;
  }
  const now = Date.now();
  if (samples === 0) first = now; else maxGap = Math.max(maxGap, now - last);
  last = now;
  samples += 1;
  if (samples === 1) parentPort.postMessage('ready');
  Atomics.wait(flag, 0, 0, periodMs);
} while (Atomics.load(flag, 0) === 0);
parentPort.postMessage({ samples, meanGapMs: samples < 2 ? Infinity : (last - first) / (samples - 1), maxGapMs: maxGap, doubles, changes, halted });
`;

export class HoldWatcher {
  private readonly control = new SharedArrayBuffer(4);
  private readonly worker: Worker;
  private readonly result: Promise<HoldWatchResult>;
  private stopped: Promise<HoldWatchResult> | undefined;
  /** Resolves once the first sample is taken (the worker thread takes a moment to start). */
  readonly ready: Promise<void>;

  constructor(nodes: readonly [string, string], units: Units, periodMs = HOLD_WATCH_PERIOD_MS) {
    this.worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(WORKER)}`), { workerData: { nodes, units, periodMs, control: this.control } });
    this.worker.unref(); // never what keeps a failed test's process alive
    this.ready = new Promise((resolve) => {
      this.worker.on('message', (m: HoldWatchResult | 'ready') => {
        if (m === 'ready') resolve();
      });
    });
    this.result = new Promise((resolve, reject) => {
      this.worker.on('message', (m: HoldWatchResult | 'ready') => {
        if (m !== 'ready') resolve(m);
      });
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`the hold watcher exited (${code}) without a result`)));
    });
    this.result.catch(() => undefined);
  }

  /** Stops sampling (the worker ends after its current sample); idempotent. */
  stop(): Promise<HoldWatchResult> {
    if (this.stopped === undefined) {
      const flag = new Int32Array(this.control);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      this.stopped = this.result;
    }
    return this.stopped;
  }
}

export function summary(r: HoldWatchResult): string {
  return `${r.samples} samples (every ${r.meanGapMs.toFixed(1)} ms on average, longest gap ${r.maxGapMs} ms), holders ${r.changes.join(' → ')}; doubles: ${r.doubles.length}${r.halted === undefined ? '' : `; stopped early: ${r.halted}`}`;
}

/** Samples were taken, often enough, until the end, and none saw a unit on both nodes. Returns the summary. */
export function assertNeverBoth(r: HoldWatchResult, what: string): string {
  const s = summary(r);
  assert.equal(r.halted, undefined, `the ${what} watcher stopped sampling early: ${s}`);
  assert.ok(r.samples >= 2, `the ${what} watcher took ${r.samples} samples: it watched nothing`);
  assert.ok(r.meanGapMs <= HOLD_WATCH_MAX_MEAN_GAP_MS, `the ${what} watcher sampled too rarely: ${s}`);
  assert.deepEqual(r.doubles, [], `${what} was never on both nodes (${s})`);
  return s;
}
