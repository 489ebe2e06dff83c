// A full garbage collection once the node is quiet again after a hand-over.
//
// A hand-over (takeover, failback, standby) runs scripts and builds messages, logs and child-process objects
// that die soon after, and V8 leaves much of that in old space until its next limit: a soak's survivor grew
// from 58 to 63 MB in seven minutes of failovers (its V8 pages 6 → 11 MB while heap snapshots found 8–10 MB
// live) and reached 65.5 MB in an hour. `--optimize-for-size` keeps the heap small but costs 15–20% more CPU
// per heartbeat; one collection after each burst costs nothing in the steady state. The collection runs on the main thread (a few ms at this heap size), only after
// QUIET_MS without another group change, and never while a burst is going on.
import { createRequire } from 'node:module';
import type * as V8 from 'node:v8';
import type * as Vm from 'node:vm';

/** How long after the last group change the collection waits. */
export const QUIET_MS = 3000;

export interface CompactorTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  monoMs(): number;
}

const REAL_TIMERS: CompactorTimers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  monoMs: () => performance.now(),
};

/**
 * V8's `gc()` without `--expose-gc` on the command line (the daemon is started by launchers, init scripts and
 * units we do not all control): the flag is set at run time and the function taken from a fresh context.
 * Undefined if the runtime refuses.
 */
export function runtimeGc(): (() => void) | undefined {
  try {
    const require = createRequire(import.meta.url);
    const v8 = require('node:v8') as typeof V8;
    const vm = require('node:vm') as typeof Vm;
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = vm.runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * runtimeGc on the first collection, not at start-up: node:v8 and node:vm cost about 1.7 MB of RSS, and a node
 * that never hands over never needs them. A no-op if the runtime refuses.
 */
export function lazyRuntimeGc(): () => void {
  let gc: (() => void) | undefined | null = null;
  return () => {
    if (gc === null) gc = runtimeGc();
    gc?.();
  };
}

export class IdleCompactor {
  private timer: unknown;
  private closed = false;

  constructor(
    private readonly gc: (() => void) | undefined,
    private readonly log: (text: string) => void,
    private readonly timers: CompactorTimers = REAL_TIMERS,
    private readonly quietMs = QUIET_MS,
  ) {}

  /** Something that leaves garbage behind happened: collect once the node has been quiet for a while. */
  busy(): void {
    if (this.gc === undefined || this.closed) return;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => this.collect(), this.quietMs);
  }

  private collect(): void {
    this.timer = undefined;
    if (this.gc === undefined || this.closed) return;
    const before = process.memoryUsage.rss();
    const t0 = this.timers.monoMs();
    this.gc();
    const ms = this.timers.monoMs() - t0;
    this.log(`heap compacted after a hand-over: ${ms.toFixed(1)} ms, RSS ${(before / 1048576).toFixed(1)} → ${(process.memoryUsage.rss() / 1048576).toFixed(1)} MB`);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
