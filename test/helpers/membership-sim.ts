// A simulated cluster for unit tests: Membership cores, a manual clock and a network of named media.
//
// Time only moves when the test says so (advance/runUntil); at each step every due timer fires and every
// frame whose delivery time has come is handed to its receivers, in time order. Frames sent at time t are
// delivered at t + latencyMs on every medium of the sender whose filter lets them through.
import { Membership, type MembershipOptions } from '../../src/membership/core.js';
import type { Action, MembershipEvent, StepResult } from '../../src/membership/types.js';
import { singleKey, type AuthKeys } from '../../src/wire/index.js';

export interface SimNodeSpec {
  readonly name: string;
  readonly generation?: number;
  readonly seed?: number;
  readonly keys?: AuthKeys;
}

export interface Delivery {
  readonly atMs: number;
  readonly to: string;
  readonly medium: string;
  readonly bytes: Uint8Array;
  readonly from: string;
}

/** Decides whether a frame crosses one medium: return false to drop it. */
export type Filter = (frame: { from: string; to: string; medium: string; bytes: Uint8Array; atMs: number }) => boolean;

export interface SimNode {
  readonly name: string;
  core: Membership;
  /** Every action of every step, with the time it happened. */
  readonly actions: { atMs: number; action: Action }[];
  nextWakeAtMs: number;
  /** false: the process is "killed" (no events, no timers). */
  running: boolean;
}

export const WALL_EPOCH_SEC = 0x6b05dc00;

export function uuidFor(name: string): Uint8Array {
  const u = new Uint8Array(16);
  for (let i = 0; i < 16; i++) u[i] = (name.charCodeAt(i % name.length) * (i + 7)) & 0xff;
  return u;
}

export class Sim {
  nowMs = 1_000;
  readonly nodes = new Map<string, SimNode>();
  private queue: Delivery[] = [];
  filter: Filter = () => true;
  latencyMs = 1;

  constructor(
    private readonly base: Omit<MembershipOptions, 'localNode' | 'generation' | 'uuid' | 'seed' | 'keys'> & { keys?: AuthKeys },
    readonly media: readonly string[] = ['eth0'],
  ) {}

  static defaults(names: readonly string[], over: Partial<MembershipOptions> = {}): Sim {
    return new Sim({
      nodes: names.map((name) => ({ name, type: 'normal' as const })),
      keepaliveMs: 100,
      deadtimeMs: 1000,
      warntimeMs: 500,
      initdeadMs: 2000,
      deadpingMs: 1000,
      hopfudge: 1,
      maxRexmitDelayMs: 250,
      ...over,
    });
  }

  add(spec: SimNodeSpec): SimNode {
    const node: SimNode = {
      name: spec.name,
      core: this.makeCore(spec),
      actions: [],
      nextWakeAtMs: Number.POSITIVE_INFINITY,
      running: true,
    };
    this.nodes.set(spec.name, node);
    this.step(node, { kind: 'start' });
    return node;
  }

  private makeCore(spec: SimNodeSpec): Membership {
    return new Membership({
      ...this.base,
      keys: spec.keys ?? this.base.keys ?? singleKey('sha1', 'SomeKey'),
      localNode: spec.name,
      generation: spec.generation ?? 100,
      uuid: uuidFor(spec.name),
      seed: spec.seed ?? spec.name.length * 7919,
    });
  }

  node(name: string): SimNode {
    const n = this.nodes.get(name);
    if (n === undefined) throw new Error(`no sim node ${name}`);
    return n;
  }

  /** SIGKILL: the node stops cold; frames in flight from it still arrive. */
  kill(name: string): void {
    const n = this.node(name);
    n.running = false;
    n.nextWakeAtMs = Number.POSITIVE_INFINITY;
  }

  /** A fresh process for an existing node (higher generation). */
  restart(name: string, generation: number): void {
    const n = this.node(name);
    n.core = this.makeCore({ name, generation });
    n.running = true;
    this.step(n, { kind: 'start' });
  }

  step(n: SimNode, event: MembershipEvent): StepResult {
    const r = n.core.handle(event, { monoMs: this.nowMs, wallSec: WALL_EPOCH_SEC + Math.floor(this.nowMs / 1000) });
    for (const action of r.actions) {
      n.actions.push({ atMs: this.nowMs, action });
      if (action.kind === 'send') this.broadcast(n.name, action.packet);
    }
    n.nextWakeAtMs = r.nextWakeAtMs;
    return r;
  }

  /** Inject raw bytes as if received by `to` on `medium` now. */
  inject(to: string, medium: string, bytes: Uint8Array): StepResult {
    return this.step(this.node(to), { kind: 'frame', medium, bytes });
  }

  private broadcast(from: string, bytes: Uint8Array): void {
    for (const to of this.nodes.keys()) {
      if (to === from) continue;
      for (const medium of this.media) {
        const atMs = this.nowMs + this.latencyMs;
        if (this.filter({ from, to, medium, bytes, atMs })) this.queue.push({ atMs, to, medium, bytes, from });
      }
    }
  }

  /** Runs every event up to and including time `untilMs`, in order. Bounded: at most 1,000,000 events. */
  runUntil(untilMs: number): void {
    for (let guard = 0; guard < 1_000_000; guard++) {
      let next = Number.POSITIVE_INFINITY;
      for (const n of this.nodes.values()) if (n.running) next = Math.min(next, n.nextWakeAtMs);
      for (const d of this.queue) next = Math.min(next, d.atMs);
      if (next > untilMs) {
        this.nowMs = untilMs;
        return;
      }
      this.nowMs = Math.max(this.nowMs, next);
      const due = this.queue.filter((d) => d.atMs <= this.nowMs);
      this.queue = this.queue.filter((d) => d.atMs > this.nowMs);
      for (const d of due) {
        const n = this.nodes.get(d.to);
        if (n !== undefined && n.running) this.step(n, { kind: 'frame', medium: d.medium, bytes: d.bytes });
      }
      for (const n of this.nodes.values()) if (n.running && n.nextWakeAtMs <= this.nowMs) this.step(n, { kind: 'tick' });
    }
    throw new Error('simulation did not settle within 1,000,000 events');
  }

  advance(ms: number): void {
    this.runUntil(this.nowMs + ms);
  }

  /** Log lines of a node (optionally only those at or after a time). */
  logs(name: string, sinceMs = 0): string[] {
    return this.node(name)
      .actions.filter((a) => a.atMs >= sinceMs && a.action.kind === 'log')
      .map((a) => (a.action.kind === 'log' ? a.action.text : ''));
  }

  /** The time of the first log line matching, or undefined. */
  logTime(name: string, pattern: RegExp, sinceMs = 0): number | undefined {
    return this.node(name).actions.find((a) => a.atMs >= sinceMs && a.action.kind === 'log' && pattern.test(a.action.text))?.atMs;
  }

  statusOf(observer: string, node: string): string | undefined {
    return this.node(observer).core.nodes().find((n) => n.name === node)?.status;
  }

  sends(name: string, reason?: string): { atMs: number; action: Extract<Action, { kind: 'send' }> }[] {
    const out: { atMs: number; action: Extract<Action, { kind: 'send' }> }[] = [];
    for (const a of this.node(name).actions) {
      if (a.action.kind === 'send' && (reason === undefined || a.action.reason === reason)) out.push({ atMs: a.atMs, action: a.action });
    }
    return out;
  }
}
