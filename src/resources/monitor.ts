// Service health (issue 17): check the resources of the groups this node holds, restart them, hand the group over.
/*
 * A pure state machine on the manual clock; the coordinator (src/node/coordinator.ts) feeds it and carries out
 * its actions. Heartbeat v1 never did this: it watched nodes, not services.
 *
 * Per group:
 *
 *   idle ──held and stable──► watching ──check fails `fall` times──► restarting ──ok──► watching
 *     ▲                          │  ▲                                    │ failed
 *     └──not held / transition───┘  └──────── back-off over, restarted ──┤
 *                                                                        ▼
 *            restarts used up, or a restart failed ──► give up ──peer alive, not legacy──► handing-over
 *                                                         │                                  │ still held
 *                                                         └─peer dead / legacy─► backoff ◄───┘ when stable
 *                                                                                            after 15 s
 *   handing-over ──no longer held──► idle (the group is marked failed here, persisted)
 *
 * - Checks run only while the resource protocol is stable and holds the group; one per resource in flight; a
 *   result from before a pause or a restart is ignored (its id is stale).
 * - A failure stops the failed resource and those after it in the group (reverse order) and starts them again
 *   (in order): the `restart` action, whose end is `restart-done`.
 * - Giving up: with the peer alive and auto_failback on/off, the whole group's set goes to the peer through
 *   hb_standby (the real Heartbeat understands it), and the group is marked failed here, persisted first. With
 *   the peer dead, or auto_failback legacy (where Heartbeat refuses standby), or a hand-over that did not
 *   happen (the peer refused: it is failed for that group too), the group is kept here and restarted with
 *   back-off, logged at error level: never stopped on both nodes.
 * - `cleanup` forgets the failures and the failed mark; with auto_failback on, a home group held by the peer
 *   is asked back (hb_takeover).
 */
import type { MonitorSpec } from '../config/monitors.js';
import type { LogLevel } from '../core/log-level.js';

/** How long a hand-over may take before we conclude the peer did not take the group (its standby reply is 10 s). */
export const HANDOVER_WAIT_MS = 15_000;
/**
 * After a cleanup, the failback request (hb_takeover) is sent again this often until the group is home: the peer
 * refuses it while its own standby request is pending (it may have offered the group while we still refused it,
 * and waits 10 s for an answer that does not come).
 */
export const FAILBACK_RETRY_MS = 3000;
export const FAILBACK_TRIES = 10;
/** The longest back-off between restarts of a group kept here. */
export const MAX_BACKOFF_MS = 60_000;

export interface MonitoredGroup {
  /** The group's key: its first resource, as haresources writes it. */
  readonly key: string;
  /** Whose home it is, from this node's view: the hb_standby set that hands it over. */
  readonly set: 'local' | 'foreign';
  readonly resources: readonly string[];
}

export interface MonitorOptions {
  readonly groups: readonly MonitoredGroup[];
  readonly specs: readonly MonitorSpec[];
  /** Group keys marked failed on this node (read from the state dir). */
  readonly failed: readonly string[];
  readonly autoFailback: 'on' | 'off' | 'legacy';
}

export type MonitorEvent =
  /** What the resource protocol holds now; `stable`: no transition. Sent after every step. */
  | { readonly kind: 'observe'; readonly held: ReadonlySet<string>; readonly stable: boolean; readonly peerAlive: boolean }
  | { readonly kind: 'check-done'; readonly resource: string; readonly id: number; readonly ok: boolean; readonly durationMs: number; readonly detail: string }
  | { readonly kind: 'restart-done'; readonly group: string; readonly ok: boolean }
  /** `hbctl cleanup [RESOURCE|all]`. */
  | { readonly kind: 'cleanup'; readonly resource: string }
  | { readonly kind: 'tick' };

export type MonitorAction =
  /** Run the check (argv; undefined: the resource's own status) with this timeout; its end is `check-done`. */
  | { readonly kind: 'check'; readonly resource: string; readonly id: number; readonly argv: readonly string[] | undefined; readonly timeoutMs: number }
  /** Stop resources[from..] right to left, start them left to right; its end is `restart-done`. */
  | { readonly kind: 'restart'; readonly group: string; readonly resources: readonly string[]; readonly from: number }
  /** hb_standby of the set that holds the group. */
  | { readonly kind: 'standby'; readonly group: string; readonly set: 'local' | 'foreign' }
  /** hb_takeover local: ask the peer to give our home groups back. */
  | { readonly kind: 'failback' }
  /** Write the failed marks (every key) to the state dir. */
  | { readonly kind: 'persist'; readonly failed: readonly string[] }
  | { readonly kind: 'log'; readonly level: LogLevel; readonly text: string }
  /** rc.d: a failure of a resource or a hand-over of a group. */
  | { readonly kind: 'notify'; readonly event: 'failure' | 'handover' | 'kept'; readonly resource: string; readonly group: string };

type Phase = 'idle' | 'watching' | 'restarting' | 'handing-over' | 'backoff';

interface ResState {
  readonly spec: MonitorSpec | undefined;
  readonly name: string;
  readonly group: GroupState;
  readonly index: number;
  inFlight: { readonly id: number; readonly atMs: number } | undefined;
  nextAtMs: number;
  fails: number;
  restartTimes: number[];
  restartsTotal: number;
  checks: number;
  failures: number;
  last: { readonly atMs: number; readonly durationMs: number; readonly ok: boolean; readonly detail: string } | undefined;
}

interface GroupState {
  readonly g: MonitoredGroup;
  phase: Phase;
  backoffLevel: number;
  backoffAtMs: number;
  handoverDeadlineMs: number;
  resources: ResState[];
}

/** One monitored resource as `hbctl status` and the metrics show it. */
export interface MonitorView {
  readonly resource: string;
  readonly group: string;
  readonly phase: Phase;
  readonly lastCheckAtMs: number | undefined;
  readonly lastDurationMs: number | undefined;
  readonly lastResult: 'ok' | 'failed' | undefined;
  readonly lastDetail: string | undefined;
  readonly consecutiveFailures: number;
  readonly restarts: number;
  readonly checks: number;
  readonly failures: number;
  readonly failed: boolean;
}

export class Monitor {
  private readonly groups: GroupState[] = [];
  private readonly byName = new Map<string, ResState>();
  private readonly failed: Set<string>;
  private held: ReadonlySet<string> = new Set();
  private stable = false;
  private peerAlive = false;
  private nextId = 1;
  /** After a cleanup with auto_failback on: home groups to ask back, the next request's time and tries left. */
  private failback: { readonly keys: Set<string>; atMs: number; triesLeft: number } | undefined;
  private out: MonitorAction[] = [];
  private nowMs = 0;

  constructor(private readonly o: MonitorOptions) {
    const specOf = new Map(o.specs.map((s) => [s.resource, s]));
    for (const g of o.groups) {
      const gs: GroupState = { g, phase: 'idle', backoffLevel: 0, backoffAtMs: Infinity, handoverDeadlineMs: Infinity, resources: [] };
      gs.resources = g.resources.map((name, index) => ({
        spec: specOf.get(name), name, group: gs, index, inFlight: undefined, nextAtMs: Infinity, fails: 0, restartTimes: [], restartsTotal: 0, checks: 0, failures: 0, last: undefined,
      }));
      if (!gs.resources.some((r) => r.spec !== undefined)) continue;
      this.groups.push(gs);
      for (const r of gs.resources) if (r.spec !== undefined) this.byName.set(r.name, r);
    }
    this.failed = new Set(o.failed.filter((k) => o.groups.some((g) => g.key === k)));
  }

  /** Group keys marked failed on this node. */
  get failedGroups(): ReadonlySet<string> {
    return this.failed;
  }

  /** Whether a standby of `set` (our view) would bring back a group marked failed here (refuse it). */
  refusesSet(set: 'none' | 'local' | 'foreign' | 'all'): string | undefined {
    if (set === 'none') return undefined;
    return [...this.failed].find((k) => {
      const g = this.o.groups.find((x) => x.key === k);
      return g !== undefined && (set === 'all' || set === g.set);
    });
  }

  view(): MonitorView[] {
    return [...this.byName.values()].map((r) => ({
      resource: r.name, group: r.group.g.key, phase: r.group.phase,
      lastCheckAtMs: r.last?.atMs, lastDurationMs: r.last?.durationMs, lastResult: r.last === undefined ? undefined : r.last.ok ? 'ok' : 'failed', lastDetail: r.last?.detail,
      consecutiveFailures: r.fails, restarts: r.restartsTotal, checks: r.checks, failures: r.failures, failed: this.failed.has(r.group.g.key),
    }));
  }

  handle(event: MonitorEvent, nowMs: number): { readonly actions: readonly MonitorAction[]; readonly nextWakeAtMs: number } {
    this.out = [];
    this.nowMs = nowMs;
    switch (event.kind) {
      case 'observe':
        this.held = event.held;
        this.stable = event.stable;
        this.peerAlive = event.peerAlive;
        break;
      case 'check-done':
        this.onCheckDone(event.resource, event.id, event.ok, event.durationMs, event.detail);
        break;
      case 'restart-done':
        this.onRestartDone(event.group, event.ok);
        break;
      case 'cleanup':
        this.onCleanup(event.resource);
        break;
      case 'tick':
        break;
    }
    for (const g of this.groups) this.evaluate(g);
    this.retryFailback();
    return { actions: this.out, nextWakeAtMs: Math.min(this.nextWake(), this.failback?.atMs ?? Infinity) };
  }

  private nextWake(): number {
    let t = Infinity;
    for (const g of this.groups) {
      if (g.phase === 'backoff') t = Math.min(t, g.backoffAtMs);
      if (g.phase === 'handing-over') t = Math.min(t, g.handoverDeadlineMs);
      if (g.phase === 'watching') for (const r of g.resources) if (r.spec !== undefined && r.inFlight === undefined) t = Math.min(t, r.nextAtMs);
      for (const r of g.resources) if (r.spec?.forgetMs !== undefined && r.restartTimes.length > 0) t = Math.min(t, (r.restartTimes[0] ?? 0) + r.spec.forgetMs);
    }
    return t;
  }

  private evaluate(g: GroupState): void {
    for (const r of g.resources) {
      const forget = r.spec?.forgetMs;
      if (forget !== undefined && r.restartTimes.some((t) => this.nowMs - t >= forget)) {
        r.restartTimes = r.restartTimes.filter((t) => this.nowMs - t < forget);
        this.log('info', `${r.name}: failures older than ${forget} ms forgotten (${r.restartTimes.length} restart(s) counted)`);
        if (r.restartTimes.length === 0) g.backoffLevel = 0;
      }
    }
    const held = this.held.has(g.g.key);
    const active = held && this.stable;
    switch (g.phase) {
      case 'restarting':
        return; // its end is an event
      case 'handing-over':
        if (!held) {
          this.log('err', `${g.g.key}: resource group handed over to the other node; marked failed here until "hbctl cleanup"`);
          this.pause(g, 'idle');
        } else if (this.stable && this.nowMs >= g.handoverDeadlineMs) {
          this.log('err', `${g.g.key}: the other node did not take the resource group (it refused or is failed for it too); keeping it here and restarting with back-off`);
          this.out.push({ kind: 'notify', event: 'kept', resource: g.g.key, group: g.g.key });
          this.backoff(g);
        }
        return;
      case 'backoff':
        if (!held) return this.pause(g, 'idle');
        if (this.stable && this.nowMs >= g.backoffAtMs) this.restart(g, this.firstFailed(g));
        return;
      case 'idle':
        if (!active) return;
        g.phase = 'watching';
        for (const r of g.resources) if (r.spec !== undefined) r.nextAtMs = this.nowMs + r.spec.intervalMs;
        break;
      case 'watching':
        if (!active) return this.pause(g, 'idle');
        break;
    }
    for (const r of g.resources) {
      if (r.spec === undefined || r.inFlight !== undefined || this.nowMs < r.nextAtMs) continue;
      const id = this.nextId++;
      r.inFlight = { id, atMs: this.nowMs };
      this.out.push({ kind: 'check', resource: r.name, id, argv: r.spec.checkArgv, timeoutMs: r.spec.timeoutMs });
    }
  }

  /** Checks stop; results of those in flight will be ignored. */
  private pause(g: GroupState, phase: Phase): void {
    g.phase = phase;
    for (const r of g.resources) {
      r.inFlight = undefined;
      r.nextAtMs = Infinity;
    }
  }

  private onCheckDone(name: string, id: number, ok: boolean, durationMs: number, detail: string): void {
    const r = this.byName.get(name);
    if (r === undefined || r.inFlight?.id !== id || r.spec === undefined) return; // stale: paused or restarted meanwhile
    const startedAtMs = r.inFlight.atMs;
    r.inFlight = undefined;
    r.checks++;
    r.last = { atMs: startedAtMs, durationMs, ok, detail };
    r.nextAtMs = Math.max(this.nowMs, startedAtMs + r.spec.intervalMs);
    if (ok) {
      if (r.fails > 0) this.log('info', `${name}: check succeeded again after ${r.fails} failure(s)`);
      r.fails = 0;
      return;
    }
    r.fails++;
    r.failures++;
    this.log('warn', `${name}: check failed (${r.fails} of ${r.spec.fall}): ${detail}`);
    if (r.fails < r.spec.fall) return;
    r.fails = 0;
    this.onFailure(r);
  }

  private onFailure(r: ResState): void {
    const g = r.group;
    const spec = r.spec;
    if (spec === undefined) return;
    this.out.push({ kind: 'notify', event: 'failure', resource: r.name, group: g.g.key });
    if (r.restartTimes.length < spec.restarts) {
      r.restartTimes.push(this.nowMs);
      this.log('err', `${r.name}: resource failed; restarting it (restart ${r.restartTimes.length} of ${spec.restarts})${g.resources.length > r.index + 1 ? ` with the ${g.resources.length - r.index - 1} resource(s) after it` : ''}`);
      this.restart(g, r.index);
      return;
    }
    this.giveUp(g, `${r.name} failed and its ${spec.restarts} restart(s) are used up`);
  }

  private restart(g: GroupState, from: number): void {
    this.pause(g, 'restarting');
    for (const r of g.resources.slice(from)) r.restartsTotal++;
    this.out.push({ kind: 'restart', group: g.g.key, resources: g.g.resources, from });
  }

  private firstFailed(g: GroupState): number {
    const f = g.resources.find((r) => r.last !== undefined && !r.last.ok);
    return f?.index ?? 0;
  }

  private onRestartDone(key: string, ok: boolean): void {
    const g = this.groups.find((x) => x.g.key === key);
    if (g === undefined || g.phase !== 'restarting') return;
    if (ok) {
      this.log('info', `${key}: resource group restarted`);
      g.phase = 'idle'; // watching again at the next evaluation, a full interval from now
      return;
    }
    this.giveUp(g, 'its restart failed');
  }

  private giveUp(g: GroupState, why: string): void {
    const kept = !this.peerAlive ? 'the other node is dead' : this.o.autoFailback === 'legacy' ? 'auto_failback legacy: Heartbeat refuses standby' : undefined;
    if (kept !== undefined) {
      this.log('err', `${g.g.key}: ${why}; keeping the resource group here (${kept}) and restarting with back-off`);
      this.out.push({ kind: 'notify', event: 'kept', resource: g.g.key, group: g.g.key });
      this.backoff(g);
      return;
    }
    this.failed.add(g.g.key);
    this.out.push({ kind: 'persist', failed: [...this.failed] });
    this.log('err', `${g.g.key}: ${why}; handing the resource group over to the other node (hb_standby ${g.g.set})`);
    this.out.push({ kind: 'notify', event: 'handover', resource: g.g.key, group: g.g.key });
    this.out.push({ kind: 'standby', group: g.g.key, set: g.g.set });
    this.pause(g, 'handing-over');
    g.handoverDeadlineMs = this.nowMs + HANDOVER_WAIT_MS;
  }

  private backoff(g: GroupState): void {
    const interval = Math.min(...g.resources.map((r) => r.spec?.intervalMs ?? Infinity));
    const delay = Math.min(MAX_BACKOFF_MS, interval * 2 ** g.backoffLevel);
    g.backoffLevel++;
    this.pause(g, 'backoff');
    g.backoffAtMs = this.nowMs + delay;
    this.log('err', `${g.g.key}: restarting the resource group in ${delay} ms (back-off)`);
  }

  private retryFailback(): void {
    const f = this.failback;
    if (f === undefined) return;
    for (const k of [...f.keys]) if (this.held.has(k)) f.keys.delete(k);
    if (f.keys.size === 0 || !this.peerAlive) {
      this.failback = undefined;
      return;
    }
    if (this.nowMs < f.atMs) return;
    if (f.triesLeft <= 0) {
      this.log('warn', `cleanup: ${[...f.keys].join(', ')} did not come home after ${FAILBACK_TRIES} requests; it stays on the other node (hb_takeover to ask again)`);
      this.failback = undefined;
      return;
    }
    f.triesLeft--;
    f.atMs = this.nowMs + FAILBACK_RETRY_MS;
    this.out.push({ kind: 'failback' });
  }

  private onCleanup(which: string): void {
    const rs = which === 'all' ? [...this.byName.values()] : [this.byName.get(which)].filter((r): r is ResState => r !== undefined);
    const groupKeyed = which === 'all' ? [] : this.groups.filter((g) => g.g.key === which);
    if (rs.length === 0 && groupKeyed.length === 0) {
      this.log('warn', `cleanup: ${which} is not a monitored resource`);
      return;
    }
    const groups = new Set<GroupState>([...rs.map((r) => r.group), ...groupKeyed]);
    let failback = false;
    for (const g of groups) {
      for (const r of g.resources) {
        r.fails = 0;
        r.restartTimes = [];
      }
      g.backoffLevel = 0;
      const wasFailed = this.failed.delete(g.g.key);
      this.log('info', `cleanup: ${g.g.key}: failures forgotten${wasFailed ? ', failed mark cleared' : ''}`);
      if (wasFailed && this.o.autoFailback === 'on' && g.g.set === 'local' && !this.held.has(g.g.key) && this.peerAlive) {
        this.log('info', `cleanup: ${g.g.key}: auto_failback on: asking the other node to give our resource groups back`);
        failback = true;
      }
    }
    if (failback) {
      const keys = [...groups].filter((g) => g.g.set === 'local' && !this.held.has(g.g.key)).map((g) => g.g.key);
      this.failback = { keys: new Set(keys), atMs: this.nowMs, triesLeft: FAILBACK_TRIES };
    }
    this.out.push({ kind: 'persist', failed: [...this.failed] });
  }

  private log(level: LogLevel, text: string): void {
    this.out.push({ kind: 'log', level, text });
  }
}
